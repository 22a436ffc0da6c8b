// `rehearse apply`: reconcile a running sandbox to new manifests (policies, labels, pods) in one atomic ruleset change.
import { z } from 'zod';
import { SandboxError, SandboxErrorCodes } from '../../sandbox/contract.ts';
import type { CommandModule } from '../command.ts';
import { CliError, CliErrorCodes } from '../cli-error.ts';
import { ExitCodes } from '../exit-codes.ts';
import { addFileOption, addOutputOption, parseCommandOptions, requireFiles } from '../options.ts';
import { readManifests } from '../read-input.ts';
import { createProviderSession, describeSandbox } from '../sandbox-commands.ts';

const optionsSchema = z.object({ filename: z.array(z.string()), output: z.enum(['text', 'json']) });

export const command: CommandModule = {
  description:
    'Make a running sandbox match these manifests: pods added or removed, labels and addresses changed, services\n' +
    'and DNS records updated, and the policy set swapped in one atomic nftables transaction. Prints what changed\n' +
    'and how long after the call the new rules were enforced. Pass the whole desired state, as with kubectl apply\n' +
    'of a directory: objects missing from the files are removed.',
  usage: 'apply <id|name> -f PATH... [-o text|json]',
  examples: [
    { description: 'Swap in a new policy set', command: 'rehearse apply review -f test/fixtures/upstream-model.yaml -f policies/' },
  ],
  configure(command) {
    command.argument('<sandbox>', 'the sandbox id (sb-...) or name');
    addFileOption(command);
    addOutputOption(command, ['text', 'json'], 'text');
  },
  async run(context) {
    const options = parseCommandOptions(optionsSchema, context.options, 'apply');
    const target = context.args[0];
    if (target === undefined) throw new CliError(CliErrorCodes.usage, 'give the sandbox id or name', { hints: ["Run 'rehearse ls' to see them."] });
    const files = requireFiles(options.filename, 'apply');
    const { cluster } = await readManifests(context.io, files, { commandName: 'apply' });
    const { record, provider } = await createProviderSession({ io: context.io, isVerbose: context.isVerbose }).find(target);
    const handle = await provider.attach(record);
    if (handle === undefined) throw new SandboxError(SandboxErrorCodes.notFound, `${record.id} is ${record.status}, not ready; 'rehearse ls' shows its state`);
    try {
      const result = await handle.apply(cluster, { signal: context.signal });
      if (options.output === 'json') {
        context.io.stdout.write(`${JSON.stringify({ id: record.id, ...result }, null, 2)}\n`);
      } else {
        const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
        context.io.stdout.write(
          `applied to ${describeSandbox(record)}: ${plural(result.policiesChanged, 'policy change')}, ` +
            `${plural(result.podsAdded, 'pod')} added, ${plural(result.podsRemoved, 'pod')} removed; enforced after ${result.enforcedAfterMs} ms\n`,
        );
      }
    } finally {
      await handle.detach();
    }
    return ExitCodes.ok;
  },
};
