// The connectivity grid: a real <table> (row and column headers that screen readers announce), sources down
// the side and destinations across, both grouped by namespace. One cell is in the tab order at a time
// (roving tabindex): arrows move, Home/End and PageUp/PageDown jump, Enter or Space explains the cell.
import { createElement, listen, replaceChildren } from '../lib/dom.ts';
import { DisposableStore, type Disposable } from '../lib/disposable.ts';
import { Emitter, type Event } from '../lib/emitter.ts';
import { describeCell, labelCell, type MatrixMode } from './cell-display.ts';
import { moveFocus, splitEndpointKey, type MatrixCell, type MatrixLayout } from './matrix-layout.ts';

const pairKey = (from: string, to: string): string => `${from}\u0000${to}`;

export class MatrixGrid implements Disposable {
  readonly element: HTMLElement;
  readonly #table: HTMLTableElement;
  readonly #store = new DisposableStore();
  readonly #onSelect = new Emitter<MatrixCell>();
  readonly #buttons = new Map<string, HTMLButtonElement>();
  readonly #cells = new Map<string, MatrixCell>();
  #layout: MatrixLayout | undefined;
  #mode: MatrixMode = 'prediction';
  #focus = { row: 0, column: 0 };
  #selected: string | undefined;

  /** A cell was chosen (click, Enter or Space). */
  readonly onSelect: Event<MatrixCell> = this.#onSelect.event;

  constructor() {
    this.#table = createElement('table', { className: 'matrix' });
    this.element = createElement('div', { className: 'matrix-scroll', attrs: { tabindex: -1 } }, [this.#table]);
    this.#store.add(this.#onSelect);
    this.#store.add(
      listen(this.#table, 'click', (event) => {
        const button = event.target instanceof Element ? event.target.closest<HTMLButtonElement>('button.cell') : null;
        if (button === null) return;
        this.#activate(button);
      }),
    );
    this.#store.add(listen(this.#table, 'keydown', (event) => this.#handleKey(event)));
  }

  render(layout: MatrixLayout, mode: MatrixMode, caption: string): void {
    this.#layout = layout;
    this.#mode = mode;
    this.#buttons.clear();
    this.#cells.clear();
    const hadFocus = this.#table.contains(document.activeElement);
    this.#focus = {
      row: Math.min(this.#focus.row, Math.max(0, layout.rows.length - 1)),
      column: Math.min(this.#focus.column, Math.max(0, layout.columns.length - 1)),
    };

    const groupRow = createElement('tr', {}, [createElement('td', { className: 'matrix-corner', attrs: { rowspan: 2 } }, [createElement('span', { text: 'from ↓  to →' })])]);
    for (const group of layout.columnGroups) {
      groupRow.appendChild(createElement('th', { className: 'ns-head col-group', text: group.name, attrs: { scope: 'colgroup', colspan: group.keys.length, title: `namespace ${group.name}` } }));
    }
    const columnRow = createElement('tr');
    const groupStarts = new Set(layout.columnGroups.map((g) => g.keys[0]));
    for (const key of layout.columns) {
      const { label } = splitEndpointKey(key);
      columnRow.appendChild(
        createElement('th', { className: `col-head ${groupStarts.has(key) ? 'group-start' : ''}`, attrs: { scope: 'col', title: key } }, [
          createElement('span', { className: 'col-label', text: label }),
          createElement('span', { className: 'visually-hidden', text: ` (${key})` }),
        ]),
      );
    }

    // One <tbody> per source namespace, opened by a header row naming it: the grouping is visible and is
    // announced as a row group, and rows stay one line high however long the namespace name is.
    const bodies: HTMLElement[] = [];
    let rowIndex = 0;
    for (const group of layout.rowGroups) {
      const body = createElement('tbody', { className: 'row-group' }, [
        createElement('tr', { className: 'group-row' }, [
          createElement('th', { className: 'ns-head row-group-head', text: group.name, attrs: { scope: 'rowgroup', colspan: layout.columns.length + 1, title: `namespace ${group.name}` } }),
        ]),
      ]);
      for (const rowKey of group.keys) {
        const tr = createElement('tr');
        tr.appendChild(createElement('th', { className: 'row-head', attrs: { scope: 'row', title: rowKey } }, [splitEndpointKey(rowKey).label]));
        layout.columns.forEach((columnKey, columnIndex) => {
          const cell = layout.findCell(rowKey, columnKey);
          const td = createElement('td', { className: groupStarts.has(columnKey) ? 'group-start' : '' });
          if (cell === undefined) {
            td.appendChild(createElement('span', { className: 'cell cell-empty', text: '', attrs: { title: 'not computed' } }));
          } else {
            const key = pairKey(rowKey, columnKey);
            const isFocus = rowIndex === this.#focus.row && columnIndex === this.#focus.column;
            const button = createElement('button', {
              className: 'cell',
              attrs: { type: 'button', tabindex: isFocus ? 0 : -1, 'data-row': rowIndex, 'data-col': columnIndex },
            });
            this.#buttons.set(key, button);
            this.#cells.set(key, cell);
            this.#paint(button, cell);
            td.appendChild(button);
          }
          tr.appendChild(td);
        });
        body.appendChild(tr);
        rowIndex += 1;
      }
      bodies.push(body);
    }
    replaceChildren(this.#table, [createElement('caption', { className: 'visually-hidden', text: caption }), createElement('thead', {}, [groupRow, columnRow]), ...bodies]);
    this.#ensureOneTabStop();
    if (hadFocus) this.#buttonAt(this.#focus.row, this.#focus.column)?.focus();
  }

  /** Repaints one cell after a live probe result, without rebuilding the table. */
  updateCell(cell: MatrixCell): boolean {
    const key = pairKey(cell.from, cell.to);
    const button = this.#buttons.get(key);
    if (button === undefined) return false;
    this.#cells.set(key, cell);
    this.#paint(button, cell);
    return true;
  }

  findCell(from: string, to: string): MatrixCell | undefined {
    return this.#cells.get(pairKey(from, to));
  }

  markSelected(cell: MatrixCell | undefined): void {
    if (this.#selected !== undefined) this.#buttons.get(this.#selected)?.removeAttribute('aria-current');
    this.#selected = cell === undefined ? undefined : pairKey(cell.from, cell.to);
    if (this.#selected !== undefined) this.#buttons.get(this.#selected)?.setAttribute('aria-current', 'true');
  }

  focusSelected(): void {
    if (this.#selected !== undefined) this.#buttons.get(this.#selected)?.focus();
  }

  dispose(): void {
    this.#store.dispose();
  }

  #paint(button: HTMLButtonElement, cell: MatrixCell): void {
    const display = describeCell(cell, this.#mode);
    button.textContent = display.symbol;
    button.dataset['tone'] = display.tone;
    button.classList.toggle('is-loopback', cell.isLoopback);
    button.classList.toggle('has-mismatch', this.#mode !== 'mismatch' && cell.mismatch !== 'none');
    button.setAttribute('aria-label', labelCell(cell, this.#mode));
    button.title = labelCell(cell, this.#mode);
  }

  #buttonAt(row: number, column: number): HTMLButtonElement | null {
    return this.#table.querySelector<HTMLButtonElement>(`button.cell[data-row="${row}"][data-col="${column}"]`);
  }

  #ensureOneTabStop(): void {
    if (this.#buttonAt(this.#focus.row, this.#focus.column) !== null) return;
    const first = this.#table.querySelector<HTMLButtonElement>('button.cell');
    if (first === null) return;
    first.tabIndex = 0;
    this.#focus = { row: Number(first.dataset['row'] ?? 0), column: Number(first.dataset['col'] ?? 0) };
  }

  #handleKey(event: KeyboardEvent): void {
    const layout = this.#layout;
    const target = event.target instanceof HTMLButtonElement && event.target.classList.contains('cell') ? event.target : null;
    if (layout === undefined || target === null) return;
    const current = { row: Number(target.dataset['row'] ?? 0), column: Number(target.dataset['col'] ?? 0) };
    const next = moveFocus(current, event.key, { rows: layout.rows.length, columns: layout.columns.length });
    if (next === undefined) return;
    event.preventDefault();
    const button = this.#buttonAt(next.row, next.column);
    if (button === null) return;
    target.tabIndex = -1;
    button.tabIndex = 0;
    this.#focus = next;
    button.focus();
  }

  #activate(button: HTMLButtonElement): void {
    const row = Number(button.dataset['row'] ?? 0);
    const column = Number(button.dataset['col'] ?? 0);
    const layout = this.#layout;
    if (layout === undefined) return;
    const rowKey = layout.rows[row];
    const columnKey = layout.columns[column];
    if (rowKey === undefined || columnKey === undefined) return;
    const cell = this.#cells.get(pairKey(rowKey, columnKey));
    if (cell === undefined) return;
    for (const other of this.#table.querySelectorAll<HTMLButtonElement>('button.cell[tabindex="0"]')) other.tabIndex = -1;
    button.tabIndex = 0;
    this.#focus = { row, column };
    this.#onSelect.fire(cell);
  }
}
