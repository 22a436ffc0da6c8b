// Reconnect delays: exponential with "equal jitter", so a server restart is not met by every open tab
// reconnecting in the same millisecond, and a long outage settles at a bounded retry interval.

export interface BackoffPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
}

export const defaultBackoffPolicy: BackoffPolicy = { initialDelayMs: 500, maxDelayMs: 15_000, multiplier: 2 };

/**
 * The wait before reconnect attempt `attempt` (0 = first retry). Half the exponential step is fixed and
 * half is random, so the delay never collapses to zero and never exceeds `maxDelayMs`.
 * `random` is a number in [0, 1), injected so the function stays pure.
 */
export function computeBackoffDelayMs(attempt: number, random: number, policy: BackoffPolicy = defaultBackoffPolicy): number {
  const safeAttempt = Math.max(0, Math.floor(attempt));
  // Cap the exponent before multiplying: 2 ** 1100 is Infinity, and the cap is reached long before.
  const step = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** Math.min(safeAttempt, 64));
  const clampedRandom = Math.min(Math.max(random, 0), 1);
  return Math.round(step / 2 + (step / 2) * clampedRandom);
}
