// `rehearse ls`: the sandboxes of every provider (local records and rh-* namespaces found without a record, plus
// what kind, eks, gke, aks and cluster discover), with time left. Expired and half-built ones are reaped first.
import { z } from 'zod';
import type { SandboxRecord } from '../../sandbox/contract.ts';
import type { CommandModule } from '../command.ts';
import { ExitCodes } from '../exit-codes.ts';
import { addOutputOption, parseCommandOptions } from '../options.ts';
import { renderTable } from '../output/table.ts';
import { countPods, createProviderSession, formatRemaining, providerNameList } from '../sandbox-commands.ts';

const optionsSchema = z.object({ output: z.enum(['table', 'json']), all: z.boolean().optional(), kubeconfig: z.string().optional() });

export const command: CommandModule = {
  description:
    'List sandboxes of every provider: id, name, provider, CNI, pods, status and time left. Expired and half-built\n' +
    "ones are reaped first. Providers that cannot run on this host are skipped ('rehearse providers' says why),\n" +
    'unless this state home has records of theirs, which are then shown as recorded.',
  usage: 'ls [-o table|json] [--all] [--kubeconfig PATH]',
  examples: [
    { description: 'Live sandboxes', command: 'rehearse ls' },
    { description: 'Including destroyed local ones of the last day, as JSON', command: 'rehearse ls --all -o json' },
  ],
  configure(command) {
    addOutputOption(command, ['table', 'json'], 'table');
    command.option('--all', 'include destroyed local sandboxes (kept for a day)');
    command.option('--kubeconfig <path>', 'the cluster whose sandbox namespaces to list (default: first KUBECONFIG entry, else ~/.kube/config)');
  },
  async run(context) {
    const options = parseCommandOptions(optionsSchema, context.options, 'ls');
    const session = createProviderSession({ io: context.io, isVerbose: context.isVerbose, ...(options.kubeconfig === undefined ? {} : { kubeconfigPath: options.kubeconfig }) });
    const { unreachable } = await session.sweepAll();
    const records: SandboxRecord[] = [];
    for (const name of providerNameList) records.push(...(await session.listLive(name)));
    for (const provider of unreachable) records.push(...provider.saved);
    if (options.all === true) {
      const { records: stored } = await (await session.local()).store.list();
      const shown = new Set(records.map((record) => record.id));
      records.push(...stored.filter((record) => !shown.has(record.id)));
    }
    const now = Date.now();
    if (options.output === 'json') {
      const sandboxes = records.map((record) => ({
        id: record.id,
        name: record.name,
        provider: record.provider,
        cni: record.cni,
        pods: countPods(record),
        status: record.status,
        createdAt: record.createdAt,
        expiresAt: record.expiresAt,
        expiresInSeconds: Math.max(0, Math.round((Date.parse(record.expiresAt) - now) / 1000)),
        ...(record.failure === undefined ? {} : { failure: record.failure }),
      }));
      const unavailable = unreachable
        .filter((provider) => provider.saved.length > 0)
        .map((provider) => ({ provider: provider.availability.provider, problems: provider.availability.problems }));
      context.io.stdout.write(`${JSON.stringify({ sandboxes, unavailable }, null, 2)}\n`);
      return ExitCodes.ok;
    }
    if (records.length === 0) {
      context.io.stdout.write('No sandboxes. Create one with: rehearse up -f <manifests>\n');
      return ExitCodes.ok;
    }
    const rows = records.map((record) => [
      record.id,
      record.name ?? '-',
      record.provider,
      record.cni,
      String(countPods(record) ?? '-'),
      record.status,
      record.status === 'destroyed' ? '-' : formatRemaining(Date.parse(record.expiresAt) - now),
    ]);
    context.io.stdout.write(renderTable({ headers: ['ID', 'NAME', 'PROVIDER', 'CNI', 'PODS', 'STATUS', 'EXPIRES IN'], rows }));
    for (const record of records) {
      if (record.failure !== undefined && record.status !== 'destroyed') context.io.stderr.write(`${record.id}: ${record.failure}\n`);
    }
    for (const provider of unreachable.filter((candidate) => candidate.saved.length > 0)) {
      const first = provider.availability.problems[0];
      const count = provider.saved.length;
      context.io.stderr.write(
        `${provider.availability.provider}: ${count} sandbox${count === 1 ? '' : 'es'} shown as recorded, not checked: the provider cannot run here` +
          `${first === undefined ? '' : ` (${first.check}: ${first.message})`}; they are reaped once it can\n`,
      );
    }
    return ExitCodes.ok;
  },
};
