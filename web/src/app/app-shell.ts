// The page: top bar (live connection state), sidebar (sandboxes with countdowns), and the main area chosen
// by the URL hash (launch form, one sandbox, drift). All state comes from the server at load, so a reload
// restores everything; the events channel keeps it current afterwards.
import type { ProviderView, RestClient, ScenarioSummary, ServerInfo } from '../api/rest-client.ts';
import { describeError } from '../api/api-error.ts';
import { SocketStates, type SocketStatus } from '../api/reconnecting-socket.ts';
import { DriftView } from '../drift/drift-view.ts';
import { createElement, listen, replaceChildren } from '../lib/dom.ts';
import { DisposableStore, MutableDisposable, type Disposable } from '../lib/disposable.ts';
import { LaunchForm } from '../sandboxes/launch-form.ts';
import type { SandboxActionContext } from '../sandboxes/sandbox-actions.ts';
import { NoticeKinds, type Notice } from '../sandboxes/sandbox-reducer.ts';
import { SandboxList } from '../sandboxes/sandbox-list.ts';
import { SandboxWorkspace } from '../sandboxes/sandbox-workspace.ts';
import { Clock } from './clock.ts';
import { EventHub } from './event-hub.ts';
import { NoticeCenter } from './notice-center.ts';
import { formatRoute, parseRoute, type Route } from './route.ts';
import { SandboxStore } from './sandbox-store.ts';

interface ServerCatalog {
  readonly info: ServerInfo;
  readonly scenarios: readonly ScenarioSummary[];
}

const extendOptions = [15 * 60, 60 * 60];

function describeConnection(status: SocketStatus): { readonly text: string; readonly state: string } {
  switch (status.state) {
    case SocketStates.open:
      return { text: 'live', state: 'open' };
    case SocketStates.connecting:
      return { text: 'connecting…', state: 'connecting' };
    case SocketStates.waiting:
      return { text: `offline — retrying in ${Math.max(1, Math.round((status.retryInMs ?? 0) / 1000))} s`, state: 'waiting' };
    case SocketStates.stopped:
      return { text: 'disconnected', state: 'stopped' };
  }
}

export class AppShell implements Disposable {
  readonly element: HTMLElement;
  readonly #client: RestClient;
  readonly #store = new DisposableStore();
  readonly #sandboxes: SandboxStore;
  readonly #events: EventHub;
  readonly #clock: Clock;
  readonly #notices: NoticeCenter;
  readonly #list: SandboxList;
  readonly #main: HTMLElement;
  readonly #connection: HTMLElement;
  readonly #version: HTMLElement;
  readonly #view = new MutableDisposable<Disposable>();
  readonly #actions: SandboxActionContext;
  readonly #notify: (notice: Notice) => void;
  #workspace: SandboxWorkspace | undefined;
  #catalog: ServerCatalog | undefined;
  #catalogError: string | undefined;
  /** Fetched apart from the catalog: the server checks the host for each provider, which takes a while. */
  #providers: readonly ProviderView[] | undefined;
  #launchForm: LaunchForm | undefined;

  constructor(client: RestClient) {
    this.#client = client;
    this.#clock = this.#store.add(new Clock());
    this.#sandboxes = this.#store.add(new SandboxStore(client));
    this.#notices = this.#store.add(new NoticeCenter());
    this.#events = this.#store.add(new EventHub(this.#sandboxes));
    this.#store.add(this.#view);
    const notify = (notice: Notice): void => this.#notices.show(notice);
    this.#notify = notify;
    this.#store.add(this.#sandboxes.onNotice(notify));
    this.#store.add(this.#events.onNotice(notify));
    this.#actions = { client, upsert: (sandbox) => this.#sandboxes.upsert(sandbox), notify };
    this.#list = this.#store.add(
      new SandboxList({
        store: this.#sandboxes,
        clock: this.#clock,
        actions: this.#actions,
        ttlWarningSeconds: () => this.#catalog?.info.ttlWarningSeconds ?? [300, 60],
        extendBySeconds: extendOptions[0] ?? 900,
      }),
    );

    this.#connection = createElement('span', { className: 'connection', attrs: { role: 'status', 'data-state': 'connecting' }, text: 'connecting…' });
    this.#version = createElement('span', { className: 'version' });
    this.#main = createElement('main', { className: 'main', attrs: { id: 'main', tabindex: -1 } });
    const header = createElement('header', { className: 'topbar' }, [
      createElement('a', { className: 'brand', attrs: { href: '#/' } }, [createElement('span', { className: 'brand-mark', text: '◆', attrs: { 'aria-hidden': 'true' } }), 'rehearsal']),
      createElement('span', { className: 'tagline', text: 'a dress rehearsal for your NetworkPolicies' }),
      createElement('span', { className: 'toolbar-spacer' }),
      createElement('nav', { className: 'topnav', attrs: { 'aria-label': 'Main' } }, [
        createElement('a', { className: 'nav-link', text: 'Drift', attrs: { href: formatRoute({ view: 'drift' }), 'data-nav': 'drift' } }),
        createElement('a', { className: 'button button-primary', text: 'New sandbox', attrs: { href: formatRoute({ view: 'launch' }), 'data-nav': 'launch' } }),
      ]),
      this.#connection,
      this.#version,
    ]);
    const sidebar = createElement('nav', { className: 'sidebar', attrs: { 'aria-labelledby': 'sidebar-title' } }, [
      createElement('h2', { className: 'sidebar-title', text: 'Sandboxes', attrs: { id: 'sidebar-title' } }),
      this.#list.element,
    ]);
    this.element = createElement('div', { className: 'app' }, [
      createElement('a', { className: 'skip-link', text: 'Skip to content', attrs: { href: '#main' } }),
      header,
      createElement('div', { className: 'layout' }, [sidebar, this.#main]),
      this.#notices.element,
    ]);

    this.#store.add(this.#events.onStatus((status) => this.#showConnection(status)));
    this.#store.add(listen(window, 'hashchange', () => this.#route()));
    this.#store.add(listen(window, 'online', () => this.#events.reconnectNow()));
    this.#store.add(this.#sandboxes.onChange(() => this.#routeHomeWhenLoaded()));
    // The skip link targets #main, which is not a route: keep it from changing the page.
    this.#store.add(
      listen(this.element, 'click', (event) => {
        const target = event.target instanceof Element ? event.target.closest('a.skip-link') : null;
        if (target === null) return;
        event.preventDefault();
        this.#main.focus();
      }),
    );
  }

  async start(): Promise<void> {
    this.#route();
    const [catalog] = await Promise.all([this.#loadCatalog(), this.#sandboxes.refresh()]);
    this.#catalog = catalog;
    this.#route();
    // Asked last on purpose: the server checks the host for each provider (Docker, Pulumi, kind, credentials),
    // which is slow and holds up requests made at the same time; the first screen should not wait for it.
    await this.#loadProviders();
  }

  async #loadProviders(): Promise<void> {
    try {
      const providers = await this.#client.listProviders();
      this.#providers = providers;
      this.#launchForm?.setProviders(providers);
    } catch (error) {
      this.#notices.show({ kind: NoticeKinds.error, message: `Could not check the providers: ${describeError(error)}` });
    }
  }

  dispose(): void {
    this.#store.dispose();
  }

  async #loadCatalog(): Promise<ServerCatalog | undefined> {
    try {
      const [info, scenarios] = await Promise.all([this.#client.getInfo(), this.#client.listScenarios()]);
      this.#version.textContent = `v${info.version}`;
      this.#catalogError = undefined;
      return { info, scenarios };
    } catch (error) {
      this.#catalogError = describeError(error);
      this.#notices.show({ kind: NoticeKinds.error, message: `Could not reach the server: ${this.#catalogError}` });
      return undefined;
    }
  }

  #showConnection(status: SocketStatus): void {
    const { text, state } = describeConnection(status);
    this.#connection.textContent = text;
    this.#connection.dataset['state'] = state;
  }

  /** The bare address opens the newest sandbox, or the launch form when there is none. */
  #routeHomeWhenLoaded(): void {
    if (parseRoute(window.location.hash).view === 'home') this.#route();
  }

  #route(): void {
    const route: Route = parseRoute(window.location.hash);
    for (const link of this.element.querySelectorAll<HTMLElement>('[data-nav]')) {
      if (link.dataset['nav'] === route.view) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    if (route.view === 'sandbox' && this.#workspace?.sandboxId === route.sandboxId) {
      this.#workspace.showTab(route.tab);
      return;
    }
    this.#workspace = undefined;
    this.#list.select(route.view === 'sandbox' ? route.sandboxId : undefined);
    switch (route.view) {
      case 'home': {
        if (!this.#sandboxes.hasLoaded) {
          this.#setView(undefined, [createElement('p', { className: 'field-hint', text: 'Loading…' })]);
          return;
        }
        const newest = this.#sandboxes.list()[0];
        window.location.replace(newest === undefined ? formatRoute({ view: 'launch' }) : formatRoute({ view: 'sandbox', sandboxId: newest.id, tab: 'matrix' }));
        return;
      }
      case 'launch':
        this.#showLaunch();
        return;
      case 'drift': {
        const drift = new DriftView({ client: this.#client, sandboxes: () => this.#sandboxes.list() });
        this.#setView(drift, [drift.element]);
        return;
      }
      case 'sandbox': {
        const workspace = new SandboxWorkspace({
          sandboxId: route.sandboxId,
          client: this.#client,
          store: this.#sandboxes,
          events: this.#events,
          clock: this.#clock,
          actions: this.#actions,
          notify: this.#notify,
          ttlWarningSeconds: () => this.#catalog?.info.ttlWarningSeconds ?? [300, 60],
          extendOptions,
        });
        this.#workspace = workspace;
        workspace.showTab(route.tab);
        this.#setView(workspace, [workspace.element]);
        return;
      }
    }
  }

  #showLaunch(): void {
    const catalog = this.#catalog;
    if (catalog === undefined) {
      const text = this.#catalogError === undefined ? 'Loading providers and scenarios…' : `Cannot launch: ${this.#catalogError}`;
      this.#setView(undefined, [createElement('p', { className: this.#catalogError === undefined ? 'field-hint' : 'is-error', text })]);
      return;
    }
    const form = new LaunchForm({
      client: this.#client,
      info: catalog.info,
      providers: this.#providers,
      scenarios: catalog.scenarios,
      onLaunched: (sandbox) => {
        this.#sandboxes.upsert(sandbox);
        window.location.hash = formatRoute({ view: 'sandbox', sandboxId: sandbox.id, tab: 'matrix' });
      },
    });
    this.#launchForm = form;
    this.#setView(form, [form.element]);
  }

  #setView(view: Disposable | undefined, children: readonly HTMLElement[]): void {
    if (view !== this.#launchForm) this.#launchForm = undefined;
    this.#view.value = view;
    replaceChildren(this.#main, children);
  }
}
