// Runs for people: a compact table of results, the three matrices the upstream suite prints (expected, observed,
// comparison; `.` allowed, `X` denied), the findings with their explanations, the drift report and a verdict line.
// Colour comes from the caller's style (the CLI's palette on a TTY, identity otherwise).
import { classifyResult, findPlannedProbe } from '../classify.ts';
import type { DriftFlow, DriftReport } from '../drift.ts';
import { isErrorResult, isFailingResult, isPassedResult, isRunFailing } from '../judge-result.ts';
import type { CompletedRun, FailOnMode, RunResult } from '../run-types.ts';

/** The colours the text report uses; the CLI's Palette satisfies it. */
export interface TextStyle {
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly red: (text: string) => string;
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly cyan: (text: string) => string;
}

const identity = (text: string): string => text;
export const plainTextStyle: TextStyle = { bold: identity, dim: identity, red: identity, green: identity, yellow: identity, cyan: identity };

const ansiPattern = /\u001b\[[0-9;]*m/g;

function visibleWidth(text: string): number {
  return text.replace(ansiPattern, '').length;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleWidth(text)));
}

function renderAligned(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, column) => Math.max(...all.map((row) => visibleWidth(row[column] ?? ''))));
  return all.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : pad(cell, widths[column] ?? 0))).join('   ').trimEnd()).join('\n');
}

function paintOutcome(style: TextStyle, outcome: string): string {
  if (outcome === 'allowed') return style.green(outcome);
  if (outcome === 'denied') return style.red(outcome);
  return style.yellow(outcome);
}

/** The RESULT column: what a reader scans for. */
function labelResult(style: TextStyle, result: RunResult): string {
  const flaky = result.isFlaky ? style.yellow('~flaky') : '';
  switch (result.mismatch) {
    case 'policy':
      return style.bold(style.red('POLICY')) + flaky;
    case 'drift':
      return style.bold(style.red('DRIFT')) + flaky;
    case 'both':
      return style.bold(style.red('POLICY+DRIFT')) + flaky;
    case 'none':
      break;
  }
  if (isErrorResult(result)) return style.bold(style.red('ERROR')) + flaky;
  if (result.observed === 'unsupported') return style.yellow('UNSUPPORTED');
  return style.green('pass') + flaky;
}

function formatPort(result: RunResult): string {
  return result.portName === undefined ? `${result.port}/${result.protocol}` : `${result.port}/${result.protocol} (${result.portName})`;
}

export function renderResultTable(run: CompletedRun, style: TextStyle): string {
  const isMatrix = run.view.kind === 'matrix';
  const shown = isMatrix ? run.view.results.filter((result) => !isPassedResult(result) || result.isFlaky) : run.view.results;
  const hasIntent = run.view.results.some((result) => result.expected !== undefined);
  const rows = shown.map((result) => {
    const probe = findPlannedProbe(run.plan, result.id);
    const decided = probe === undefined || probe.decidedBy.length === 0 ? style.dim('no policy') : probe.decidedBy.join(', ');
    return [
      labelResult(style, result),
      ...(hasIntent ? [result.expectationId ?? '-'] : []),
      result.from,
      result.to,
      formatPort(result),
      ...(hasIntent ? [result.expected === undefined ? '-' : paintOutcome(style, result.expected)] : []),
      paintOutcome(style, result.predicted),
      paintOutcome(style, result.observed),
      result.latencyMs.toFixed(1),
      decided,
    ];
  });
  const headers = ['RESULT', ...(hasIntent ? ['EXPECTATION'] : []), 'FROM', 'TO', 'PORT', ...(hasIntent ? ['INTENT'] : []), 'PREDICTED', 'OBSERVED', 'MS', 'DECIDED BY'];
  const hidden = run.view.results.length - shown.length;
  const note = isMatrix && hidden > 0 ? `\n${style.dim(`${hidden} passing probes not listed; the matrices below show every flow`)}` : '';
  if (rows.length === 0) return isMatrix ? style.dim(`all ${run.view.results.length} probes agree with the prediction`) : style.dim('no results');
  return `${renderAligned(headers, rows)}${note}`;
}

type MatrixKind = 'expected' | 'observed' | 'comparison';

function chooseMark(kind: MatrixKind, results: readonly RunResult[], style: TextStyle): string {
  if (results.length === 0) return style.dim('-');
  if (kind === 'expected') {
    const values = new Set(results.map((result) => result.expected ?? result.predicted));
    if (values.size > 1) return style.yellow('?');
    return values.has('allowed') ? style.green('.') : style.red('X');
  }
  if (kind === 'observed') {
    const values = new Set(results.map((result) => result.observed));
    if (values.size > 1) return style.yellow('~');
    const [only] = values;
    switch (only) {
      case 'allowed':
        return style.green('.');
      case 'denied':
        return style.red('X');
      case 'refused':
        return style.yellow('r');
      case 'unsupported':
        return style.yellow('?');
      default:
        return style.red('!');
    }
  }
  if (results.some((result) => result.mismatch !== 'none' || isErrorResult(result))) return style.bold(style.red('X'));
  if (results.some((result) => result.observed === 'unsupported')) return style.yellow('?');
  if (results.some((result) => result.isFlaky)) return style.yellow('~');
  return style.green('.');
}

/** Expected / observed / comparison, one block per port/protocol, rows from and columns to, as upstream prints them. */
export function renderRunMatrices(run: CompletedRun, style: TextStyle): string {
  const groups = new Map<string, RunResult[]>();
  for (const result of run.view.results) {
    const label = formatPort(result);
    groups.set(label, [...(groups.get(label) ?? []), result]);
  }
  const ordered = [...groups.entries()].sort(([, a], [, b]) => (a[0]?.port ?? 0) - (b[0]?.port ?? 0) || (a[0]?.protocol ?? '').localeCompare(b[0]?.protocol ?? ''));
  const blocks: string[] = [];
  const expectedTitle = run.view.results.some((result) => result.expected !== undefined) ? 'expected' : 'expected (the prediction; matrix runs have no written intent)';
  for (const [label, results] of ordered) {
    const rows = [...new Set(results.map((result) => result.from))].sort();
    const columns = [...new Set(results.map((result) => result.to))].sort();
    const cells = new Map<string, RunResult[]>();
    for (const result of results) cells.set(`${result.from}|${result.to}`, [...(cells.get(`${result.from}|${result.to}`) ?? []), result]);
    const rowWidth = Math.max(4, ...rows.map((row) => row.length));
    for (const kind of ['expected', 'observed', 'comparison'] as const) {
      const title = kind === 'expected' ? expectedTitle : kind;
      const lines = [`${style.bold(`${label} ${title}`)}${style.dim('  (rows: from, columns: to)')}`];
      lines.push([pad('-', rowWidth), ...columns].join('  ').trimEnd());
      for (const row of rows) {
        const marks = columns.map((column) => pad(chooseMark(kind, cells.get(`${row}|${column}`) ?? [], style), column.length));
        lines.push([pad(row, rowWidth), ...marks].join('  ').trimEnd());
      }
      blocks.push(lines.join('\n'));
    }
  }
  const legend = style.dim(
    'expected/observed: . allowed  X denied  r refused (nothing listening)  ? unsupported  ! error  ~ attempts differ  - not probed\n' + 'comparison: . agrees  X disagrees (see findings)  ? unsupported  ~ flaky',
  );
  return blocks.length === 0 ? '' : `${blocks.join('\n\n')}\n${legend}`;
}

export function renderFindings(run: CompletedRun, style: TextStyle, failOn: FailOnMode): string {
  const lines: string[] = [];
  for (const problem of run.plan.problems) {
    lines.push(`${style.bold(style.red('PLAN'))} ${problem.expectationId ?? problem.code}: ${problem.message}`, `  fix: ${problem.fix}`);
  }
  for (const result of run.view.results) {
    if (isPassedResult(result) && !result.isFlaky) continue;
    const classification = classifyResult(result, run.plan);
    const isFailing = isFailingResult(result, failOn);
    const tag = isFailing ? style.bold(style.red('FAIL')) : style.yellow('NOTE');
    const head = `${result.expectationId === undefined ? '' : `${result.expectationId}: `}${result.from} -> ${result.to} ${formatPort(result)}`;
    lines.push(`${tag} ${head}`, `  ${style.bold(classification.headline)}`, ...classification.lines.map((line) => `  ${line}`));
  }
  return lines.join('\n');
}

function formatCounts(run: CompletedRun): string {
  const summary = run.view.summary;
  const parts = [`${summary.passed}/${summary.total} passed`];
  if (summary.policyMismatches > 0) parts.push(`${summary.policyMismatches} policy`);
  if (summary.driftMismatches > 0) parts.push(`${summary.driftMismatches} drift`);
  if (summary.errors > 0) parts.push(`${summary.errors} errors`);
  if (summary.unsupported > 0) parts.push(`${summary.unsupported} unsupported`);
  if (summary.flaky > 0) parts.push(`${summary.flaky} flaky`);
  if (run.plan.skipped.length > 0) parts.push(`${run.plan.skipped.length} skipped (loopback/hairpin)`);
  return parts.join(', ');
}

/** Everything about one run: heading, table, matrices, findings, counts. */
export function renderRunText(run: CompletedRun, options: { readonly style: TextStyle; readonly failOn: FailOnMode }): string {
  const { style, failOn } = options;
  const subject = run.plan.scenarioName ?? 'manifests';
  const heading = style.bold(`== ${subject} on ${run.view.cni}: ${run.view.kind} run ${run.view.id} in sandbox ${run.view.sandboxId} (${run.view.status})`);
  const sections = [heading, renderResultTable(run, style)];
  const matrices = renderRunMatrices(run, style);
  if (matrices !== '') sections.push(matrices);
  const findings = renderFindings(run, style, failOn);
  if (findings !== '') sections.push(findings);
  const verdict = isRunFailing(run, failOn) ? style.red('failed') : style.green('passed');
  sections.push(`${subject} on ${run.view.cni} (${run.view.kind}): ${verdict}: ${formatCounts(run)}`);
  return `${sections.join('\n\n')}\n`;
}

function formatDriftFlow(flow: DriftFlow): string {
  const port = flow.portName === undefined ? `${flow.port}/${flow.protocol}` : `${flow.port}/${flow.protocol} (${flow.portName})`;
  return `${flow.from} -> ${flow.to} ${port}`;
}

/** Flows of one expectation with the same outcomes and reasons print once, with every flow listed under them. */
function groupDriftFlows(flows: readonly DriftFlow[]): DriftFlow[][] {
  const groups = new Map<string, DriftFlow[]>();
  for (const flow of flows) {
    const outcomes = flow.outcomes.map((outcome) => `${outcome.cni}=${outcome.observed}`).join(',');
    const reasons = flow.reasons.map((reason) => `${reason.cni}:${reason.difference ?? reason.summary}`).join(',');
    const key = `${flow.kind}|${flow.expectationId ?? formatDriftFlow(flow)}|${outcomes}|${reasons}|${flow.isDocumented}`;
    groups.set(key, [...(groups.get(key) ?? []), flow]);
  }
  return [...groups.values()];
}

export function renderDriftText(report: DriftReport, style: TextStyle): string {
  const heading = style.bold(`== drift between ${report.cnis.join(', ')}: ${report.flows.length} of ${report.compared} flows differ`);
  if (report.flows.length === 0) return `${heading}\n${style.green('every flow has the same outcome under every CNI')}\n`;
  const lines = [heading];
  for (const group of groupDriftFlows(report.flows)) {
    const first = group[0];
    if (first === undefined) continue;
    const outcomes = first.outcomes.map((outcome) => `${outcome.cni} ${paintOutcome(style, outcome.observed)}`).join(', ');
    lines.push('', `${style.bold(first.expectationId ?? formatDriftFlow(first))}: ${outcomes}`);
    for (const flow of group) lines.push(`  ${formatDriftFlow(flow)}`);
    for (const reason of first.reasons) {
      if (reason.kind === 'profile') lines.push(`  ${style.cyan(reason.cni)} documents ${reason.difference ?? ''}: ${reason.summary}`, `    source: ${reason.source ?? 'unknown'}`);
      else lines.push(`  scenario says for ${reason.cni}: ${reason.summary}`);
    }
    if (!first.isDocumented) lines.push(`  ${style.bold(style.yellow('undocumented:'))} no CNI profile documents this difference; inspect the rulesets (rehearse sandbox rules)`);
  }
  lines.push('', `${report.flows.length - report.undocumented} documented, ${report.undocumented} undocumented`);
  return `${lines.join('\n')}\n`;
}

/** The last line of a test command: one word a person (or a log grep) can trust. */
export function renderVerdictLine(runs: readonly CompletedRun[], options: { readonly style: TextStyle; readonly failOn: FailOnMode }): string {
  const { style, failOn } = options;
  const failing = runs.filter((run) => isRunFailing(run, failOn));
  const total = runs.reduce((sum, run) => sum + run.view.summary.total, 0);
  const passed = runs.reduce((sum, run) => sum + run.view.summary.passed, 0);
  const cnis = [...new Set(runs.map((run) => run.view.cni))].join(', ');
  const word = failing.length === 0 ? style.bold(style.green('PASS')) : style.bold(style.red('FAIL'));
  const unsupported = runs.reduce((sum, run) => sum + run.view.summary.unsupported, 0);
  const flaky = runs.reduce((sum, run) => sum + run.view.summary.flaky, 0);
  const notes = [
    ...(unsupported > 0 ? [`${unsupported} unsupported, not tested${failOn === 'any' ? '' : ' (--fail-on any fails them)'}`] : []),
    ...(flaky > 0 ? [`${flaky} flaky`] : []),
  ];
  const detail = failing.length === 0 ? '' : `; failing: ${failing.map((run) => `${run.view.cni} ${run.view.kind}`).join(', ')}`;
  return `${word} ${runs.length} ${runs.length === 1 ? 'run' : 'runs'} on ${cnis === '' ? 'no CNI' : cnis}, ${passed}/${total} probes passed${notes.length > 0 ? `, ${notes.join(', ')}` : ''} (--fail-on ${failOn})${detail}\n`;
}
