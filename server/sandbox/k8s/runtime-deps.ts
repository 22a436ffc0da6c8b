// The small seams every real-cluster provider shares: a clock (timers and sleeps tests can drive), a logger for
// what users never see (stderr of tools, stack traces), and the async queue that turns callbacks into a stream.

export interface Clock {
  now(): Date;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Runs `callback` at `at` (or at once when past); the returned function cancels it. */
  schedule(at: Date, callback: () => void): () => void;
}

export interface Logger {
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** setTimeout caps delays at 2^31-1 ms (~24.8 days); longer schedules re-arm in steps. */
const maxTimerMs = 2_147_483_647;

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(signal.reason);
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  schedule: (at, callback) => {
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      const delayMs = at.getTime() - Date.now();
      if (delayMs <= 0) {
        timer = undefined;
        callback();
        return;
      }
      timer = setTimeout(arm, Math.min(delayMs, maxTimerMs));
      // A pending TTL must not keep a CLI process alive on its own.
      timer.unref();
    };
    arm();
    return () => {
      if (timer !== undefined) clearTimeout(timer);
    };
  },
};

/** Writes to stderr as one JSON line per entry; the composition root may pass its own logger instead. */
export function createStderrLogger(component: string): Logger {
  const write = (level: string, message: string, fields?: Readonly<Record<string, unknown>>): void => {
    process.stderr.write(`${JSON.stringify({ level, component, message, ...fields, at: new Date().toISOString() })}\n`);
  };
  return {
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
  };
}

/** A push/pull queue: producers push as results arrive, one consumer iterates; `end` finishes the stream. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  readonly #waiters: ((result: IteratorResult<T>) => void)[] = [];
  #isEnded = false;

  push(item: T): void {
    if (this.#isEnded) return;
    const waiter = this.#waiters.shift();
    if (waiter === undefined) this.#items.push(item);
    else waiter({ value: item, done: false });
  }

  end(): void {
    this.#isEnded = true;
    for (const waiter of this.#waiters.splice(0)) waiter({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.#items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.#isEnded) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.#waiters.push(resolve));
      },
      return: () => {
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
