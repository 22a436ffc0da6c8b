// Drift across CNIs: the same policy set run on sandboxes with different CNIs, flow by flow. A flow drifts
// when the observed outcomes differ; each CNI's side keeps the engine's reason (which cites the documented
// profile difference) and the probe's detail, which together say why.
import type { RunView } from '../../../server/api/protocol/index.ts';

type RunResult = RunView['results'][number];
type RunSummary = Omit<RunView, 'results'>;

export interface DriftSide {
  readonly cni: string;
  readonly runId: string;
  readonly predicted: RunResult['predicted'];
  readonly observed: RunResult['observed'];
  readonly expected: RunResult['expected'];
  readonly reason: string;
  readonly detail: string | undefined;
}

export interface DriftRow {
  /** `from → to port/protocol`. */
  readonly flow: string;
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly protocol: string;
  /** The observations differ between CNIs. */
  readonly isDrift: boolean;
  /** The engine's predictions differ too: the difference is a documented profile behaviour, not a surprise. */
  readonly isPredicted: boolean;
  /** One entry per compared run, in the order the runs were given; absent where that run lacks the flow. */
  readonly sides: readonly (DriftSide | undefined)[];
}

export interface ComparableGroup {
  readonly policyDigest: string;
  readonly kind: RunSummary['kind'];
  /** The latest finished run per CNI, CNIs sorted by name. */
  readonly runs: readonly RunSummary[];
}

const isFinished = (run: RunSummary): boolean => run.status !== 'running' && run.status !== 'cancelled';

/**
 * Runs are comparable when they ran the same policy set (same digest) the same way (same kind) on different
 * CNIs. Only groups with at least two CNIs are returned; the one with the most CNIs, then the newest, first.
 */
export function findComparableGroups(runs: readonly RunSummary[]): ComparableGroup[] {
  const groups = new Map<string, Map<string, RunSummary>>();
  for (const run of runs) {
    if (!isFinished(run)) continue;
    const key = `${run.policyDigest}\u0000${run.kind}`;
    const byCni = groups.get(key) ?? new Map<string, RunSummary>();
    groups.set(key, byCni);
    const current = byCni.get(run.cni);
    if (current === undefined || current.startedAt < run.startedAt) byCni.set(run.cni, run);
  }
  const result: ComparableGroup[] = [];
  for (const byCni of groups.values()) {
    if (byCni.size < 2) continue;
    const selected = [...byCni.values()].sort((a, b) => a.cni.localeCompare(b.cni));
    const first = selected[0];
    if (first === undefined) continue;
    result.push({ policyDigest: first.policyDigest, kind: first.kind, runs: selected });
  }
  const newest = (group: ComparableGroup): string => group.runs.reduce((max, run) => (run.startedAt > max ? run.startedAt : max), '');
  return result.sort((a, b) => b.runs.length - a.runs.length || (newest(a) < newest(b) ? 1 : -1));
}

const flowKey = (r: Pick<RunResult, 'from' | 'to' | 'port' | 'protocol'>): string => `${r.from} → ${r.to} ${r.port}/${r.protocol}`;

/** Every flow of the given runs; drifting flows first, then alphabetical. */
export function compareRuns(runs: readonly RunView[]): DriftRow[] {
  const flows = new Map<string, { from: string; to: string; port: number; protocol: string; sides: (DriftSide | undefined)[] }>();
  runs.forEach((run, index) => {
    for (const result of run.results) {
      const key = flowKey(result);
      let entry = flows.get(key);
      if (entry === undefined) {
        entry = { from: result.from, to: result.to, port: result.port, protocol: result.protocol, sides: runs.map(() => undefined) };
        flows.set(key, entry);
      }
      entry.sides[index] = {
        cni: run.cni,
        runId: run.id,
        predicted: result.predicted,
        observed: result.observed,
        expected: result.expected,
        reason: result.reason,
        detail: result.detail,
      };
    }
  });
  const rows: DriftRow[] = [];
  for (const [flow, entry] of flows) {
    const present = entry.sides.filter((side): side is DriftSide => side !== undefined);
    const isDrift = new Set(present.map((side) => side.observed)).size > 1;
    const isPredicted = new Set(present.map((side) => side.predicted)).size > 1;
    rows.push({ flow, from: entry.from, to: entry.to, port: entry.port, protocol: entry.protocol, isDrift, isPredicted, sides: entry.sides });
  }
  return rows.sort((a, b) => Number(b.isDrift) - Number(a.isDrift) || a.flow.localeCompare(b.flow));
}
