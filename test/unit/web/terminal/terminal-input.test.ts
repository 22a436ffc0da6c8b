import { describe, expect, it } from 'vitest';
import { Limits } from '../../../../server/api/protocol/index.ts';
import { clampTerminalSize, maxInputChars, splitInput } from '../../../../web/src/terminal/terminal-input.ts';

describe('splitInput', () => {
  it('sends a keystroke as one frame and nothing for nothing', () => {
    expect(splitInput('\r')).toEqual(['\r']);
    expect(splitInput('')).toEqual([]);
  });

  it('splits a large paste into frames under the byte limit, in order, losing nothing', () => {
    const paste = 'kind: NetworkPolicy ✓\n'.repeat(10_000);
    const chunks = splitInput(paste);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join('')).toBe(paste);
    for (const chunk of chunks) expect(new TextEncoder().encode(chunk).length).toBeLessThanOrEqual(Limits.maxTerminalInputBytes);
  });

  it('never cuts an emoji (a surrogate pair) in two', () => {
    const text = `${'a'.repeat(maxInputChars - 1)}😀tail`;
    const chunks = splitInput(text);
    expect(chunks[0]?.endsWith('a')).toBe(true);
    expect(chunks[1]?.startsWith('😀')).toBe(true);
  });
});

describe('clampTerminalSize', () => {
  it('keeps a squeezed panel within what the server accepts', () => {
    expect(clampTerminalSize(4, 1)).toEqual({ cols: 10, rows: 2 });
    expect(clampTerminalSize(120.7, 30.2)).toEqual({ cols: 120, rows: 30 });
    expect(clampTerminalSize(Number.NaN, 9999)).toEqual({ cols: 10, rows: 500 });
  });
});
