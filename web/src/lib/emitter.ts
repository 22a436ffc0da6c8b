// A typed event source whose subscriptions are disposables (xterm.js's `onX` pattern), so a view that
// listens to a store stops listening when it is disposed.
import { toDisposable, type Disposable } from './disposable.ts';

export type Listener<T> = (value: T) => void;
export type Event<T> = (listener: Listener<T>) => Disposable;

export class Emitter<T> implements Disposable {
  #listeners = new Set<Listener<T>>();

  readonly event: Event<T> = (listener) => {
    // Wrapped so the same function may subscribe twice and unsubscribe each independently.
    const entry: Listener<T> = (value) => listener(value);
    this.#listeners.add(entry);
    return toDisposable(() => this.#listeners.delete(entry));
  };

  fire(value: T): void {
    for (const listener of [...this.#listeners]) listener(value);
  }

  dispose(): void {
    this.#listeners.clear();
  }
}
