// The YAML editor (CodeMirror 6): highlighting, history, search-free keymaps, and a linter whose findings
// come from the server as you type (debounced), pinned to the line they are about with a gutter marker.
// Tab indents; Escape then Tab leaves the editor (CodeMirror's documented way out for keyboard users).
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { yaml } from '@codemirror/lang-yaml';
import { bracketMatching, foldGutter, indentOnInput } from '@codemirror/language';
import { forceLinting, lintGutter, linter, lintKeymap, type Diagnostic } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { EditorView, drawSelection, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from '@codemirror/view';
import type { Disposable } from '../lib/disposable.ts';
import { editorAppearance } from './editor-theme.ts';
import type { PlacedIssue } from './issue-placement.ts';

export interface PolicyEditorOptions {
  readonly initialText: string;
  readonly label: string;
  /** Findings for this text, or undefined when the check could not run (then old markers are kept off). */
  readonly check: (text: string, signal: AbortSignal) => Promise<readonly PlacedIssue[]>;
  readonly onChange: (text: string) => void;
  readonly onSubmit: () => void;
  readonly lintDelayMs?: number;
}

const severities: Readonly<Record<PlacedIssue['severity'], Diagnostic['severity']>> = { error: 'error', warning: 'warning', info: 'info' };

export class PolicyEditor implements Disposable {
  readonly element: HTMLElement;
  readonly #view: EditorView;
  #inFlight: AbortController | undefined;

  constructor(options: PolicyEditorOptions) {
    this.element = document.createElement('div');
    this.element.className = 'policy-editor';
    const lintSource = async (view: EditorView): Promise<Diagnostic[]> => {
      // Only the newest text matters: cancel the request for the text the user has already changed.
      this.#inFlight?.abort();
      const controller = new AbortController();
      this.#inFlight = controller;
      const text = view.state.doc.toString();
      const issues = await options.check(text, controller.signal);
      const doc = view.state.doc;
      return issues.map((issue) => {
        const line = doc.line(Math.min(issue.line, doc.lines));
        return { from: line.from, to: Math.max(line.from, line.to), severity: severities[issue.severity], message: issue.message, source: issue.code };
      });
    };
    this.#view = new EditorView({
      parent: this.element,
      state: EditorState.create({
        doc: options.initialText,
        extensions: [
          lineNumbers(),
          foldGutter(),
          lintGutter(),
          highlightActiveLineGutter(),
          history(),
          drawSelection(),
          indentOnInput(),
          bracketMatching(),
          highlightActiveLine(),
          EditorState.tabSize.of(2),
          yaml(),
          editorAppearance,
          linter(lintSource, { delay: options.lintDelayMs ?? 400 }),
          keymap.of([
            { key: 'Mod-Enter', run: () => (options.onSubmit(), true) },
            { key: 'Mod-s', run: () => (options.onSubmit(), true), preventDefault: true },
            ...defaultKeymap,
            ...historyKeymap,
            ...lintKeymap,
            indentWithTab,
          ]),
          EditorView.contentAttributes.of({ 'aria-label': options.label, 'aria-multiline': 'true' }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) options.onChange(update.state.doc.toString());
          }),
        ],
      }),
    });
  }

  get text(): string {
    return this.#view.state.doc.toString();
  }

  /** Replaces the whole text (loading the applied set); undo can bring the old text back. */
  setText(text: string): void {
    this.#view.dispatch({ changes: { from: 0, to: this.#view.state.doc.length, insert: text } });
  }

  /** Re-runs the check now, e.g. after an apply changed what the text is compared with. */
  recheck(): void {
    forceLinting(this.#view);
  }

  focus(): void {
    this.#view.focus();
  }

  revealLine(lineNumber: number): void {
    const doc = this.#view.state.doc;
    const line = doc.line(Math.min(Math.max(1, lineNumber), doc.lines));
    this.#view.dispatch({ selection: { anchor: line.from }, effects: EditorView.scrollIntoView(line.from, { y: 'center' }) });
    this.#view.focus();
  }

  dispose(): void {
    this.#inFlight?.abort();
    this.#view.destroy();
  }
}
