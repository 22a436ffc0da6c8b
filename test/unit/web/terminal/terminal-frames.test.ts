import { describe, expect, it } from 'vitest';
import { interpretTerminalFrame, normalizeNewlines } from '../../../../web/src/terminal/terminal-frames.ts';

describe('interpretTerminalFrame', () => {
  it('appends output and replaces the screen with replayed history', () => {
    expect(interpretTerminalFrame({ type: 'output', data: 'x' })).toEqual({ kind: 'write', data: 'x' });
    expect(interpretTerminalFrame({ type: 'history', data: 'old lines' })).toEqual({ kind: 'replace', data: 'old lines' });
  });

  it('ends the session on closed, saying why', () => {
    const action = interpretTerminalFrame({ type: 'closed', reason: 'sandbox expired' });
    expect(action.kind).toBe('close');
    if (action.kind === 'close') {
      expect(action.reason).toBe('sandbox expired');
      expect(action.data).toContain('[session closed: sandbox expired]');
    }
  });

  it('shows errors in red on their own line and ignores pongs', () => {
    expect(interpretTerminalFrame({ type: 'error', code: 'input-too-large', message: 'too\nbig' })).toEqual({ kind: 'write', data: '\r\n\x1b[31merror (input-too-large): too\r\nbig\x1b[0m\r\n' });
    expect(interpretTerminalFrame({ type: 'pong' })).toEqual({ kind: 'none' });
  });
});

describe('normalizeNewlines', () => {
  it('turns bare and CRLF newlines into CRLF', () => {
    expect(normalizeNewlines('a\nb\r\nc')).toBe('a\r\nb\r\nc');
  });
});
