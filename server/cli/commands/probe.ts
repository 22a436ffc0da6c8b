// `rehearse probe`: prove the prediction with packets. Creates a sandbox (local by default, or any --provider),
// probes the full matrix (every pod and external endpoint to every declared port of every other), compares each
// observation with the engine's prediction for that CNI, prints the results and tears the sandbox down, also on
// Ctrl-C, SIGTERM and failure.
import { z } from 'zod';
import { planMatrixProbes, runMatrixProbes } from '../../probe/run-matrix-probes.ts';
import type { ProbeComparison, ProbeRunSummary } from '../../probe/run-matrix-probes.ts';
import { generateSandboxId } from '../../sandbox/local/names.ts';
import type { CommandModule } from '../command.ts';
import { CliError, CliErrorCodes } from '../cli-error.ts';
import { ExitCodes } from '../exit-codes.ts';
import type { CliIo } from '../io.ts';
import { getEngineProfileOf } from '../../sandbox/providers.ts';
import {
  addFileOption,
  addOutputOption,
  addPortOptions,
  parseCommandOptions,
  parsePortFilter,
  protocolSchema,
  requireFiles,
} from '../options.ts';
import { renderTable } from '../output/table.ts';
import { readManifests } from '../read-input.ts';
import {
  addProviderOptions,
  getOwner,
  openRequestedProvider,
  parseTtl,
  resolveProviderChoice,
} from '../sandbox-commands.ts';

const optionsSchema = z.object({
  filename: z.array(z.string()),
  provider: z.string(),
  kubeconfig: z.string().optional(),
  cni: z.string().optional(),
  port: z.string().optional(),
  protocol: protocolSchema.optional(),
  output: z.enum(['table', 'json']),
  timeout: z.string(),
  concurrency: z.string(),
  ttl: z.string(),
  includeSystem: z.boolean().optional(),
});

function parsePositiveInteger(text: string, flag: string, max: number): number {
  if (!/^[1-9][0-9]*$/.test(text) || Number(text) > max) throw new CliError(CliErrorCodes.usage, `invalid ${flag} "${text}": use a whole number from 1 to ${max}`);
  return Number(text);
}

function printTable(io: CliIo, results: readonly ProbeComparison[], summary: ProbeRunSummary): void {
  const colour = io.stdout.colour;
  const paint = (outcome: string): string => (outcome === 'allowed' ? colour.green(outcome) : outcome === 'denied' ? colour.red(outcome) : colour.yellow(outcome));
  const rows = results.map((result) => [
    result.from,
    result.to,
    `${result.port}/${result.protocol}`,
    paint(result.predicted),
    paint(result.observed),
    result.match ? '' : colour.bold(colour.yellow('MISMATCH')),
    result.latencyMs.toFixed(2),
  ]);
  io.stdout.write(renderTable({ headers: ['FROM', 'TO', 'PORT', 'PREDICTED', 'OBSERVED', 'MATCH', 'MS'], rows }));
  const mismatches = results.filter((result) => !result.match);
  if (mismatches.length > 0) {
    io.stdout.write(`\n${colour.bold('Mismatches')} (prediction ≠ observation: the CNI or environment differs from the model)\n`);
    for (const result of mismatches) {
      io.stdout.write(`  ${result.from} → ${result.to} ${result.port}/${result.protocol}: predicted ${result.predicted}, observed ${result.observed}\n`);
      io.stdout.write(`    predicted because: ${result.reason}\n`);
      if (result.detail !== undefined) io.stdout.write(`    observed: ${result.detail}\n`);
    }
  }
  const counts = Object.entries(summary.observed)
    .filter(([, count]) => count > 0)
    .map(([outcome, count]) => `${count} ${outcome}`)
    .join(', ');
  const verdict = summary.mismatched === 0 ? colour.green('all match') : colour.red(`${summary.mismatched} mismatched`);
  io.stdout.write(`\n${summary.probes} probes (${counts}) in ${summary.durationMs} ms, profile ${summary.profile}: ${verdict}; ${summary.skipped} pairs skipped (loopback)\n`);
}

export const command: CommandModule = {
  description:
    'Prove the prediction with real packets: create a sandbox, probe the full matrix (every pod and external\n' +
    'endpoint to every declared port/protocol of every other), compare each observation with the engine\n' +
    "prediction, print the results and destroy the sandbox. Exit 1 when any observation differs (an\n" +
    "'unsupported' probe is reported and never counts as passed). Pod-to-itself pairs are skipped.",
  usage: 'probe -f PATH... [--provider local|kind|eks|gke|aks|cluster] [--kubeconfig PATH] [--cni NAME] [--port PORT --protocol TCP|UDP|SCTP] [-o table|json]',
  examples: [
    { description: 'Every pair of the upstream e2e model on ports 80/81, TCP and UDP', command: 'rehearse probe -f test/fixtures/upstream-model.yaml' },
    { description: 'Only 80/TCP, as Cilium enforces it, as JSON for CI', command: 'rehearse probe -f manifests/ --cni cilium --port 80 --protocol TCP -o json' },
    { description: 'The same matrix on a kind cluster running the real Cilium', command: 'rehearse probe -f manifests/ --provider kind --cni cilium' },
  ],
  handlesInterrupt: true,
  configure(command) {
    addFileOption(command);
    addProviderOptions(command, 'where the throw-away sandbox runs');
    command.option('--cni <name>', "the CNI (default: the provider's own; 'rehearse providers' lists them); predictions use its engine profile");
    addPortOptions(command, 'only this target port (a number, or a container port name); default: every declared port');
    addOutputOption(command, ['table', 'json'], 'table');
    command.option('--timeout <ms>', 'per-probe timeout in milliseconds', '1000');
    command.option('--concurrency <n>', 'probes in flight at once', '32');
    command.option('--ttl <duration>', 'TTL of the throw-away sandbox, in case this command is killed', '10m');
    command.option('--include-system', 'also probe from and to system pods (the cluster DNS)');
  },
  async run(context) {
    const options = parseCommandOptions(optionsSchema, context.options, 'probe');
    const files = requireFiles(options.filename, 'probe');
    const { providerName, cni } = resolveProviderChoice(options);
    const profile = getEngineProfileOf(providerName, cni) ?? cni;
    const portFilter = parsePortFilter(options);
    const timeoutMs = parsePositiveInteger(options.timeout, '--timeout', 60_000);
    const concurrency = parsePositiveInteger(options.concurrency, '--concurrency', 1024);
    const ttlSeconds = parseTtl(options.ttl);
    const { cluster } = await readManifests(context.io, files, { commandName: 'probe' });
    const plan = planMatrixProbes(cluster, {
      profile,
      timeoutMs,
      includeSystem: options.includeSystem === true,
      ...portFilter,
    });
    if (plan.probes.length === 0) throw new CliError(CliErrorCodes.invalidInput, 'nothing to probe: no pod or external endpoint declares a port that matches');

    const provider = await openRequestedProvider(context, { providerName, kubeconfigPath: options.kubeconfig });
    if (provider === undefined) return ExitCodes.environment;
    const started = performance.now();
    const handle = await provider.create({
      id: generateSandboxId(),
      cni,
      ttlSeconds,
      owner: getOwner(context.io.env),
      cluster,
      signal: context.signal,
      onProgress: (event) => {
        if (context.isVerbose || providerName !== 'local') context.io.stderr.write(`${context.io.stderr.colour.dim(`${event.step}: ${event.message}`)}\n`);
      },
    });
    const readyMs = Math.round(performance.now() - started);
    try {
      if (context.isVerbose) context.io.stderr.write(`sandbox ${handle.id} ready in ${readyMs} ms; ${plan.probes.length} probes\n`);
      const { results, summary } = await runMatrixProbes(handle, plan, { signal: context.signal, concurrency });
      if (context.signal.aborted) throw new CliError(CliErrorCodes.usage, 'interrupted: the sandbox was destroyed and no results were printed', { exitCode: ExitCodes.environment });
      if (options.output === 'json') {
        const document = { sandbox: { id: handle.id, provider: providerName, cni, profile, readyMs }, results, skipped: plan.skipped, summary };
        context.io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
      } else {
        context.io.stdout.write(`${context.io.stdout.colour.dim(`sandbox ${handle.id} (${providerName}, ${cni}) ready in ${readyMs} ms`)}\n`);
        printTable(context.io, results, summary);
      }
      return summary.mismatched === 0 ? ExitCodes.ok : ExitCodes.findings;
    } finally {
      await handle.destroy();
    }
  },
};
