// The prompt's line editor: editing keys, history, and the ANSI that redraws a (wrapped) line.
import { describe, expect, it } from 'vitest';
import type { Key } from '../../../../server/terminal/decode-keys.ts';
import { applyEditKey, commitLine, createEditorState, getLineText, renderLine, setLineText } from '../../../../server/terminal/line-editor.ts';
import type { EditorState } from '../../../../server/terminal/line-editor.ts';

function press(state: EditorState, ...keys: Key[]): EditorState {
  let current = state;
  for (const key of keys) current = applyEditKey(current, key) ?? current;
  return current;
}

const text = (value: string): Key => ({ kind: 'text', text: value });

describe('line editing', () => {
  it('inserts at the cursor after moving left', () => {
    const state = press(createEditorState(), text('pds'), { kind: 'left' }, { kind: 'left' }, text('o'));
    expect(getLineText(state)).toBe('pods');
    expect(state.cursor).toBe(2);
  });

  it('home/end, backspace and delete edit where the cursor is', () => {
    let state = press(createEditorState(), text('xpods'), { kind: 'home' }, { kind: 'delete' });
    expect(getLineText(state)).toBe('pods');
    state = press(state, { kind: 'end' }, { kind: 'backspace' });
    expect(getLineText(state)).toBe('pod');
  });

  it('Ctrl-U kills to the start, Ctrl-K to the end, Ctrl-W the word before the cursor', () => {
    const base = setLineText(createEditorState(), 'probe x/a y/b 80');
    expect(getLineText(press(base, { kind: 'kill-word' }))).toBe('probe x/a y/b ');
    const middle = press(base, { kind: 'home' }, { kind: 'word-right' });
    expect(getLineText(press(middle, { kind: 'kill-to-end' }))).toBe('probe');
    expect(getLineText(press(middle, { kind: 'kill-to-start' }))).toBe(' x/a y/b 80');
  });

  it('never splits a surrogate pair', () => {
    const state = press(createEditorState(), text('a😀'), { kind: 'backspace' });
    expect(getLineText(state)).toBe('a');
  });

  it('browses history with up/down and restores the draft', () => {
    let state = commitLine(setLineText(createEditorState(), 'pods')).state;
    state = commitLine(setLineText(state, 'policies')).state;
    state = press(state, text('dra'));
    state = press(state, { kind: 'up' });
    expect(getLineText(state)).toBe('policies');
    state = press(state, { kind: 'up' }, { kind: 'up' });
    expect(getLineText(state)).toBe('pods');
    state = press(state, { kind: 'down' }, { kind: 'down' });
    expect(getLineText(state)).toBe('dra');
  });

  it('keeps blank lines and immediate repeats out of history', () => {
    let state = commitLine(setLineText(createEditorState(), 'pods')).state;
    state = commitLine(setLineText(state, 'pods')).state;
    state = commitLine(setLineText(state, '   ')).state;
    expect(state.history).toEqual(['pods']);
  });

  it('leaves keys it does not handle to the caller', () => {
    expect(applyEditKey(createEditorState(), { kind: 'enter' })).toBeUndefined();
    expect(applyEditKey(createEditorState(), { kind: 'tab' })).toBeUndefined();
  });
});

describe('renderLine', () => {
  it('rewrites prompt and text and puts the cursor at its column', () => {
    const rendered = renderLine({ prompt: '> ', promptColumns: 2, chars: Array.from('pods'), cursor: 1, cols: 80, previousOffset: 0 });
    expect(rendered.output).toBe('\r> pods\x1b[J\r\x1b[3C');
    expect(rendered.offset).toBe(3);
  });

  it('goes up the rows a wrapped line took before redrawing it', () => {
    const rendered = renderLine({ prompt: '> ', promptColumns: 2, chars: Array.from('abcdefghij'), cursor: 10, cols: 5, previousOffset: 11 });
    expect(rendered.output.startsWith('\x1b[2A\r> abcdefghij\x1b[J')).toBe(true);
    expect(rendered.offset).toBe(12);
  });

  it('at an exact multiple of the width moves to the next row so the cursor row is unambiguous', () => {
    const rendered = renderLine({ prompt: '> ', promptColumns: 2, chars: Array.from('abc'), cursor: 3, cols: 5, previousOffset: 0 });
    expect(rendered.output).toBe('\r> abc\x1b[J\r\n\r');
  });
});
