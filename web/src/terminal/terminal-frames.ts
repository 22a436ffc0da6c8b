// What the terminal does with each server frame. History replaces the screen (after a reconnect the
// server replays recent output, so writing it on top would show everything twice); output appends;
// closed ends the session; errors are shown in red where the user is looking.
import type { TerminalServerFrame } from '../../../server/api/protocol/index.ts';

export type TerminalAction =
  | { readonly kind: 'write'; readonly data: string }
  | { readonly kind: 'replace'; readonly data: string }
  | { readonly kind: 'close'; readonly reason: string; readonly data: string }
  | { readonly kind: 'none' };

const red = (text: string): string => `\x1b[31m${text}\x1b[0m`;
const dim = (text: string): string => `\x1b[2m${text}\x1b[0m`;

/** Frame text is the server's, but a stray bare \n would leave xterm's cursor mid-line; normalize to \r\n. */
export function normalizeNewlines(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

export function interpretTerminalFrame(frame: TerminalServerFrame): TerminalAction {
  switch (frame.type) {
    case 'output':
      return { kind: 'write', data: frame.data };
    case 'history':
      return { kind: 'replace', data: frame.data };
    case 'pong':
      return { kind: 'none' };
    case 'closed':
      return { kind: 'close', reason: frame.reason, data: `\r\n${dim(`[session closed: ${frame.reason}]`)}\r\n` };
    case 'error':
      return { kind: 'write', data: `\r\n${red(`error (${frame.code}): ${normalizeNewlines(frame.message)}`)}\r\n` };
  }
}
