// The connectivity matrix of one sandbox for a chosen port: switch between intent, prediction, observation
// and mismatch; probe every pair for real; click a cell for its explanation. Reloads when the policies
// change or a run finishes, and paints live probe results into the grid as they stream in.
import { ApiError, describeError } from '../api/api-error.ts';
import type { MatrixView, RunSummaryView, SandboxDetail } from '../api/rest-client.ts';
import type { SandboxSession } from '../app/sandbox-session.ts';
import { createElement, listen, replaceChildren } from '../lib/dom.ts';
import { DisposableStore, toDisposable, type Disposable } from '../lib/disposable.ts';
import { NoticeKinds, type Notice } from '../sandboxes/sandbox-reducer.ts';
import { countDisplays, listLegend, matrixModeList, modeDescriptions, type MatrixMode } from './cell-display.ts';
import { computeCellMismatch } from './cell-mismatch.ts';
import { ExplanationPanel } from './explanation-panel.ts';
import { MatrixGrid } from './matrix-grid.ts';
import { layoutMatrix, type MatrixCell } from './matrix-layout.ts';
import { listPortChoices, type PortChoice } from './port-choices.ts';

const runTimeoutMs = 10 * 60_000;

function describeRunSummary(run: RunSummaryView): string {
  const s = run.summary;
  const parts = [`${s.passed}/${s.total} as predicted`];
  if (s.policyMismatches > 0) parts.push(`${s.policyMismatches} policy mismatch${s.policyMismatches === 1 ? '' : 'es'}`);
  if (s.driftMismatches > 0) parts.push(`${s.driftMismatches} drift`);
  if (s.errors > 0) parts.push(`${s.errors} error${s.errors === 1 ? '' : 's'}`);
  if (s.flaky > 0) parts.push(`${s.flaky} flaky`);
  return `${run.kind} run ${run.id} ${run.status}: ${parts.join(', ')}`;
}

export class MatrixPanel implements Disposable {
  readonly element: HTMLElement;
  readonly #session: SandboxSession;
  readonly #notify: (notice: Notice) => void;
  readonly #store = new DisposableStore();
  readonly #grid: MatrixGrid;
  readonly #explanation: ExplanationPanel;
  readonly #port: HTMLSelectElement;
  readonly #modeInputs: HTMLInputElement[] = [];
  readonly #modeHint: HTMLElement;
  readonly #runMatrix: HTMLButtonElement;
  readonly #runExpectations: HTMLButtonElement;
  readonly #status: HTMLElement;
  readonly #summary: HTMLElement;
  readonly #legend: HTMLElement;
  #choices: PortChoice[] = [];
  #mode: MatrixMode = 'prediction';
  #view: MatrixView | undefined;
  #request: AbortController | undefined;
  #activeRunId: string | undefined;
  #liveResults = 0;

  constructor(options: { readonly session: SandboxSession; readonly detail: SandboxDetail; readonly notify: (notice: Notice) => void }) {
    this.#session = options.session;
    this.#notify = options.notify;
    const id = options.session.sandboxId;
    this.#grid = this.#store.add(new MatrixGrid());
    this.#explanation = this.#store.add(new ExplanationPanel(options.session));

    this.#port = createElement('select', { attrs: { id: `matrix-port-${id}` } });
    const modeGroup = createElement('fieldset', { className: 'segmented' }, [createElement('legend', { className: 'visually-hidden', text: 'View' })]);
    for (const mode of matrixModeList) {
      const input = createElement('input', { attrs: { type: 'radio', name: `matrix-mode-${id}`, value: mode, id: `matrix-mode-${id}-${mode}`, checked: mode === this.#mode } });
      this.#modeInputs.push(input);
      modeGroup.appendChild(createElement('label', { className: 'segment', attrs: { for: input.id, title: modeDescriptions[mode] } }, [input, createElement('span', { text: mode[0]?.toUpperCase() + mode.slice(1) })]));
    }
    this.#modeHint = createElement('p', { className: 'mode-hint' });
    this.#runMatrix = createElement('button', { className: 'button', text: 'Probe all pairs', attrs: { type: 'button', title: 'Send a real connection for every cell on this port' } });
    this.#runExpectations = createElement('button', { className: 'button', text: 'Run expectations', attrs: { type: 'button', title: "Probe every flow the scenario's expectations name" } });
    this.#status = createElement('p', { className: 'matrix-status', attrs: { 'aria-live': 'polite' } });
    this.#summary = createElement('p', { className: 'matrix-summary' });
    this.#legend = createElement('ul', { className: 'legend', attrs: { 'aria-label': 'Legend' } });

    this.element = createElement('section', { className: 'matrix-panel', attrs: { 'aria-label': 'Connectivity matrix' } }, [
      createElement('div', { className: 'toolbar' }, [
        createElement('label', { className: 'toolbar-field', attrs: { for: this.#port.id } }, ['Port ', this.#port]),
        modeGroup,
        createElement('span', { className: 'toolbar-spacer' }),
        this.#runMatrix,
        this.#runExpectations,
      ]),
      this.#modeHint,
      createElement('div', { className: 'matrix-body' }, [
        createElement('div', { className: 'matrix-main' }, [this.#status, this.#summary, this.#grid.element, this.#legend]),
        this.#explanation.element,
      ]),
    ]);

    this.#store.add(listen(this.#port, 'change', () => this.reload()));
    for (const input of this.#modeInputs) {
      this.#store.add(
        listen(input, 'change', () => {
          if (!input.checked) return;
          this.#mode = matrixModeList.find((mode) => mode === input.value) ?? 'prediction';
          this.#render();
        }),
      );
    }
    this.#store.add(listen(this.#runMatrix, 'click', () => void this.#startRun('matrix')));
    this.#store.add(listen(this.#runExpectations, 'click', () => void this.#startRun('expectations')));
    this.#store.add(
      this.#grid.onSelect((cell) => {
        this.#grid.markSelected(cell);
        this.#explanation.show(cell);
      }),
    );
    this.#store.add(
      this.#explanation.onClose(() => {
        this.#explanation.hide();
        this.#grid.focusSelected();
        this.#grid.markSelected(undefined);
      }),
    );
    this.#store.add(this.#explanation.onProbed((result) => this.#paintResult(result)));
    this.#store.add(options.session.onPolicies(() => this.reload()));
    this.#store.add(options.session.onDetail((detail) => this.#setPorts(detail)));
    this.#store.add(options.session.onResult(({ result }) => this.#paintResult(result)));
    this.#store.add(options.session.onRun((run) => this.#handleRun(run)));
    this.#store.add(toDisposable(() => this.#request?.abort()));
    this.#setPorts(options.detail);
    this.reload();
  }

  reload(): void {
    const choice = this.#choices.find((c) => c.value === this.#port.value);
    this.#request?.abort();
    const controller = new AbortController();
    this.#request = controller;
    this.#status.textContent = 'Loading the matrix…';
    this.#session.client
      .getMatrix(this.#session.sandboxId, choice === undefined ? {} : { port: String(choice.port), protocol: choice.protocol }, controller.signal)
      .then((view) => {
        this.#view = view;
        this.#render();
      })
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.isAborted) return;
        this.#status.textContent = `Could not load the matrix: ${describeError(error)}`;
      });
  }

  dispose(): void {
    this.#store.dispose();
  }

  #setPorts(detail: SandboxDetail): void {
    const choices = listPortChoices([...detail.pods, ...detail.externals.map((e) => ({ ports: e.ports }))]);
    const previous = this.#port.value;
    const isSame = choices.length === this.#choices.length && choices.every((c, i) => c.value === this.#choices[i]?.value);
    this.#choices = choices;
    if (isSame) return;
    replaceChildren(this.#port, choices.map((choice) => createElement('option', { text: choice.label, attrs: { value: choice.value } })));
    if (choices.some((c) => c.value === previous)) this.#port.value = previous;
  }

  #render(): void {
    const view = this.#view;
    this.#modeHint.textContent = `${this.#mode[0]?.toUpperCase()}${this.#mode.slice(1)}: ${modeDescriptions[this.#mode]}.`;
    replaceChildren(this.#legend, listLegend(this.#mode).map((display) => createElement('li', { attrs: { 'data-tone': display.tone } }, [createElement('span', { className: 'symbol', text: display.symbol, attrs: { 'aria-hidden': 'true' } }), ` ${display.words}`])));
    if (view === undefined) return;
    const layout = layoutMatrix(view);
    const portText = view.port === undefined ? 'all ports' : `${view.port}/${view.protocol ?? 'TCP'}`;
    const observed = view.observedRunId === undefined ? 'not observed yet — press "Probe all pairs"' : `observation from run ${view.observedRunId}`;
    this.#status.textContent = `${layout.rows.length} sources × ${layout.columns.length} destinations on ${portText}; ${observed}.`;
    this.#renderSummary(view.cells);
    this.#grid.render(layout, this.#mode, `Connectivity on ${portText}, ${this.#mode} view: sources in rows, destinations in columns.`);
    const selected = this.#explanation.cell;
    if (selected !== undefined) {
      const fresh = layout.findCell(selected.from, selected.to);
      if (fresh === undefined) {
        this.#explanation.hide();
      } else {
        this.#grid.markSelected(fresh);
        this.#explanation.show(fresh);
      }
    }
  }

  #renderSummary(cells: readonly MatrixCell[]): void {
    const counts = [...countDisplays(cells, this.#mode).values()].sort((a, b) => b.count - a.count);
    this.#summary.textContent = counts.map(({ display, count }) => `${count} ${display.symbol} ${display.words}`).join(' · ');
  }

  /** A probe result for a flow on screen updates its observation at once. */
  #paintResult(result: { readonly from: string; readonly to: string; readonly port: number; readonly protocol: string; readonly observed: MatrixCell['observation'] }): void {
    const view = this.#view;
    if (view === undefined) return;
    const cell = this.#grid.findCell(result.from, result.to);
    if (cell === undefined || cell.port !== result.port || cell.protocol !== result.protocol) return;
    // The result's own mismatch is judged against its run's intent (none for a single probe); the cell's
    // is judged against the scenario's, so it is recomputed here.
    const observed: MatrixCell = { ...cell, observation: result.observed };
    const updated: MatrixCell = { ...observed, mismatch: computeCellMismatch(observed) };
    this.#view = { ...view, cells: view.cells.map((c) => (c === cell || (c.from === cell.from && c.to === cell.to && c.port === cell.port) ? updated : c)) };
    this.#grid.updateCell(updated);
    this.#renderSummary(this.#view.cells);
    if (this.#explanation.cell?.from === updated.from && this.#explanation.cell.to === updated.to) this.#explanation.show(updated, { refetch: false });
    if (this.#activeRunId !== undefined) {
      this.#liveResults += 1;
      this.#status.textContent = `Probing… ${this.#liveResults} result${this.#liveResults === 1 ? '' : 's'} so far.`;
    }
  }

  #handleRun(run: RunSummaryView): void {
    if (run.status === 'running' || run.id !== this.#activeRunId) {
      // Runs started elsewhere (terminal, CLI) also refresh the observation when they finish.
      if (run.status !== 'running' && run.kind === 'matrix') this.reload();
      return;
    }
    this.#finishRun(run);
  }

  #finishRun(run: RunSummaryView): void {
    if (this.#activeRunId !== run.id) return;
    this.#activeRunId = undefined;
    this.#runMatrix.disabled = false;
    this.#runExpectations.disabled = false;
    const isClean = run.summary.policyMismatches === 0 && run.summary.driftMismatches === 0 && run.summary.errors === 0;
    this.#notify({ kind: run.status === 'error' ? NoticeKinds.error : isClean ? NoticeKinds.info : NoticeKinds.warning, message: describeRunSummary(run), sandboxId: this.#session.sandboxId });
    this.reload();
  }

  async #startRun(kind: 'matrix' | 'expectations'): Promise<void> {
    const choice = this.#choices.find((c) => c.value === this.#port.value);
    this.#runMatrix.disabled = true;
    this.#runExpectations.disabled = true;
    this.#liveResults = 0;
    this.#status.textContent = kind === 'matrix' ? 'Probing every pair…' : 'Running the expectations…';
    try {
      const run = await this.#session.client.startRun(
        this.#session.sandboxId,
        kind === 'matrix' && choice !== undefined ? { kind, port: choice.port, protocol: choice.protocol } : { kind },
      );
      this.#activeRunId = run.id;
      if (run.status !== 'running') {
        this.#finishRun(run);
        return;
      }
      const finished = await this.#session.waitForRun(run.id, { timeoutMs: runTimeoutMs });
      this.#finishRun(finished);
    } catch (error) {
      this.#activeRunId = undefined;
      this.#runMatrix.disabled = false;
      this.#runExpectations.disabled = false;
      this.#status.textContent = `Run failed: ${describeError(error)}`;
    }
  }
}
