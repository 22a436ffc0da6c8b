// `rehearse ls`: the sandboxes of this state home (and rh-* namespaces found without a record), with time left.
import { z } from 'zod';
import type { SandboxRecord } from '../../sandbox/contract.ts';
import type { CommandModule } from '../command.ts';
import { ExitCodes } from '../exit-codes.ts';
import { addOutputOption, parseCommandOptions } from '../options.ts';
import { renderTable } from '../output/table.ts';
import { countPods, formatRemaining, openLocalProvider } from '../sandbox-commands.ts';

const optionsSchema = z.object({ output: z.enum(['table', 'json']), all: z.boolean().optional() });

export const command: CommandModule = {
  description: 'List sandboxes: id, name, CNI, pods, status and time left. Expired and half-built ones are reaped first.',
  usage: 'ls [-o table|json] [--all]',
  examples: [
    { description: 'Live sandboxes', command: 'rehearse ls' },
    { description: 'Including destroyed ones of the last day, as JSON', command: 'rehearse ls --all -o json' },
  ],
  configure(command) {
    addOutputOption(command, ['table', 'json'], 'table');
    command.option('--all', 'include destroyed sandboxes (kept for a day)');
  },
  async run(context) {
    const options = parseCommandOptions(optionsSchema, context.options, 'ls');
    const provider = await openLocalProvider(context.io);
    const live = await provider.discover();
    let records: readonly SandboxRecord[] = live;
    if (options.all === true) {
      const { records: stored } = await provider.store.list();
      const liveIds = new Set(live.map((record) => record.id));
      records = [...live, ...stored.filter((record) => !liveIds.has(record.id))];
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
      context.io.stdout.write(`${JSON.stringify({ sandboxes }, null, 2)}\n`);
      return ExitCodes.ok;
    }
    if (records.length === 0) {
      context.io.stdout.write('No sandboxes. Create one with: rehearse up -f <manifests>\n');
      return ExitCodes.ok;
    }
    const rows = records.map((record) => [
      record.id,
      record.name ?? '-',
      record.cni,
      String(countPods(record) ?? '-'),
      record.status,
      record.status === 'destroyed' ? '-' : formatRemaining(Date.parse(record.expiresAt) - now),
    ]);
    context.io.stdout.write(renderTable({ headers: ['ID', 'NAME', 'CNI', 'PODS', 'STATUS', 'EXPIRES IN'], rows }));
    for (const record of records) {
      if (record.failure !== undefined && record.status !== 'destroyed') context.io.stderr.write(`${record.id}: ${record.failure}\n`);
    }
    return ExitCodes.ok;
  },
};
