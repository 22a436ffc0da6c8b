// Every sandbox's clock: warnings a few minutes before expiry and the teardown call at expiry. One timer per
// pending moment, rescheduled on extend, all disposed with the manager. The providers' own supervisors are the
// backstop; this is what makes the server announce the end and tear down within a second of it.
import type { Disposable } from './disposable.ts';

export interface TtlManagerOptions {
  /** Seconds before expiry to warn at (e.g. 300 and 60); thresholds already passed when scheduled are skipped. */
  readonly warningSeconds: readonly number[];
  readonly onWarning: (sandboxId: string, secondsLeft: number) => void;
  readonly onExpired: (sandboxId: string) => void;
  /** Milliseconds since the epoch; default Date.now. */
  readonly now?: () => number;
}

export interface TtlManager extends Disposable {
  /** Starts (or moves) the clock of a sandbox. */
  schedule(sandboxId: string, expiresAt: Date): void;
  cancel(sandboxId: string): void;
  /** Sandboxes with a running clock. */
  readonly scheduledCount: number;
}

/** setTimeout's longest delay (about 24.8 days); longer waits are chained. */
const maxTimerDelayMs = 2 ** 31 - 1;

export function createTtlManager(options: TtlManagerOptions): TtlManager {
  const now = options.now ?? Date.now;
  const timers = new Map<string, NodeJS.Timeout[]>();

  const cancel = (sandboxId: string): void => {
    for (const timer of timers.get(sandboxId) ?? []) clearTimeout(timer);
    timers.delete(sandboxId);
  };

  const at = (sandboxId: string, atMs: number, callback: () => void): void => {
    const list = timers.get(sandboxId) ?? [];
    const delay = Math.max(0, atMs - now());
    const isChained = delay > maxTimerDelayMs;
    const timer = setTimeout(() => {
      const current = timers.get(sandboxId);
      if (current !== undefined) {
        const remaining = current.filter((entry) => entry !== timer);
        if (remaining.length === 0) timers.delete(sandboxId);
        else timers.set(sandboxId, remaining);
      }
      if (isChained) at(sandboxId, atMs, callback);
      else callback();
    }, Math.min(delay, maxTimerDelayMs));
    // A pending TTL must not keep a finished process alive; the server's listener does that.
    timer.unref();
    list.push(timer);
    timers.set(sandboxId, list);
  };

  return {
    schedule(sandboxId, expiresAt) {
      cancel(sandboxId);
      const expiresAtMs = expiresAt.getTime();
      const leftMs = expiresAtMs - now();
      for (const seconds of options.warningSeconds) {
        if (leftMs > seconds * 1000) at(sandboxId, expiresAtMs - seconds * 1000, () => options.onWarning(sandboxId, seconds));
      }
      at(sandboxId, expiresAtMs, () => {
        cancel(sandboxId);
        options.onExpired(sandboxId);
      });
    },
    cancel,
    get scheduledCount() {
      return timers.size;
    },
    dispose() {
      for (const id of [...timers.keys()]) cancel(id);
    },
  };
}
