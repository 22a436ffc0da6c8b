// Lifetimes as values (as xterm.js does): every listener, timer and subscription returns a Disposable, and an
// owner holds its children in a DisposableStore that disposes them all, once, in reverse order.

export interface Disposable {
  dispose(): void;
}

export class DisposableStore implements Disposable {
  readonly #items = new Set<Disposable>();
  #isDisposed = false;

  get isDisposed(): boolean {
    return this.#isDisposed;
  }

  /** Takes ownership; adding to a disposed store disposes the item at once (nothing outlives its owner). */
  add<T extends Disposable>(item: T): T {
    if (this.#isDisposed) item.dispose();
    else this.#items.add(item);
    return item;
  }

  /** Disposes one item now and forgets it. */
  delete(item: Disposable): void {
    if (this.#items.delete(item)) item.dispose();
  }

  dispose(): void {
    if (this.#isDisposed) return;
    this.#isDisposed = true;
    const items = [...this.#items].reverse();
    this.#items.clear();
    const failures: unknown[] = [];
    for (const item of items) {
      try {
        item.dispose();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, `${failures.length} disposables failed`);
  }
}

export function toDisposable(dispose: () => void): Disposable {
  let isDone = false;
  return {
    dispose() {
      if (isDone) return;
      isDone = true;
      dispose();
    },
  };
}

export function disposableTimeout(callback: () => void, delayMs: number): Disposable {
  const timer = setTimeout(callback, delayMs);
  return toDisposable(() => clearTimeout(timer));
}
