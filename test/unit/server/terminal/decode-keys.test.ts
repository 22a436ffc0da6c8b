// Keystrokes as xterm.js sends them, decoded into key events.
import { describe, expect, it } from 'vitest';
import { createKeyDecoder } from '../../../../server/terminal/decode-keys.ts';

describe('createKeyDecoder', () => {
  it.each([
    ['\x1b[D', 'left'],
    ['\x1b[C', 'right'],
    ['\x1b[A', 'up'],
    ['\x1b[B', 'down'],
    ['\x1bOD', 'left'],
    ['\x1b[H', 'home'],
    ['\x1b[F', 'end'],
    ['\x1b[1~', 'home'],
    ['\x1b[4~', 'end'],
    ['\x1b[3~', 'delete'],
    ['\x1b[1;5D', 'word-left'],
    ['\x1b[1;5C', 'word-right'],
    ['\x7f', 'backspace'],
    ['\x01', 'home'],
    ['\x05', 'end'],
    ['\x15', 'kill-to-start'],
    ['\x0b', 'kill-to-end'],
    ['\x17', 'kill-word'],
    ['\x03', 'interrupt'],
    ['\t', 'tab'],
    ['\r', 'enter'],
  ])('decodes %j as %s', (input, kind) => {
    expect(createKeyDecoder().decode(input)).toEqual([{ kind }]);
  });

  it('keeps typed text together and splits it at control keys', () => {
    expect(createKeyDecoder().decode('pods\r')).toEqual([{ kind: 'text', text: 'pods' }, { kind: 'enter' }]);
  });

  it('treats CR LF of a paste as one enter', () => {
    expect(createKeyDecoder().decode('a\r\nb')).toEqual([{ kind: 'text', text: 'a' }, { kind: 'enter' }, { kind: 'text', text: 'b' }]);
  });

  it('holds an escape sequence split across two frames until it is complete', () => {
    const decoder = createKeyDecoder();
    expect(decoder.decode('x\x1b[')).toEqual([{ kind: 'text', text: 'x' }]);
    expect(decoder.decode('D')).toEqual([{ kind: 'left' }]);
  });

  it('ignores unknown sequences without printing their bytes', () => {
    expect(createKeyDecoder().decode('\x1b[15~a')).toEqual([{ kind: 'text', text: 'a' }]);
  });

  it('returns a bracketed paste as one paste event', () => {
    expect(createKeyDecoder().decode('\x1b[200~a\rb\x1b[201~')).toEqual([{ kind: 'paste', text: 'a\rb' }]);
  });
});
