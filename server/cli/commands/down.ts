// `rehearse down`: tear a sandbox down now (or all of this state home's), with the provider its record names: a
// local sandbox leaves no namespace, link, rule, process or socket; a kind or cloud one has its stack destroyed; a
// cluster one has its namespaces deleted.
import { z } from 'zod';
import type { SandboxRecord } from '../../sandbox/contract.ts';
import type { CommandModule } from '../command.ts';
import { CliError, CliErrorCodes } from '../cli-error.ts';
import { ExitCodes } from '../exit-codes.ts';
import { parseCommandOptions } from '../options.ts';
import { createProviderSession, describeSandbox, providerNameList } from '../sandbox-commands.ts';
import type { ProviderSession } from '../sandbox-commands.ts';

const optionsSchema = z.object({ all: z.boolean().optional() });

/** --all means this state home's sandboxes: its local records and the records it saved for other providers. */
async function listOwnSandboxes(session: ProviderSession, warn: (line: string) => void): Promise<readonly SandboxRecord[]> {
  const local = await session.local();
  // Namespaces without a record here may be another state home's live sandboxes (CI jobs, other users): they are
  // only ever removed by naming them.
  const stored = new Set((await local.store.list()).records.map((record) => record.id));
  const found = await session.listLive('local');
  for (const record of found.filter((candidate) => !stored.has(candidate.id))) {
    warn(`left ${record.id} alone: it has no record in this state home ('rehearse down ${record.id}' removes it)\n`);
  }
  const records = found.filter((record) => stored.has(record.id));
  for (const name of providerNameList) {
    if (name === 'local') continue;
    const live = new Set((await session.listLive(name)).map((record) => record.id));
    // A saved record the sweep just reaped is gone; one of a provider that cannot run here is still tried (and fails loudly).
    const isAvailable = (await session.checkHost(name)).isAvailable;
    records.push(...(await session.listSaved(name)).filter((record) => !isAvailable || live.has(record.id)));
  }
  return records;
}

export const command: CommandModule = {
  description:
    'Destroy a sandbox now, whichever provider made it: a local one loses its namespaces, links, nftables rules,\n' +
    'agents, supervisor and sockets; a kind or cloud one its Pulumi stack; a cluster one its namespaces.',
  usage: 'down <id|name> | --all',
  examples: [
    { description: 'One sandbox, by name or id', command: 'rehearse down review' },
    { description: 'Every sandbox of this state home, of every provider', command: 'rehearse down --all' },
  ],
  configure(command) {
    command.argument('[sandbox]', 'the sandbox id (sb-...) or name');
    command.option('--all', 'destroy every sandbox of this state home');
  },
  async run(context) {
    const options = parseCommandOptions(optionsSchema, context.options, 'down');
    const target = context.args[0];
    if ((target === undefined) === (options.all !== true)) {
      throw new CliError(CliErrorCodes.usage, 'give one sandbox id or name, or --all', { hints: ["Run 'rehearse ls' to see them."] });
    }
    const session = createProviderSession({ io: context.io, isVerbose: context.isVerbose });
    if (target !== undefined) {
      const { record, provider } = await session.find(target);
      await provider.reap(record);
      context.io.stdout.write(`destroyed ${describeSandbox(record)}${record.provider === 'local' ? '' : ` [${record.provider}]`}\n`);
      return ExitCodes.ok;
    }
    const records = await listOwnSandboxes(session, (line) => context.io.stderr.write(line));
    const failed: { readonly record: SandboxRecord; readonly message: string }[] = [];
    for (const record of records) {
      const provider = await session.build(record.provider);
      try {
        await provider.reap(record);
        context.io.stdout.write(`destroyed ${describeSandbox(record)}${record.provider === 'local' ? '' : ` [${record.provider}]`}\n`);
      } catch (error) {
        // Keep going: one stuck sandbox must not keep the others alive.
        failed.push({ record, message: error instanceof Error ? error.message : String(error) });
      }
    }
    if (records.length === 0) context.io.stdout.write('No sandboxes to destroy.\n');
    for (const { record, message } of failed) context.io.stderr.write(`${context.io.stderr.colour.red('error:')} could not destroy ${describeSandbox(record)} [${record.provider}]: ${message}\n`);
    return failed.length === 0 ? ExitCodes.ok : ExitCodes.environment;
  },
};
