// The prompt's line editor as pure functions: an editing state (text, cursor, history) changed by key events,
// and the ANSI that redraws the prompt line, wrapped lines included, from wherever the cursor was left.
import type { Key } from './decode-keys.ts';
import { Ansi, cursorForward, cursorUp } from './ansi.ts';

export interface EditorState {
  /** The line as code points, so the cursor never splits a surrogate pair. */
  readonly chars: readonly string[];
  readonly cursor: number;
  /** Oldest first. */
  readonly history: readonly string[];
  /** Index into history while browsing with up/down; history.length while editing the draft. */
  readonly historyIndex: number;
  /** The line typed before browsing history, restored when coming back down. */
  readonly draft: readonly string[];
}

export const maxHistoryEntries = 200;
export const maxLineChars = 4096;

export function createEditorState(history: readonly string[] = []): EditorState {
  const kept = history.slice(-maxHistoryEntries);
  return { chars: [], cursor: 0, history: kept, historyIndex: kept.length, draft: [] };
}

export function getLineText(state: EditorState): string {
  return state.chars.join('');
}

export function setLineText(state: EditorState, text: string): EditorState {
  const chars = Array.from(text).slice(0, maxLineChars);
  return { ...state, chars, cursor: chars.length };
}

export function insertText(state: EditorState, text: string): EditorState {
  const inserted = Array.from(text).filter((char) => char >= ' ' && char !== '\x7f');
  const room = maxLineChars - state.chars.length;
  if (room <= 0 || inserted.length === 0) return state;
  const taken = inserted.slice(0, room);
  return { ...state, chars: [...state.chars.slice(0, state.cursor), ...taken, ...state.chars.slice(state.cursor)], cursor: state.cursor + taken.length };
}

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && char !== ' ';
}

function findWordStart(chars: readonly string[], from: number): number {
  let index = from;
  while (index > 0 && !isWordChar(chars[index - 1])) index -= 1;
  while (index > 0 && isWordChar(chars[index - 1])) index -= 1;
  return index;
}

function findWordEnd(chars: readonly string[], from: number): number {
  let index = from;
  while (index < chars.length && !isWordChar(chars[index])) index += 1;
  while (index < chars.length && isWordChar(chars[index])) index += 1;
  return index;
}

function browseHistory(state: EditorState, step: -1 | 1): EditorState {
  const target = state.historyIndex + step;
  if (target < 0 || target > state.history.length) return state;
  const draft = state.historyIndex === state.history.length ? state.chars : state.draft;
  const chars = target === state.history.length ? draft : Array.from(state.history[target] ?? '');
  return { ...state, chars, cursor: chars.length, historyIndex: target, draft };
}

/** The new state for an editing key, or undefined for keys the editor does not handle (enter, tab, Ctrl-C...). */
export function applyEditKey(state: EditorState, key: Key): EditorState | undefined {
  const { chars, cursor } = state;
  switch (key.kind) {
    case 'text':
      return insertText(state, key.text);
    case 'left':
      return { ...state, cursor: Math.max(0, cursor - 1) };
    case 'right':
      return { ...state, cursor: Math.min(chars.length, cursor + 1) };
    case 'home':
      return { ...state, cursor: 0 };
    case 'end':
      return { ...state, cursor: chars.length };
    case 'word-left':
      return { ...state, cursor: findWordStart(chars, cursor) };
    case 'word-right':
      return { ...state, cursor: findWordEnd(chars, cursor) };
    case 'backspace':
      return cursor === 0 ? state : { ...state, chars: [...chars.slice(0, cursor - 1), ...chars.slice(cursor)], cursor: cursor - 1 };
    case 'delete':
      return cursor >= chars.length ? state : { ...state, chars: [...chars.slice(0, cursor), ...chars.slice(cursor + 1)] };
    case 'kill-to-start':
      return { ...state, chars: chars.slice(cursor), cursor: 0 };
    case 'kill-to-end':
      return { ...state, chars: chars.slice(0, cursor) };
    case 'kill-word': {
      const start = findWordStart(chars, cursor);
      return { ...state, chars: [...chars.slice(0, start), ...chars.slice(cursor)], cursor: start };
    }
    case 'up':
      return browseHistory(state, -1);
    case 'down':
      return browseHistory(state, 1);
    default:
      return undefined;
  }
}

/** Ends the line: returns its text and a fresh state with the line appended to history (no blanks, no repeats). */
export function commitLine(state: EditorState): { readonly line: string; readonly state: EditorState } {
  const line = getLineText(state);
  const isWorthKeeping = line.trim() !== '' && state.history[state.history.length - 1] !== line;
  const history = isWorthKeeping ? [...state.history, line].slice(-maxHistoryEntries) : state.history;
  return { line, state: { chars: [], cursor: 0, history, historyIndex: history.length, draft: [] } };
}

export interface RenderLineInput {
  /** The prompt with its colours. */
  readonly prompt: string;
  /** Columns the prompt takes on screen. */
  readonly promptColumns: number;
  readonly chars: readonly string[];
  readonly cursor: number;
  readonly cols: number;
  /** Where the cursor is now, as an offset from the start of the prompt (0 when at a fresh line). */
  readonly previousOffset: number;
}

/**
 * ANSI that goes back to the start of the prompt, rewrites prompt and text, clears what an earlier, longer line
 * left, and puts the cursor at its place. Returns the new cursor offset for the next redraw.
 */
export function renderLine(input: RenderLineInput): { readonly output: string; readonly offset: number } {
  const cols = Math.max(1, input.cols);
  const endOffset = input.promptColumns + input.chars.length;
  const targetOffset = input.promptColumns + input.cursor;
  let output = cursorUp(Math.floor(input.previousOffset / cols)) + Ansi.carriageReturn + input.prompt + input.chars.join('') + Ansi.clearToEndOfScreen;
  // At an exact multiple of the width the cursor waits at the last column; a CR LF makes its row unambiguous.
  if (endOffset > 0 && endOffset % cols === 0) output += Ansi.newline;
  const endRow = Math.floor(endOffset / cols);
  const targetRow = Math.floor(targetOffset / cols);
  output += cursorUp(endRow - targetRow) + Ansi.carriageReturn + cursorForward(targetOffset % cols);
  return { output, offset: targetOffset };
}

/** ANSI that erases the prompt area (to print something above it), leaving the cursor at its first column. */
export function renderClearLine(input: { readonly previousOffset: number; readonly cols: number }): string {
  return cursorUp(Math.floor(input.previousOffset / Math.max(1, input.cols))) + Ansi.carriageReturn + Ansi.clearToEndOfScreen;
}
