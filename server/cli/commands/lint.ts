// `rehearse lint`: every finding in a set of manifests, parse problems included, sorted by file and line.
import { z } from 'zod';
import { compareIssues, lintChecks, lintPolicies } from '../../policy/index.ts';
import type { Issue } from '../../policy/index.ts';
import type { CommandModule } from '../command.ts';
import { ExitCodes } from '../exit-codes.ts';
import { addFileOption, addOutputOption, parseCommandOptions, requireFiles } from '../options.ts';
import { countBySeverity, formatIssue, summarizeIssues } from '../output/issues.ts';
import { renderTable } from '../output/table.ts';
import { readManifests } from '../read-input.ts';

const optionsSchema = z.object({
  filename: z.array(z.string()).default([]),
  output: z.enum(['table', 'json']),
  listChecks: z.boolean().optional(),
});

function describeChecks(): string {
  const rows = Object.entries(lintChecks).map(([code, check]) => [code, check.severity, check.summary]);
  return renderTable({ headers: ['CODE', 'SEVERITY', 'WHAT IT FINDS'], rows });
}

export const command: CommandModule = {
  description:
    'Find mistakes in NetworkPolicies without sending a packet: selectors that match nothing (with the closest\n' +
    'existing label), egress that blocks DNS, hidden allow-alls, rules shadowed by broader ones, ipBlocks that\n' +
    'CNIs read differently, and more. Problems reading the manifests are reported as findings too.\n' +
    'Exits 1 when a finding has severity error.',
  usage: 'lint -f PATH... [-o table|json] [--list-checks]',
  examples: [
    { description: 'Lint policies together with the workloads they select', command: 'rehearse lint -f manifests/ -f policies/' },
    { description: 'Lint what a cluster runs, as JSON for CI annotations', command: 'kubectl get netpol,pods,ns -A -o yaml | rehearse lint -f - -o json' },
    { description: 'List every check with its code and severity', command: 'rehearse lint --list-checks' },
  ],
  configure(command) {
    addFileOption(command);
    addOutputOption(command, ['table', 'json'], 'table');
    command.option('--list-checks', 'print every check (code, severity, what it finds) and exit');
  },
  async run(context) {
    const options = parseCommandOptions(optionsSchema, context.options, 'lint');
    const { io } = context;
    if (options.listChecks === true) {
      io.stdout.write(describeChecks());
      return ExitCodes.ok;
    }
    const files = requireFiles(options.filename, 'lint');
    const input = await readManifests(io, files, { commandName: 'lint', isCollectingIssues: true, isVerbose: context.isVerbose });
    const findings: Issue[] = [...input.issues, ...lintPolicies(input.cluster)].sort(compareIssues);
    const counts = countBySeverity(findings);
    if (options.output === 'json') {
      io.stdout.write(`${JSON.stringify({ findings, summary: { total: findings.length, ...counts } }, null, 2)}\n`);
    } else {
      for (const finding of findings) io.stdout.write(formatIssue(finding, io.stdout.colour));
      if (findings.length > 0) io.stdout.write('\n');
      const summary = summarizeIssues(findings);
      io.stdout.write(`${counts.error > 0 ? io.stdout.colour.red(summary) : summary}\n`);
    }
    return counts.error > 0 ? ExitCodes.findings : ExitCodes.ok;
  },
};
