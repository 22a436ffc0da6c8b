// The probe folder's public surface: plan a run, run it through a SandboxHandle, classify, compare CNIs, report.
// The server, the CLI and the terminal import from here.
export type * from './run-types.ts';
export { FailOnModes, MismatchKinds, RunKinds, RunStatuses } from './run-types.ts';
export { planRun, defaultMaxProbesPerRun } from './plan-run.ts';
export type { PlanRunOptions } from './plan-run.ts';
export { formatExpectationLabel, formatExpectationSide } from './plan-expectation-probes.ts';
export { computePolicyDigest } from './policy-digest.ts';
export { startRun, defaultSettleMs } from './run-session.ts';
export type { Disposable, RunFailure, RunOutcome, RunSession, StartRunOptions } from './run-session.ts';
export { classifyResult, findPlannedProbe, driftMismatchHeadline, policyMismatchHeadline } from './classify.ts';
export type { Classification, DocumentedDifference } from './classify.ts';
export { computeMismatch, isErrorResult, isFailingResult, isPassedResult, isRunFailing, summarizeResults } from './judge-result.ts';
export { compareProfiles } from './drift.ts';
export type { DriftFlow, DriftOutcome, DriftReason, DriftReport } from './drift.ts';
export { planSuite, runSuite, createRunId } from './run-suite.ts';
export type { PlanSuiteInput, RunSuiteOptions, SuiteEvent, SuiteOutcome, SuitePlan } from './run-suite.ts';
export { defaultProbeTimeoutMs } from './run-matrix-probes.ts';
export { renderJUnit, escapeXml } from './reports/junit.ts';
export { renderJsonReport, buildJsonReport, jsonReportFormat } from './reports/json.ts';
export { renderTap } from './reports/tap.ts';
export { renderDriftText, renderFindings, renderResultTable, renderRunMatrices, renderRunText, renderVerdictLine, plainTextStyle } from './reports/text.ts';
export type { TextStyle } from './reports/text.ts';
export { buildTestCases } from './reports/test-cases.ts';
export type { TestCase, TestCaseState } from './reports/test-cases.ts';
