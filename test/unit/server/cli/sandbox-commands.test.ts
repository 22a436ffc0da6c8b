// TTLs as users type them, and the countdown `rehearse ls` prints.
import { describe, expect, it } from 'vitest';
import { formatRemaining, parseTtl } from '../../../../server/cli/sandbox-commands.ts';

describe('parseTtl', () => {
  it('reads 30m, 2h, 90s and 1h30m', () => {
    expect(parseTtl('30m')).toBe(1800);
    expect(parseTtl('2h')).toBe(7200);
    expect(parseTtl('90s')).toBe(90);
    expect(parseTtl('1h30m')).toBe(5400);
  });

  it('rejects what is not a duration, with an example', () => {
    for (const bad of ['', '30', '10 minutes', '-5m', '1d']) expect(() => parseTtl(bad)).toThrow(/like 30m/);
  });

  it('keeps every sandbox between 5 seconds and 4 hours', () => {
    expect(() => parseTtl('4s')).toThrow(/between 5s and 4h/);
    expect(() => parseTtl('5h')).toThrow(/between 5s and 4h/);
    expect(parseTtl('4h')).toBe(14_400);
  });
});

describe('formatRemaining', () => {
  it('counts down in the largest useful units', () => {
    expect(formatRemaining(29 * 60_000 + 58_000)).toBe('29m 58s');
    expect(formatRemaining(3_720_000)).toBe('1h 2m');
    expect(formatRemaining(4_200)).toBe('5s');
    expect(formatRemaining(0)).toBe('expired');
  });
});
