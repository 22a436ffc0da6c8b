// `rehearse reap`: reap every expired sandbox of every provider that can run here (and failed or half-built local
// ones), and print what was removed. Every sandbox command does this first; this command does only that, for cron and CI cleanup
// (a kind or cloud sandbox has no process of ours waiting for its expiry).
import { z } from 'zod';
import type { CommandModule } from '../command.ts';
import { ExitCodes } from '../exit-codes.ts';
import { addOutputOption, parseCommandOptions } from '../options.ts';
import { createProviderSession, describeSandbox } from '../sandbox-commands.ts';
import type { ReapedSandbox } from '../sandbox-commands.ts';

const optionsSchema = z.object({ output: z.enum(['text', 'json']), kubeconfig: z.string().optional() });

export const command: CommandModule = {
  description:
    'Reap every sandbox past its expiry, of every provider that can run on this host (and local ones that failed\n' +
    'or were left half-built by a killed command), and print what was removed. Sandbox commands do this before\n' +
    'anything else; run this from cron or at the end of a CI job so a kind or cloud sandbox never outlives its TTL\n' +
    'by more than the interval. Providers that cannot run here are reported when this state home has records of theirs.',
  usage: 'reap [--kubeconfig PATH] [-o text|json]',
  examples: [
    { description: 'Remove what has expired', command: 'rehearse reap' },
    { description: 'Every five minutes, from cron', command: '*/5 * * * * rehearse reap -o json >> ~/.rehearsal/reap.log' },
  ],
  configure(command) {
    command.option('--kubeconfig <path>', 'the cluster whose sandbox namespaces to check (default: first KUBECONFIG entry, else ~/.kube/config)');
    addOutputOption(command, ['text', 'json'], 'text');
  },
  async run(context) {
    const options = parseCommandOptions(optionsSchema, context.options, 'reap');
    const reaped: ReapedSandbox[] = [];
    const session = createProviderSession({
      io: context.io,
      isVerbose: context.isVerbose,
      ...(options.kubeconfig === undefined ? {} : { kubeconfigPath: options.kubeconfig }),
      onReaped: (sandbox) => reaped.push(sandbox),
    });
    const { unreachable } = await session.sweepAll();
    const now = Date.now();
    const stuck = unreachable
      .map((provider) => ({ ...provider, due: provider.saved.filter((record) => Date.parse(record.expiresAt) <= now) }))
      .filter((provider) => provider.due.length > 0);
    if (options.output === 'json') {
      const document = {
        reaped,
        notReaped: stuck.flatMap((provider) => provider.due.map((record) => ({ id: record.id, provider: record.provider, expiresAt: record.expiresAt, problems: provider.availability.problems }))),
      };
      context.io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    } else {
      for (const sandbox of reaped) context.io.stdout.write(`removed ${describeSandbox(sandbox)} [${sandbox.provider}]: ${sandbox.reason}\n`);
      if (reaped.length === 0) context.io.stdout.write('Nothing to reap.\n');
      for (const provider of stuck) {
        const first = provider.availability.problems[0];
        for (const record of provider.due) {
          context.io.stderr.write(
            `${context.io.stderr.colour.red('error:')} ${describeSandbox(record)} [${record.provider}] expired at ${record.expiresAt} but cannot be reaped: ` +
              `${first === undefined ? 'the provider cannot run here' : `${first.check}: ${first.message}; fix: ${first.fix}`}\n`,
          );
        }
      }
    }
    // An expired sandbox that stays up may cost money: a failure, so cron mail and CI logs show it.
    return stuck.length === 0 ? ExitCodes.ok : ExitCodes.environment;
  },
};
