// `rehearse sandbox rules|extend`: look inside a running sandbox of any provider (a local one's nftables ruleset,
// with counters and comments naming policies and rules) and move its expiry.
import { z } from 'zod';
import { SandboxError, SandboxErrorCodes } from '../../sandbox/contract.ts';
import type { CommandModule } from '../command.ts';
import { CliError, CliErrorCodes } from '../cli-error.ts';
import { ExitCodes } from '../exit-codes.ts';
import { parseCommandOptions } from '../options.ts';
import { createProviderSession, formatRemaining, parseTtl } from '../sandbox-commands.ts';

const optionsSchema = z.object({ ttl: z.string().optional() });
const actions = ['rules', 'extend'] as const;

export const command: CommandModule = {
  description:
    'rules:  print what a sandbox enforces: for a local one the router ruleset (nft list table inet rehearsal),\n' +
    '        with packet counters and comments naming the policy and rule behind every chain and set.\n' +
    'extend: give a sandbox a new TTL counted from now (a local one\'s supervisor follows; for kind, cloud and\n' +
    '        cluster sandboxes the new expiry is recorded where the next rehearsal command finds it).',
  usage: 'sandbox rules <id|name> | sandbox extend <id|name> --ttl 1h',
  examples: [
    { description: 'What the router enforces right now', command: 'rehearse sandbox rules review' },
    { description: 'Keep it for another hour', command: 'rehearse sandbox extend review --ttl 1h' },
  ],
  configure(command) {
    command.argument('<action>', actions.join('|'));
    command.argument('<sandbox>', 'the sandbox id (sb-...) or name');
    command.option('--ttl <duration>', 'for extend: the new TTL, from now (5s to 4h)');
  },
  async run(context) {
    const options = parseCommandOptions(optionsSchema, context.options, 'sandbox');
    const [action, target] = context.args;
    if (action !== 'rules' && action !== 'extend') {
      throw new CliError(CliErrorCodes.usage, `unknown action "${action ?? ''}": use ${actions.join(' or ')}`, { hints: ["Run 'rehearse sandbox --help' for usage."] });
    }
    if (target === undefined) throw new CliError(CliErrorCodes.usage, 'give the sandbox id or name');
    if (action === 'extend' && options.ttl === undefined) throw new CliError(CliErrorCodes.usage, 'extend needs --ttl (for example --ttl 1h)');
    const ttlSeconds = options.ttl === undefined ? undefined : parseTtl(options.ttl);
    const { record, provider } = await createProviderSession({ io: context.io, isVerbose: context.isVerbose }).find(target);
    const handle = await provider.attach(record);
    if (handle === undefined) throw new SandboxError(SandboxErrorCodes.notFound, `${record.id} is ${record.status}, not ready; 'rehearse ls' shows its state`);
    try {
      if (action === 'rules') {
        context.io.stdout.write(await handle.describeRules());
      } else if (ttlSeconds !== undefined) {
        const updated = await handle.extend(new Date(Date.now() + ttlSeconds * 1000));
        context.io.stdout.write(`${updated.id} now expires ${updated.expiresAt} (in ${formatRemaining(Date.parse(updated.expiresAt) - Date.now())})\n`);
      }
    } finally {
      await handle.detach();
    }
    return ExitCodes.ok;
  },
};
