// How problems in user input print: `file:line: path: severity: message [code]` then `  fix: ...`, the shape
// editors and CI logs recognise, for parse issues and lint findings alike.
import type { Issue, Severity } from '../../policy/index.ts';
import type { Palette } from './colour.ts';

function colourSeverity(severity: Severity, colour: Palette): string {
  if (severity === 'error') return colour.red(colour.bold('error'));
  if (severity === 'warning') return colour.yellow('warning');
  return colour.cyan('info');
}

export function formatIssue(issue: Issue, colour: Palette): string {
  const location = issue.line > 0 ? `${issue.file}:${issue.line}` : issue.file;
  const path = issue.path === '' ? '' : ` ${issue.path}:`;
  const head = `${colour.bold(`${location}:`)}${path} ${colourSeverity(issue.severity, colour)}: ${issue.message} ${colour.dim(`[${issue.code}]`)}`;
  return `${head}\n  ${colour.dim('fix:')} ${issue.fix}\n`;
}

export function countBySeverity(issues: readonly Issue[]): Readonly<Record<Severity, number>> {
  return {
    error: issues.filter((i) => i.severity === 'error').length,
    warning: issues.filter((i) => i.severity === 'warning').length,
    info: issues.filter((i) => i.severity === 'info').length,
  };
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** `3 findings: 1 error, 1 warning, 1 info`. */
export function summarizeIssues(issues: readonly Issue[]): string {
  if (issues.length === 0) return 'no findings';
  const counts = countBySeverity(issues);
  return `${plural(issues.length, 'finding')}: ${plural(counts.error, 'error')}, ${plural(counts.warning, 'warning')}, ${counts.info} info`;
}
