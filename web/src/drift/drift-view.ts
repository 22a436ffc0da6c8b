// The drift view: when the same policy set has run on sandboxes with different CNIs, which flows behave
// differently and why (the engine's reason on each side cites the documented CNI difference; a difference
// the engine did not predict is flagged as a surprise worth reporting).
import { describeError } from '../api/api-error.ts';
import type { RestClient, RunSummaryView, RunView, SandboxView } from '../api/rest-client.ts';
import { createElement, listen, replaceChildren } from '../lib/dom.ts';
import { DisposableStore, type Disposable } from '../lib/disposable.ts';
import { describeCell } from '../matrix/cell-display.ts';
import type { MatrixCell } from '../matrix/matrix-layout.ts';
import { compareRuns, findComparableGroups, type ComparableGroup, type DriftRow, type DriftSide } from './drift-compare.ts';

function displayObservation(side: DriftSide): ReturnType<typeof describeCell> {
  const cell: MatrixCell = { from: '', to: '', port: 0, protocol: 'TCP', prediction: side.predicted, observation: side.observed, mismatch: 'none', isLoopback: false };
  return describeCell(cell, 'observation');
}

function describeGroup(group: ComparableGroup, sandboxes: ReadonlyMap<string, SandboxView>): string {
  const scenario = group.runs.map((run) => sandboxes.get(run.sandboxId)?.scenario).find((s) => s !== undefined);
  return `${group.kind} runs on ${group.runs.map((r) => r.cni).join(', ')}${scenario === undefined ? '' : ` · ${scenario}`} · policies ${group.policyDigest.slice(0, 10)}`;
}

export class DriftView implements Disposable {
  readonly element: HTMLElement;
  readonly #client: RestClient;
  readonly #sandboxes: () => readonly SandboxView[];
  readonly #store = new DisposableStore();
  readonly #groupSelect: HTMLSelectElement;
  readonly #onlyDiffering: HTMLInputElement;
  readonly #status: HTMLElement;
  readonly #result: HTMLElement;
  #groups: ComparableGroup[] = [];
  #rows: DriftRow[] = [];
  #runs: RunView[] = [];
  #loadToken = 0;

  constructor(options: { readonly client: RestClient; readonly sandboxes: () => readonly SandboxView[] }) {
    this.#client = options.client;
    this.#sandboxes = options.sandboxes;
    this.#groupSelect = createElement('select', { attrs: { id: 'drift-group' } });
    this.#onlyDiffering = createElement('input', { attrs: { type: 'checkbox', id: 'drift-only', checked: true } });
    this.#status = createElement('p', { className: 'drift-status', attrs: { 'aria-live': 'polite' } });
    this.#result = createElement('div', { className: 'drift-result' });
    const refresh = createElement('button', { className: 'button', text: 'Refresh', attrs: { type: 'button' } });
    this.element = createElement('section', { className: 'drift-view panel', attrs: { 'aria-labelledby': 'drift-title' } }, [
      createElement('h1', { text: 'Drift across CNIs', attrs: { id: 'drift-title' } }),
      createElement('p', { className: 'lede', text: 'The same policies on different CNIs: the flows whose real outcome differs, and why.' }),
      createElement('div', { className: 'toolbar' }, [
        createElement('label', { className: 'toolbar-field', attrs: { for: 'drift-group' } }, ['Compare ', this.#groupSelect]),
        createElement('label', { className: 'toolbar-field', attrs: { for: 'drift-only' } }, [this.#onlyDiffering, ' only flows that differ']),
        createElement('span', { className: 'toolbar-spacer' }),
        refresh,
      ]),
      this.#status,
      this.#result,
    ]);
    this.#store.add(listen(refresh, 'click', () => void this.load()));
    this.#store.add(listen(this.#groupSelect, 'change', () => void this.#loadGroup()));
    this.#store.add(listen(this.#onlyDiffering, 'change', () => this.#render()));
    void this.load();
  }

  async load(): Promise<void> {
    const token = ++this.#loadToken;
    const sandboxes = this.#sandboxes().filter((s) => s.status === 'ready' || s.status === 'expiring');
    this.#status.textContent = 'Looking for runs to compare…';
    try {
      const lists = await Promise.all(sandboxes.map((s) => this.#client.listRuns(s.id)));
      if (token !== this.#loadToken) return;
      const runs: RunSummaryView[] = lists.flat();
      this.#groups = findComparableGroups(runs);
      const byId = new Map(sandboxes.map((s) => [s.id, s]));
      replaceChildren(this.#groupSelect, this.#groups.map((group, index) => createElement('option', { text: describeGroup(group, byId), attrs: { value: String(index) } })));
      if (this.#groups.length === 0) {
        this.#groupSelect.disabled = true;
        this.#status.textContent = '';
        replaceChildren(this.#result, [
          createElement('div', { className: 'empty-state' }, [
            createElement('h2', { text: 'Nothing to compare yet' }),
            createElement('p', { text: 'Drift needs the same policies run on at least two CNIs. Launch the same scenario twice with different CNIs (for example cni-drift on reference and on flannel), press "Run expectations" in each, then come back here.' }),
            createElement('a', { className: 'button button-primary', text: 'Launch a sandbox', attrs: { href: '#/new' } }),
          ]),
        ]);
        return;
      }
      this.#groupSelect.disabled = false;
      await this.#loadGroup();
    } catch (error) {
      if (token === this.#loadToken) this.#status.textContent = `Could not load runs: ${describeError(error)}`;
    }
  }

  dispose(): void {
    this.#loadToken += 1;
    this.#store.dispose();
  }

  async #loadGroup(): Promise<void> {
    const group = this.#groups[Number(this.#groupSelect.value)];
    if (group === undefined) return;
    const token = ++this.#loadToken;
    this.#status.textContent = `Loading ${group.runs.length} runs…`;
    try {
      const runs = await Promise.all(group.runs.map((run) => this.#client.getRun(run.id)));
      if (token !== this.#loadToken) return;
      this.#runs = runs;
      this.#rows = compareRuns(runs);
      this.#render();
    } catch (error) {
      if (token === this.#loadToken) this.#status.textContent = `Could not load the runs: ${describeError(error)}`;
    }
  }

  #render(): void {
    const drifting = this.#rows.filter((row) => row.isDrift);
    const surprising = drifting.filter((row) => !row.isPredicted).length;
    this.#status.textContent = `${drifting.length} of ${this.#rows.length} flows differ between ${this.#runs.map((r) => r.cni).join(' and ')}${surprising > 0 ? `; ${surprising} not predicted by the engine` : ''}.`;
    const rows = this.#onlyDiffering.checked ? drifting : this.#rows;
    if (rows.length === 0) {
      replaceChildren(this.#result, [createElement('p', { className: 'empty-state', text: 'Every flow behaves the same on these CNIs.' })]);
      return;
    }
    const header = createElement('tr', {}, [
      createElement('th', { text: 'Flow', attrs: { scope: 'col' } }),
      ...this.#runs.map((run) => createElement('th', { attrs: { scope: 'col' } }, [run.cni, createElement('span', { className: 'th-sub', text: run.sandboxId })])),
      createElement('th', { text: 'Why', attrs: { scope: 'col' } }),
    ]);
    const body = rows.map((row) =>
      createElement('tr', { className: row.isDrift ? 'is-drift' : '' }, [
        createElement('th', { attrs: { scope: 'row' } }, [createElement('code', { text: row.flow })]),
        ...row.sides.map((side) => {
          if (side === undefined) return createElement('td', { className: 'drift-missing', text: 'not run' });
          const display = displayObservation(side);
          return createElement('td', { attrs: { 'data-tone': display.tone } }, [
            createElement('span', { className: 'symbol', text: display.symbol, attrs: { 'aria-hidden': 'true' } }),
            ` ${side.observed}`,
            createElement('span', { className: 'drift-predicted', text: ` (predicted ${side.predicted})` }),
          ]);
        }),
        createElement('td', { className: 'drift-why' }, [
          row.isDrift ? createElement('p', { className: row.isPredicted ? 'why-tag is-predicted' : 'why-tag is-surprise', text: row.isPredicted ? 'documented CNI difference' : 'not predicted: report it' }) : null,
          createElement(
            'ul',
            {},
            row.sides
              .filter((side): side is DriftSide => side !== undefined)
              .map((side) => createElement('li', {}, [createElement('strong', { text: `${side.cni}: ` }), side.reason, side.detail === undefined ? '' : ` — ${side.detail}`])),
          ),
        ]),
      ]),
    );
    replaceChildren(this.#result, [
      createElement('div', { className: 'table-scroll' }, [
        createElement('table', { className: 'data-table drift-table' }, [
          createElement('caption', { className: 'visually-hidden', text: 'Flows by CNI: observed outcome, prediction and the reason on each CNI' }),
          createElement('thead', {}, [header]),
          createElement('tbody', {}, body),
        ]),
      ]),
    ]);
  }
}
