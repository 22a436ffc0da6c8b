// Runs every bench/*.bench.ts module and prints one table: our figure beside the anchor's way of doing the same
// work, both measured in this run, and their ratio. `npm run bench` (all) or `node bench/run.ts matrix` (a subset).

import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** One line of the table. A side that cannot run here says `skipped: <reason>` instead of a number. */
export interface BenchRow {
  readonly figure: string;
  readonly ours: number | string;
  readonly anchor: number | string;
  readonly unit: string;
  /** anchor / ours: above 1 means we are faster (or smaller). Absent when a side was skipped. */
  readonly ratio?: number;
  readonly note: string;
}

/** What every `*.bench.ts` module exports. Modules import BenchRow with `import type` only (this file imports them). */
export interface BenchModule {
  run(): Promise<BenchRow[]>;
}

function isBenchRow(value: unknown): value is BenchRow {
  if (typeof value !== 'object' || value === null) return false;
  const row: Record<string, unknown> = { ...value };
  const isFigure = (v: unknown): boolean => typeof v === 'number' || typeof v === 'string';
  return (
    typeof row['figure'] === 'string' &&
    isFigure(row['ours']) &&
    isFigure(row['anchor']) &&
    typeof row['unit'] === 'string' &&
    typeof row['note'] === 'string' &&
    (row['ratio'] === undefined || typeof row['ratio'] === 'number')
  );
}

async function runModule(file: string): Promise<BenchRow[]> {
  const loaded: unknown = await import(pathToFileURL(file).href);
  if (typeof loaded !== 'object' || loaded === null || !('run' in loaded) || typeof loaded.run !== 'function') {
    return [{ figure: file, ours: 'failed: module exports no run()', anchor: '-', unit: '', note: 'export async function run(): Promise<BenchRow[]>' }];
  }
  const rows: unknown = await loaded.run();
  if (!Array.isArray(rows) || !rows.every(isBenchRow)) {
    return [{ figure: file, ours: 'failed: run() did not return BenchRow[]', anchor: '-', unit: '', note: '' }];
  }
  return rows;
}

function formatFigure(value: number | string, unit: string): string {
  if (typeof value === 'string') return value;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${unit}`;
}

function printTable(rows: readonly BenchRow[]): void {
  const header = ['figure', 'ours', 'anchor (same run)', 'ratio', 'note'];
  const body = rows.map((r) => [r.figure, formatFigure(r.ours, r.unit), formatFigure(r.anchor, r.unit), r.ratio === undefined ? '-' : `${r.ratio.toFixed(1)}x`, r.note]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((line) => (line[i] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const cells of body) console.log(line(cells));
}

async function main(filters: readonly string[]): Promise<number> {
  const here = dirname(fileURLToPath(import.meta.url));
  const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts')).sort();
  const selected = filters.length === 0 ? files : files.filter((f) => filters.some((filter) => f.includes(filter)));
  const rows: BenchRow[] = [];
  let failed = false;
  for (const file of selected) {
    try {
      rows.push(...(await runModule(join(here, file))));
    } catch (error) {
      failed = true;
      rows.push({ figure: file, ours: `failed: ${error instanceof Error ? error.message : String(error)}`, anchor: '-', unit: '', note: '' });
    }
  }
  printTable(rows);
  return failed || rows.some((r) => typeof r.ours === 'string' && r.ours.startsWith('failed')) ? 1 : 0;
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
