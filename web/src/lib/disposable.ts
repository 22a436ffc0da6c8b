// Lifetimes as values, as xterm.js keeps them: every listener, timer and socket the UI acquires is a
// Disposable held by an owner, so closing a view releases everything it started and nothing leaks.

export interface Disposable {
  dispose(): void;
}

export function toDisposable(release: () => void): Disposable {
  let isDisposed = false;
  return {
    dispose(): void {
      if (isDisposed) return;
      isDisposed = true;
      release();
    },
  };
}

/** Owns many disposables; disposing the store disposes them all, newest first. */
export class DisposableStore implements Disposable {
  #items = new Set<Disposable>();
  #isDisposed = false;

  get isDisposed(): boolean {
    return this.#isDisposed;
  }

  add<T extends Disposable>(item: T): T {
    // Adding to a dead owner would leak the item; release it at once instead.
    if (this.#isDisposed) {
      item.dispose();
      return item;
    }
    this.#items.add(item);
    return item;
  }

  /** Disposes one item now and forgets it (e.g. a finished one-shot timer). */
  release(item: Disposable): void {
    if (this.#items.delete(item)) item.dispose();
  }

  clear(): void {
    const items = [...this.#items].reverse();
    this.#items.clear();
    for (const item of items) item.dispose();
  }

  dispose(): void {
    if (this.#isDisposed) return;
    this.#isDisposed = true;
    this.clear();
  }
}

/** A slot holding at most one disposable; putting a new value in disposes the old one. */
export class MutableDisposable<T extends Disposable> implements Disposable {
  #value: T | undefined;

  get value(): T | undefined {
    return this.#value;
  }

  set value(next: T | undefined) {
    if (next === this.#value) return;
    const previous = this.#value;
    this.#value = next;
    previous?.dispose();
  }

  dispose(): void {
    this.value = undefined;
  }
}

export function setTimeoutDisposable(callback: () => void, delayMs: number): Disposable {
  const handle = setTimeout(callback, delayMs);
  return toDisposable(() => clearTimeout(handle));
}

export function setIntervalDisposable(callback: () => void, intervalMs: number): Disposable {
  const handle = setInterval(callback, intervalMs);
  return toDisposable(() => clearInterval(handle));
}
