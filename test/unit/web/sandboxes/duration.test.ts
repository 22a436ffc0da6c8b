import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../../web/src/sandboxes/duration.ts';

const bounds = { minSeconds: 5, maxSeconds: 4 * 3600 };

describe('parseDuration', () => {
  it.each([
    ['30m', 1800],
    ['2h', 7200],
    ['90s', 90],
    ['1h30m', 5400],
    ['1h 30m', 5400],
    [' 45 ', 45],
    ['10S', 10],
  ])('%s is %i seconds', (text, seconds) => {
    expect(parseDuration(text, bounds)).toEqual({ ok: true, seconds });
  });

  it('explains the grammar when the text is not a duration', () => {
    for (const text of ['', 'soon', '1d', '5 minutes', 'm']) {
      expect(parseDuration(text, bounds)).toEqual({ ok: false, message: 'write a duration like 30m, 2h, 90s or 1h30m' });
    }
  });

  it("names the server's bounds when outside them", () => {
    expect(parseDuration('2s', bounds)).toEqual({ ok: false, message: 'at least 5s' });
    expect(parseDuration('5h', bounds)).toEqual({ ok: false, message: 'at most 4h on this server' });
  });
});

describe('formatDuration', () => {
  it('writes the shortest form that parses back', () => {
    for (const seconds of [45, 1800, 5400, 3600, 3661]) {
      const text = formatDuration(seconds);
      expect(parseDuration(text, { minSeconds: 1, maxSeconds: 10_000 })).toEqual({ ok: true, seconds });
    }
    expect(formatDuration(5400)).toBe('1h30m');
    expect(formatDuration(0)).toBe('0s');
  });
});
