// Arranges a matrix answer for display: rows and columns grouped by namespace (external endpoints in their
// own group), short labels under each group header, and a lookup from (row, column) to the cell.
import type { MatrixView } from '../../../server/api/protocol/index.ts';

export type MatrixCell = MatrixView['cells'][number];

export interface EndpointGroup {
  /** The namespace, or `external` for endpoints outside the cluster. */
  readonly name: string;
  readonly keys: readonly string[];
}

export interface MatrixLayout {
  readonly rowGroups: readonly EndpointGroup[];
  readonly columnGroups: readonly EndpointGroup[];
  readonly rows: readonly string[];
  readonly columns: readonly string[];
  readonly cellCount: number;
  findCell(row: string, column: string): MatrixCell | undefined;
}

/** `storefront/web-0` → group `storefront`, label `web-0`; `external/payments` → `external`, `payments`. */
export function splitEndpointKey(key: string): { readonly group: string; readonly label: string } {
  const parts = key.split('/');
  if (parts.length >= 3 && parts[0] === 'svc') return { group: parts[1] ?? '', label: `svc ${parts.slice(2).join('/')}` };
  const slash = key.indexOf('/');
  if (slash < 0) return { group: '', label: key };
  return { group: key.slice(0, slash), label: key.slice(slash + 1) };
}

const collator = new Intl.Collator('en', { numeric: true });

/** Namespaces alphabetically with `external` last; endpoints in natural order (web-2 before web-10). */
export function groupEndpoints(keys: readonly string[]): EndpointGroup[] {
  const byGroup = new Map<string, string[]>();
  for (const key of keys) {
    const { group } = splitEndpointKey(key);
    const list = byGroup.get(group);
    if (list === undefined) byGroup.set(group, [key]);
    else list.push(key);
  }
  const names = [...byGroup.keys()].sort((a, b) => {
    if (a === 'external' && b !== 'external') return 1;
    if (b === 'external' && a !== 'external') return -1;
    return collator.compare(a, b);
  });
  return names.map((name) => ({ name, keys: [...(byGroup.get(name) ?? [])].sort((a, b) => collator.compare(a, b)) }));
}

const pairKey = (from: string, to: string): string => `${from}\u0000${to}`;

export function layoutMatrix(view: Pick<MatrixView, 'rows' | 'columns' | 'cells'>): MatrixLayout {
  const rowGroups = groupEndpoints(view.rows);
  const columnGroups = groupEndpoints(view.columns);
  const cells = new Map<string, MatrixCell>();
  for (const cell of view.cells) {
    // One port is asked for at a time; should the server send several, the first one per pair is shown.
    const key = pairKey(cell.from, cell.to);
    if (!cells.has(key)) cells.set(key, cell);
  }
  return {
    rowGroups,
    columnGroups,
    rows: rowGroups.flatMap((g) => g.keys),
    columns: columnGroups.flatMap((g) => g.keys),
    cellCount: cells.size,
    findCell: (row, column) => cells.get(pairKey(row, column)),
  };
}

/** Moves keyboard focus within the grid: arrows by one, Home/End to the row's ends, PageUp/PageDown by a group. */
export function moveFocus(
  position: { readonly row: number; readonly column: number },
  key: string,
  size: { readonly rows: number; readonly columns: number },
): { readonly row: number; readonly column: number } | undefined {
  const clampRow = (row: number): number => Math.min(Math.max(row, 0), size.rows - 1);
  const clampColumn = (column: number): number => Math.min(Math.max(column, 0), size.columns - 1);
  switch (key) {
    case 'ArrowUp':
      return { row: clampRow(position.row - 1), column: position.column };
    case 'ArrowDown':
      return { row: clampRow(position.row + 1), column: position.column };
    case 'ArrowLeft':
      return { row: position.row, column: clampColumn(position.column - 1) };
    case 'ArrowRight':
      return { row: position.row, column: clampColumn(position.column + 1) };
    case 'Home':
      return { row: position.row, column: 0 };
    case 'End':
      return { row: position.row, column: size.columns - 1 };
    case 'PageUp':
      return { row: clampRow(position.row - 10), column: position.column };
    case 'PageDown':
      return { row: clampRow(position.row + 10), column: position.column };
    default:
      return undefined;
  }
}
