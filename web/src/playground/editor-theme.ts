// CodeMirror's look, drawn from the page's CSS custom properties so it follows light and dark themes,
// and a YAML highlight style where keys, values, strings and document separators are told apart.
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import type { Extension } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { tags } from '@lezer/highlight';

const editorTheme = EditorView.theme({
  '&': {
    color: 'var(--editor-fg)',
    backgroundColor: 'var(--editor-bg)',
    fontSize: '13px',
    height: '100%',
  },
  '.cm-scroller': { fontFamily: 'var(--font-mono)', lineHeight: '1.5' },
  '.cm-content': { caretColor: 'var(--editor-caret)' },
  '&.cm-focused .cm-cursor': { borderLeftColor: 'var(--editor-caret)' },
  '&.cm-focused': { outline: 'none' },
  '.cm-gutters': { backgroundColor: 'var(--editor-gutter-bg)', color: 'var(--text-muted)', borderRight: '1px solid var(--border)' },
  '.cm-activeLine': { backgroundColor: 'var(--editor-active-line)' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--editor-active-line)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': { backgroundColor: 'var(--editor-selection)' },
  '.cm-tooltip': { backgroundColor: 'var(--surface-raised)', color: 'var(--text)', border: '1px solid var(--border)' },
  '.cm-diagnostic': { whiteSpace: 'pre-wrap', fontFamily: 'var(--font-sans)', maxWidth: '46em' },
  '.cm-panels': { backgroundColor: 'var(--surface-raised)', color: 'var(--text)' },
});

const yamlHighlight = HighlightStyle.define([
  { tag: tags.definition(tags.propertyName), color: 'var(--syntax-key)' },
  { tag: tags.content, color: 'var(--syntax-value)' },
  { tag: tags.string, color: 'var(--syntax-string)' },
  { tag: tags.special(tags.string), color: 'var(--syntax-string)' },
  { tag: [tags.lineComment, tags.comment], color: 'var(--syntax-comment)', fontStyle: 'italic' },
  { tag: tags.meta, color: 'var(--syntax-meta)', fontWeight: 'bold' },
  { tag: [tags.separator, tags.punctuation], color: 'var(--syntax-punctuation)' },
  { tag: [tags.typeName, tags.labelName], color: 'var(--syntax-meta)' },
  { tag: tags.keyword, color: 'var(--syntax-meta)' },
]);

export const editorAppearance: Extension = [editorTheme, syntaxHighlighting(yamlHighlight)];
