// Provisioning progress as a bar with the steps under it (not a spinner): each step the provider reported,
// done, in progress or failed, with its latest message. A failed launch says why and what to do.
import type { SandboxView } from '../api/rest-client.ts';
import { createElement, replaceChildren } from '../lib/dom.ts';
import { summarizeProgress } from './progress-steps.ts';

const stepSymbols = { done: '✓', current: '●', failed: '✗' } as const;
const stepWords = { done: 'done', current: 'in progress', failed: 'failed' } as const;

export class ProvisioningPanel {
  readonly element: HTMLElement;
  readonly #bar: HTMLElement;
  readonly #fill: HTMLElement;
  readonly #headline: HTMLElement;
  readonly #steps: HTMLElement;
  readonly #failure: HTMLElement;

  constructor() {
    this.#fill = createElement('div', { className: 'progress-fill' });
    this.#bar = createElement('div', { className: 'progress-bar', attrs: { role: 'progressbar', 'aria-label': 'Provisioning progress', 'aria-valuemin': 0, 'aria-valuemax': 100 } }, [this.#fill]);
    this.#headline = createElement('p', { className: 'progress-headline', attrs: { 'aria-live': 'polite' } });
    this.#steps = createElement('ol', { className: 'progress-steps' });
    this.#failure = createElement('div', { className: 'progress-failure', attrs: { role: 'alert' } });
    this.element = createElement('section', { className: 'provisioning panel', attrs: { 'aria-label': 'Provisioning' } }, [
      createElement('h2', { text: 'Provisioning' }),
      this.#bar,
      this.#headline,
      this.#steps,
      this.#failure,
    ]);
  }

  update(sandbox: SandboxView): void {
    const summary = summarizeProgress(sandbox.progress, sandbox.status);
    const percent = summary.fraction === undefined ? undefined : Math.round(summary.fraction * 100);
    this.#bar.classList.toggle('is-indeterminate', percent === undefined);
    this.#bar.classList.toggle('is-failed', sandbox.status === 'failed');
    if (percent === undefined) this.#bar.removeAttribute('aria-valuenow');
    else this.#bar.setAttribute('aria-valuenow', String(percent));
    this.#bar.setAttribute('aria-valuetext', percent === undefined ? summary.headline : `${percent}% — ${summary.headline}`);
    this.#fill.style.width = percent === undefined ? '' : `${percent}%`;
    this.#headline.textContent = percent === undefined ? summary.headline : `${percent}% · ${summary.headline}`;
    replaceChildren(
      this.#steps,
      summary.steps.map((step) =>
        createElement('li', { className: `progress-step step-${step.state}` }, [
          createElement('span', { className: 'step-symbol', text: stepSymbols[step.state], attrs: { 'aria-hidden': 'true' } }),
          createElement('span', { className: 'step-name', text: step.step }),
          createElement('span', { className: 'visually-hidden', text: ` (${stepWords[step.state]})` }),
          createElement('span', { className: 'step-message', text: step.message }),
        ]),
      ),
    );
    replaceChildren(
      this.#failure,
      sandbox.status === 'failed'
        ? [
            createElement('p', { className: 'is-error', text: `Launch failed: ${sandbox.failure ?? 'the provider gave no reason'}` }),
            createElement('p', { className: 'field-hint', text: 'Destroy this sandbox to release what was created, fix the cause, and launch again.' }),
          ]
        : [],
    );
  }
}
