// Virtual time for provider tests: sleeps advance the clock instead of waiting, scheduled callbacks (TTLs) fire
// when virtual time passes them, and a recording logger keeps what the providers logged.
import type { Clock, Logger } from '../../../server/sandbox/k8s/runtime-deps.ts';

export interface FakeClock extends Clock {
  advance(ms: number): Promise<void>;
}

export function createFakeClock(start: Date = new Date()): FakeClock {
  let nowMs = start.getTime();
  const timers = new Set<{ readonly atMs: number; readonly callback: () => void }>();
  const fireDue = (): void => {
    for (const timer of [...timers]) {
      if (timer.atMs <= nowMs) {
        timers.delete(timer);
        timer.callback();
      }
    }
  };
  const yieldOnce = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return {
    // Each reading moves time on by a millisecond, as real work takes time: durations are never zero.
    now: () => {
      nowMs += 1;
      return new Date(nowMs);
    },
    sleep: async (ms, signal) => {
      if (signal?.aborted === true) throw signal.reason;
      nowMs += ms;
      fireDue();
      await yieldOnce();
    },
    schedule: (at, callback) => {
      const timer = { atMs: at.getTime(), callback };
      timers.add(timer);
      return () => {
        timers.delete(timer);
      };
    },
    advance: async (ms) => {
      nowMs += ms;
      fireDue();
      await yieldOnce();
    },
  };
}

export interface RecordingLogger extends Logger {
  readonly entries: { readonly level: string; readonly message: string; readonly fields?: Readonly<Record<string, unknown>> }[];
}

export function createRecordingLogger(): RecordingLogger {
  const entries: RecordingLogger['entries'] = [];
  const push = (level: string) => (message: string, fields?: Readonly<Record<string, unknown>>) => {
    entries.push({ level, message, ...(fields === undefined ? {} : { fields }) });
  };
  return { entries, info: push('info'), warn: push('warn'), error: push('error') };
}

let counter = 0;
/** Fresh sandbox ids: `sb-` + 8 hex, unique per process. */
export function makeTestId(): string {
  counter += 1;
  return `sb-${(0xa0000000 + process.pid * 256 + counter).toString(16).slice(-8).padStart(8, '0')}`;
}

/** Waits (in real time, bounded) until `check` holds: for work a fired timer started in the background. */
export async function waitUntil(check: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting until ${what}`);
}
