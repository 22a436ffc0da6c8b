// `rehearse providers`: every provider, whether it can make sandboxes on this host, the CNIs it offers and, where
// it cannot, each failed preflight check with its fix (what GET /api/providers shows).
import { z } from 'zod';
import type { ProviderAvailability } from '../../sandbox/contract.ts';
import { getDefaultCni, listProviderCnis } from '../../sandbox/providers.ts';
import { formatProblems } from '../../sandbox/pulumi/preflight.ts';
import type { CommandModule } from '../command.ts';
import { ExitCodes } from '../exit-codes.ts';
import { addOutputOption, parseCommandOptions } from '../options.ts';
import { renderTable } from '../output/table.ts';
import { createProviderSession, providerNameList } from '../sandbox-commands.ts';

const optionsSchema = z.object({ output: z.enum(['table', 'json']), kubeconfig: z.string().optional() });

export const command: CommandModule = {
  description:
    'List every sandbox provider: whether it can make sandboxes on this host, the CNIs it offers (the first is the\n' +
    'default) and, for each one that cannot, every failed preflight check with the command that fixes it. Runs the\n' +
    'same checks as GET /api/providers; nothing is created.',
  usage: 'providers [--kubeconfig PATH] [-o table|json]',
  examples: [
    { description: 'What this host can run', command: 'rehearse providers' },
    { description: 'Check an existing cluster as a provider', command: 'rehearse providers --kubeconfig ~/.kube/staging' },
  ],
  configure(command) {
    command.option('--kubeconfig <path>', 'the kubeconfig the cluster provider checks (default: first KUBECONFIG entry, else ~/.kube/config)');
    addOutputOption(command, ['table', 'json'], 'table');
  },
  async run(context) {
    const options = parseCommandOptions(optionsSchema, context.options, 'providers');
    const session = createProviderSession({ io: context.io, isVerbose: context.isVerbose, ...(options.kubeconfig === undefined ? {} : { kubeconfigPath: options.kubeconfig }) });
    // Checks run side by side: most are a missing tool (instant), the slow ones (a cluster's API server) overlap.
    const availabilities: ProviderAvailability[] = await Promise.all(providerNameList.map((name) => session.checkHost(name)));
    if (options.output === 'json') {
      context.io.stdout.write(`${JSON.stringify({ providers: availabilities }, null, 2)}\n`);
      return ExitCodes.ok;
    }
    const colour = context.io.stdout.colour;
    const rows = availabilities.map((availability) => {
      const cnis = availability.cnis.length > 0 ? availability.cnis : listProviderCnis(availability.provider);
      const ordered = [getDefaultCni(availability.provider), ...cnis.filter((cni) => cni !== getDefaultCni(availability.provider))];
      return [availability.provider, availability.isAvailable ? colour.green('yes') : colour.red('no'), ordered.join(', ')];
    });
    context.io.stdout.write(renderTable({ headers: ['PROVIDER', 'AVAILABLE', 'CNIS (default first)'], rows }));
    for (const availability of availabilities.filter((candidate) => !candidate.isAvailable)) {
      context.io.stdout.write(`\n${formatProblems(availability.provider, availability.problems)}\n`);
    }
    return ExitCodes.ok;
  },
};
