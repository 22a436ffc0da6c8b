// The sidebar list of live sandboxes: name, status, CNI, scenario, a live countdown to teardown, extend and
// destroy. Re-rendered from the store on every change; countdowns tick in place on the shared clock.
import type { Clock } from '../app/clock.ts';
import type { SandboxStore } from '../app/sandbox-store.ts';
import { formatRoute } from '../app/route.ts';
import type { SandboxView } from '../api/rest-client.ts';
import { createElement, replaceChildren } from '../lib/dom.ts';
import { DisposableStore, toDisposable, type Disposable } from '../lib/disposable.ts';
import { classifyUrgency, computeSecondsLeft, describeCountdown, formatCountdown } from './countdown.ts';
import { summarizeProgress } from './progress-steps.ts';
import { createDestroyButton, createExtendButton, type SandboxActionContext } from './sandbox-actions.ts';
import { createStatusBadge } from './status-badge.ts';

export interface SandboxListOptions {
  readonly store: SandboxStore;
  readonly clock: Clock;
  readonly actions: SandboxActionContext;
  readonly ttlWarningSeconds: () => readonly number[];
  readonly extendBySeconds: number;
}

interface Countdown {
  readonly element: HTMLElement;
  readonly sandbox: SandboxView;
}

export class SandboxList implements Disposable {
  readonly element: HTMLElement;
  readonly #list: HTMLElement;
  readonly #options: SandboxListOptions;
  readonly #store = new DisposableStore();
  readonly #rowsById = new Map<string, { readonly sandbox: SandboxView; readonly element: HTMLElement; readonly store: DisposableStore }>();
  #pendingFocus: { readonly element: HTMLElement; readonly action: string } | undefined;
  #countdowns: Countdown[] = [];
  #selectedId: string | undefined;

  constructor(options: SandboxListOptions) {
    this.#options = options;
    this.#list = createElement('ul', { className: 'sandbox-list', attrs: { 'aria-label': 'Live sandboxes' } });
    this.element = createElement('div', { className: 'sandbox-list-wrap' }, [this.#list]);
    this.#store.add(toDisposable(() => this.#clearRows()));
    this.#store.add(options.store.onChange(() => this.#render()));
    this.#store.add(options.clock.onTick((nowMs) => this.#tick(nowMs)));
    this.#render();
  }

  select(sandboxId: string | undefined): void {
    this.#selectedId = sandboxId;
    for (const item of this.#list.querySelectorAll<HTMLElement>('[data-sandbox-id]')) {
      const link = item.querySelector('a');
      const isSelected = item.dataset['sandboxId'] === sandboxId;
      item.classList.toggle('is-selected', isSelected);
      if (isSelected) link?.setAttribute('aria-current', 'page');
      else link?.removeAttribute('aria-current');
    }
  }

  dispose(): void {
    this.#store.dispose();
  }

  #render(): void {
    const sandboxes = this.#options.store.list();
    if (sandboxes.length === 0) {
      this.#clearRows();
      const text = this.#options.store.hasLoaded ? 'No live sandboxes. Launch one to start.' : 'Loading sandboxes…';
      replaceChildren(this.#list, [createElement('li', { className: 'sandbox-list-empty', text })]);
      return;
    }
    // Rows are rebuilt only for sandboxes whose view changed (the store replaces changed objects only),
    // so a progress event does not steal focus from, or disarm, another row's buttons.
    const wanted = new Set(sandboxes.map((s) => s.id));
    for (const [id, row] of this.#rowsById) {
      if (!wanted.has(id)) {
        row.store.dispose();
        this.#rowsById.delete(id);
      }
    }
    const elements = sandboxes.map((sandbox) => {
      const existing = this.#rowsById.get(sandbox.id);
      if (existing !== undefined && existing.sandbox === sandbox) return existing.element;
      const focusedAction = existing?.element.contains(document.activeElement) === true ? document.activeElement?.getAttribute('data-action') : null;
      existing?.store.dispose();
      const store = new DisposableStore();
      const element = this.#renderRow(sandbox, store);
      this.#rowsById.set(sandbox.id, { sandbox, element, store });
      if (existing !== undefined) existing.element.replaceWith(element);
      if (focusedAction !== null && focusedAction !== undefined) this.#pendingFocus = { element, action: focusedAction };
      return element;
    });
    const current = [...this.#list.children];
    const isSameOrder = current.length === elements.length && current.every((child, i) => child === elements[i]);
    if (!isSameOrder) replaceChildren(this.#list, elements);
    if (this.#pendingFocus !== undefined) {
      this.#pendingFocus.element.querySelector<HTMLElement>(`[data-action="${this.#pendingFocus.action}"]`)?.focus();
      this.#pendingFocus = undefined;
    }
    this.#countdowns = sandboxes.map((sandbox) => ({ sandbox, element: this.#rowsById.get(sandbox.id)?.element.querySelector<HTMLElement>('.countdown') ?? createElement('span') }));
    this.select(this.#selectedId);
    this.#tick(this.#options.clock.now());
  }

  #clearRows(): void {
    for (const row of this.#rowsById.values()) row.store.dispose();
    this.#rowsById.clear();
    this.#countdowns = [];
  }

  #renderRow(sandbox: SandboxView, rowStore: DisposableStore): HTMLElement {
    const countdown = createElement('span', { className: 'countdown', attrs: { 'data-countdown': sandbox.id } });
        const details = [sandbox.provider, sandbox.cni, sandbox.scenario ?? 'no scenario'].join(' · ');
    const link = createElement('a', { className: 'sandbox-link', attrs: { 'data-action': 'open', href: formatRoute({ view: 'sandbox', sandboxId: sandbox.id, tab: 'matrix' }) } }, [
      createElement('span', { className: 'sandbox-name', text: sandbox.name ?? sandbox.id }),
      createElement('span', { className: 'sandbox-details', text: details }),
    ]);
    const meta = createElement('div', { className: 'sandbox-meta' }, [createStatusBadge(sandbox.status), countdown]);
    const children: HTMLElement[] = [link, meta];
    if (sandbox.status === 'provisioning') {
      const progress = summarizeProgress(sandbox.progress, sandbox.status);
      const bar = createElement('div', {
        className: 'mini-progress',
        attrs: {
          role: 'progressbar',
          'aria-label': `Provisioning ${sandbox.name ?? sandbox.id}`,
          'aria-valuemin': 0,
          'aria-valuemax': 100,
          'aria-valuenow': progress.fraction === undefined ? undefined : Math.round(progress.fraction * 100),
          'aria-valuetext': progress.headline,
        },
      });
      bar.style.setProperty('--fraction', String(progress.fraction ?? 0));
      children.push(bar);
    }
    if (sandbox.status === 'failed' && sandbox.failure !== undefined) {
      children.push(createElement('p', { className: 'sandbox-failure', text: sandbox.failure }));
    }
    const actions = createElement('div', { className: 'sandbox-actions' });
    if (sandbox.status === 'ready' || sandbox.status === 'expiring' || sandbox.status === 'provisioning') {
      actions.appendChild(createExtendButton(sandbox, this.#options.extendBySeconds, this.#options.actions, rowStore));
    }
    actions.appendChild(createDestroyButton(sandbox, this.#options.actions, rowStore));
    children.push(actions);
    return createElement('li', { className: 'sandbox-item', attrs: { 'data-sandbox-id': sandbox.id, 'data-status': sandbox.status } }, children);
  }

  #tick(nowMs: number): void {
    const warnings = this.#options.ttlWarningSeconds();
    for (const { element, sandbox } of this.#countdowns) {
      const secondsLeft = computeSecondsLeft(sandbox.expiresAt, nowMs);
      element.textContent = formatCountdown(secondsLeft);
      element.dataset['urgency'] = classifyUrgency(secondsLeft, warnings);
      const words = `teardown in ${describeCountdown(secondsLeft).replace(/ left$/, '')}`;
      element.setAttribute('aria-label', words);
      element.title = `Torn down at ${new Date(sandbox.expiresAt).toLocaleTimeString()}`;
    }
  }
}
