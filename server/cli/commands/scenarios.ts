// `rehearse scenarios`: the canned scenario library — a table of them, or one in detail (`show NAME`).
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { z } from 'zod';
import { findClosestMatch, formatSelector } from '../../policy/index.ts';
import type { Cluster, ExpectationSide, Scenario } from '../../policy/index.ts';
import { findScenario, listScenarios } from '../../scenario/scenario-library.ts';
import { CliError, CliErrorCodes } from '../cli-error.ts';
import type { CommandModule } from '../command.ts';
import { ExitCodes } from '../exit-codes.ts';
import type { CliIo } from '../io.ts';
import { addOutputOption, parseCommandOptions } from '../options.ts';
import { renderTable } from '../output/table.ts';
import { readManifests } from '../read-input.ts';

const optionsSchema = z.object({ output: z.enum(['table', 'yaml', 'json']) });

/** The first sentence (or line) of a description, short enough for one table row. */
function summarizeDescription(text: string, maxChars = 90): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const sentence = flat.match(/^(.+?[.!?])(\s|$)/)?.[1] ?? flat;
  return sentence.length <= maxChars ? sentence : `${sentence.slice(0, maxChars - 1).trimEnd()}…`;
}

function formatSide(side: ExpectationSide): string {
  switch (side.kind) {
    case 'pod':
    case 'workload':
      return `${side.namespace}/${side.name}`;
    case 'service':
      return `svc/${side.namespace}/${side.name}`;
    case 'external':
      return `external/${side.name}`;
    case 'selector':
      return `${side.namespace === undefined ? 'any namespace' : side.namespace}: pods ${formatSelector(side.podSelector)}`;
  }
}

function describeWorkloads(cluster: Cluster): string {
  const groups = new Map<string, { kind: string; namespace: string; name: string; pods: number; labels: string; ports: string }>();
  for (const pod of cluster.pods) {
    if (pod.isSystem) continue;
    const key = `${pod.namespace}/${pod.workload.kind}/${pod.workload.name}`;
    const existing = groups.get(key);
    if (existing !== undefined) {
      existing.pods += 1;
      continue;
    }
    const ports = pod.containers.flatMap((c) => c.ports.map((p) => `${p.containerPort}/${p.protocol}${p.name === undefined ? '' : ` (${p.name})`}`));
    groups.set(key, {
      kind: pod.workload.kind,
      namespace: pod.namespace,
      name: pod.workload.name,
      pods: 1,
      labels: Object.entries(pod.labels).map(([k, v]) => `${k}=${v}`).join(','),
      ports: ports.join(', '),
    });
  }
  const rows = [...groups.values()].map((g) => [g.namespace, g.name, g.kind, String(g.pods), g.ports, g.labels]);
  return renderTable({ headers: ['NAMESPACE', 'NAME', 'KIND', 'PODS', 'PORTS', 'LABELS'], rows });
}

function describePolicies(cluster: Cluster): string {
  const rows = cluster.policies.map((p) => [
    p.namespace,
    p.name,
    formatSelector(p.podSelector),
    p.policyTypes.join(','),
    `${p.ingress.length} in / ${p.egress.length} out`,
  ]);
  return renderTable({ headers: ['NAMESPACE', 'NAME', 'POD SELECTOR', 'TYPES', 'RULES'], rows });
}

function describeExpectations(scenario: Scenario, colour: CliIo['stdout']['colour']): string {
  const rows = scenario.expectations.map((e) => [
    e.id,
    formatSide(e.from),
    formatSide(e.to),
    `${String(e.port)}/${e.protocol}`,
    e.allowed ? colour.green('allowed') : colour.red('denied'),
    scenario.brokenExpectations.includes(e.id) ? 'fails by design (exercise)' : (e.description ?? ''),
  ]);
  return renderTable({ headers: ['ID', 'FROM', 'TO', 'PORT', 'EXPECT', 'NOTE'], rows });
}

function resolveScenarioFile(name: string): string {
  const file = findScenario(name);
  if (file !== undefined) return file;
  const names = listScenarios().map((s) => s.name);
  const suggestion = findClosestMatch(name, names);
  throw new CliError(CliErrorCodes.unknownScenario, `no scenario "${name}"`, {
    hints: [...(suggestion === undefined ? [] : ['', 'Did you mean this?', `\t${suggestion}`, '']), `Scenarios: ${names.join(', ')}`],
  });
}

async function showScenario(io: CliIo, name: string, output: 'table' | 'yaml' | 'json'): Promise<void> {
  const file = resolveScenarioFile(name);
  if (output === 'yaml') {
    io.stdout.write(await readFile(file, 'utf8'));
    return;
  }
  const { cluster, scenario } = await readManifests(io, [file], { commandName: 'scenarios show' });
  if (scenario === undefined) {
    throw new CliError(CliErrorCodes.invalidInput, `${file} has no Scenario document (kind: Scenario)`, {
      hints: ['A scenario file holds its manifests and one document of apiVersion rehearsal.dev/v1alpha1, kind Scenario.'],
    });
  }
  if (output === 'json') {
    io.stdout.write(`${JSON.stringify({ file, scenario, cluster }, null, 2)}\n`);
    return;
  }
  const colour = io.stdout.colour;
  const lines: string[] = [
    `${colour.bold(scenario.name)} — ${scenario.title}`,
    colour.dim(`file: ${relative(io.cwd, file) || file}`),
    '',
    scenario.description.trim(),
    '',
  ];
  if (scenario.teaches.length > 0) lines.push(colour.bold('Teaches:'), ...scenario.teaches.map((t) => `  - ${t}`), '');
  io.stdout.write(`${lines.join('\n')}\n`);
  io.stdout.write(`${colour.bold('Workloads:')}\n${describeWorkloads(cluster)}\n`);
  io.stdout.write(`${colour.bold('Policies:')}\n${cluster.policies.length === 0 ? 'none\n' : describePolicies(cluster)}\n`);
  io.stdout.write(`${colour.bold('Expectations:')}\n${scenario.expectations.length === 0 ? 'none\n' : describeExpectations(scenario, colour)}`);
  if (scenario.variants.length > 0) {
    io.stdout.write(`\n${colour.bold('Variants:')}\n${scenario.variants.map((v) => `  ${v.name}: ${summarizeDescription(v.description, 120)}`).join('\n')}\n`);
  }
}

export const command: CommandModule = {
  description:
    'List the canned scenarios (namespaces, workloads, services, policies and expectations that teach one\n' +
    'NetworkPolicy lesson each), or show one in detail. `-o yaml` prints the scenario file itself.',
  usage: 'scenarios [show NAME] [-o table|yaml|json]',
  examples: [
    { description: 'List the scenario library', command: 'rehearse scenarios' },
    { description: 'What a scenario teaches, its workloads, policies and expectations', command: 'rehearse scenarios show three-tier' },
    { description: 'Start your own from a canned one', command: 'rehearse scenarios show three-tier -o yaml > my-scenario.yaml' },
  ],
  configure(command) {
    command.argument('[action]', 'show');
    command.argument('[name]', 'the scenario to show (a library name, or a path to a scenario file)');
    addOutputOption(command, ['table', 'yaml', 'json'], 'table');
  },
  async run(context) {
    const options = parseCommandOptions(optionsSchema, context.options, 'scenarios');
    const [action, name] = context.args;
    const { io } = context;
    if (action === undefined) {
      const scenarios = listScenarios();
      if (options.output === 'json') {
        io.stdout.write(`${JSON.stringify({ scenarios }, null, 2)}\n`);
      } else if (options.output === 'yaml') {
        throw new CliError(CliErrorCodes.usage, '-o yaml prints one scenario file: rehearse scenarios show NAME -o yaml');
      } else {
        const rows = scenarios.map((s) => [s.name, s.title, summarizeDescription(s.description)]);
        io.stdout.write(renderTable({ headers: ['NAME', 'TITLE', 'DESCRIPTION'], rows }));
      }
      return ExitCodes.ok;
    }
    if (action !== 'show') {
      const hint = findClosestMatch(action, ['show']) === undefined ? [] : ['Did you mean "show"?'];
      throw new CliError(CliErrorCodes.usage, `unknown action "${action}" for "rehearse scenarios"`, {
        hints: [...hint, 'Use: rehearse scenarios, or rehearse scenarios show NAME'],
      });
    }
    if (name === undefined) {
      throw new CliError(CliErrorCodes.usage, 'scenarios show needs a NAME', { hints: [`Scenarios: ${listScenarios().map((s) => s.name).join(', ')}`] });
    }
    await showScenario(io, name, options.output);
    return ExitCodes.ok;
  },
};
