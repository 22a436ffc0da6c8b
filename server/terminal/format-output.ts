// How things look in the terminal: result lines (green allowed, red denied, the deciding policy and rule, a
// mismatch marked and explained), tables of pods and policies, the matrix grid, explanations. Pure text + ANSI.
import type { ApplyPoliciesResponse, MatrixView, RunResult, RunView, SandboxDetail } from '../api/protocol/schemas.ts';
import type { Issue } from '../policy/index.ts';
import { colour, measureColumns } from './ansi.ts';
import type { ExplainText, MismatchText } from './terminal-backend.ts';

type Outcome = RunResult['observed'];

function formatOutcome(outcome: Outcome): string {
  const word = outcome.padEnd(11);
  switch (outcome) {
    case 'allowed':
      return colour.green(`✔ ${word}`);
    case 'denied':
      return colour.red(`✘ ${word}`);
    case 'refused':
    case 'unsupported':
    case 'error':
      return colour.yellow(`? ${word}`);
  }
}

function formatReachability(word: 'allowed' | 'denied' | undefined): string {
  if (word === undefined) return colour.grey('-');
  return word === 'allowed' ? colour.green(word) : colour.red(word);
}

export function formatFlow(result: { readonly from: string; readonly to: string; readonly port: number; readonly portName?: string | undefined; readonly protocol: string }): string {
  const port = result.portName === undefined ? `${result.port}/${result.protocol}` : `${result.port}/${result.protocol} (${result.portName})`;
  return `${result.from} → ${result.to} ${port}`;
}

/** One result: outcome, flow, deciding policy and rule; a mismatch adds a marked line and its explanation. */
export function formatResult(result: RunResult, mismatch: MismatchText | undefined): string {
  const flaky = result.isFlaky ? colour.yellow(' (flaky)') : '';
  const latency = colour.grey(`${Math.round(result.latencyMs)} ms`);
  const lines = [`${formatOutcome(result.observed)} ${formatFlow(result)}  ${colour.dim(result.reason)}  ${latency}${flaky}`];
  if (result.detail !== undefined && result.observed !== 'allowed') lines.push(colour.grey(`    ${result.detail}`));
  if (result.mismatch !== 'none') {
    const views = `intent ${formatReachability(result.expected)} · prediction ${formatReachability(result.predicted)} · observation ${result.observed}`;
    lines.push(`    ${colour.inverseRed(` MISMATCH ${result.mismatch} `)} ${views}`);
    if (mismatch !== undefined) {
      lines.push(`    ${colour.bold(mismatch.headline)}`);
      for (const line of mismatch.lines) lines.push(colour.grey(`      ${line}`));
    }
  }
  return lines.join('\n');
}

export function formatRunSummary(run: Omit<RunView, 'results'>): string {
  const summary = run.summary;
  const parts = [`${summary.passed}/${summary.total} passed`];
  if (summary.policyMismatches > 0) parts.push(colour.red(`${summary.policyMismatches} policy mismatch${summary.policyMismatches === 1 ? '' : 'es'}`));
  if (summary.driftMismatches > 0) parts.push(colour.red(`${summary.driftMismatches} drift`));
  if (summary.errors > 0) parts.push(colour.yellow(`${summary.errors} proved nothing`));
  if (summary.unsupported > 0) parts.push(colour.yellow(`${summary.unsupported} unsupported`));
  if (summary.flaky > 0) parts.push(colour.yellow(`${summary.flaky} flaky`));
  const status = run.status === 'passed' ? colour.green(run.status) : run.status === 'running' ? run.status : colour.red(run.status);
  return `run ${run.id} (${run.kind}) ${status}: ${parts.join(', ')}`;
}

function padColumns(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - measureColumns(text)));
}

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(measureColumns(title), ...rows.map((row) => measureColumns(row[column] ?? ''))));
  const render = (cells: readonly string[]): string => cells.map((cell, column) => padColumns(cell, widths[column] ?? 0)).join('  ').trimEnd();
  return [colour.bold(render(header)), ...rows.map(render)].join('\n');
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .filter(([key]) => key !== 'kubernetes.io/metadata.name')
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

export function formatPods(detail: SandboxDetail): string {
  if (detail.pods.length === 0) return 'no pods';
  return formatTable(
    ['POD', 'IP', 'PORTS', 'LABELS'],
    detail.pods.map((pod) => [
      pod.isSystem ? colour.grey(pod.key) : pod.key,
      pod.ips.join(','),
      pod.ports.map((port) => `${port.port}/${port.protocol}${port.name === undefined ? '' : `(${port.name})`}`).join(',') || '-',
      formatLabels(pod.labels) || '-',
    ]),
  );
}

export function formatServices(detail: SandboxDetail): string {
  if (detail.services.length === 0) return 'no services';
  return formatTable(
    ['SERVICE', 'CLUSTER-IP', 'PORTS'],
    detail.services.map((service) => [service.key, service.clusterIP, service.ports.map((port) => `${port.port}/${port.protocol}`).join(',')]),
  );
}

export function formatPolicies(detail: SandboxDetail): string {
  if (detail.policies.length === 0) return 'no NetworkPolicies: every pod accepts and sends everything';
  return formatTable(
    ['POLICY', 'TYPES'],
    detail.policies.map((policy) => [`${policy.namespace}/${policy.name}`, policy.policyTypes.join(',')]),
  );
}

export function formatIssue(issue: Issue): string {
  const tone = issue.severity === 'error' ? colour.red : issue.severity === 'warning' ? colour.yellow : colour.cyan;
  const where = [issue.line > 0 ? `line ${issue.line}` : '', issue.path].filter((part) => part !== '').join(' ');
  return `${tone(issue.severity)} ${where === '' ? '' : `${colour.bold(where)}: `}${issue.message}\n    ${colour.grey(`fix: ${issue.fix}`)}`;
}

export function formatApplyResult(response: ApplyPoliciesResponse): string {
  const lines: string[] = [];
  for (const issue of response.issues) lines.push(formatIssue(issue));
  if (!response.isApplied) {
    lines.push(colour.red('not applied'));
    return lines.join('\n');
  }
  const enforced = response.enforcedAfterMs === undefined ? '' : ` (enforced after ${Math.round(response.enforcedAfterMs)} ms)`;
  lines.push(`${colour.green('applied')}${enforced}: ${response.summary}`);
  for (const flow of response.flows.slice(0, 20)) {
    const mark = flow.change === 'newly-denied' ? colour.red('  - denies ') : colour.green('  + allows ');
    lines.push(`${mark}${formatFlow(flow)}  ${colour.grey(flow.after)}`);
  }
  if (response.flows.length > 20) lines.push(colour.grey(`  ... and ${response.flows.length - 20} more`));
  const lintShown = response.lint.filter((issue) => issue.severity !== 'info').slice(0, 10);
  for (const issue of lintShown) lines.push(formatIssue(issue));
  return lines.join('\n');
}

export function formatExplain(text: ExplainText, flow: string): string {
  const verdict = text.isAllowed ? colour.green('allowed') : colour.red('denied');
  return [`${flow}: ${verdict}`, colour.dim(text.summary), ...text.lines.map((line) => `  ${line}`)].join('\n');
}

function cellMark(cell: MatrixView['cells'][number]): string {
  const base = cell.prediction === 'allowed' ? colour.green('✔') : colour.red('✘');
  if (cell.mismatch !== 'none') return colour.inverseRed('!');
  if (cell.observation !== undefined) return base;
  return cell.prediction === 'allowed' ? colour.green('·') : colour.red('·');
}

/**
 * The matrix as a grid when it fits the terminal (rows: sources; columns: target and port), else as a list of
 * the flows that are denied or disagree. Marks: ✔/✘ observed as predicted, · predicted (not yet probed), ! a mismatch.
 */
export function formatMatrix(view: MatrixView, options: { readonly cols: number }): string {
  if (view.cells.length === 0) return 'the matrix is empty: no pod declares a port that matches';
  const columns = [...new Set(view.cells.map((cell) => `${cell.to} ${cell.port}/${cell.protocol}`))];
  const rows = [...new Set(view.cells.map((cell) => cell.from))];
  const byKey = new Map(view.cells.map((cell) => [`${cell.from}|${cell.to} ${cell.port}/${cell.protocol}`, cell]));
  const rowWidth = Math.max(...rows.map((row) => row.length));
  const legend = colour.grey('✔/✘ observed as predicted   · predicted, not probed yet   ! intent, prediction or observation disagree');
  const mismatches = view.cells.filter((cell) => cell.mismatch !== 'none');
  const mismatchLines = mismatches.slice(0, 30).map(
    (cell) =>
      `  ${colour.inverseRed(' ! ')} ${formatFlow(cell)}  intent ${formatReachability(cell.intent)} · prediction ${formatReachability(cell.prediction)} · observation ${cell.observation ?? '-'}`,
  );
  if (rowWidth + 2 + columns.length * 2 <= options.cols) {
    const header = columns.map((_, index) => String(index % 10)).join(' ');
    const lines = [`${' '.repeat(rowWidth)}  ${colour.grey(header)}`];
    for (const row of rows) {
      const marks = columns.map((column) => {
        const cell = byKey.get(`${row}|${column}`);
        return cell === undefined ? ' ' : cellMark(cell);
      });
      lines.push(`${row.padEnd(rowWidth)}  ${marks.join(' ')}`);
    }
    lines.push(...columns.map((column, index) => colour.grey(`  ${index % 10}: ${column}`)));
    return [...lines, legend, ...mismatchLines].join('\n');
  }
  const denied = view.cells.filter((cell) => cell.prediction === 'denied' && cell.mismatch === 'none');
  const lines = [
    `${view.cells.length} flows: ${view.cells.length - denied.length - mismatches.length} allowed, ${denied.length} denied, ${mismatches.length} mismatched (too wide for a grid; denied flows listed)`,
    ...denied.slice(0, 40).map((cell) => `  ${colour.red('✘')} ${formatFlow(cell)}`),
  ];
  if (denied.length > 40) lines.push(colour.grey(`  ... and ${denied.length - 40} more denied`));
  return [...lines, ...mismatchLines].join('\n');
}
