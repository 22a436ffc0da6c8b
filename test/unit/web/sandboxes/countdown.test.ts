import { describe, expect, it } from 'vitest';
import { classifyUrgency, computeSecondsLeft, describeCountdown, formatCountdown } from '../../../../web/src/sandboxes/countdown.ts';

describe('computeSecondsLeft', () => {
  const expiresAt = '2026-01-01T00:10:00.000Z';
  const at = (iso: string): number => Date.parse(iso);

  it('rounds partial seconds up, so 0:00 shows only when the time is really up', () => {
    expect(computeSecondsLeft(expiresAt, at('2026-01-01T00:09:59.100Z'))).toBe(1);
    expect(computeSecondsLeft(expiresAt, at('2026-01-01T00:00:00.000Z'))).toBe(600);
  });

  it('is zero after expiry and for an unreadable timestamp', () => {
    expect(computeSecondsLeft(expiresAt, at('2026-01-01T01:00:00.000Z'))).toBe(0);
    expect(computeSecondsLeft('soon', 0)).toBe(0);
  });
});

describe('formatCountdown', () => {
  it.each([
    [0, '0:00'],
    [9, '0:09'],
    [299, '4:59'],
    [3600, '1:00:00'],
    [3723, '1:02:03'],
    [-5, '0:00'],
  ])('%i seconds read %s', (seconds, text) => {
    expect(formatCountdown(seconds)).toBe(text);
  });
});

describe('describeCountdown', () => {
  it('says the time in words, with seconds only when they matter', () => {
    expect(describeCountdown(3723)).toBe('1 hour 2 minutes left');
    expect(describeCountdown(61)).toBe('1 minute 1 second left');
    expect(describeCountdown(0)).toBe('expiring now');
  });
});

describe('classifyUrgency', () => {
  it("follows the server's warning thresholds", () => {
    expect(classifyUrgency(301, [300, 60])).toBe('calm');
    expect(classifyUrgency(300, [300, 60])).toBe('soon');
    expect(classifyUrgency(60, [300, 60])).toBe('imminent');
    expect(classifyUrgency(10, [])).toBe('calm');
  });
});
