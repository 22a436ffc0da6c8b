// Reconnect delays: growing, bounded, jittered, and never zero.
import { describe, expect, it } from 'vitest';
import { computeBackoffDelayMs, defaultBackoffPolicy } from '../../../../web/src/api/backoff.ts';

const policy = { initialDelayMs: 100, maxDelayMs: 5000, multiplier: 2 };

describe('computeBackoffDelayMs', () => {
  it('doubles the step per attempt, half fixed and half random', () => {
    expect(computeBackoffDelayMs(0, 0, policy)).toBe(50);
    expect(computeBackoffDelayMs(0, 0.999999, policy)).toBe(100);
    expect(computeBackoffDelayMs(1, 0, policy)).toBe(100);
    expect(computeBackoffDelayMs(3, 0.5, policy)).toBe(600);
  });

  it('never exceeds the maximum, even after a very long outage', () => {
    for (const attempt of [10, 100, 5000]) {
      expect(computeBackoffDelayMs(attempt, 0.999999, policy)).toBeLessThanOrEqual(5000);
      expect(computeBackoffDelayMs(attempt, 0, policy)).toBe(2500);
    }
  });

  it('never collapses to zero, so a flapping server is not hammered', () => {
    expect(computeBackoffDelayMs(0, 0, defaultBackoffPolicy)).toBeGreaterThan(0);
  });

  it('treats nonsense input as the first attempt and clamps the random number', () => {
    expect(computeBackoffDelayMs(-3, 0, policy)).toBe(50);
    expect(computeBackoffDelayMs(0, 7, policy)).toBe(100);
    expect(computeBackoffDelayMs(0, -1, policy)).toBe(50);
  });
});
