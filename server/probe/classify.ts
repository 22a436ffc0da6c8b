// Which of the three views is wrong, in words a person can act on: intent ≠ prediction is a policy bug (with the
// engine's explanation and the nearest rule), prediction ≠ observation is CNI/environment drift (with the profile
// and the documented difference that explains it, when one does).
import { cniProfiles, createEvaluator, evaluateServiceFlowWith, getCniProfile } from '../policy/index.ts';
import type { Evaluator, ProfileNote } from '../policy/index.ts';
import { isErrorResult } from './judge-result.ts';
import type { MismatchKind, PlannedRunProbe, RunPlan, RunResult } from './run-types.ts';

export const policyMismatchHeadline = 'your policies do not do what the scenario expects';
export const driftMismatchHeadline = 'the network did something the API semantics do not predict';

/** A documented CNI behaviour, with its source, that bears on a result. */
export interface DocumentedDifference {
  readonly profile: string;
  readonly difference: string;
  readonly summary: string;
  readonly source: string;
}

export interface Classification {
  readonly mismatch: MismatchKind;
  readonly isError: boolean;
  readonly isUnsupported: boolean;
  readonly isFlaky: boolean;
  /** One line: what went wrong (or that the views agree). */
  readonly headline: string;
  /** The evidence: explanation, deciding policy and nearest rule, observation detail, documented differences. */
  readonly lines: readonly string[];
  readonly documented: readonly DocumentedDifference[];
}

const evaluatorCache = new WeakMap<RunPlan, Map<string, Evaluator>>();
const probeIndex = new WeakMap<RunPlan, ReadonlyMap<string, PlannedRunProbe>>();

/** The planned probe a result answers (results echo the request id). */
export function findPlannedProbe(plan: RunPlan, id: string): PlannedRunProbe | undefined {
  let byId = probeIndex.get(plan);
  if (byId === undefined) {
    byId = new Map(plan.probes.map((probe) => [probe.request.id, probe]));
    probeIndex.set(plan, byId);
  }
  return byId.get(id);
}

function getEvaluator(plan: RunPlan, profile: string): Evaluator {
  let byProfile = evaluatorCache.get(plan);
  if (byProfile === undefined) {
    byProfile = new Map();
    evaluatorCache.set(plan, byProfile);
  }
  let evaluator = byProfile.get(profile);
  if (evaluator === undefined) {
    evaluator = createEvaluator(plan.cluster, { profile });
    byProfile.set(profile, evaluator);
  }
  return evaluator;
}

/** What a profile predicts for the probe's flow: every backend must agree for a Service target (else undefined). */
export function predictUnder(plan: RunPlan, probe: PlannedRunProbe, profile: string): { isAllowed: boolean; notes: readonly ProfileNote[] } | undefined {
  const evaluator = getEvaluator(plan, profile);
  const to = probe.request.to;
  if (to.kind === 'pod' || to.kind === 'external') {
    const result = evaluator.evaluate({ from: probe.request.from, to, port: probe.port, protocol: probe.protocol });
    return result.ok ? { isAllowed: result.verdict.isAllowed, notes: result.verdict.profileNotes } : undefined;
  }
  if (to.kind !== 'service') return undefined;
  const service = evaluateServiceFlowWith(evaluator, { from: probe.request.from, service: to, port: probe.port, protocol: probe.protocol });
  if (!service.ok) return undefined;
  const verdicts = service.backends.flatMap((backend) => (backend.result.ok ? [backend.result.verdict] : []));
  const first = verdicts[0];
  if (first === undefined || verdicts.some((verdict) => verdict.isAllowed !== first.isAllowed)) return undefined;
  return { isAllowed: first.isAllowed, notes: verdicts.flatMap((verdict) => verdict.profileNotes) };
}

function toDocumented(note: ProfileNote): DocumentedDifference {
  return { profile: note.profile, difference: note.difference, summary: note.note, source: note.source };
}

function uniqueDocumented(items: readonly DocumentedDifference[]): DocumentedDifference[] {
  const seen = new Map<string, DocumentedDifference>();
  for (const item of items) seen.set(`${item.profile}|${item.difference}`, item);
  return [...seen.values()];
}

function describeDrift(result: RunResult, probe: PlannedRunProbe, plan: RunPlan): { lines: string[]; documented: DocumentedDifference[] } {
  const profile = getCniProfile(plan.profile);
  const lines = [`predicted ${result.predicted} under profile ${plan.profile}${profile === undefined ? '' : ` (${profile.title})`}, observed ${result.observed}${result.detail === undefined ? '' : `: ${result.detail}`}`];
  const documented: DocumentedDifference[] = [];
  if (probe.profileNotes.length > 0) {
    lines.push(`profile ${plan.profile} documents a difference on this flow, but the network did not behave that way:`);
    for (const note of probe.profileNotes) {
      lines.push(`  ${note.note} (${note.source})`);
      documented.push(toDocumented(note));
    }
  }
  const observed = result.observed === 'refused' ? 'allowed' : result.observed;
  if (observed === 'allowed' || observed === 'denied') {
    const matching: string[] = [];
    const explaining: DocumentedDifference[] = [];
    for (const name of Object.keys(cniProfiles)) {
      if (name === plan.profile) continue;
      const prediction = predictUnder(plan, probe, name);
      if (prediction === undefined || (prediction.isAllowed ? 'allowed' : 'denied') !== observed) continue;
      matching.push(name);
      explaining.push(...prediction.notes.map(toDocumented));
    }
    if (matching.length > 0) lines.push(`the observation is what these profiles predict: ${matching.join(', ')}`);
    for (const item of uniqueDocumented(explaining)) lines.push(`  documented for ${item.profile}: ${item.summary} (${item.source})`);
    documented.push(...explaining);
  }
  if (documented.length === 0) {
    lines.push(`no documented difference of ${plan.profile} explains this; inspect the enforced ruleset (rehearse sandbox rules) and the environment`);
    for (const item of profile?.notModelled ?? []) lines.push(`  not modelled for ${plan.profile}: ${item.summary} (${item.source})`);
  }
  if (result.attribution !== undefined) {
    lines.push(`dropped at ${result.attribution.direction.toLowerCase()} of ${result.attribution.subject} (${result.attribution.evidence})`);
  }
  return { lines, documented: uniqueDocumented(documented) };
}

function describePolicy(result: RunResult, probe: PlannedRunProbe, plan: RunPlan): string[] {
  const verb = result.predicted === 'allowed' ? 'allow' : 'deny';
  const override = probe.override === undefined ? '' : ` under ${plan.profile} (scenario override: ${probe.override.reason})`;
  const lines = [`expected ${result.expected ?? '?'}${override}, but the policies ${verb} it`];
  lines.push(`decided by: ${probe.decidedBy.length > 0 ? probe.decidedBy.join(', ') : 'no policy: nothing isolates either end'}`);
  if (probe.nearestRule !== undefined) lines.push(`nearest rule: ${probe.nearestRule}`);
  lines.push(`why: ${result.reason}`);
  const expectation = plan.expectations.find((candidate) => candidate.id === result.expectationId);
  if (expectation?.isKnownBroken === true) {
    lines.push(`note: ${plan.scenarioName ?? 'the scenario'} lists ${expectation.id} in brokenExpectations: it fails on the base manifests by design; its variants fix it (--variant)`);
  }
  return lines;
}

/** The explanation of a planned probe with a header, for failure bodies. */
export function formatExplanation(probe: PlannedRunProbe): string[] {
  return ['engine explanation:', ...probe.explanation.map((line) => `  ${line}`)];
}

export function classifyResult(result: RunResult, plan: RunPlan): Classification {
  const probe = findPlannedProbe(plan, result.id);
  const isError = isErrorResult(result);
  const isUnsupported = result.observed === 'unsupported';
  const base = { mismatch: result.mismatch, isError, isUnsupported, isFlaky: result.isFlaky };
  const flakyLine = result.isFlaky ? [`flaky: the attempts observed ${result.attempts.map((attempt) => attempt.observed).join(', then ')} (re-probed once after the settle delay)`] : [];
  if (probe === undefined) {
    return { ...base, headline: `result ${result.id} belongs to no planned probe`, lines: flakyLine, documented: [] };
  }
  const headlines: string[] = [];
  const lines: string[] = [];
  let documented: DocumentedDifference[] = [];
  if (result.mismatch === 'policy' || result.mismatch === 'both') {
    headlines.push(policyMismatchHeadline);
    lines.push(...describePolicy(result, probe, plan));
  }
  if (result.mismatch === 'drift' || result.mismatch === 'both') {
    headlines.push(driftMismatchHeadline);
    const drift = describeDrift(result, probe, plan);
    lines.push(...drift.lines);
    documented = drift.documented;
  }
  if (isError) {
    headlines.push(
      result.observed === 'refused'
        ? `nothing listens on ${result.to} ${result.port}/${result.protocol}: the probe proved nothing`
        : `the probe proved nothing: ${result.detail ?? 'it could not run'}`,
    );
    if (result.observed === 'refused' && result.detail !== undefined) lines.push(`observed: ${result.detail}`);
  }
  if (isUnsupported) headlines.push(`not tested: ${result.detail ?? `${result.protocol} is not supported here`} (unsupported is never a pass)`);
  lines.push(...flakyLine);
  if (headlines.length === 0) {
    const views = result.expected === undefined ? 'prediction and observation agree' : 'intent, prediction and observation agree';
    return { ...base, headline: `${views}: ${result.observed}${result.isFlaky ? ' (flaky)' : ''}`, lines, documented };
  }
  return { ...base, headline: headlines.join('; and '), lines: [...lines, ...formatExplanation(probe)], documented };
}
