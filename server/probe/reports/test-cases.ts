// A run as CI test cases, shared by the JUnit and TAP reports: one case per expectation (over all its probes), or
// one per probe for matrix and ad-hoc runs, each passed, failed, errored or skipped under the --fail-on mode.
import { classifyResult, findPlannedProbe } from '../classify.ts';
import type { Classification } from '../classify.ts';
import { isErrorResult, isFailingResult } from '../judge-result.ts';
import type { CompletedRun, FailOnMode, RunResult } from '../run-types.ts';

export const TestCaseStates = { passed: 'passed', failed: 'failed', error: 'error', skipped: 'skipped' } as const;
export type TestCaseState = (typeof TestCaseStates)[keyof typeof TestCaseStates];

export interface TestCase {
  /** `<from> -> <to> <port>/<proto> expect <allowed|denied>`. */
  readonly name: string;
  readonly expectationId?: string;
  readonly state: TestCaseState;
  /** `policy`, `drift`, `both`, `probe-error`, `unsupported`, `flaky`, `plan-error`, `no-flow`. */
  readonly type?: string;
  /** One line for the failure/error/skip message: the expectation, what went wrong, the deciding policy and why. */
  readonly message?: string;
  /** The full evidence, one line each. */
  readonly lines: readonly string[];
  /** Attempts and flakiness, for passing cases too (CI shows them as output). */
  readonly output: readonly string[];
  readonly isFlaky: boolean;
  readonly timeMs: number;
}

function formatFlow(result: RunResult): string {
  const port = result.portName === undefined ? `${result.port}/${result.protocol}` : `${result.port}/${result.protocol} (${result.portName})`;
  return `${result.from} -> ${result.to} ${port}`;
}

function formatAttempts(result: RunResult): string {
  const attempts = result.attempts.map((attempt) => `${attempt.observed} in ${attempt.latencyMs} ms at ${attempt.at}`).join(', then ');
  return `${formatFlow(result)}: ${attempts}${result.isFlaky ? ' (flaky)' : ''}`;
}

interface Judged {
  readonly result: RunResult;
  readonly classification: Classification;
  readonly isFailing: boolean;
}

/** What one case says about its results; results that pass contribute only their attempts. */
function judgeCase(input: { name: string; expectationId?: string; judged: readonly Judged[]; failOn: FailOnMode; run: CompletedRun }): TestCase {
  const { judged, failOn } = input;
  const timeMs = judged.reduce((sum, item) => sum + item.result.attempts.reduce((total, attempt) => total + attempt.latencyMs, 0), 0);
  const output = judged.map((item) => formatAttempts(item.result));
  const isFlaky = judged.some((item) => item.result.isFlaky);
  const base = { name: input.name, ...(input.expectationId === undefined ? {} : { expectationId: input.expectationId }), output, isFlaky, timeMs };
  const failing = judged.filter((item) => item.isFailing);
  const describeJudged = (items: readonly Judged[]): string[] =>
    items.flatMap((item) => [`${formatFlow(item.result)}: ${item.classification.headline}`, ...item.classification.lines.map((line) => `  ${line}`)]);
  if (judged.length === 0) {
    return { ...base, state: 'skipped', type: 'no-flow', message: `${input.name}: no flow to probe (every pair is a pod to itself)`, lines: [] };
  }
  const mismatched = failing.filter((item) => item.result.mismatch !== 'none');
  const firstMismatch = mismatched[0];
  if (firstMismatch !== undefined) {
    const kinds = new Set(mismatched.map((item) => item.result.mismatch));
    const type = kinds.has('both') || (kinds.has('policy') && kinds.has('drift')) ? 'both' : firstMismatch.result.mismatch;
    const probe = findPlannedProbe(input.run.plan, firstMismatch.result.id);
    const decided = probe === undefined || probe.decidedBy.length === 0 ? 'no policy isolates either end' : probe.decidedBy.join(', ');
    const nearest = probe?.nearestRule === undefined ? '' : `; nearest rule: ${probe.nearestRule}`;
    const message =
      `${input.name}: ${firstMismatch.classification.headline}; ${formatFlow(firstMismatch.result)} expected ${firstMismatch.result.expected ?? firstMismatch.result.predicted}, ` +
      `predicted ${firstMismatch.result.predicted}, observed ${firstMismatch.result.observed}; decided by ${decided}; why: ${firstMismatch.result.reason}${nearest}` +
      (mismatched.length > 1 ? ` (+${mismatched.length - 1} more ${mismatched.length === 2 ? 'flow' : 'flows'})` : '');
    return { ...base, state: 'failed', type, message, lines: describeJudged(failing) };
  }
  const errors = failing.filter((item) => isErrorResult(item.result));
  const firstError = errors[0];
  if (firstError !== undefined) {
    return { ...base, state: 'error', type: 'probe-error', message: `${input.name}: ${formatFlow(firstError.result)}: ${firstError.classification.headline}`, lines: describeJudged(errors) };
  }
  const firstFailing = failing[0];
  if (firstFailing !== undefined) {
    // Only --fail-on any gets here: unsupported or flaky results fail the case.
    const type = firstFailing.result.observed === 'unsupported' ? 'unsupported' : 'flaky';
    return { ...base, state: 'failed', type, message: `${input.name}: ${formatFlow(firstFailing.result)}: ${firstFailing.classification.headline}`, lines: describeJudged(failing) };
  }
  const unsupported = judged.find((item) => item.result.observed === 'unsupported');
  if (unsupported !== undefined && failOn !== 'any') {
    return { ...base, state: 'skipped', type: 'unsupported', message: `${input.name}: ${unsupported.classification.headline}`, lines: [] };
  }
  const policyOnly = judged.find((item) => item.result.mismatch === 'policy');
  if (policyOnly !== undefined) {
    // --fail-on drift: a policy mismatch is reported, not failed.
    return { ...base, state: 'passed', type: 'policy', message: `${input.name}: ${policyOnly.classification.headline} (not failing: --fail-on ${failOn})`, lines: describeJudged([policyOnly]) };
  }
  return { ...base, state: 'passed', lines: [] };
}

function judgeResults(run: CompletedRun, results: readonly RunResult[], failOn: FailOnMode): Judged[] {
  return results.map((result) => ({ result, classification: classifyResult(result, run.plan), isFailing: isFailingResult(result, failOn) }));
}

export function buildTestCases(run: CompletedRun, failOn: FailOnMode): TestCase[] {
  const cases: TestCase[] = [];
  const { plan, view } = run;
  for (const problem of plan.problems) {
    cases.push({
      name: problem.expectationId === undefined ? `plan: ${problem.code}` : `${problem.expectationId}: ${problem.code}`,
      ...(problem.expectationId === undefined ? {} : { expectationId: problem.expectationId }),
      state: 'error',
      type: 'plan-error',
      message: `${problem.message}${problem.path === undefined ? '' : ` (${problem.path})`}; fix: ${problem.fix}`,
      lines: [],
      output: [],
      isFlaky: false,
      timeMs: 0,
    });
  }
  if (plan.expectations.length > 0) {
    const byExpectation = new Map<string, RunResult[]>();
    for (const result of view.results) {
      if (result.expectationId === undefined) continue;
      byExpectation.set(result.expectationId, [...(byExpectation.get(result.expectationId) ?? []), result]);
    }
    for (const expectation of plan.expectations) {
      const results = byExpectation.get(expectation.id) ?? [];
      // A cancelled run leaves some expectations unprobed: they are not reported as passed.
      if (results.length === 0 && expectation.probeIds.length > 0) {
        cases.push({ name: expectation.label, expectationId: expectation.id, state: 'skipped', type: 'not-run', message: `${expectation.label}: not probed (the run ended first)`, lines: [], output: [], isFlaky: false, timeMs: 0 });
        continue;
      }
      const judged = judgeResults(run, results, failOn);
      const testCase = judgeCase({ name: expectation.label, expectationId: expectation.id, judged, failOn, run });
      const context = [
        ...(expectation.description === undefined ? [] : [`description: ${expectation.description}`]),
        ...(expectation.location === undefined ? [] : [`written at ${expectation.location}`]),
        ...(expectation.override === undefined ? [] : [`expected ${expectation.expected} under ${view.cni} by override: ${expectation.override.reason}`]),
      ];
      cases.push({ ...testCase, lines: testCase.lines.length === 0 ? testCase.lines : [...context, ...testCase.lines] });
    }
    return cases;
  }
  for (const result of view.results) {
    const expect = result.expected ?? result.predicted;
    const name = `${result.from} -> ${result.to} ${result.port}/${result.protocol} expect ${expect}`;
    cases.push(judgeCase({ name, judged: judgeResults(run, [result], failOn), failOn, run }));
  }
  return cases;
}
