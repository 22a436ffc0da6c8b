// Plain aligned tables, kubectl style: upper-case headers, columns three spaces apart, colour-aware widths.
import { measureVisibleWidth } from './colour.ts';

export interface TableSpec {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Gap between columns; kubectl uses 3. */
  readonly gap?: number;
}

export function renderTable(spec: TableSpec): string {
  const gap = ' '.repeat(spec.gap ?? 3);
  const all = [spec.headers, ...spec.rows];
  const widths = spec.headers.map((_, column) => Math.max(...all.map((row) => measureVisibleWidth(row[column] ?? ''))));
  const lines = all.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell + ' '.repeat((widths[column] ?? 0) - measureVisibleWidth(cell))))
      .join(gap)
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}
