// A draggable, keyboard-operable splitter (WAI-ARIA "window splitter": role=separator with a value) that
// sizes a docked panel: below the content on laptop screens, beside it on wide monitors. The size is a
// display preference, kept in localStorage per orientation.
import { createElement, listen } from './dom.ts';
import { DisposableStore, toDisposable, type Disposable } from './disposable.ts';
import { Emitter, type Event } from './emitter.ts';

export interface DockSeparatorOptions {
  /** The element whose CSS variables `--dock-height` / `--dock-width` set the dock's size. */
  readonly container: HTMLElement;
  /** Media query under which the dock sits beside the content instead of below it. */
  readonly sideQuery: string;
  readonly label: string;
  readonly storageKey: string;
}

const limits = { minPx: 120, stepPx: 32 } as const;
const defaults = { height: 260, width: 560 } as const;

function readStoredSize(key: string, fallback: number): number {
  try {
    const value = Number(localStorage.getItem(key));
    return Number.isFinite(value) && value >= limits.minPx ? value : fallback;
  } catch {
    // Storage may be disabled (private mode, policy): the default size is fine.
    return fallback;
  }
}

export class DockSeparator implements Disposable {
  readonly element: HTMLElement;
  readonly #options: DockSeparatorOptions;
  readonly #store = new DisposableStore();
  readonly #query: MediaQueryList;
  readonly #onResize = new Emitter<void>();
  #sizes: { height: number; width: number };
  #hasStoredHeight: boolean;

  readonly onResize: Event<void> = this.#onResize.event;

  constructor(options: DockSeparatorOptions) {
    this.#options = options;
    this.#query = window.matchMedia(options.sideQuery);
    const storedHeight = readStoredSize(`${options.storageKey}.height`, 0);
    this.#hasStoredHeight = storedHeight > 0;
    this.#sizes = {
      height: this.#hasStoredHeight ? storedHeight : defaults.height,
      width: readStoredSize(`${options.storageKey}.width`, defaults.width),
    };
    this.element = createElement('div', { className: 'dock-separator', attrs: { role: 'separator', tabindex: 0, 'aria-label': options.label } });
    this.#store.add(this.#onResize);
    this.#store.add(listen(this.element, 'keydown', (event) => this.#handleKey(event)));
    this.#store.add(listen(this.element, 'pointerdown', (event) => this.#startDrag(event)));
    const onQuery = (): void => this.#apply();
    this.#query.addEventListener('change', onQuery);
    this.#store.add(toDisposable(() => this.#query.removeEventListener('change', onQuery)));
    this.#store.add(listen(window, 'resize', () => this.#apply()));
    this.#apply();
  }

  dispose(): void {
    this.#store.dispose();
  }

  get #isSide(): boolean {
    return this.#query.matches;
  }

  /** The dock may take at most 75% of the container along its axis, so the content never vanishes. */
  #maxSize(): number {
    const rect = this.#options.container.getBoundingClientRect();
    const extent = this.#isSide ? rect.width : rect.height;
    return Math.max(limits.minPx, Math.floor((extent > 0 ? extent : 800) * 0.75));
  }

  #setSize(size: number): void {
    const clamped = Math.round(Math.min(this.#maxSize(), Math.max(limits.minPx, size)));
    if (this.#isSide) {
      this.#sizes.width = clamped;
    } else {
      this.#sizes.height = clamped;
      this.#hasStoredHeight = true;
    }
    try {
      localStorage.setItem(`${this.#options.storageKey}.${this.#isSide ? 'width' : 'height'}`, String(clamped));
    } catch {
      // Not persisting a display preference is harmless.
    }
    this.#apply();
  }

  #apply(): void {
    const isSide = this.#isSide;
    const stored = isSide ? this.#sizes.width : this.#sizes.height;
    // Until someone drags it, the terminal below takes at most a third of the height: on a laptop screen the
    // matrix and the editor need the room more.
    const extent = this.#options.container.getBoundingClientRect().height;
    const preferred = !isSide && !this.#hasStoredHeight && extent > 0 ? Math.min(stored, Math.max(limits.minPx, Math.round(extent / 3))) : stored;
    const size = Math.min(this.#maxSize(), preferred);
    this.#options.container.style.setProperty(isSide ? '--dock-width' : '--dock-height', `${size}px`);
    this.element.setAttribute('aria-orientation', isSide ? 'vertical' : 'horizontal');
    this.element.setAttribute('aria-valuemin', String(limits.minPx));
    this.element.setAttribute('aria-valuemax', String(this.#maxSize()));
    this.element.setAttribute('aria-valuenow', String(size));
    this.element.setAttribute('aria-valuetext', `terminal ${isSide ? 'width' : 'height'} ${size} pixels`);
    this.#onResize.fire();
  }

  #currentSize(): number {
    return this.#isSide ? this.#sizes.width : this.#sizes.height;
  }

  #handleKey(event: KeyboardEvent): void {
    // The dock grows towards the content: up (below) or left (beside).
    const grow = this.#isSide ? 'ArrowLeft' : 'ArrowUp';
    const shrink = this.#isSide ? 'ArrowRight' : 'ArrowDown';
    if (event.key === grow) this.#setSize(this.#currentSize() + limits.stepPx);
    else if (event.key === shrink) this.#setSize(this.#currentSize() - limits.stepPx);
    else if (event.key === 'Home') this.#setSize(limits.minPx);
    else if (event.key === 'End') this.#setSize(this.#maxSize());
    else return;
    event.preventDefault();
  }

  #startDrag(event: PointerEvent): void {
    if (event.button !== 0) return;
    event.preventDefault();
    const isSide = this.#isSide;
    const startPointer = isSide ? event.clientX : event.clientY;
    const startSize = this.#currentSize();
    this.element.setPointerCapture(event.pointerId);
    this.element.classList.add('is-dragging');
    const drag = new DisposableStore();
    this.#store.add(drag);
    drag.add(
      listen(this.element, 'pointermove', (move) => {
        const delta = (isSide ? move.clientX : move.clientY) - startPointer;
        this.#setSize(startSize - delta);
      }),
    );
    const end = (): void => {
      this.element.classList.remove('is-dragging');
      this.#store.release(drag);
    };
    drag.add(listen(this.element, 'pointerup', end));
    drag.add(listen(this.element, 'pointercancel', end));
  }
}
