// JUnit XML as CI systems render it (GitHub, GitLab, Jenkins, Azure): a testsuite per run (one CNI, one kind), a
// testcase per expectation or probe, failures carrying the expectation, the deciding policy and why.
import type { CompletedRun, FailOnMode } from '../run-types.ts';
import { buildTestCases } from './test-cases.ts';
import type { TestCase } from './test-cases.ts';

const ansiPattern = /\u001b\[[0-9;]*[A-Za-z]/g;
// XML 1.0 allows tab, newline, carriage return and everything from space up, minus surrogates and U+FFFE/FFFF.
const invalidXmlChars = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text safe inside an XML attribute or element: entities escaped, terminal colour and invalid characters removed. */
export function escapeXml(text: string): string {
  return text
    .replace(ansiPattern, '')
    .replace(invalidXmlChars, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function formatAttributes(values: Readonly<Record<string, string | number>>): string {
  return Object.entries(values)
    .map(([key, value]) => ` ${key}="${escapeXml(String(value))}"`)
    .join('');
}

function formatSeconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function renderCase(testCase: TestCase, classname: string): string {
  const head = `    <testcase${formatAttributes({ name: testCase.name, classname, time: formatSeconds(testCase.timeMs) })}`;
  const body: string[] = [];
  const text = escapeXml(testCase.lines.join('\n'));
  const message = testCase.message ?? '';
  switch (testCase.state) {
    case 'failed':
      body.push(`      <failure${formatAttributes({ message, type: testCase.type ?? 'failure' })}>${text}</failure>`);
      break;
    case 'error':
      body.push(`      <error${formatAttributes({ message, type: testCase.type ?? 'error' })}>${text}</error>`);
      break;
    case 'skipped':
      body.push(`      <skipped${formatAttributes({ message })}/>`);
      break;
    case 'passed':
      // Surefire's rerun format: the case passed in the end, and the attempt that disagreed is kept visible.
      if (testCase.isFlaky) body.push(`      <flakyFailure${formatAttributes({ message: `${testCase.name}: flaky, the attempts disagreed`, type: 'flaky' })}/>`);
      break;
  }
  const output = [...(testCase.state === 'passed' && testCase.message !== undefined ? [testCase.message, ...testCase.lines] : []), ...testCase.output];
  if (output.length > 0) body.push(`      <system-out>${escapeXml(output.join('\n'))}</system-out>`);
  return body.length === 0 ? `${head}/>` : `${head}>\n${body.join('\n')}\n    </testcase>`;
}

function formatSuiteName(run: CompletedRun): string {
  const subject = run.plan.scenarioName ?? 'manifests';
  return `${subject} on ${run.view.cni} (${run.view.kind})`;
}

export function renderJUnit(runs: readonly CompletedRun[], options: { readonly failOn?: FailOnMode } = {}): string {
  const failOn = options.failOn ?? 'mismatch';
  const suites: string[] = [];
  const totals = { tests: 0, failures: 0, errors: 0, skipped: 0, timeMs: 0 };
  runs.forEach((run, index) => {
    const cases = buildTestCases(run, failOn);
    const counts = {
      tests: cases.length,
      failures: cases.filter((c) => c.state === 'failed').length,
      errors: cases.filter((c) => c.state === 'error').length,
      skipped: cases.filter((c) => c.state === 'skipped').length,
    };
    const started = Date.parse(run.view.startedAt);
    const finished = run.view.finishedAt === undefined ? Number.NaN : Date.parse(run.view.finishedAt);
    const timeMs = Number.isNaN(started) || Number.isNaN(finished) ? 0 : finished - started;
    totals.tests += counts.tests;
    totals.failures += counts.failures;
    totals.errors += counts.errors;
    totals.skipped += counts.skipped;
    totals.timeMs += timeMs;
    const classname = `rehearsal.${run.view.cni}.${run.plan.scenarioName ?? run.view.kind}`;
    const properties = {
      cni: run.view.cni,
      kind: run.view.kind,
      runId: run.view.id,
      sandboxId: run.view.sandboxId,
      policyDigest: run.view.policyDigest,
      status: run.view.status,
      ...(run.plan.scenarioName === undefined ? {} : { scenario: run.plan.scenarioName }),
    };
    const lines = [
      `  <testsuite${formatAttributes({ name: formatSuiteName(run), id: index, ...counts, time: formatSeconds(timeMs), timestamp: run.view.startedAt.replace(/\.\d+Z$/, 'Z') })}>`,
      '    <properties>',
      ...Object.entries(properties).map(([name, value]) => `      <property${formatAttributes({ name, value })}/>`),
      '    </properties>',
      ...cases.map((testCase) => renderCase(testCase, classname)),
      '  </testsuite>',
    ];
    suites.push(lines.join('\n'));
  });
  const root = formatAttributes({ name: 'rehearsal', tests: totals.tests, failures: totals.failures, errors: totals.errors, skipped: totals.skipped, time: formatSeconds(totals.timeMs) });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites${root}>\n${suites.join('\n')}${suites.length > 0 ? '\n' : ''}</testsuites>\n`;
}
