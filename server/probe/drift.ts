// The "worked in staging, failed in production" report: the same manifests run under several CNI profiles, and
// every flow whose observed outcome differs between them, each with the documented CNI difference (and its
// source) that explains it, or flagged as undocumented when none does.
import type { EndpointKey, Protocol } from '../policy/index.ts';
import type { ProbeOutcome } from '../sandbox/contract.ts';
import { referenceProfileName } from '../policy/index.ts';
import { findPlannedProbe, predictUnder } from './classify.ts';
import type { CompletedRun, Reachability, RunKind } from './run-types.ts';

export interface DriftOutcome {
  readonly cni: string;
  readonly sandboxId: string;
  readonly runId: string;
  readonly observed: ProbeOutcome;
  readonly predicted: Reachability;
  readonly expected?: Reachability;
}

export interface DriftReason {
  readonly cni: string;
  /** `profile`: a documented difference of the CNI profile (cited); `scenario`: the scenario author's override reason. */
  readonly kind: 'profile' | 'scenario';
  /** The profile's difference id (`ipblock-ignores-pod-ips`), for `profile` reasons. */
  readonly difference?: string;
  readonly summary: string;
  readonly source?: string;
}

export interface DriftFlow {
  readonly kind: RunKind;
  readonly expectationId?: string;
  readonly from: EndpointKey;
  readonly to: EndpointKey;
  readonly port: number;
  readonly portName?: string;
  readonly protocol: Protocol;
  /** One per CNI that observed the flow, in the order the runs were given. */
  readonly outcomes: readonly DriftOutcome[];
  readonly reasons: readonly DriftReason[];
  /**
   * Every CNI whose outcome departs from the API reference documents why (a cited profile difference). False:
   * something differs that no profile explains, a finding in itself.
   */
  readonly isDocumented: boolean;
}

export interface DriftReport {
  readonly cnis: readonly string[];
  /** Flows observed under at least two CNIs with a definite outcome. */
  readonly compared: number;
  readonly flows: readonly DriftFlow[];
  readonly undocumented: number;
}

/** Reached the destination or not: `refused` reached it (nothing listened), `error` and `unsupported` say nothing. */
function toReachability(observed: ProbeOutcome): Reachability | undefined {
  if (observed === 'allowed' || observed === 'refused') return 'allowed';
  if (observed === 'denied') return 'denied';
  return undefined;
}

interface Observation {
  readonly outcome: DriftOutcome;
  /** What the Kubernetes API reference predicts for this flow, the baseline a CNI's documented difference is relative to. */
  readonly referenceOutcome: Reachability | undefined;
  readonly reasons: readonly DriftReason[];
  readonly flow: Omit<DriftFlow, 'outcomes' | 'reasons' | 'isDocumented'>;
}

function formatFlowKey(kind: RunKind, result: { expectationId?: string | undefined; from: string; to: string; port: number; protocol: string }): string {
  return `${kind}|${result.expectationId ?? ''}|${result.from}|${result.to}|${result.port}/${result.protocol}`;
}

/**
 * Flows whose outcome differs between CNIs. Runs are compared per kind (expectations with expectations, matrix with
 * matrix); a flow is compared only among the CNIs that gave it a definite outcome.
 */
export function compareProfiles(runs: readonly CompletedRun[]): DriftReport {
  const cnis = [...new Set(runs.map((run) => run.view.cni))];
  const observations = new Map<string, Observation[]>();
  for (const run of runs) {
    for (const result of run.view.results) {
      if (toReachability(result.observed) === undefined) continue;
      const probe = findPlannedProbe(run.plan, result.id);
      const reasons: DriftReason[] = [];
      for (const note of probe?.profileNotes ?? []) {
        reasons.push({ cni: run.view.cni, kind: 'profile', difference: note.difference, summary: note.note, source: note.source });
      }
      if (probe?.override !== undefined) reasons.push({ cni: run.view.cni, kind: 'scenario', summary: probe.override.reason });
      const key = formatFlowKey(run.view.kind, result);
      const list = observations.get(key) ?? [];
      const reference = probe === undefined ? undefined : predictUnder(run.plan, probe, referenceProfileName);
      list.push({
        referenceOutcome: reference === undefined ? undefined : reference.isAllowed ? 'allowed' : 'denied',
        outcome: {
          cni: run.view.cni,
          sandboxId: run.view.sandboxId,
          runId: run.view.id,
          observed: result.observed,
          predicted: result.predicted,
          ...(result.expected === undefined ? {} : { expected: result.expected }),
        },
        reasons,
        flow: {
          kind: run.view.kind,
          ...(result.expectationId === undefined ? {} : { expectationId: result.expectationId }),
          from: result.from,
          to: result.to,
          port: result.port,
          ...(result.portName === undefined ? {} : { portName: result.portName }),
          protocol: result.protocol,
        },
      });
      observations.set(key, list);
    }
  }
  let compared = 0;
  const flows: DriftFlow[] = [];
  for (const list of observations.values()) {
    const distinctCnis = new Set(list.map((item) => item.outcome.cni));
    if (distinctCnis.size < 2) continue;
    compared += 1;
    const outcomes = new Set(list.map((item) => toReachability(item.outcome.observed)));
    if (outcomes.size < 2) continue;
    const first = list[0];
    if (first === undefined) continue;
    // A CNI's documented difference explains the drift only where that CNI departs from the API reference.
    const departing = list.filter((item) => item.referenceOutcome === undefined || toReachability(item.outcome.observed) !== item.referenceOutcome);
    const seen = new Set<string>();
    const reasons = departing
      .flatMap((item) => item.reasons)
      .filter((reason) => {
        const id = `${reason.cni}|${reason.kind}|${reason.difference ?? reason.summary}`;
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
    const isDocumented = departing.length > 0 && departing.every((item) => item.reasons.some((reason) => reason.kind === 'profile'));
    flows.push({ ...first.flow, outcomes: list.map((item) => item.outcome), reasons, isDocumented });
  }
  return { cnis, compared, flows, undocumented: flows.filter((flow) => !flow.isDocumented).length };
}
