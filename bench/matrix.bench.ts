// The reachability matrix at 1,000 pods × 200 policies: computeMatrix (grouped by equivalence class) against the
// straightforward anchor, one evaluator.evaluate per cell, on the same seeded cluster.

import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { createEvaluator } from '../server/policy/evaluate.ts';
import { computeMatrix, getMatrixCell } from '../server/policy/matrix.ts';
import type { MatrixCell, MatrixResult } from '../server/policy/matrix.ts';
import type { Cluster, EndpointRef, FlowResult } from '../server/policy/model.ts';
import { createRng, makeRealisticCluster, makeUpstreamModel, makePolicy, podPeer, rule, sel } from '../test/helpers/builders.ts';
// Type-only: run.ts imports this module while it is still running, so a value import would deadlock.
import type { BenchRow } from './run.ts';

const sampleSize = 30_000;

function ratioOf(ours: number, anchor: number): number | undefined {
  return ours > 0 ? anchor / ours : undefined;
}

// A heap figure means little without a collection first; expose gc for this process only.
setFlagsFromString('--expose-gc');
const gcCandidate: unknown = runInNewContext('gc');

function collectGarbage(): boolean {
  if (typeof gcCandidate !== 'function') return false;
  gcCandidate();
  return true;
}

function heapUsedBytes(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

function refOf(key: string, kind: 'pod' | 'external'): EndpointRef {
  if (kind === 'external') return { kind: 'external', name: key.slice('external/'.length) };
  const [namespace = '', name = ''] = key.split('/');
  return { kind: 'pod', namespace, name };
}

function timeMs<T>(work: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = work();
  return { value, ms: performance.now() - start };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Every cell of the matrix, in row-major order, as (row, column) pairs. */
function listCellPositions(matrix: MatrixResult): [number, number][] {
  const positions: [number, number][] = [];
  const columns = matrix.columns.length;
  matrix.cellDecisions.forEach((decision, i) => {
    if (decision >= 0) positions.push([Math.floor(i / columns), i % columns]);
  });
  return positions;
}

function evaluateCell(evaluator: ReturnType<typeof createEvaluator>, matrix: MatrixResult, cell: MatrixCell): FlowResult {
  const source = matrix.sources[cell.row];
  const target = matrix.targets[matrix.columns[cell.column]?.target ?? -1];
  return evaluator.evaluate({
    from: refOf(cell.from, source?.ref.kind ?? 'pod'),
    to: refOf(cell.to, target?.ref.kind ?? 'pod'),
    port: cell.port,
    protocol: cell.protocol,
  });
}

function benchLarge(cluster: Cluster): BenchRow[] {
  // Warm both code paths on a small cluster so neither side pays for the JIT alone.
  const warm = makeRealisticCluster({ seed: 7, namespaces: 5, pods: 60, policies: 20 });
  computeMatrix(warm);
  const warmEvaluator = createEvaluator(warm);
  for (const pod of warm.pods) warmEvaluator.evaluate({ from: refOf(`${pod.namespace}/${pod.name}`, 'pod'), to: refOf(`${pod.namespace}/${pod.name}`, 'pod'), port: 80, protocol: 'TCP' });

  const before = heapUsedBytes();
  const runs: number[] = [];
  let matrix: MatrixResult | undefined;
  for (let i = 0; i < 3; i++) {
    const timed = timeMs(() => computeMatrix(cluster));
    runs.push(timed.ms);
    matrix = timed.value;
  }
  if (matrix === undefined) return [];
  const retainedBytes = heapUsedBytes() - before;
  const oursMs = median(runs);

  // The anchor: one evaluateFlow per cell with an evaluator built once (re-indexing per call would be slower still).
  const positions = listCellPositions(matrix);
  const rng = createRng(99);
  const origin: [number, number] = [0, 0];
  const sample = Array.from({ length: Math.min(sampleSize, positions.length) }, () => positions[rng.int(positions.length)] ?? origin);
  const sampledCells = sample.map(([row, column]) => getMatrixCell(matrix, row, column)).filter((c): c is MatrixCell => c !== undefined);
  const evaluator = createEvaluator(cluster);
  let disagreements = 0;
  const anchorRun = timeMs(() => {
    for (const cell of sampledCells) {
      const result = evaluateCell(evaluator, matrix, cell);
      if (!result.ok || result.verdict.isAllowed !== cell.isAllowed) disagreements++;
    }
  });
  const anchorMs = (anchorRun.ms / sampledCells.length) * positions.length;

  // Memory of the anchor's output, measured apart from its timing: keep a slice of full verdicts and scale.
  const memorySlice = sampledCells.slice(0, 5000);
  const beforeVerdicts = heapUsedBytes();
  const kept = memorySlice.map((cell) => evaluateCell(evaluator, matrix, cell));
  const verdictBytes = (heapUsedBytes() - beforeVerdicts) / Math.max(kept.length, 1);
  const anchorBytes = verdictBytes * positions.length;
  const hasGc = typeof gcCandidate === 'function';
  const size = `${cluster.pods.length} pods × ${cluster.policies.length} policies, ${positions.length.toLocaleString('en')} cells`;
  return [
    {
      figure: `matrix time (${size})`,
      ours: oursMs,
      anchor: anchorMs,
      unit: 'ms',
      ...(ratioOf(oursMs, anchorMs) === undefined ? {} : { ratio: ratioOf(oursMs, anchorMs) }),
      note: `ours: median of 3 runs, ${matrix.stats.directionEvaluations} direction evaluations; anchor: ${sampledCells.length} sampled cells timed, extrapolated to all; disagreements in the sample: ${disagreements}`,
    },
    {
      figure: 'matrix memory (same input)',
      ours: hasGc ? retainedBytes / 1e6 : 'skipped: gc not exposed',
      anchor: hasGc ? anchorBytes / 1e6 : 'skipped: gc not exposed',
      unit: 'MB',
      ...(hasGc && ratioOf(retainedBytes, anchorBytes) !== undefined ? { ratio: ratioOf(retainedBytes, anchorBytes) } : {}),
      note: `heap retained after gc; ours: one MatrixResult; anchor: full verdicts kept for every cell (${kept.length} measured, scaled)`,
    },
  ];
}

function benchUpstream(): BenchRow {
  const cluster = makeUpstreamModel([
    makePolicy('x', 'deny-all'),
    makePolicy('x', 'allow-y', { ingress: [rule([podPeer(undefined, sel({ ns: 'y' }))])] }),
  ]);
  const iterations = 300;
  const ours = timeMs(() => {
    for (let i = 0; i < iterations; i++) computeMatrix(cluster, { port: 80 });
  }).ms / iterations;
  const matrix = computeMatrix(cluster, { port: 80 });
  const anchor = timeMs(() => {
    for (let i = 0; i < iterations; i++) {
      const evaluator = createEvaluator(cluster);
      for (let row = 0; row < matrix.sources.length; row++) {
        for (let column = 0; column < matrix.columns.length; column++) {
          const cell = getMatrixCell(matrix, row, column);
          if (cell !== undefined) evaluateCell(evaluator, matrix, cell);
        }
      }
    }
  }).ms / iterations;
  const ratio = ratioOf(ours, anchor);
  return {
    figure: 'matrix time (upstream e2e model, 9 × 9 on port 80)',
    ours,
    anchor,
    unit: 'ms',
    ...(ratio === undefined ? {} : { ratio }),
    note: `mean of ${iterations} runs each; anchor evaluates all 81 cells with full verdicts`,
  };
}

export async function run(): Promise<BenchRow[]> {
  const cluster = makeRealisticCluster({ seed: 20_240_601, namespaces: 40, pods: 1000, policies: 200 });
  return [...benchLarge(cluster), benchUpstream()];
}
