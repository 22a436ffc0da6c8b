// One ticking clock for every countdown on the page, so fifty sandboxes cost one timer, and every countdown
// changes on the same beat.
import { setIntervalDisposable, type Disposable } from '../lib/disposable.ts';
import { Emitter, type Event } from '../lib/emitter.ts';

export class Clock implements Disposable {
  readonly #onTick = new Emitter<number>();
  readonly #timer: Disposable;
  readonly onTick: Event<number> = this.#onTick.event;

  constructor(intervalMs = 1000) {
    this.#timer = setIntervalDisposable(() => this.#onTick.fire(Date.now()), intervalMs);
  }

  now(): number {
    return Date.now();
  }

  dispose(): void {
    this.#timer.dispose();
    this.#onTick.dispose();
  }
}
