// planRun: every probe a run will send, with intent, prediction and explanation, before any packet. Four sources:
// a scenario's expectations, the full matrix, cases generated from the policies, or one ad-hoc flow. Problems of
// the input (no scenario, unknown pod, empty selector) come back as data so nothing boots on a half-valid plan.
import { createEvaluator, generateExpectations, getCniProfile, listCniProfileNames, parseEndpointKey } from '../policy/index.ts';
import type { Cluster, EndpointRef, Expectation, ExpectationSide, Scenario, TargetRef } from '../policy/index.ts';
import { describeVerdict } from './describe-verdict.ts';
import { planExpectationProbes } from './plan-expectation-probes.ts';
import type { ExpectationProbePlan } from './plan-expectation-probes.ts';
import { computePolicyDigest } from './policy-digest.ts';
import { defaultProbeTimeoutMs, planMatrixProbes } from './run-matrix-probes.ts';
import type { PlannedRunProbe, RunPlan, RunPlanProblem, RunRequest } from './run-types.ts';

export interface PlanRunOptions {
  /** The CNI profile to predict with (and whose scenario overrides apply). */
  readonly profile: string;
  /** Per-probe timeout. Default 1000 ms, as upstream's `agnhost connect --timeout=1s`. */
  readonly timeoutMs?: number;
  /** The scenario file, to say where each expectation is written. Default: the file the Scenario was read from. */
  readonly scenarioFile?: string;
  /** Refuse plans larger than this (a probe fan-out limit). Default 20,000. */
  readonly maxProbes?: number;
}

export const defaultMaxProbesPerRun = 20_000;

const emptyPlan: ExpectationProbePlan = { probes: [], expectations: [], skipped: [], problems: [] };

function toSide(ref: TargetRef): ExpectationSide {
  switch (ref.kind) {
    case 'pod':
      return { kind: 'pod', namespace: ref.namespace, name: ref.name };
    case 'service':
      return { kind: 'service', namespace: ref.namespace, name: ref.name };
    case 'external':
      return { kind: 'external', name: ref.name };
  }
}

function planSingleProbe(cluster: Cluster, request: RunRequest, options: { profile: string; timeoutMs: number }): ExpectationProbePlan {
  const probe = request.probe;
  if (probe === undefined) {
    return { ...emptyPlan, problems: [{ code: 'missing-probe', message: 'a probe run needs the flow to probe', fix: 'give probe: {from, to, port, protocol}' }] };
  }
  const from = parseEndpointKey(probe.from);
  const to = parseEndpointKey(probe.to);
  const problems: RunPlanProblem[] = [];
  if (from === undefined || from.kind === 'service') {
    problems.push({ code: 'invalid-endpoint', message: `"${probe.from}" cannot start a flow`, fix: 'use ns/pod or external/name as the source', path: 'probe.from' });
  }
  if (to === undefined) problems.push({ code: 'invalid-endpoint', message: `"${probe.to}" is not an endpoint`, fix: 'use ns/pod, svc/ns/name or external/name', path: 'probe.to' });
  if (from === undefined || from.kind === 'service' || to === undefined) return { ...emptyPlan, problems };
  const expectation: Expectation = {
    id: 'probe',
    from: toSide(from),
    to: toSide(to),
    port: probe.port,
    protocol: probe.protocol,
    allowed: true,
    overrides: [],
    path: 'probe',
  };
  return planExpectationProbes(cluster, [expectation], { profile: options.profile, timeoutMs: options.timeoutMs, hasIntent: false });
}

function planMatrix(cluster: Cluster, request: RunRequest, options: { profile: string; timeoutMs: number }): ExpectationProbePlan {
  const matrixPlan = planMatrixProbes(cluster, {
    profile: options.profile,
    timeoutMs: options.timeoutMs,
    ...(request.port === undefined ? {} : { port: request.port }),
    ...(request.protocol === undefined ? {} : { protocol: request.protocol }),
  });
  const evaluator = createEvaluator(cluster, { profile: options.profile });
  const probes: PlannedRunProbe[] = [];
  const problems: RunPlanProblem[] = [];
  for (const planned of matrixPlan.probes) {
    const to = planned.request.to;
    if (to.kind !== 'pod' && to.kind !== 'external') continue;
    const target: EndpointRef = to;
    const result = evaluator.evaluate({ from: planned.request.from, to: target, port: planned.port, protocol: planned.protocol });
    if (!result.ok) {
      problems.push({ code: result.error.code, message: `${planned.from} -> ${planned.to}: ${result.error.message}`, fix: result.error.fix });
      continue;
    }
    const description = describeVerdict(result.verdict);
    probes.push({
      request: planned.request,
      from: planned.from,
      to: planned.to,
      port: planned.port,
      ...(planned.portName === undefined ? {} : { portName: planned.portName }),
      protocol: planned.protocol,
      predicted: description.predicted,
      reason: description.reason,
      explanation: description.explanation,
      decidedBy: description.decidedBy,
      ...(description.nearestRule === undefined ? {} : { nearestRule: description.nearestRule }),
      profileNotes: description.profileNotes,
    });
  }
  const skipped = matrixPlan.skipped.map((flow) => ({ from: flow.from, to: flow.to, port: flow.port, protocol: flow.protocol, why: flow.why }));
  if (probes.length === 0 && problems.length === 0) {
    problems.push({
      code: 'nothing-to-probe',
      message: 'the matrix is empty: no pod or external endpoint declares a port that matches',
      fix: 'declare containerPorts on the workloads, or pass a port that some target serves',
    });
  }
  return { probes, expectations: [], skipped, problems };
}

function planScenarioExpectations(cluster: Cluster, scenario: Scenario | undefined, options: { profile: string; timeoutMs: number; scenarioFile?: string }): ExpectationProbePlan {
  if (scenario === undefined) {
    return {
      ...emptyPlan,
      problems: [
        {
          code: 'no-scenario',
          message: 'there are no expectations to test: the input has no Scenario document',
          fix: 'pass --scenario NAME|FILE (rehearse scenarios lists them), or run the full matrix (--matrix) or generated cases (--generated)',
        },
      ],
    };
  }
  if (scenario.expectations.length === 0) {
    return { ...emptyPlan, problems: [{ code: 'no-expectations', message: `scenario ${scenario.name} has no expectations`, fix: 'add expectations: (rehearse generate -f ... prints a block to start from)' }] };
  }
  return planExpectationProbes(cluster, scenario.expectations, {
    profile: options.profile,
    timeoutMs: options.timeoutMs,
    brokenExpectations: scenario.brokenExpectations,
    sourceFile: options.scenarioFile ?? scenario.source.file,
  });
}

function planGenerated(cluster: Cluster, options: { profile: string; timeoutMs: number }): ExpectationProbePlan {
  const generated = generateExpectations(cluster);
  if (generated.length === 0) {
    return {
      ...emptyPlan,
      problems: [{ code: 'nothing-generated', message: 'no cases can be generated: no NetworkPolicy selects a pod', fix: 'add NetworkPolicies that select pods of the manifests' }],
    };
  }
  return planExpectationProbes(cluster, generated, { profile: options.profile, timeoutMs: options.timeoutMs });
}

export function planRun(cluster: Cluster, scenario: Scenario | undefined, request: RunRequest, options: PlanRunOptions): RunPlan {
  const timeoutMs = options.timeoutMs ?? defaultProbeTimeoutMs;
  const base = {
    kind: request.kind,
    profile: options.profile,
    policyDigest: computePolicyDigest(cluster),
    cluster,
    ...(scenario === undefined ? {} : { scenarioName: scenario.name }),
  };
  if (getCniProfile(options.profile) === undefined) {
    const problem: RunPlanProblem = { code: 'unknown-profile', message: `unknown CNI profile "${options.profile}"`, fix: `use one of: ${listCniProfileNames().join(', ')}` };
    return { ...base, ...emptyPlan, problems: [problem] };
  }
  const settings = { profile: options.profile, timeoutMs, ...(options.scenarioFile === undefined ? {} : { scenarioFile: options.scenarioFile }) };
  let planned: ExpectationProbePlan;
  switch (request.kind) {
    case 'expectations':
      planned = planScenarioExpectations(cluster, scenario, settings);
      break;
    case 'generated':
      planned = planGenerated(cluster, settings);
      break;
    case 'matrix':
      planned = planMatrix(cluster, request, settings);
      break;
    case 'probe':
      planned = planSingleProbe(cluster, request, settings);
      break;
  }
  const maxProbes = options.maxProbes ?? defaultMaxProbesPerRun;
  if (planned.probes.length > maxProbes) {
    const problem: RunPlanProblem = {
      code: 'too-many-probes',
      message: `the run would send ${planned.probes.length} probes, more than the limit of ${maxProbes}`,
      fix: 'narrow it to one port (--port) or protocol (--protocol), or split the manifests',
    };
    return { ...base, ...planned, probes: [], problems: [...planned.problems, problem] };
  }
  return { ...base, ...planned };
}
