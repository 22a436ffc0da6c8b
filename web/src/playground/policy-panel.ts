// The policy playground of one sandbox: the editor, Apply / Revert, the effect of the edit against what
// is applied (a dry-run apply on the server as you type: the same validation, lint and flow diff that Apply
// would report) and every finding listed with a jump to its line.
import type { ApplyPoliciesResponse, SandboxDetail } from '../api/rest-client.ts';
import { ApiError, describeError } from '../api/api-error.ts';
import type { SandboxSession } from '../app/sandbox-session.ts';
import { createElement, listen, replaceChildren } from '../lib/dom.ts';
import { DisposableStore, type Disposable } from '../lib/disposable.ts';
import { NoticeKinds, type Notice } from '../sandboxes/sandbox-reducer.ts';
import { describeChangeCounts } from './change-counts.ts';
import { renderFlowChanges } from './flow-changes.ts';
import { placeIssues, type PlacedIssue } from './issue-placement.ts';
import { PolicyEditor } from './policy-editor.ts';

type Issue = ApplyPoliciesResponse['issues'][number];

const starterText = `# No policies applied yet. Write NetworkPolicy YAML here (several documents separated by ---),
# watch the findings and the effect on flows, then Apply (Ctrl+Enter).
`;

/** The applied set as one multi-document YAML text, in the server's order. */
export function joinPolicies(policies: SandboxDetail['policies']): string {
  if (policies.length === 0) return starterText;
  return `${policies.map((policy) => policy.yaml.trimEnd()).join('\n---\n')}\n`;
}

/**
 * The server names the YAML it was sent `policies.yaml` (policyYamlFileName in server/services/policy-edit.ts);
 * findings about other files (a scenario's own policies, kept in merge mode) are listed, not pinned here.
 */
const editorFileName = 'policies.yaml';

function isEditorFile(file: string): boolean {
  return file === editorFileName;
}

export class PolicyPanel implements Disposable {
  readonly element: HTMLElement;
  readonly #session: SandboxSession;
  readonly #notify: (notice: Notice) => void;
  readonly #store = new DisposableStore();
  readonly #editor: PolicyEditor;
  readonly #mode: HTMLSelectElement;
  readonly #state: HTMLElement;
  readonly #apply: HTMLButtonElement;
  readonly #revert: HTMLButtonElement;
  readonly #effect: HTMLElement;
  readonly #findings: HTMLElement;
  readonly #findingsTitle: HTMLElement;
  readonly #serverChanged: HTMLElement;
  // Listeners of re-rendered parts: cleared with the part they belong to.
  readonly #findingsListeners = new DisposableStore();
  readonly #bannerListeners = new DisposableStore();
  #appliedText: string;
  #isApplying = false;

  constructor(options: { readonly session: SandboxSession; readonly detail: SandboxDetail; readonly notify: (notice: Notice) => void }) {
    this.#session = options.session;
    this.#notify = options.notify;
    this.#appliedText = joinPolicies(options.detail.policies);
    const id = options.session.sandboxId;

    this.#mode = createElement('select', { attrs: { id: `policy-mode-${id}`, 'aria-describedby': `policy-mode-hint-${id}` } }, [
      createElement('option', { text: 'Replace the whole policy set', attrs: { value: 'replace' } }),
      createElement('option', { text: 'Merge: add or replace by name', attrs: { value: 'merge' } }),
    ]);
    this.#state = createElement('span', { className: 'edit-state', attrs: { 'aria-live': 'polite' } });
    this.#revert = createElement('button', { className: 'button', text: 'Revert to applied', attrs: { type: 'button' } });
    this.#apply = createElement('button', { className: 'button button-primary', text: 'Apply', attrs: { type: 'button', 'aria-keyshortcuts': 'Control+Enter', title: 'Apply (Ctrl+Enter)' } });
    this.#effect = createElement('div', { className: 'policy-effect', attrs: { 'aria-live': 'polite' } });
    this.#findingsTitle = createElement('h3', { text: 'Findings' });
    this.#findings = createElement('div', { className: 'policy-findings' });
    this.#serverChanged = createElement('div', { className: 'server-changed', attrs: { hidden: true, role: 'status' } });

    this.#editor = this.#store.add(
      new PolicyEditor({
        initialText: this.#appliedText,
        label: `NetworkPolicy YAML for ${id}`,
        check: (text, signal) => this.#check(text, signal),
        onChange: () => this.#renderState(),
        onSubmit: () => void this.#applyNow(),
      }),
    );

    this.element = createElement('section', { className: 'policy-panel', attrs: { 'aria-label': 'Policy editor' } }, [
      createElement('div', { className: 'toolbar' }, [
        createElement('label', { className: 'toolbar-field', attrs: { for: `policy-mode-${id}` } }, ['Apply as ', this.#mode]),
        createElement('span', { className: 'visually-hidden', attrs: { id: `policy-mode-hint-${id}` }, text: 'Replace: the editor holds every policy of the sandbox. Merge: only the policies in the editor are added or replaced.' }),
        this.#state,
        createElement('span', { className: 'toolbar-spacer' }),
        this.#revert,
        this.#apply,
      ]),
      this.#serverChanged,
      createElement('div', { className: 'policy-body' }, [
        createElement('div', { className: 'policy-editor-wrap' }, [this.#editor.element]),
        createElement('aside', { className: 'policy-side', attrs: { 'aria-label': 'Effect and findings' } }, [
          createElement('section', { className: 'policy-effect-section' }, [createElement('h3', { text: 'Effect against what is applied' }), this.#effect]),
          createElement('section', { className: 'policy-findings-section' }, [this.#findingsTitle, this.#findings]),
        ]),
      ]),
    ]);

    this.#store.add(this.#findingsListeners);
    this.#store.add(this.#bannerListeners);
    this.#store.add(listen(this.#apply, 'click', () => void this.#applyNow()));
    this.#store.add(listen(this.#revert, 'click', () => this.#editor.setText(this.#appliedText)));
    this.#store.add(listen(this.#mode, 'change', () => this.#editor.recheck()));
    this.#store.add(options.session.onDetail((detail) => this.#updateApplied(detail)));
    this.#renderState();
    replaceChildren(this.#effect, [createElement('p', { className: 'field-hint', text: 'Checking…' })]);
  }

  focus(): void {
    this.#editor.focus();
  }

  dispose(): void {
    this.#store.dispose();
  }

  get #isDirty(): boolean {
    return this.#editor.text !== this.#appliedText;
  }

  #renderState(): void {
    const isDirty = this.#isDirty;
    this.#state.textContent = isDirty ? 'Unapplied changes' : 'Matches the applied policies';
    this.#state.dataset['dirty'] = String(isDirty);
    this.#revert.disabled = !isDirty || this.#isApplying;
    this.#apply.disabled = this.#isApplying;
  }

  /** Another client changed the applied set: follow it when nothing is being edited, else offer it. */
  #updateApplied(detail: SandboxDetail): void {
    const text = joinPolicies(detail.policies);
    if (text === this.#appliedText) return;
    const wasDirty = this.#isDirty;
    this.#appliedText = text;
    if (!wasDirty) {
      this.#editor.setText(text);
      this.#serverChanged.hidden = true;
    } else if (this.#editor.text !== text) {
      const load = createElement('button', { className: 'button button-small', text: 'Load the applied policies', attrs: { type: 'button' } });
      replaceChildren(this.#serverChanged, [createElement('span', { text: 'The applied policies changed elsewhere (another tab or the terminal). ' }), load]);
      this.#bannerListeners.clear();
      this.#bannerListeners.add(
        listen(load, 'click', () => {
          this.#editor.setText(this.#appliedText);
          this.#serverChanged.hidden = true;
        }),
      );
      this.#serverChanged.hidden = false;
    }
    this.#renderState();
    this.#editor.recheck();
  }

  async #check(text: string, signal: AbortSignal): Promise<readonly PlacedIssue[]> {
    const lineCount = text.split('\n').length;
    try {
      const mode = this.#mode.value === 'merge' ? 'merge' : 'replace';
      const response = await this.#session.client.applyPolicies(this.#session.sandboxId, { yaml: text, mode, dryRun: true }, signal);
      if (signal.aborted) return [];
      this.#renderEffect(response, text === this.#appliedText);
      const placement = placeIssues([...response.issues, ...response.lint], { lineCount, isEditorFile });
      this.#renderFindings(placement.inline, placement.elsewhere);
      return placement.inline;
    } catch (error) {
      if (error instanceof ApiError && error.isAborted) return [];
      const issues = error instanceof ApiError ? error.issues : [];
      replaceChildren(this.#effect, [createElement('p', { className: 'is-error', text: `Could not check: ${describeError(error)}` })]);
      const placement = placeIssues(issues, { lineCount, isEditorFile });
      this.#renderFindings(placement.inline, placement.elsewhere);
      return placement.inline;
    }
  }

  #renderEffect(response: ApplyPoliciesResponse, isUnchanged: boolean): void {
    const errors = response.issues.filter((issue) => issue.severity === 'error').length;
    if (errors > 0) {
      replaceChildren(this.#effect, [createElement('p', { className: 'effect-summary is-error', text: `Cannot be applied: ${errors} error${errors === 1 ? '' : 's'} to fix first (marked in the editor).` })]);
      return;
    }
    if (isUnchanged) {
      replaceChildren(this.#effect, [createElement('p', { className: 'effect-summary', text: 'This is what is applied: no flow changes.' })]);
      return;
    }
    const total = response.changes.newlyAllowed + response.changes.newlyDenied;
    replaceChildren(this.#effect, [
      createElement('p', { className: `effect-summary ${response.changes.newlyDenied > 0 ? 'has-denials' : ''}`, text: `This change ${describeChangeCounts(response.changes)}.` }),
      total === 0 ? null : renderFlowChanges(response.flows, total),
    ]);
  }

  #renderFindings(inline: readonly PlacedIssue[], elsewhere: readonly Issue[]): void {
    this.#findingsListeners.clear();
    const count = inline.length + elsewhere.length;
    this.#findingsTitle.textContent = count === 0 ? 'Findings' : `Findings (${count})`;
    if (count === 0) {
      replaceChildren(this.#findings, [createElement('p', { className: 'field-hint', text: 'No validation or lint findings.' })]);
      return;
    }
    const items = inline.map((issue) => {
      const jump = createElement('button', { className: 'link-button', text: `line ${issue.line}`, attrs: { type: 'button', 'aria-label': `Go to line ${issue.line}` } });
      this.#findingsListeners.add(listen(jump, 'click', () => this.#editor.revealLine(issue.line)));
      return createElement('li', { className: `finding finding-${issue.severity}` }, [
        createElement('span', { className: 'finding-severity', text: issue.severity }),
        jump,
        createElement('span', { className: 'finding-code', text: issue.code }),
        createElement('p', { className: 'finding-message', text: issue.message }),
      ]);
    });
    const others = elsewhere.map((issue) =>
      createElement('li', { className: `finding finding-${issue.severity}` }, [
        createElement('span', { className: 'finding-severity', text: issue.severity }),
        createElement('span', { className: 'finding-where', text: `${issue.file}:${issue.line}` }),
        createElement('span', { className: 'finding-code', text: issue.code }),
        createElement('p', { className: 'finding-message', text: `${issue.message}${issue.fix === '' ? '' : `\nfix: ${issue.fix}`}` }),
      ]),
    );
    replaceChildren(this.#findings, [createElement('ul', { className: 'finding-list' }, [...items, ...others])]);
  }

  async #applyNow(): Promise<void> {
    if (this.#isApplying) return;
    this.#isApplying = true;
    this.#apply.textContent = 'Applying…';
    this.#renderState();
    const text = this.#editor.text;
    try {
      const mode = this.#mode.value === 'merge' ? 'merge' : 'replace';
      const response = await this.#session.client.applyPolicies(this.#session.sandboxId, { yaml: text, mode, dryRun: false });
      if (response.isApplied) {
        // What the server now holds, in its own rendering, becomes the baseline for the next diff.
        this.#appliedText = joinPolicies(response.policies);
        if (this.#editor.text === text && mode === 'replace') this.#editor.setText(this.#appliedText);
        const enforced = response.enforcedAfterMs === undefined ? '' : ` Enforced after ${Math.round(response.enforcedAfterMs)} ms.`;
        this.#notify({ kind: NoticeKinds.info, message: `Policies applied: ${response.summary}.${enforced}`, sandboxId: this.#session.sandboxId });
        this.#session.reload();
      } else {
        const errors = response.issues.filter((issue) => issue.severity === 'error').length;
        this.#notify({ kind: NoticeKinds.error, message: `Not applied: ${errors} error${errors === 1 ? '' : 's'} in the YAML (see the findings).`, sandboxId: this.#session.sandboxId });
      }
    } catch (error) {
      this.#notify({ kind: NoticeKinds.error, message: `Apply failed: ${describeError(error)}`, sandboxId: this.#session.sandboxId });
    } finally {
      this.#isApplying = false;
      this.#apply.textContent = 'Apply';
      this.#renderState();
      this.#editor.recheck();
    }
  }
}
