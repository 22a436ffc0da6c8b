// The full-matrix probe run: the engine's matrix (every source to every declared target port) becomes one probe per
// cell, each probe runs through a SandboxHandle, and each observation is joined with its prediction. Knows the
// sandbox contract, never a concrete provider.
import { computeMatrix, listMatrixCells, summarizeDecision } from '../policy/index.ts';
import type { Cluster, EndpointKey, EndpointRef, MatrixOptions, Protocol } from '../policy/index.ts';
import type { DropAttribution, ProbeOutcome, ProbeRequest, ProbeResult, SandboxHandle } from '../sandbox/contract.ts';

/** Upstream netpol e2e probes with `agnhost connect --timeout=1s`; denials here come back at once as ICMP errors. */
export const defaultProbeTimeoutMs = 1000;

export interface MatrixProbePlanOptions extends MatrixOptions {
  readonly timeoutMs?: number;
}

export type Prediction = 'allowed' | 'denied';

export interface PlannedProbe {
  readonly request: ProbeRequest;
  readonly from: EndpointKey;
  readonly to: EndpointKey;
  readonly port: number;
  readonly portName?: string;
  readonly protocol: Protocol;
  readonly predicted: Prediction;
  /** The engine's one-line reason: deciding policies and rules. */
  readonly reason: string;
}

export interface SkippedFlow {
  readonly from: EndpointKey;
  readonly to: EndpointKey;
  readonly port: number;
  readonly protocol: Protocol;
  readonly why: string;
}

export interface ProbePlan {
  readonly profile: string;
  readonly probes: readonly PlannedProbe[];
  readonly skipped: readonly SkippedFlow[];
}

/**
 * One probe per matrix cell. Pod-to-itself cells are skipped: loopback never crosses the router, and upstream
 * ignores it because CNIs differ (kubernetes#95879). Cells the engine cannot evaluate are skipped with its reason.
 */
export function planMatrixProbes(cluster: Cluster, options: MatrixProbePlanOptions = {}): ProbePlan {
  const { timeoutMs = defaultProbeTimeoutMs, ...matrixOptions } = options;
  const matrix = computeMatrix(cluster, matrixOptions);
  const refs = new Map<EndpointKey, EndpointRef>([...matrix.sources, ...matrix.targets].map((endpoint) => [endpoint.key, endpoint.ref]));
  const probes: PlannedProbe[] = [];
  const skipped: SkippedFlow[] = [];
  for (const cell of listMatrixCells(matrix)) {
    const flow = { from: cell.from, to: cell.to, port: cell.port, protocol: cell.protocol };
    if (cell.isLoopback) {
      skipped.push({ ...flow, why: 'a pod to itself never crosses the router (loopback); upstream ignores these pairs' });
      continue;
    }
    if (cell.deciding.error !== undefined) {
      skipped.push({ ...flow, why: `not evaluated: ${cell.deciding.error.message}` });
      continue;
    }
    const from = refs.get(cell.from);
    const to = refs.get(cell.to);
    if (from === undefined || to === undefined) continue;
    probes.push({
      request: { id: `p${probes.length}`, from, to, port: cell.port, protocol: cell.protocol, timeoutMs },
      ...flow,
      ...(cell.portName === undefined ? {} : { portName: cell.portName }),
      predicted: cell.isAllowed ? 'allowed' : 'denied',
      reason: summarizeDecision(cell.deciding).text,
    });
  }
  return { profile: matrix.profile, probes, skipped };
}

export interface ProbeComparison {
  readonly from: EndpointKey;
  readonly to: EndpointKey;
  readonly port: number;
  readonly portName?: string;
  readonly protocol: Protocol;
  readonly predicted: Prediction;
  readonly observed: ProbeOutcome;
  readonly latencyMs: number;
  readonly reason: string;
  /** Observed equals predicted. `unsupported`, `refused` and `error` never match: they prove nothing. */
  readonly match: boolean;
  readonly detail?: string;
  readonly attribution?: DropAttribution;
}

export function compareProbe(planned: PlannedProbe, result: ProbeResult): ProbeComparison {
  return {
    from: planned.from,
    to: planned.to,
    port: planned.port,
    ...(planned.portName === undefined ? {} : { portName: planned.portName }),
    protocol: planned.protocol,
    predicted: planned.predicted,
    observed: result.outcome,
    latencyMs: result.latencyMs,
    reason: planned.reason,
    match: result.outcome === planned.predicted,
    ...(result.detail === undefined ? {} : { detail: result.detail }),
    ...(result.attribution === undefined ? {} : { attribution: result.attribution }),
  };
}

export interface ProbeRunSummary {
  readonly profile: string;
  readonly probes: number;
  readonly matched: number;
  readonly mismatched: number;
  readonly observed: Readonly<Record<ProbeOutcome, number>>;
  readonly skipped: number;
  readonly durationMs: number;
}

export function summarizeComparisons(options: { readonly profile: string; readonly results: readonly ProbeComparison[]; readonly skipped: number; readonly durationMs: number }): ProbeRunSummary {
  const observed: Record<ProbeOutcome, number> = { allowed: 0, denied: 0, refused: 0, unsupported: 0, error: 0 };
  let matched = 0;
  for (const result of options.results) {
    observed[result.observed] += 1;
    if (result.match) matched += 1;
  }
  return {
    profile: options.profile,
    probes: options.results.length,
    matched,
    mismatched: options.results.length - matched,
    observed,
    skipped: options.skipped,
    durationMs: Math.round(options.durationMs),
  };
}

export interface RunMatrixProbesOptions {
  readonly signal?: AbortSignal;
  readonly concurrency?: number;
  /** Called as each result arrives (live output). */
  readonly onResult?: (comparison: ProbeComparison) => void;
}

/** Runs a plan through a sandbox; results come back in plan order, whatever order they completed in. */
export async function runMatrixProbes(
  handle: SandboxHandle,
  plan: ProbePlan,
  options: RunMatrixProbesOptions = {},
): Promise<{ readonly results: readonly ProbeComparison[]; readonly summary: ProbeRunSummary }> {
  const started = performance.now();
  const byId = new Map(plan.probes.map((probe, index) => [probe.request.id, { probe, index }]));
  const results: (ProbeComparison | undefined)[] = new Array<ProbeComparison | undefined>(plan.probes.length);
  const probeOptions = {
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  };
  for await (const result of handle.probe(
    plan.probes.map((probe) => probe.request),
    probeOptions,
  )) {
    const entry = byId.get(result.id);
    if (entry === undefined) continue;
    const comparison = compareProbe(entry.probe, result);
    results[entry.index] = comparison;
    options.onResult?.(comparison);
  }
  const done = results.filter((result): result is ProbeComparison => result !== undefined);
  return {
    results: done,
    summary: summarizeComparisons({ profile: plan.profile, results: done, skipped: plan.skipped.length, durationMs: performance.now() - started }),
  };
}
