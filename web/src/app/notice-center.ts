// Notices in one corner of the screen: announced to screen readers (errors assertively), dismissable by
// keyboard, information fading after a while, errors and warnings staying until dismissed.
import { createElement, listen } from '../lib/dom.ts';
import { DisposableStore, setTimeoutDisposable, type Disposable } from '../lib/disposable.ts';
import type { Notice } from '../sandboxes/sandbox-reducer.ts';

const infoLifetimeMs = 20_000;
const maxVisible = 6;

export class NoticeCenter implements Disposable {
  readonly element: HTMLElement;
  readonly #politeList: HTMLElement;
  readonly #alertList: HTMLElement;
  readonly #store = new DisposableStore();
  readonly #entries = new Map<HTMLElement, DisposableStore>();

  constructor() {
    // Two live regions: polite for news, assertive for failures; both exist before any text is put in,
    // which is what makes screen readers announce additions.
    this.#politeList = createElement('div', { className: 'notice-list', attrs: { role: 'status', 'aria-live': 'polite' } });
    this.#alertList = createElement('div', { className: 'notice-list', attrs: { role: 'alert', 'aria-live': 'assertive' } });
    this.element = createElement('section', { className: 'notices', attrs: { 'aria-label': 'Notices' } }, [this.#alertList, this.#politeList]);
  }

  show(notice: Notice): void {
    const entryStore = new DisposableStore();
    const dismiss = createElement('button', { className: 'notice-dismiss', text: '×', attrs: { type: 'button', 'aria-label': 'Dismiss notice' } });
    const item = createElement('div', { className: `notice notice-${notice.kind}`, attrs: { 'data-kind': notice.kind } }, [
      createElement('span', { className: 'notice-kind', text: notice.kind === 'error' ? 'Error' : notice.kind === 'warning' ? 'Warning' : 'Note' }),
      createElement('p', { className: 'notice-text', text: notice.message }),
      dismiss,
    ]);
    entryStore.add(listen(dismiss, 'click', () => this.#remove(item)));
    if (notice.kind === 'info') entryStore.add(setTimeoutDisposable(() => this.#remove(item), infoLifetimeMs));
    this.#entries.set(item, entryStore);
    (notice.kind === 'error' ? this.#alertList : this.#politeList).appendChild(item);
    const all = [...this.#entries.keys()];
    for (const old of all.slice(0, Math.max(0, all.length - maxVisible))) this.#remove(old);
  }

  dispose(): void {
    for (const item of [...this.#entries.keys()]) this.#remove(item);
    this.#store.dispose();
  }

  #remove(item: HTMLElement): void {
    const entryStore = this.#entries.get(item);
    if (entryStore === undefined) return;
    this.#entries.delete(item);
    entryStore.dispose();
    // Keep focus on the page when the dismissed notice held it.
    if (item.contains(document.activeElement)) (document.querySelector<HTMLElement>('main') ?? document.body).focus();
    item.remove();
  }
}
