// `rehearse down`: tear a sandbox down now (or all of them), leaving no namespace, link, rule, process or socket.
import { z } from 'zod';
import type { SandboxRecord } from '../../sandbox/contract.ts';
import type { CommandModule } from '../command.ts';
import { CliError, CliErrorCodes } from '../cli-error.ts';
import { ExitCodes } from '../exit-codes.ts';
import { parseCommandOptions } from '../options.ts';
import { findSandbox, openLocalProvider } from '../sandbox-commands.ts';

const optionsSchema = z.object({ all: z.boolean().optional() });

export const command: CommandModule = {
  description: 'Destroy a sandbox now: its namespaces, links, nftables rules, agents, DNS server, supervisor and sockets.',
  usage: 'down <id|name> | --all',
  examples: [
    { description: 'One sandbox, by name or id', command: 'rehearse down review' },
    { description: 'Every sandbox of this state home', command: 'rehearse down --all' },
  ],
  configure(command) {
    command.argument('[sandbox]', 'the sandbox id (sb-...) or name');
    command.option('--all', 'destroy every sandbox');
  },
  async run(context) {
    const options = parseCommandOptions(optionsSchema, context.options, 'down');
    const target = context.args[0];
    if ((target === undefined) === (options.all !== true)) {
      throw new CliError(CliErrorCodes.usage, 'give one sandbox id or name, or --all', { hints: ["Run 'rehearse ls' to see them."] });
    }
    const provider = await openLocalProvider(context.io);
    let records: readonly SandboxRecord[];
    if (target === undefined) {
      // --all means this state home's sandboxes. Namespaces without a record here may be another state home's live
      // sandboxes (CI jobs, other users): they are only ever removed by naming them.
      const stored = new Set((await provider.store.list()).records.map((record) => record.id));
      const found = await provider.discover();
      records = found.filter((record) => stored.has(record.id));
      const unowned = found.filter((record) => !stored.has(record.id));
      for (const record of unowned) context.io.stderr.write(`left ${record.id} alone: it has no record in this state home ('rehearse down ${record.id}' removes it)\n`);
    } else {
      records = [await findSandbox(provider, target)];
    }
    for (const record of records) {
      await provider.reap(record);
      context.io.stdout.write(`destroyed ${record.id}${record.name === undefined ? '' : ` (${record.name})`}\n`);
    }
    if (records.length === 0) context.io.stdout.write('No sandboxes to destroy.\n');
    return ExitCodes.ok;
  },
};
