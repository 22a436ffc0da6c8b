// `rehearse diff`: what a policy change does to traffic — the flows it newly denies and newly allows, with the
// deciding policy before and after. The topology (-f) is shared; --old and --new are the two policy sets.
import { z } from 'zod';
import { diffPolicies, FlowChangeKinds, summarizeFlowChanges } from '../../policy/index.ts';
import type { DiffOptions, FlowChange } from '../../policy/index.ts';
import type { CommandModule } from '../command.ts';
import { ExitCodes } from '../exit-codes.ts';
import type { CliIo } from '../io.ts';
import {
  addCniOption,
  addFileOption,
  addOutputOption,
  addPortOptions,
  collectRepeated,
  parseCommandOptions,
  parsePortFilter,
  protocolSchema,
  requireFiles,
  resolveCniProfile,
} from '../options.ts';
import { renderTable } from '../output/table.ts';
import { parseSources, readSources, reportInputIssues } from '../read-input.ts';
import { CliError, CliErrorCodes } from '../cli-error.ts';

const optionsSchema = z.object({
  filename: z.array(z.string()).default([]),
  old: z.array(z.string()).default([]),
  new: z.array(z.string()).default([]),
  port: z.string().optional(),
  protocol: protocolSchema.optional(),
  cni: z.string(),
  output: z.enum(['table', 'json']),
  exitCode: z.boolean().optional(),
});

function describeSide(change: FlowChange, side: 'before' | 'after'): string {
  const summary = change[side];
  const verdict = summary.isAllowed ? 'allowed' : 'denied';
  if (summary.decidedBy.length === 0) return `${verdict} (no policy isolates)`;
  return `${verdict} by ${summary.decidedBy.join(', ')}`;
}

function printChanges(io: CliIo, changes: readonly FlowChange[]): void {
  const colour = io.stdout.colour;
  const groups: [string, readonly FlowChange[], (text: string) => string][] = [
    ['NEWLY DENIED', changes.filter((c) => c.change === FlowChangeKinds.newlyDenied), colour.red],
    ['NEWLY ALLOWED', changes.filter((c) => c.change === FlowChangeKinds.newlyAllowed), colour.green],
  ];
  for (const [title, members, paint] of groups) {
    if (members.length === 0) continue;
    io.stdout.write(`${paint(colour.bold(`${title} (${members.length})`))}\n`);
    const rows = members.map((c) => [
      c.from,
      c.to,
      `${c.port}/${c.protocol}${c.portName === undefined ? '' : ` (${c.portName})`}${c.isLoopback ? ' loopback' : ''}`,
      describeSide(c, 'before'),
      describeSide(c, 'after'),
    ]);
    io.stdout.write(renderTable({ headers: ['FROM', 'TO', 'PORT', 'BEFORE', 'AFTER'], rows }));
    io.stdout.write('\n');
  }
  io.stdout.write(`${summarizeFlowChanges(changes)}\n`);
}

export const command: CommandModule = {
  description:
    'Show what a policy change does to traffic: every flow the new policies deny that the old ones allowed, and\n' +
    'the reverse, each with the deciding policy before and after. -f gives the topology (namespaces,\n' +
    'workloads, services) shared by both sides; --old and --new give the two policy sets.',
  usage: 'diff -f TOPOLOGY... --old POLICIES... --new POLICIES... [--port PORT --protocol TCP] [--cni NAME] [-o table|json] [--exit-code]',
  examples: [
    {
      description: 'What does adding allow-from-y change, on top of a deny-all?',
      command:
        'rehearse diff -f test/fixtures/upstream-model.yaml --old test/fixtures/policies/deny-all-x.yaml ' +
        '--new test/fixtures/policies/deny-all-x.yaml --new test/fixtures/policies/allow-from-y.yaml',
    },
    { description: 'Review a pull request: policies on main against the branch, failing CI on any change', command: 'rehearse diff -f topology/ --old main-policies/ --new policies/ --exit-code' },
  ],
  configure(command) {
    addFileOption(command, 'topology: a file, a directory, or - for stdin (repeatable); shared by both sides');
    command.option('--old <path>', 'the policies before the change (repeatable; a file or directory)', collectRepeated);
    command.option('--new <path>', 'the policies after the change (repeatable; a file or directory)', collectRepeated);
    addPortOptions(command, 'only this port (a number or a container port name); default: every declared port');
    addCniOption(command);
    addOutputOption(command, ['table', 'json'], 'table');
    command.option('--exit-code', 'exit 1 when any flow changes (like git diff --exit-code)');
  },
  async run(context) {
    const options = parseCommandOptions(optionsSchema, context.options, 'diff');
    const topology = requireFiles(options.filename, 'diff');
    if (options.old.length === 0 || options.new.length === 0) {
      throw new CliError(CliErrorCodes.usage, 'diff needs both --old and --new (each a file or directory of policies)', {
        hints: ['Example: rehearse diff -f topology.yaml --old before/ --new after/', "Run 'rehearse diff --help' for usage."],
      });
    }
    if (options.old.includes('-') || options.new.includes('-')) {
      throw new CliError(CliErrorCodes.usage, '--old and --new read files; only -f may be - (stdin), and only once');
    }
    const profile = resolveCniProfile(options.cni);
    const portFilter = parsePortFilter(options);
    const { io } = context;
    // The topology is read once (stdin can only be read once) and parsed with each policy set.
    const shared = await readSources(io, topology);
    const oldSources = await readSources(io, options.old);
    const newSources = await readSources(io, options.new);
    const parseOptions = { commandName: 'diff', isCollectingIssues: true, isVerbose: context.isVerbose };
    const before = parseSources(io, { sources: [...shared.sources, ...oldSources.sources], issues: [...shared.issues, ...oldSources.issues] }, parseOptions);
    const after = parseSources(io, { sources: [...shared.sources, ...newSources.sources], issues: [...newSources.issues] }, parseOptions);
    // Problems of the shared topology come back from both parses; report each once.
    const seen = new Set<string>();
    const issues = [...before.issues, ...after.issues].filter((issue) => {
      const key = JSON.stringify(issue);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    reportInputIssues(io, issues, { commandName: 'diff', isVerbose: context.isVerbose });
    const diffOptions: DiffOptions = {
      profile,
      ...portFilter,
    };
    const changes = diffPolicies(before.cluster, after.cluster, diffOptions);
    if (options.output === 'json') {
      const newlyDenied = changes.filter((c) => c.change === FlowChangeKinds.newlyDenied).length;
      io.stdout.write(
        `${JSON.stringify({ summary: summarizeFlowChanges(changes), newlyDenied, newlyAllowed: changes.length - newlyDenied, changes }, null, 2)}\n`,
      );
    } else {
      printChanges(io, changes);
    }
    return options.exitCode === true && changes.length > 0 ? ExitCodes.findings : ExitCodes.ok;
  },
};
