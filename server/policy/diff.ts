// diffPolicies: what a policy change does to traffic. Both states go through computeMatrix; every flow whose
// verdict flips comes back with the deciding policies before and after.
import { computeMatrix, getMatrixCell, listMatrixCells } from './matrix.ts';
import type { MatrixCell, MatrixOptions, MatrixResult } from './matrix.ts';
import { summarizeDecision } from './explain.ts';
import type { DecisionSummary } from './explain.ts';
import type { Cluster, EndpointKey, Protocol } from './model.ts';

export type DiffOptions = Pick<MatrixOptions, 'port' | 'protocol' | 'profile' | 'includeSystem' | 'includeExternals'>;

export const FlowChangeKinds = { newlyAllowed: 'newly-allowed', newlyDenied: 'newly-denied' } as const;
export type FlowChangeKind = (typeof FlowChangeKinds)[keyof typeof FlowChangeKinds];

export interface FlowChange {
  readonly change: FlowChangeKind;
  readonly from: EndpointKey;
  readonly to: EndpointKey;
  readonly port: number;
  readonly portName?: string;
  readonly protocol: Protocol;
  /** A pod to itself: implementation-defined, CNIs differ (kubernetes#95879). */
  readonly isLoopback: boolean;
  readonly before: DecisionSummary;
  readonly after: DecisionSummary;
}

function cellKey(cell: MatrixCell): string {
  return `${cell.from}\u0000${cell.to}\u0000${cell.port}/${cell.protocol}`;
}

function makeChange(old: MatrixCell, cell: MatrixCell): FlowChange {
  return {
    change: cell.isAllowed ? FlowChangeKinds.newlyAllowed : FlowChangeKinds.newlyDenied,
    from: cell.from,
    to: cell.to,
    port: cell.port,
    ...(cell.portName === undefined ? {} : { portName: cell.portName }),
    protocol: cell.protocol,
    isLoopback: cell.isLoopback,
    before: summarizeDecision(old.deciding),
    after: summarizeDecision(cell.deciding),
  };
}

/** Same rows and columns in the same order: the usual case (one topology, two policy sets). */
function hasSameLayout(a: MatrixResult, b: MatrixResult): boolean {
  if (a.sources.length !== b.sources.length || a.columns.length !== b.columns.length) return false;
  if (a.sources.some((source, i) => source.key !== b.sources[i]?.key)) return false;
  return a.columns.every((column, i) => {
    const other = b.columns[i];
    return other !== undefined && column.targetKey === other.targetKey && column.port === other.port && column.protocol === other.protocol;
  });
}

/** Walk both layouts' cells by index, comparing shared decisions; objects are made only for flows that flip. */
function diffSameLayout(before: MatrixResult, after: MatrixResult): [MatrixCell, MatrixCell][] {
  const flips: [MatrixCell, MatrixCell][] = [];
  const width = after.columns.length;
  for (let i = 0; i < after.cellDecisions.length; i++) {
    const beforeDecision = before.decisions[before.cellDecisions[i] ?? -1];
    const afterDecision = after.decisions[after.cellDecisions[i] ?? -1];
    if (beforeDecision === undefined || afterDecision === undefined || beforeDecision.isAllowed === afterDecision.isAllowed) continue;
    const row = Math.floor(i / width);
    const old = getMatrixCell(before, row, i % width);
    const cell = getMatrixCell(after, row, i % width);
    if (old !== undefined && cell !== undefined) flips.push([old, cell]);
  }
  return flips;
}

function diffByKey(before: MatrixResult, after: MatrixResult): [MatrixCell, MatrixCell][] {
  const beforeCells = new Map<string, MatrixCell>();
  for (const cell of listMatrixCells(before)) beforeCells.set(cellKey(cell), cell);
  const flips: [MatrixCell, MatrixCell][] = [];
  for (const cell of listMatrixCells(after)) {
    const old = beforeCells.get(cellKey(cell));
    if (old !== undefined && old.isAllowed !== cell.isAllowed) flips.push([old, cell]);
  }
  return flips;
}

/**
 * Flows whose verdict differs between `before` and `after`, newly denied first, each group in matrix order.
 * Only flows present in both states are compared (a pod that exists on one side only has no "change"), and a
 * flow the engine cannot evaluate on either side (no address in the family) is left out.
 */
export function diffPolicies(before: Cluster, after: Cluster, options: DiffOptions = {}): FlowChange[] {
  const beforeMatrix = computeMatrix(before, options);
  const afterMatrix = computeMatrix(after, options);
  const flips = hasSameLayout(beforeMatrix, afterMatrix) ? diffSameLayout(beforeMatrix, afterMatrix) : diffByKey(beforeMatrix, afterMatrix);
  const newlyDenied: FlowChange[] = [];
  const newlyAllowed: FlowChange[] = [];
  for (const [old, cell] of flips) {
    if (old.deciding.error !== undefined || cell.deciding.error !== undefined) continue;
    (cell.isAllowed ? newlyAllowed : newlyDenied).push(makeChange(old, cell));
  }
  return [...newlyDenied, ...newlyAllowed];
}

function countFlows(count: number): string {
  return `${count} ${count === 1 ? 'flow' : 'flows'}`;
}

/** `this change newly denies 3 flows and newly allows 1`. */
export function summarizeFlowChanges(changes: readonly FlowChange[]): string {
  const denied = changes.filter((c) => c.change === FlowChangeKinds.newlyDenied).length;
  const allowed = changes.length - denied;
  if (denied === 0 && allowed === 0) return 'this change neither allows nor denies any flow';
  if (allowed === 0) return `this change newly denies ${countFlows(denied)}`;
  if (denied === 0) return `this change newly allows ${countFlows(allowed)}`;
  return `this change newly denies ${countFlows(denied)} and newly allows ${allowed}`;
}
