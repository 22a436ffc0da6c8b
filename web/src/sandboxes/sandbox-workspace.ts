// The screen of one sandbox: a header (status, CNI, scenario, live countdown, extend, destroy), then either
// provisioning progress or the playground tabs (matrix, policies, overview) with the terminal docked below
// (beside on wide monitors). When the sandbox goes away the screen says so instead of showing stale data.
import type { Clock } from '../app/clock.ts';
import type { EventHub } from '../app/event-hub.ts';
import { formatRoute, SandboxTabs, type SandboxTab } from '../app/route.ts';
import { SandboxSession } from '../app/sandbox-session.ts';
import type { SandboxStore } from '../app/sandbox-store.ts';
import type { RestClient, SandboxDetail, SandboxView } from '../api/rest-client.ts';
import { DockSeparator } from '../lib/dock-separator.ts';
import { createElement, listen, replaceChildren } from '../lib/dom.ts';
import { DisposableStore, MutableDisposable, type Disposable } from '../lib/disposable.ts';
import { MatrixPanel } from '../matrix/matrix-panel.ts';
import type { PolicyPanel } from '../playground/policy-panel.ts';
import { TerminalPanel } from '../terminal/terminal-panel.ts';
import { classifyUrgency, computeSecondsLeft, describeCountdown, formatCountdown } from './countdown.ts';
import { OverviewPanel } from './overview-panel.ts';
import { ProvisioningPanel } from './provisioning-panel.ts';
import { createDestroyButton, createExtendButton, type SandboxActionContext } from './sandbox-actions.ts';
import { nameSandbox, type Notice } from './sandbox-reducer.ts';
import { createStatusBadge } from './status-badge.ts';

export interface WorkspaceOptions {
  readonly sandboxId: string;
  readonly client: RestClient;
  readonly store: SandboxStore;
  readonly events: EventHub;
  readonly clock: Clock;
  readonly actions: SandboxActionContext;
  readonly notify: (notice: Notice) => void;
  readonly ttlWarningSeconds: () => readonly number[];
  readonly extendOptions: readonly number[];
}

const tabTitles: Readonly<Record<SandboxTab, string>> = { matrix: 'Matrix', policies: 'Policies', overview: 'Overview' };
const tabOrder: readonly SandboxTab[] = [SandboxTabs.matrix, SandboxTabs.policies, SandboxTabs.overview];
const wideQuery = '(min-width: 1680px)';

/** The tabs, terminal and panels that exist once the sandbox is ready. */
class Playground implements Disposable {
  readonly element: HTMLElement;
  readonly #store = new DisposableStore();
  readonly #tabs = new Map<SandboxTab, { readonly tab: HTMLButtonElement; readonly panel: HTMLElement }>();
  readonly #matrix: MatrixPanel;
  // The editor (CodeMirror, the largest part of the bundle) loads the first time its tab is opened.
  readonly #policies = new MutableDisposable<PolicyPanel>();
  readonly #policiesHost: HTMLElement;
  readonly #session: SandboxSession;
  readonly #notify: (notice: Notice) => void;
  #policiesLoading: Promise<void> | undefined;
  readonly #overview: OverviewPanel;
  readonly #terminal: TerminalPanel;
  #current: SandboxTab = SandboxTabs.matrix;

  constructor(options: WorkspaceOptions, session: SandboxSession, detail: SandboxDetail) {
    const id = options.sandboxId;
    this.#matrix = this.#store.add(new MatrixPanel({ session, detail, notify: options.notify }));
    this.#session = session;
    this.#notify = options.notify;
    this.#store.add(this.#policies);
    this.#policiesHost = createElement('div', { className: 'lazy-host' }, [createElement('p', { className: 'field-hint lazy-loading', text: 'Loading the editor…' })]);
    this.#overview = this.#store.add(new OverviewPanel());
    this.#overview.update(detail);
    this.#store.add(session.onDetail((next) => this.#overview.update(next)));
    this.#terminal = this.#store.add(new TerminalPanel({ sandboxId: id }));

    const tablist = createElement('div', { className: 'tabs', attrs: { role: 'tablist', 'aria-label': 'Sandbox views' } });
    const panels = createElement('div', { className: 'tab-panels' });
    const contents: Readonly<Record<SandboxTab, HTMLElement>> = { matrix: this.#matrix.element, policies: this.#policiesHost, overview: this.#overview.element };
    for (const tab of tabOrder) {
      const tabId = `tab-${id}-${tab}`;
      const panelId = `panel-${id}-${tab}`;
      const button = createElement('button', { className: 'tab', text: tabTitles[tab], attrs: { role: 'tab', id: tabId, type: 'button', 'aria-controls': panelId, 'aria-selected': 'false', tabindex: -1 } });
      const panel = createElement('div', { className: 'tab-panel', attrs: { role: 'tabpanel', id: panelId, 'aria-labelledby': tabId, hidden: true } }, [contents[tab]]);
      this.#tabs.set(tab, { tab: button, panel });
      tablist.appendChild(button);
      panels.appendChild(panel);
      this.#store.add(
        listen(button, 'click', () => {
          window.location.hash = formatRoute({ view: 'sandbox', sandboxId: id, tab });
        }),
      );
    }
    this.#store.add(
      listen(tablist, 'keydown', (event) => {
        const index = tabOrder.indexOf(this.#current);
        const next = event.key === 'ArrowRight' ? tabOrder[(index + 1) % tabOrder.length] : event.key === 'ArrowLeft' ? tabOrder[(index + tabOrder.length - 1) % tabOrder.length] : undefined;
        if (next === undefined) return;
        event.preventDefault();
        window.location.hash = formatRoute({ view: 'sandbox', sandboxId: id, tab: next });
        this.#tabs.get(next)?.tab.focus();
      }),
    );

    const dock = createElement('div', { className: 'terminal-dock' }, [this.#terminal.element]);
    const body = createElement('div', { className: 'workspace-body' });
    const separator = this.#store.add(new DockSeparator({ container: body, sideQuery: wideQuery, label: 'Resize the terminal', storageKey: 'rehearsal.dock' }));
    this.#store.add(separator.onResize(() => this.#terminal.refit()));
    body.append(createElement('div', { className: 'workspace-main' }, [tablist, panels]), separator.element, dock);
    this.element = body;
  }

  showTab(tab: SandboxTab): void {
    this.#current = tab;
    if (tab === SandboxTabs.policies) void this.#loadPolicies();
    for (const [name, { tab: button, panel }] of this.#tabs) {
      const isCurrent = name === tab;
      button.setAttribute('aria-selected', String(isCurrent));
      button.tabIndex = isCurrent ? 0 : -1;
      panel.hidden = !isCurrent;
    }
  }

  dispose(): void {
    this.#store.dispose();
  }

  #loadPolicies(): Promise<void> {
    this.#policiesLoading ??= import('../playground/policy-panel.ts')
      .then(({ PolicyPanel: Panel }) => {
        if (this.#store.isDisposed) return;
        const detail = this.#session.detail;
        if (detail === undefined) return;
        const panel = new Panel({ session: this.#session, detail, notify: this.#notify });
        this.#policies.value = panel;
        replaceChildren(this.#policiesHost, [panel.element]);
      })
      .catch((error: unknown) => {
        this.#policiesLoading = undefined;
        replaceChildren(this.#policiesHost, [createElement('p', { className: 'is-error', text: `Could not load the editor: ${error instanceof Error ? error.message : String(error)}` })]);
      });
    return this.#policiesLoading;
  }
}

export class SandboxWorkspace implements Disposable {
  readonly element: HTMLElement;
  readonly sandboxId: string;
  readonly #options: WorkspaceOptions;
  readonly #store = new DisposableStore();
  readonly #session: SandboxSession;
  readonly #header: HTMLElement;
  readonly #headerActions = new DisposableStore();
  readonly #countdown: HTMLElement;
  readonly #body: HTMLElement;
  readonly #provisioning = new ProvisioningPanel();
  readonly #playground = new MutableDisposable<Playground>();
  #sandbox: SandboxView | undefined;
  #tab: SandboxTab = SandboxTabs.matrix;
  #isGone = false;

  constructor(options: WorkspaceOptions) {
    this.#options = options;
    this.sandboxId = options.sandboxId;
    this.#session = this.#store.add(new SandboxSession({ sandboxId: options.sandboxId, client: options.client, events: options.events }));
    this.#store.add(this.#headerActions);
    this.#store.add(this.#playground);
    this.#header = createElement('header', { className: 'workspace-header' });
    this.#countdown = createElement('span', { className: 'countdown countdown-large' });
    this.#body = createElement('div', { className: 'workspace-content' });
    this.element = createElement('div', { className: 'workspace' }, [this.#header, this.#body]);

    this.#store.add(options.store.onChange(() => this.#update()));
    this.#store.add(
      options.store.onGone((id) => {
        if (id === this.sandboxId) this.#showGone();
      }),
    );
    this.#store.add(options.clock.onTick((nowMs) => this.#tick(nowMs)));
    this.#store.add(this.#session.onDetail((detail) => this.#ensurePlayground(detail)));
    this.#store.add(
      this.#session.onDetailError((message) => {
        if (this.#playground.value === undefined && !this.#isGone) replaceChildren(this.#body, [createElement('p', { className: 'is-error', text: `Could not load the sandbox: ${message}` })]);
      }),
    );
    this.#update();
  }

  showTab(tab: SandboxTab): void {
    this.#tab = tab;
    this.#playground.value?.showTab(tab);
  }

  dispose(): void {
    this.#store.dispose();
  }

  #update(): void {
    if (this.#isGone) return;
    const sandbox = this.#options.store.get(this.sandboxId);
    if (sandbox === undefined) {
      if (this.#options.store.hasLoaded) this.#showGone();
      else replaceChildren(this.#body, [createElement('p', { className: 'field-hint', text: 'Loading…' })]);
      return;
    }
    const previous = this.#sandbox;
    this.#sandbox = sandbox;
    if (previous === sandbox) return;
    if (previous === undefined || previous.status !== sandbox.status || previous.expiresAt !== sandbox.expiresAt) this.#renderHeader(sandbox);
    const isLive = sandbox.status === 'ready' || sandbox.status === 'expiring';
    if (!isLive) {
      this.#playground.value = undefined;
      this.#provisioning.update(sandbox);
      if (this.#provisioning.element.parentElement !== this.#body) replaceChildren(this.#body, [this.#provisioning.element]);
      return;
    }
    if (this.#playground.value === undefined && (previous === undefined || previous.status !== sandbox.status)) {
      replaceChildren(this.#body, [createElement('p', { className: 'field-hint', text: 'Loading pods and policies…' })]);
      this.#session.reload();
    }
  }

  #ensurePlayground(detail: SandboxDetail): void {
    if (this.#playground.value !== undefined || this.#isGone) return;
    if (detail.status !== 'ready' && detail.status !== 'expiring') return;
    const playground = new Playground(this.#options, this.#session, detail);
    this.#playground.value = playground;
    playground.showTab(this.#tab);
    replaceChildren(this.#body, [playground.element]);
  }

  #renderHeader(sandbox: SandboxView): void {
    this.#headerActions.clear();
    const actions = createElement('div', { className: 'workspace-actions' }, [
      ...this.#options.extendOptions.map((seconds) => createExtendButton(sandbox, seconds, this.#options.actions, this.#headerActions)),
      createDestroyButton(sandbox, this.#options.actions, this.#headerActions),
    ]);
    replaceChildren(this.#header, [
      createElement('div', { className: 'workspace-title' }, [
        createElement('h1', { text: sandbox.name ?? sandbox.id }),
        createStatusBadge(sandbox.status),
        sandbox.name === undefined ? null : createElement('span', { className: 'sandbox-id', text: sandbox.id }),
      ]),
      createElement('dl', { className: 'workspace-facts' }, [
        createElement('dt', { text: 'CNI' }),
        createElement('dd', { text: sandbox.cni }),
        createElement('dt', { text: 'Scenario' }),
        createElement('dd', { text: sandbox.scenario ?? 'none' }),
        createElement('dt', { text: 'Provider' }),
        createElement('dd', { text: sandbox.provider }),
        createElement('dt', { text: 'Teardown in' }),
        createElement('dd', {}, [this.#countdown]),
      ]),
      actions,
    ]);
    this.#tick(this.#options.clock.now());
  }

  #tick(nowMs: number): void {
    const sandbox = this.#sandbox;
    if (sandbox === undefined || this.#isGone) return;
    const secondsLeft = computeSecondsLeft(sandbox.expiresAt, nowMs);
    this.#countdown.textContent = formatCountdown(secondsLeft);
    this.#countdown.dataset['urgency'] = classifyUrgency(secondsLeft, this.#options.ttlWarningSeconds());
    this.#countdown.setAttribute('aria-label', describeCountdown(secondsLeft));
    this.#countdown.title = `Torn down at ${new Date(sandbox.expiresAt).toLocaleTimeString()}`;
  }

  #showGone(): void {
    if (this.#isGone) return;
    this.#isGone = true;
    this.#playground.value = undefined;
    this.#headerActions.clear();
    const name = this.#sandbox === undefined ? this.sandboxId : nameSandbox(this.#sandbox);
    replaceChildren(this.#header, [createElement('div', { className: 'workspace-title' }, [createElement('h1', { text: this.#sandbox?.name ?? this.sandboxId }), createStatusBadge('destroyed')])]);
    replaceChildren(this.#body, [
      createElement('section', { className: 'gone panel', attrs: { role: 'status' } }, [
        createElement('h2', { text: 'This sandbox is gone' }),
        createElement('p', { text: `${name} has been torn down; nothing of it is left running.` }),
        createElement('a', { className: 'button button-primary', text: 'Launch a new sandbox', attrs: { href: formatRoute({ view: 'launch' }) } }),
      ]),
    ]);
  }
}
