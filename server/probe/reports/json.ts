// The JSON report: every run with every result (the RunView the server stores), the plan's test cases, skipped
// flows and problems, the classification of each result that did not pass, and the drift report when CNIs differ.
import { classifyResult } from '../classify.ts';
import type { DriftReport } from '../drift.ts';
import { isFailingResult, isPassedResult, isRunFailing } from '../judge-result.ts';
import type { CompletedRun, FailOnMode } from '../run-types.ts';

export const jsonReportFormat = 'rehearsal.run-report/v1';

export interface JsonReportOptions {
  /** Default `mismatch`. */
  readonly failOn?: FailOnMode;
  readonly drift?: DriftReport;
  /** Default now; fixed in tests. */
  readonly generatedAt?: string;
}

export function buildJsonReport(runs: readonly CompletedRun[], options: JsonReportOptions = {}): Record<string, unknown> {
  const failOn = options.failOn ?? 'mismatch';
  const isFailing = runs.some((run) => isRunFailing(run, failOn));
  return {
    format: jsonReportFormat,
    generatedAt: options.generatedAt ?? new Date().toISOString(),
    failOn,
    verdict: isFailing ? 'failed' : 'passed',
    runs: runs.map((run) => ({
      ...run.view,
      profile: run.plan.profile,
      ...(run.plan.scenarioName === undefined ? {} : { scenario: run.plan.scenarioName }),
      expectations: run.plan.expectations,
      skipped: run.plan.skipped,
      problems: run.plan.problems,
      findings: run.view.results
        .filter((result) => !isPassedResult(result) || result.isFlaky)
        .map((result) => {
          const classification = classifyResult(result, run.plan);
          return {
            resultId: result.id,
            ...(result.expectationId === undefined ? {} : { expectationId: result.expectationId }),
            mismatch: classification.mismatch,
            isFailing: isFailingResult(result, failOn),
            headline: classification.headline,
            lines: classification.lines,
            documented: classification.documented,
          };
        }),
    })),
    ...(options.drift === undefined ? {} : { drift: options.drift }),
  };
}

export function renderJsonReport(runs: readonly CompletedRun[], options: JsonReportOptions = {}): string {
  return `${JSON.stringify(buildJsonReport(runs, options), null, 2)}\n`;
}
