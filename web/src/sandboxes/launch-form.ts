// The launch form: provider (unavailable ones disabled, with the server's reason and fix), CNI, TTL,
// scenario (with what it teaches), optional name and extra manifests pasted or uploaded. Everything is
// checked here against the same limits the server enforces, and the server's own verdict is shown as is.
import { Limits } from '../../../server/api/protocol/index.ts';
import { describeError, ApiError } from '../api/api-error.ts';
import type { ProviderView, RestClient, SandboxView, ScenarioSummary, ScenarioView, ServerInfo } from '../api/rest-client.ts';
import { createElement, listen, replaceChildren } from '../lib/dom.ts';
import { DisposableStore, type Disposable } from '../lib/disposable.ts';
import { formatDuration, parseDuration } from './duration.ts';

export interface LaunchFormOptions {
  readonly client: RestClient;
  readonly info: ServerInfo;
  /** Undefined while the server is still checking what this host supports (the form is usable meanwhile). */
  readonly providers: readonly ProviderView[] | undefined;
  readonly scenarios: readonly ScenarioSummary[];
  readonly onLaunched: (sandbox: SandboxView) => void;
}

const ttlPresets = [5 * 60, 15 * 60, 30 * 60, 60 * 60, 2 * 60 * 60, 4 * 60 * 60];
const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

let formCounter = 0;

function createField(label: string, control: HTMLElement, hint?: HTMLElement): HTMLElement {
  const id = control.id;
  return createElement('div', { className: 'field' }, [createElement('label', { text: label, attrs: { for: id } }), control, hint]);
}

export class LaunchForm implements Disposable {
  readonly element: HTMLElement;
  readonly #options: LaunchFormOptions;
  readonly #store = new DisposableStore();
  readonly #provider: HTMLSelectElement;
  readonly #providerHint: HTMLElement;
  readonly #cni: HTMLSelectElement;
  readonly #ttl: HTMLInputElement;
  readonly #ttlHint: HTMLElement;
  readonly #scenario: HTMLSelectElement;
  readonly #scenarioInfo: HTMLElement;
  readonly #name: HTMLInputElement;
  readonly #nameHint: HTMLElement;
  readonly #manifests: HTMLTextAreaElement;
  readonly #manifestsHint: HTMLElement;
  readonly #upload: HTMLInputElement;
  readonly #submit: HTMLButtonElement;
  readonly #formError: HTMLElement;
  readonly #scenarioCache = new Map<string, ScenarioView>();
  #providers: readonly ProviderView[] | undefined;
  #scenarioRequest: AbortController | undefined;

  constructor(options: LaunchFormOptions) {
    this.#options = options;
    this.#providers = options.providers;
    const prefix = `launch-${++formCounter}`;
    const ids = (name: string): string => `${prefix}-${name}`;

    this.#provider = createElement('select', { attrs: { id: ids('provider'), name: 'provider', 'aria-describedby': ids('provider-hint') } });
    // Disabled options cannot be focused, so their reasons live in a described-by block, not in the option.
    this.#providerHint = createElement('div', { className: 'field-hint', attrs: { id: ids('provider-hint') } });

    this.#cni = createElement('select', { attrs: { id: ids('cni'), name: 'cni' } });

    this.#ttlHint = createElement('p', { className: 'field-hint', attrs: { id: ids('ttl-hint'), 'aria-live': 'polite' } });
    const presets = createElement(
      'datalist',
      { attrs: { id: ids('ttl-presets') } },
      ttlPresets.filter((s) => s <= options.info.maxTtlSeconds).map((s) => createElement('option', { attrs: { value: formatDuration(s) } })),
    );
    this.#ttl = createElement('input', {
      attrs: {
        id: ids('ttl'),
        name: 'ttl',
        type: 'text',
        list: ids('ttl-presets'),
        value: formatDuration(options.info.defaultTtlSeconds),
        autocomplete: 'off',
        spellcheck: 'false',
        'aria-describedby': ids('ttl-hint'),
      },
    });

    this.#scenario = createElement('select', { attrs: { id: ids('scenario'), name: 'scenario', 'aria-describedby': ids('scenario-info') } }, [
      createElement('option', { text: 'none (empty sandbox)', attrs: { value: '' } }),
      ...options.scenarios.map((s) => createElement('option', { text: `${s.name} — ${s.title}`, attrs: { value: s.name } })),
    ]);
    if (options.scenarios[0] !== undefined) this.#scenario.value = options.scenarios[0].name;
    this.#scenarioInfo = createElement('div', { className: 'scenario-info', attrs: { id: ids('scenario-info'), 'aria-live': 'polite' } });

    this.#nameHint = createElement('p', { className: 'field-hint', text: 'Optional. Lowercase letters, digits and "-".', attrs: { id: ids('name-hint') } });
    this.#name = createElement('input', { attrs: { id: ids('name'), name: 'name', type: 'text', autocomplete: 'off', spellcheck: 'false', maxlength: 63, 'aria-describedby': ids('name-hint') } });

    this.#manifestsHint = createElement('p', { className: 'field-hint', attrs: { id: ids('manifests-hint') }, text: 'Namespaces, workloads, services or policies applied on top of the scenario.' });
    this.#manifests = createElement('textarea', {
      className: 'manifests',
      attrs: { id: ids('manifests'), name: 'manifests', rows: 8, spellcheck: 'false', placeholder: 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n…', 'aria-describedby': ids('manifests-hint') },
    });
    this.#upload = createElement('input', { attrs: { id: ids('upload'), type: 'file', accept: '.yaml,.yml,.json,application/yaml,application/json', multiple: true } });

    this.#formError = createElement('div', { className: 'form-error', attrs: { role: 'alert' } });
    this.#submit = createElement('button', { className: 'button button-primary', text: 'Launch sandbox', attrs: { type: 'submit' } });

    const form = createElement('form', { className: 'launch-form', attrs: { 'aria-labelledby': ids('title'), novalidate: true } }, [
      createElement('div', { className: 'form-grid' }, [
        createField('Provider', this.#provider),
        createField('CNI', this.#cni, createElement('p', { className: 'field-hint', text: 'For the local provider: the enforcement profile of that CNI.' })),
        createField('Time to live', this.#ttl, this.#ttlHint),
        createField('Name', this.#name, this.#nameHint),
      ]),
      this.#providerHint,
      presets,
      createField('Scenario', this.#scenario, this.#scenarioInfo),
      createElement('details', { className: 'manifests-details' }, [
        createElement('summary', { text: 'Extra manifests (optional)' }),
        createField('Paste YAML', this.#manifests, this.#manifestsHint),
        createField('…or upload files', this.#upload),
      ]),
      this.#formError,
      createElement('div', { className: 'form-actions' }, [this.#submit]),
    ]);
    this.element = createElement('section', { className: 'launch-view panel' }, [
      createElement('h1', { text: 'Launch a sandbox', attrs: { id: ids('title') } }),
      createElement('p', { className: 'lede', text: 'A short-lived cluster with a chosen CNI and scenario. It tears itself down when its time is up.' }),
      form,
    ]);

    this.#store.add(listen(this.#provider, 'change', () => this.#renderProvider()));
    this.#store.add(listen(this.#ttl, 'input', () => this.#checkTtl()));
    this.#store.add(listen(this.#name, 'input', () => this.#checkName()));
    this.#store.add(listen(this.#scenario, 'change', () => this.#renderScenario()));
    this.#store.add(listen(this.#manifests, 'input', () => this.#checkManifests()));
    this.#store.add(listen(this.#upload, 'change', () => void this.#readUploads()));
    this.#store.add(
      listen(form, 'submit', (event) => {
        event.preventDefault();
        void this.#launch();
      }),
    );
    this.#fillProviders();
    this.#checkTtl();
    this.#renderScenario();
  }

  focus(): void {
    this.#provider.focus();
  }

  dispose(): void {
    this.#scenarioRequest?.abort();
    this.#store.dispose();
  }

  /** The server finished checking the providers. */
  setProviders(providers: readonly ProviderView[]): void {
    this.#providers = providers;
    this.#fillProviders();
  }

  #selectedProvider(): ProviderView | undefined {
    return this.#providers?.find((p) => p.provider === this.#provider.value);
  }

  #fillProviders(): void {
    const providers = this.#providers;
    if (providers === undefined) {
      // Checking Docker, Pulumi and credentials can take a moment; say so rather than show an empty select.
      replaceChildren(this.#provider, [createElement('option', { text: 'checking this host…', attrs: { value: '' } })]);
      this.#provider.disabled = true;
      this.#renderProvider();
      return;
    }
    replaceChildren(
      this.#provider,
      providers.map((provider) =>
        createElement('option', {
          text: provider.isAvailable ? provider.provider : `${provider.provider} — unavailable`,
          attrs: { value: provider.provider, disabled: !provider.isAvailable },
        }),
      ),
    );
    this.#provider.disabled = false;
    const firstAvailable = providers.find((p) => p.isAvailable);
    if (firstAvailable !== undefined) this.#provider.value = firstAvailable.provider;
    this.#renderProvider();
  }

  #renderProvider(): void {
    const selected = this.#selectedProvider();
    const previousCni = this.#cni.value;
    replaceChildren(
      this.#cni,
      (selected?.cnis ?? []).map((cni) => createElement('option', { text: cni, attrs: { value: cni } })),
    );
    if (selected?.cnis.includes(previousCni) === true) this.#cni.value = previousCni;
    const unavailable = (this.#providers ?? []).filter((p) => !p.isAvailable);
    const items = unavailable.map((p) =>
      createElement('li', {}, [
        createElement('strong', { text: p.provider }),
        createElement(
          'ul',
          {},
          p.problems.length === 0
            ? [createElement('li', { text: 'not available on this host' })]
            : p.problems.map((problem) => createElement('li', {}, [problem.message, createElement('span', { className: 'problem-fix', text: ` — fix: ${problem.fix}` })])),
        ),
      ]),
    );
    // The reasons are long (what is missing and how to install it): one line here, the detail on demand.
    const names = unavailable.map((p) => p.provider).join(', ');
    replaceChildren(
      this.#providerHint,
      items.length === 0
        ? []
        : [
            createElement('details', { className: 'provider-problems' }, [
              createElement('summary', { text: `Unavailable here: ${names} — why?` }),
              createElement('ul', {}, items),
            ]),
          ],
    );
    this.#submit.disabled = selected === undefined || !selected.isAvailable;
  }

  #checkTtl(): number | undefined {
    const parsed = parseDuration(this.#ttl.value, { minSeconds: Limits.minTtlSeconds, maxSeconds: this.#options.info.maxTtlSeconds });
    this.#ttl.setAttribute('aria-invalid', String(!parsed.ok));
    this.#ttlHint.textContent = parsed.ok
      ? `Torn down ${formatDuration(parsed.seconds)} after launch (at most ${formatDuration(this.#options.info.maxTtlSeconds)}).`
      : `Time to live: ${parsed.message}.`;
    this.#ttlHint.classList.toggle('is-error', !parsed.ok);
    return parsed.ok ? parsed.seconds : undefined;
  }

  #checkName(): string | undefined | false {
    const value = this.#name.value.trim();
    const isValid = value === '' || (value.length <= 63 && dnsLabel.test(value));
    this.#name.setAttribute('aria-invalid', String(!isValid));
    this.#nameHint.textContent = isValid ? 'Optional. Lowercase letters, digits and "-".' : 'Name: lowercase letters, digits and "-", starting and ending with a letter or digit.';
    this.#nameHint.classList.toggle('is-error', !isValid);
    if (!isValid) return false;
    return value === '' ? undefined : value;
  }

  #checkManifests(): boolean {
    const bytes = new TextEncoder().encode(this.#manifests.value).length;
    const isValid = bytes <= Limits.maxManifestBytes;
    this.#manifests.setAttribute('aria-invalid', String(!isValid));
    this.#manifestsHint.textContent = isValid
      ? 'Namespaces, workloads, services or policies applied on top of the scenario.'
      : `Manifests: ${Math.ceil(bytes / 1024)} KiB is over the ${Limits.maxManifestBytes / 1024} KiB limit.`;
    this.#manifestsHint.classList.toggle('is-error', !isValid);
    return isValid;
  }

  async #readUploads(): Promise<void> {
    const files = [...(this.#upload.files ?? [])];
    const texts = await Promise.all(files.map(async (file) => `# ${file.name}\n${(await file.text()).trimEnd()}\n`));
    const existing = this.#manifests.value.trim();
    this.#manifests.value = [existing, ...texts].filter((text) => text !== '').join('---\n');
    this.#upload.value = '';
    this.#checkManifests();
  }

  #renderScenario(): void {
    const name = this.#scenario.value;
    this.#scenarioRequest?.abort();
    if (name === '') {
      replaceChildren(this.#scenarioInfo, [createElement('p', { className: 'field-hint', text: 'An empty sandbox: add workloads with the manifests below.' })]);
      return;
    }
    const summary = this.#options.scenarios.find((s) => s.name === name);
    const cached = this.#scenarioCache.get(name);
    this.#showScenario(summary, cached);
    if (cached !== undefined) return;
    const controller = new AbortController();
    this.#scenarioRequest = controller;
    this.#options.client
      .getScenario(name, controller.signal)
      .then((view) => {
        this.#scenarioCache.set(name, view);
        if (this.#scenario.value === name) this.#showScenario(summary, view);
      })
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.isAborted) return;
        this.#scenarioInfo.appendChild(createElement('p', { className: 'field-hint is-error', text: `Could not load details: ${describeError(error)}` }));
      });
  }

  #showScenario(summary: ScenarioSummary | undefined, view: ScenarioView | undefined): void {
    if (summary === undefined) return;
    const facts = view === undefined ? [] : [createElement('p', { className: 'scenario-facts', text: `${view.pods} pods · ${view.policies} policies · ${view.expectations} expectations` })];
    const teaches =
      view === undefined || view.teaches.length === 0
        ? []
        : [createElement('p', { className: 'scenario-teaches-title', text: 'Teaches' }), createElement('ul', { className: 'scenario-teaches' }, view.teaches.map((t) => createElement('li', { text: t })))];
    replaceChildren(this.#scenarioInfo, [
      createElement('p', { className: 'scenario-title', text: summary.title }),
      createElement('p', { className: 'scenario-description', text: summary.description }),
      ...facts,
      ...teaches,
    ]);
  }

  async #launch(): Promise<void> {
    const ttlSeconds = this.#checkTtl();
    const name = this.#checkName();
    const isManifestsValid = this.#checkManifests();
    const provider = this.#selectedProvider();
    if (ttlSeconds === undefined || name === false || !isManifestsValid || provider === undefined || !provider.isAvailable) {
      this.#formError.textContent = 'Fix the fields marked above, then launch again.';
      (this.element.querySelector<HTMLElement>('[aria-invalid="true"]') ?? this.#provider).focus();
      return;
    }
    this.#formError.textContent = '';
    this.#submit.disabled = true;
    this.#submit.textContent = 'Launching…';
    try {
      const manifests = this.#manifests.value.trim();
      const sandbox = await this.#options.client.createSandbox({
        provider: provider.provider,
        cni: this.#cni.value,
        ttlSeconds,
        name,
        scenario: this.#scenario.value === '' ? undefined : this.#scenario.value,
        manifests: manifests === '' ? undefined : manifests,
      });
      this.#options.onLaunched(sandbox);
    } catch (error) {
      const issues = error instanceof ApiError ? error.issues : [];
      replaceChildren(this.#formError, [
        createElement('p', { text: `Could not launch: ${describeError(error)}` }),
        issues.length === 0
          ? null
          : createElement(
              'ul',
              {},
              issues.map((issue) => createElement('li', { text: `${issue.file}:${issue.line} ${issue.path} — ${issue.message}${issue.fix === '' ? '' : ` (fix: ${issue.fix})`}` })),
            ),
      ]);
    } finally {
      this.#submit.disabled = false;
      this.#submit.textContent = 'Launch sandbox';
    }
  }
}
