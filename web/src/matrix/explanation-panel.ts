// Why one flow is allowed or denied: the three views side by side, the engine's explanation (isolating
// policies, the deciding rule, near misses, CNI notes) and "Probe now", which sends a real connection
// through the sandbox and shows what the packets did.
import { ApiError, describeError } from '../api/api-error.ts';
import type { ExplainView, RunResult } from '../api/rest-client.ts';
import type { SandboxSession } from '../app/sandbox-session.ts';
import { createElement, listen, replaceChildren } from '../lib/dom.ts';
import { DisposableStore, toDisposable, type Disposable } from '../lib/disposable.ts';
import { Emitter, type Event } from '../lib/emitter.ts';
import { describeCell, formatCellPort, matrixModeList, type MatrixMode } from './cell-display.ts';
import { groupExplanation } from './explanation-sections.ts';
import type { MatrixCell } from './matrix-layout.ts';

const probeTimeoutMs = 60_000;

const mismatchMeaning: Readonly<Record<MatrixCell['mismatch'], string>> = {
  none: 'All views that exist for this flow agree.',
  policy: 'Intent and prediction differ: the policies do not do what the scenario says they should.',
  drift: 'Prediction and observation differ: this CNI or environment behaves differently from the API semantics.',
  both: 'Intent, prediction and observation disagree: check the policy first, then the CNI.',
};

export class ExplanationPanel implements Disposable {
  readonly element: HTMLElement;
  readonly #session: SandboxSession;
  readonly #store = new DisposableStore();
  readonly #onClose = new Emitter<void>();
  readonly #onProbed = new Emitter<RunResult>();
  readonly #heading: HTMLElement;
  readonly #views: HTMLElement;
  readonly #mismatch: HTMLElement;
  readonly #explanation: HTMLElement;
  readonly #probeButton: HTMLButtonElement;
  readonly #probeResult: HTMLElement;
  #cell: MatrixCell | undefined;
  #request: AbortController | undefined;
  #probeToken = 0;

  readonly onClose: Event<void> = this.#onClose.event;
  /** A "probe now" result, so the grid can show the fresh observation. */
  readonly onProbed: Event<RunResult> = this.#onProbed.event;

  constructor(session: SandboxSession) {
    this.#session = session;
    const titleId = `explain-title-${session.sandboxId}`;
    this.#heading = createElement('p', { className: 'explain-flow' });
    this.#views = createElement('dl', { className: 'three-views' });
    this.#mismatch = createElement('p', { className: 'explain-mismatch' });
    this.#explanation = createElement('div', { className: 'explain-sections', attrs: { 'aria-live': 'polite' } });
    this.#probeButton = createElement('button', { className: 'button button-primary', text: 'Probe now', attrs: { type: 'button' } });
    this.#probeResult = createElement('div', { className: 'probe-result', attrs: { 'aria-live': 'polite' } });
    const close = createElement('button', { className: 'button button-small', text: 'Close', attrs: { type: 'button', 'aria-label': 'Close the explanation' } });
    this.element = createElement('aside', { className: 'explain-panel', attrs: { 'aria-labelledby': titleId, hidden: true, tabindex: -1 } }, [
      createElement('header', { className: 'explain-header' }, [createElement('h2', { text: 'Why this verdict', attrs: { id: titleId } }), close]),
      this.#heading,
      this.#views,
      this.#mismatch,
      this.#explanation,
      createElement('div', { className: 'probe-box' }, [
        this.#probeButton,
        createElement('p', { className: 'field-hint', text: 'Sends one real connection through the sandbox now.' }),
        this.#probeResult,
      ]),
    ]);
    this.#store.add(this.#onClose);
    this.#store.add(this.#onProbed);
    this.#store.add(toDisposable(() => this.#request?.abort()));
    this.#store.add(listen(close, 'click', () => this.#onClose.fire()));
    this.#store.add(
      listen(this.element, 'keydown', (event) => {
        if (event.key === 'Escape') this.#onClose.fire();
      }),
    );
    this.#store.add(listen(this.#probeButton, 'click', () => void this.#probe()));
  }

  get cell(): MatrixCell | undefined {
    return this.#cell;
  }

  /** Shows a cell; `refetch` false keeps the explanation text when only the observation changed. */
  show(cell: MatrixCell, options: { readonly refetch: boolean } = { refetch: true }): void {
    const isNewFlow = this.#cell === undefined || this.#cell.from !== cell.from || this.#cell.to !== cell.to || this.#cell.port !== cell.port;
    this.#cell = cell;
    this.element.hidden = false;
    replaceChildren(this.#heading, [
      createElement('span', { className: 'explain-endpoint', text: cell.from }),
      createElement('span', { className: 'explain-arrow', text: ' → ', attrs: { 'aria-label': 'to' } }),
      createElement('span', { className: 'explain-endpoint', text: cell.to }),
      createElement('span', { className: 'explain-port', text: ` · ${formatCellPort(cell)}` }),
    ]);
    replaceChildren(
      this.#views,
      matrixModeList
        .filter((mode): mode is Exclude<MatrixMode, 'mismatch'> => mode !== 'mismatch')
        .flatMap((mode) => {
          const display = describeCell(cell, mode);
          return [
            createElement('dt', { text: mode }),
            createElement('dd', { attrs: { 'data-tone': display.tone } }, [createElement('span', { className: 'symbol', text: display.symbol, attrs: { 'aria-hidden': 'true' } }), ` ${display.words}`]),
          ];
        }),
    );
    this.#mismatch.textContent = mismatchMeaning[cell.mismatch];
    this.#mismatch.dataset['mismatch'] = cell.mismatch;
    if (isNewFlow) {
      this.#probeToken += 1;
      replaceChildren(this.#probeResult, []);
      this.#probeButton.disabled = false;
    }
    if (options.refetch || isNewFlow) void this.#loadExplanation(cell);
  }

  hide(): void {
    this.#cell = undefined;
    this.#request?.abort();
    this.#probeToken += 1;
    this.element.hidden = true;
  }

  focus(): void {
    this.element.focus();
  }

  dispose(): void {
    this.#store.dispose();
  }

  async #loadExplanation(cell: MatrixCell): Promise<void> {
    this.#request?.abort();
    const controller = new AbortController();
    this.#request = controller;
    replaceChildren(this.#explanation, [createElement('p', { className: 'field-hint', text: 'Explaining…' })]);
    try {
      const view = await this.#session.client.explain(
        this.#session.sandboxId,
        { from: cell.from, to: cell.to, port: cell.portName ?? String(cell.port), protocol: cell.protocol },
        controller.signal,
      );
      if (this.#cell !== cell) return;
      this.#renderExplanation(view);
    } catch (error) {
      if (error instanceof ApiError && error.isAborted) return;
      replaceChildren(this.#explanation, [createElement('p', { className: 'is-error', text: `Could not explain: ${describeError(error)}` })]);
    }
  }

  #renderExplanation(view: ExplainView): void {
    const sections = groupExplanation(view.lines);
    replaceChildren(this.#explanation, [
      createElement('p', { className: `explain-summary ${view.isAllowed ? 'is-allowed' : 'is-denied'}`, text: view.summary }),
      ...sections
        .filter((section) => section.kind !== 'verdict')
        .map((section) =>
          createElement('section', { className: `explain-section section-${section.kind} ${section.isDenied ? 'is-denied' : ''}` }, [
            createElement('h3', { text: section.title }),
            section.isolatingPolicies.length === 0
              ? null
              : createElement('p', { className: 'isolating' }, [
                  'Isolated by ',
                  ...section.isolatingPolicies.flatMap((name, i) => [i > 0 ? ', ' : '', createElement('code', { className: 'policy-chip', text: name })]),
                ]),
            createElement(
              'ul',
              { className: 'explain-lines' },
              section.lines.map((line) => createElement('li', { className: line.isNearMiss ? 'near-miss' : '' }, [line.isNearMiss ? createElement('span', { className: 'near-miss-tag', text: 'near miss' }) : null, line.text])),
            ),
          ]),
        ),
    ]);
  }

  async #probe(): Promise<void> {
    const cell = this.#cell;
    if (cell === undefined) return;
    const token = ++this.#probeToken;
    this.#probeButton.disabled = true;
    replaceChildren(this.#probeResult, [createElement('p', { className: 'field-hint', text: 'Probing…' })]);
    try {
      const started = await this.#session.client.startRun(this.#session.sandboxId, {
        kind: 'probe',
        probe: { from: cell.from, to: cell.to, port: cell.portName ?? cell.port, protocol: cell.protocol },
      });
      const run = started.status === 'running' ? await this.#session.waitForRun(started.id, { timeoutMs: probeTimeoutMs }) : started;
      if (token !== this.#probeToken) return;
      const result = run.results[0];
      if (result === undefined) {
        replaceChildren(this.#probeResult, [createElement('p', { className: 'is-error', text: `The probe run ${run.id} ended (${run.status}) without a result.` })]);
        return;
      }
      const display = describeCell({ ...cell, observation: result.observed }, 'observation');
      replaceChildren(this.#probeResult, [
        createElement('p', { className: 'probe-outcome', attrs: { 'data-tone': display.tone } }, [
          createElement('span', { className: 'symbol', text: display.symbol, attrs: { 'aria-hidden': 'true' } }),
          ` observed ${result.observed} in ${Math.round(result.latencyMs)} ms`,
          result.mismatch === 'none' ? '' : ` — mismatch (${result.mismatch})`,
        ]),
        createElement('p', { className: 'probe-reason', text: result.reason }),
        result.detail === undefined ? null : createElement('p', { className: 'field-hint', text: result.detail }),
      ]);
      this.#onProbed.fire(result);
    } catch (error) {
      if (token !== this.#probeToken) return;
      replaceChildren(this.#probeResult, [createElement('p', { className: 'is-error', text: `Probe failed: ${describeError(error)}` })]);
    } finally {
      if (token === this.#probeToken) this.#probeButton.disabled = false;
    }
  }
}
