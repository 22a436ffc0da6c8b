// The connectivity matrix as the upstream e2e suite prints its truth tables: rows are sources, columns targets,
// `.` allowed and `X` denied, one table per port/protocol, then a legend.
import { getMatrixCell } from '../../policy/index.ts';
import type { MatrixResult } from '../../policy/index.ts';
import type { Palette } from './colour.ts';
import { measureVisibleWidth } from './colour.ts';

interface PortGroup {
  readonly label: string;
  readonly port: number;
  readonly protocol: string;
  /** Matrix column indexes, in target order. */
  readonly columns: number[];
}

function groupColumnsByPort(matrix: MatrixResult): PortGroup[] {
  const groups = new Map<string, PortGroup>();
  matrix.columns.forEach((column, index) => {
    const label = `${column.port}/${column.protocol}`;
    let group = groups.get(label);
    if (group === undefined) {
      group = { label, port: column.port, protocol: column.protocol, columns: [] };
      groups.set(label, group);
    }
    group.columns.push(index);
  });
  // Numeric port order, then protocol: 80/TCP, 80/UDP, 81/TCP.
  return [...groups.values()].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - measureVisibleWidth(text)));
}

export interface TruthTableCounts {
  readonly allowed: number;
  readonly denied: number;
  readonly notEvaluated: number;
}

export function renderTruthTables(matrix: MatrixResult, colour: Palette): { readonly text: string; readonly counts: TruthTableCounts } {
  const out: string[] = [];
  let allowed = 0;
  let denied = 0;
  let notEvaluated = 0;
  const rowWidth = Math.max(4, ...matrix.sources.map((s) => s.key.length));
  for (const group of groupColumnsByPort(matrix)) {
    const headers = group.columns.map((c) => matrix.columns[c]?.targetKey ?? '?');
    const widths = headers.map((h) => Math.max(h.length, 1));
    out.push(colour.bold(`${group.label}`) + colour.dim('  (rows: from, columns: to)'));
    out.push([pad('-', rowWidth), ...headers.map((h, i) => pad(h, widths[i] ?? 1))].join('  ').trimEnd());
    matrix.sources.forEach((source, row) => {
      const cells = group.columns.map((c, i) => {
        const cell = getMatrixCell(matrix, row, c);
        let mark: string;
        if (cell === undefined) mark = colour.dim('-');
        else if (cell.deciding.error !== undefined) {
          notEvaluated++;
          mark = colour.yellow('?');
        } else if (cell.isAllowed) {
          allowed++;
          mark = cell.isLoopback ? colour.dim('.') : colour.green('.');
        } else {
          denied++;
          mark = cell.isLoopback ? colour.dim('X') : colour.red('X');
        }
        return pad(mark, widths[i] ?? 1);
      });
      out.push([pad(source.key, rowWidth), ...cells].join('  ').trimEnd());
    });
    out.push('');
  }
  if (matrix.columns.length === 0) out.push('no ports to show: the targets declare no container ports (pass --port)', '');
  return { text: `${out.join('\n')}\n`, counts: { allowed, denied, notEvaluated } };
}

export function renderTruthTableLegend(colour: Palette): string {
  return (
    `${colour.green('.')} allowed   ${colour.red('X')} denied   ${colour.dim('-')} not a flow (outside to outside)   ` +
    `${colour.yellow('?')} not evaluated (see -o json)\n` +
    'A pod to itself (the diagonal) is implementation-defined; CNIs differ (kubernetes#95879).\n'
  );
}
