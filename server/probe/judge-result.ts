// Whether a result passes, and whether it fails the run under --fail-on. The rules are documented in docs/ci.md:
// errors and drift always fail; policy mismatches fail unless only drift is asked for; unsupported and flaky
// results are reported apart and fail only with --fail-on any. Nothing unproven ever counts as passed.
import type { ProbeOutcome } from '../sandbox/contract.ts';
import type { FailOnMode, MismatchKind, Reachability, RunResult, RunSummary } from './run-types.ts';

export interface MismatchInput {
  readonly expected?: Reachability | undefined;
  readonly predicted: Reachability;
  readonly observed: ProbeOutcome;
}

/**
 * Did the network contradict the prediction? `refused` means a packet reached the pod (nothing listened), so it
 * contradicts a predicted denial; `error` and `unsupported` prove nothing either way.
 */
export function isDriftObservation(predicted: Reachability, observed: ProbeOutcome): boolean {
  switch (observed) {
    case 'allowed':
    case 'denied':
      return observed !== predicted;
    case 'refused':
      return predicted === 'denied';
    case 'unsupported':
    case 'error':
      return false;
  }
}

export function computeMismatch(input: MismatchInput): MismatchKind {
  const isPolicy = input.expected !== undefined && input.expected !== input.predicted;
  const isDrift = isDriftObservation(input.predicted, input.observed);
  if (isPolicy && isDrift) return 'both';
  if (isPolicy) return 'policy';
  return isDrift ? 'drift' : 'none';
}

/** The probe proved nothing: it failed to run, or a flow predicted allowed found nothing listening. */
export function isErrorResult(result: Pick<RunResult, 'observed' | 'predicted'>): boolean {
  return result.observed === 'error' || (result.observed === 'refused' && result.predicted === 'allowed');
}

export function isPassedResult(result: RunResult): boolean {
  return result.mismatch === 'none' && result.observed !== 'unsupported' && !isErrorResult(result);
}

export function isFailingResult(result: RunResult, failOn: FailOnMode): boolean {
  if (isErrorResult(result)) return true;
  if (result.mismatch === 'drift' || result.mismatch === 'both') return true;
  if (result.mismatch === 'policy' && failOn !== 'drift') return true;
  if (failOn === 'any' && (result.observed === 'unsupported' || result.isFlaky)) return true;
  return false;
}

export function summarizeResults(results: readonly RunResult[]): RunSummary {
  let passed = 0;
  let policyMismatches = 0;
  let driftMismatches = 0;
  let unsupported = 0;
  let errors = 0;
  let flaky = 0;
  for (const result of results) {
    if (isPassedResult(result)) passed += 1;
    if (result.mismatch === 'policy' || result.mismatch === 'both') policyMismatches += 1;
    if (result.mismatch === 'drift' || result.mismatch === 'both') driftMismatches += 1;
    if (result.observed === 'unsupported') unsupported += 1;
    if (isErrorResult(result)) errors += 1;
    if (result.isFlaky) flaky += 1;
  }
  return { total: results.length, passed, policyMismatches, driftMismatches, unsupported, errors, flaky };
}

/** The run fails the build: a problem in its plan, a provider failure, or a result failing under the mode. */
export function isRunFailing(run: { readonly view: { readonly status: string; readonly results: readonly RunResult[] }; readonly plan: { readonly problems: readonly unknown[] } }, failOn: FailOnMode): boolean {
  return run.plan.problems.length > 0 || run.view.status === 'error' || run.view.results.some((result) => isFailingResult(result, failOn));
}
