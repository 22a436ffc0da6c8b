// TAP version 14: one test point per expectation (or probe), failures with a YAML diagnostic block naming the
// mismatch, the deciding policy and why; unsupported results are SKIPs unless --fail-on any.
import { stringify } from 'yaml';
import type { CompletedRun, FailOnMode } from '../run-types.ts';
import { buildTestCases } from './test-cases.ts';

/** A description on one line, without `#` (which would start a TAP directive). */
function cleanDescription(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/#/g, '\\#');
}

function indentYaml(value: Record<string, unknown>): string[] {
  return ['  ---', ...stringify(value, { lineWidth: 0 }).trimEnd().split('\n').map((line) => `  ${line}`), '  ...'];
}

export function renderTap(runs: readonly CompletedRun[], options: { readonly failOn?: FailOnMode } = {}): string {
  const failOn = options.failOn ?? 'mismatch';
  const lines = ['TAP version 14'];
  const points: string[] = [];
  let count = 0;
  for (const run of runs) {
    points.push(`# ${run.plan.scenarioName ?? 'manifests'} on ${run.view.cni} (${run.view.kind}): run ${run.view.id}, sandbox ${run.view.sandboxId}, status ${run.view.status}`);
    for (const testCase of buildTestCases(run, failOn)) {
      count += 1;
      const description = cleanDescription(`[${run.view.cni}] ${testCase.name}`);
      switch (testCase.state) {
        case 'passed':
          points.push(`ok ${count} - ${description}${testCase.isFlaky ? ' # flaky: the attempts disagreed' : ''}`);
          break;
        case 'skipped':
          points.push(`ok ${count} - ${description} # SKIP ${cleanDescription(testCase.message ?? testCase.type ?? 'skipped')}`);
          break;
        case 'failed':
        case 'error':
          points.push(`not ok ${count} - ${description}`);
          points.push(
            ...indentYaml({
              message: testCase.message ?? '',
              severity: testCase.state === 'error' ? 'error' : 'fail',
              type: testCase.type ?? testCase.state,
              cni: run.view.cni,
              ...(testCase.expectationId === undefined ? {} : { expectation: testCase.expectationId }),
              evidence: testCase.lines,
              attempts: testCase.output,
            }),
          );
          break;
      }
    }
  }
  lines.push(`1..${count}`, ...points);
  return `${lines.join('\n')}\n`;
}
