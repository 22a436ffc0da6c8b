// The connectivity matrix with its three views per cell: intent (the scenario's expectations, where one covers
// the cell), prediction (the engine), observation (the latest probe of that flow under the same policy set),
// and which of them disagree.
import type { MatrixView } from '../api/protocol/schemas.ts';
import { checkExpectations, computeMatrix, listMatrixCells } from '../policy/index.ts';
import type { Cluster, Protocol, Scenario } from '../policy/index.ts';
import type { ProbeOutcome } from '../sandbox/contract.ts';
import { isDriftObservation } from '../probe/judge-result.ts';
import type { MismatchKind, Reachability } from '../probe/run-types.ts';

export interface Observation {
  readonly observed: ProbeOutcome;
  readonly runId: string;
}

/** `from|to|port|protocol`; a named port is keyed by its name as well, since expectations may use either. */
export function formatFlowKey(input: { readonly from: string; readonly to: string; readonly port: number | string; readonly protocol: Protocol }): string {
  return `${input.from}|${input.to}|${input.port}|${input.protocol}`;
}

export interface BuildMatrixViewInput {
  readonly sandboxId: string;
  readonly cluster: Cluster;
  readonly scenario: Scenario | undefined;
  readonly profile: string;
  readonly port?: number | string;
  readonly protocol?: Protocol;
  /** Latest observation per flow key, from runs against the current policy set. */
  readonly observations: ReadonlyMap<string, Observation>;
}

function collectIntent(input: BuildMatrixViewInput): Map<string, Reachability> {
  const intent = new Map<string, Reachability>();
  if (input.scenario === undefined) return intent;
  for (const check of checkExpectations(input.cluster, input.scenario, { profile: input.profile })) {
    for (const pair of check.pairs) {
      intent.set(formatFlowKey(pair), pair.expected ? 'allowed' : 'denied');
    }
  }
  return intent;
}

function computeCellMismatch(intent: Reachability | undefined, prediction: Reachability, observation: ProbeOutcome | undefined): MismatchKind {
  const isPolicy = intent !== undefined && intent !== prediction;
  const isDrift = observation !== undefined && isDriftObservation(prediction, observation);
  if (isPolicy && isDrift) return 'both';
  if (isPolicy) return 'policy';
  return isDrift ? 'drift' : 'none';
}

export function buildMatrixView(input: BuildMatrixViewInput): MatrixView {
  const matrix = computeMatrix(input.cluster, {
    profile: input.profile,
    ...(input.port === undefined ? {} : { port: input.port }),
    ...(input.protocol === undefined ? {} : { protocol: input.protocol }),
  });
  const intent = collectIntent(input);
  const cells: MatrixView['cells'] = [];
  const observedRuns = new Map<string, number>();
  for (const cell of listMatrixCells(matrix)) {
    const key = formatFlowKey(cell);
    const namedKey = cell.portName === undefined ? undefined : formatFlowKey({ ...cell, port: cell.portName });
    const cellIntent = intent.get(key) ?? (namedKey === undefined ? undefined : intent.get(namedKey));
    const observation = input.observations.get(key);
    if (observation !== undefined) observedRuns.set(observation.runId, (observedRuns.get(observation.runId) ?? 0) + 1);
    const prediction: Reachability = cell.isAllowed ? 'allowed' : 'denied';
    cells.push({
      from: cell.from,
      to: cell.to,
      port: cell.port,
      ...(cell.portName === undefined ? {} : { portName: cell.portName }),
      protocol: cell.protocol,
      ...(cellIntent === undefined ? {} : { intent: cellIntent }),
      prediction,
      ...(observation === undefined ? {} : { observation: observation.observed }),
      mismatch: computeCellMismatch(cellIntent, prediction, observation?.observed),
      isLoopback: cell.isLoopback,
    });
  }
  // The run that contributed most observations names the view; others fill cells it did not probe.
  const observedRunId = [...observedRuns.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  return {
    sandboxId: input.sandboxId,
    ...(typeof input.port === 'number' ? { port: input.port } : {}),
    ...(input.protocol === undefined ? {} : { protocol: input.protocol }),
    rows: matrix.sources.map((source) => source.key),
    columns: matrix.targets.map((target) => target.key),
    cells,
    ...(observedRunId === undefined ? {} : { observedRunId }),
  };
}
