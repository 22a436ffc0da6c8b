// One browser tab attached to a sandbox's terminal: validates every client frame (input, resize, ping), checks
// every server frame against the protocol, and cuts a client that cannot keep up (its buffer past
// Limits.maxWsBufferedBytes) with a reason: reconnecting replays the recent history, so nothing is lost to read.
import type { WebSocket } from 'ws';
import type { Logger } from '../../log.ts';
import type { TerminalAttachment, TerminalHub } from '../../terminal/index.ts';
import { terminalClientFrameSchema, terminalServerFrameSchema } from '../protocol/schemas.ts';
import type { TerminalServerFrame } from '../protocol/schemas.ts';
import { ApiErrorCodes } from '../errors.ts';

export interface TerminalSocketOptions {
  readonly sandboxId: string;
  readonly terminals: TerminalHub;
  readonly log: Logger;
  readonly maxBufferedBytes: number;
}

/** Close codes: 1013 "try again later" for a slow client, 1008 for protocol abuse, 1001 for going away. */
export const TerminalCloseCodes = { slowConsumer: 1013, policy: 1008, goingAway: 1001, normal: 1000 } as const;
export const slowConsumerReason = 'terminal output could not keep up; reconnect to see the recent history';
const maxInvalidFrames = 5;
/** A client whose socket is blocked never completes the close handshake; it is cut after this long. */
const closeGraceMs = 2000;

export class TerminalSocket {
  readonly #ws: WebSocket;
  readonly #maxBufferedBytes: number;
  readonly #log: Logger;
  #attachment: TerminalAttachment | undefined;
  #isClosing = false;
  #invalidFrames = 0;
  #killTimer: NodeJS.Timeout | undefined;

  constructor(ws: WebSocket, options: TerminalSocketOptions) {
    this.#ws = ws;
    this.#maxBufferedBytes = options.maxBufferedBytes;
    this.#log = options.log;
    ws.on('close', () => this.#release());
    ws.on('error', (error) => options.log.debug('terminal socket error', { error }));
    ws.on('message', (data, isBinary) => this.#receive(isBinary ? undefined : data.toString()));
    this.#attachment = options.terminals.attach(options.sandboxId, {
      send: (frame) => this.#send(frame),
      close: (reason) => this.close(TerminalCloseCodes.normal, reason),
    });
  }

  get bufferedBytes(): number {
    return this.#ws.bufferedAmount;
  }

  close(code: number, reason: string): void {
    if (this.#isClosing) return;
    this.#isClosing = true;
    this.#attachment?.dispose();
    this.#attachment = undefined;
    // Close reasons are limited to 123 bytes by the protocol.
    this.#ws.close(code, reason.slice(0, 120));
    this.#killTimer = setTimeout(() => this.#ws.terminate(), closeGraceMs);
    this.#killTimer.unref();
  }

  #release(): void {
    clearTimeout(this.#killTimer);
    this.#attachment?.dispose();
    this.#attachment = undefined;
    this.#isClosing = true;
  }

  #send(frame: TerminalServerFrame): void {
    if (this.#isClosing || this.#ws.readyState !== this.#ws.OPEN) return;
    if (this.#ws.bufferedAmount > this.#maxBufferedBytes) {
      this.#log.info('terminal client too slow; disconnected', { bufferedBytes: this.#ws.bufferedAmount });
      this.close(TerminalCloseCodes.slowConsumer, slowConsumerReason);
      return;
    }
    const checked = terminalServerFrameSchema.safeParse(frame);
    if (!checked.success) {
      this.#log.error('terminal frame does not match the protocol; not sent', { type: frame.type });
      return;
    }
    this.#ws.send(JSON.stringify(checked.data));
  }

  #receive(text: string | undefined): void {
    let json: unknown;
    try {
      json = text === undefined ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = terminalClientFrameSchema.safeParse(json);
    if (!parsed.success) {
      this.#invalidFrames += 1;
      this.#send({ type: 'error', code: ApiErrorCodes.invalidFrame, message: `invalid frame: ${parsed.error.issues[0]?.message ?? 'not JSON'}; send {"type":"input","data":"..."}, resize or ping` });
      if (this.#invalidFrames >= maxInvalidFrames) this.close(TerminalCloseCodes.policy, 'too many invalid frames');
      return;
    }
    const frame = parsed.data;
    switch (frame.type) {
      case 'input':
        this.#attachment?.input(frame.data);
        return;
      case 'resize':
        this.#attachment?.resize(frame.cols, frame.rows);
        return;
      case 'ping':
        this.#send({ type: 'pong' });
        return;
    }
  }
}
