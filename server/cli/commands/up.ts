// `rehearse up`: create a sandbox from manifests (local by default; kind, eks, gke, aks or an existing cluster with
// --provider) and return as soon as it is ready; it lives until its TTL.
import { z } from 'zod';
import type { ProgressEvent, SandboxRecord } from '../../sandbox/contract.ts';
import { describeInvalidSandboxName, generateSandboxId } from '../../sandbox/local/names.ts';
import { listProviderCnis } from '../../sandbox/providers.ts';
import type { CommandModule } from '../command.ts';
import { CliError, CliErrorCodes } from '../cli-error.ts';
import { ExitCodes } from '../exit-codes.ts';
import type { CliIo } from '../io.ts';
import { addFileOption, addOutputOption, parseCommandOptions, requireFiles } from '../options.ts';
import { readManifests } from '../read-input.ts';
import {
  addProviderOptions,
  describeSandbox,
  formatRemaining,
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
  ttl: z.string(),
  name: z.string().optional(),
  output: z.enum(['text', 'json']),
});

function printProgress(io: CliIo, event: ProgressEvent, startedMs: number): void {
  const seconds = Math.round((performance.now() - startedMs) / 1000);
  io.stderr.write(`${io.stderr.colour.dim(`[${String(seconds).padStart(4)} s] ${event.step}: ${event.message}`)}\n`);
}

function printReady(io: CliIo, record: SandboxRecord, pods: number, readyMs: number): void {
  const colour = io.stdout.colour;
  const ref = record.name ?? record.id;
  const readyIn = readyMs < 10_000 ? `${readyMs} ms` : `${Math.round(readyMs / 1000)} s`;
  const where = record.provider === 'local' ? '' : ` on ${record.provider}`;
  io.stdout.write(
    `${colour.green('sandbox')} ${colour.bold(describeSandbox(record))}${where} ready in ${readyIn}\n` +
      `  cni ${record.cni}, ${pods} pods, expires ${record.expiresAt} (in ${formatRemaining(Date.parse(record.expiresAt) - Date.now())})\n`,
  );
  if (record.provider !== 'local') {
    // Nothing of ours keeps running after this command: the expiry is enforced by whichever rehearsal runs next.
    io.stdout.write(`  destroyed at expiry by the next rehearsal command (or by 'rehearse serve', or 'rehearse reap' from cron)\n`);
  }
  io.stdout.write(`  next: rehearse apply ${ref} -f <policies>   rehearse sandbox rules ${ref}   rehearse down ${ref}\n`);
}

export const command: CommandModule = {
  description:
    'Create a sandbox from manifests (namespaces, pods, services, policies) and return once every pod serves its\n' +
    'ports. The default provider, local, builds one network namespace per pod on this host behind a router namespace\n' +
    'that enforces the policies with nftables as the chosen CNI would (root and the ip and nft tools). --provider\n' +
    'kind|eks|gke|aks makes a real cluster with Pulumi; --provider cluster uses namespaces of an existing cluster.\n' +
    'The sandbox is torn down when its TTL ends, even after this command has exited.',
  usage: 'up -f PATH... [--provider local|kind|eks|gke|aks|cluster] [--kubeconfig PATH] [--cni NAME] [--ttl 30m] [--name NAME] [-o text|json]',
  examples: [
    { description: 'The upstream e2e model, enforced as the Kubernetes API defines it', command: 'rehearse up -f test/fixtures/upstream-model.yaml' },
    { description: 'As Calico enforces it, for an hour, with a name', command: 'rehearse up -f manifests/ --cni calico --ttl 1h --name review' },
    { description: 'A kind cluster with the real Calico (Docker, kind and the Pulumi CLI)', command: 'rehearse up -f manifests/ --provider kind --cni calico' },
    { description: 'Namespaces on the cluster of a kubeconfig, compared with the Cilium profile', command: 'rehearse up -f manifests/ --provider cluster --kubeconfig ~/.kube/staging --cni cilium' },
  ],
  handlesInterrupt: true,
  configure(command) {
    addFileOption(command);
    addProviderOptions(command, 'where the sandbox runs');
    command.option('--cni <name>', `the CNI: for local an engine profile (${listProviderCnis('local').join(', ')}; default reference); 'rehearse providers' lists each provider's`);
    command.option('--ttl <duration>', 'how long the sandbox lives (5s to 4h)', '30m');
    command.option('--name <name>', 'a name to use instead of the id (a DNS-1123 label)');
    addOutputOption(command, ['text', 'json'], 'text');
  },
  async run(context) {
    const options = parseCommandOptions(optionsSchema, context.options, 'up');
    const files = requireFiles(options.filename, 'up');
    const { providerName, cni } = resolveProviderChoice(options);
    const ttlSeconds = parseTtl(options.ttl);
    if (options.name !== undefined) {
      const problem = describeInvalidSandboxName(options.name);
      if (problem !== undefined) throw new CliError(CliErrorCodes.usage, `--name: ${problem}`);
    }
    const { cluster } = await readManifests(context.io, files, { commandName: 'up' });
    const provider = await openRequestedProvider(context, { providerName, kubeconfigPath: options.kubeconfig });
    if (provider === undefined) return ExitCodes.environment;
    const started = performance.now();
    const handle = await provider.create({
      id: generateSandboxId(),
      ...(options.name === undefined ? {} : { name: options.name }),
      cni,
      ttlSeconds,
      owner: getOwner(context.io.env),
      cluster,
      signal: context.signal,
      onProgress: (event) => {
        // A local sandbox is ready in a second; a cluster takes minutes, and silence would look like a hang.
        if (context.isVerbose || providerName !== 'local') printProgress(context.io, event, started);
      },
    });
    const readyMs = Math.round(performance.now() - started);
    const record = handle.record();
    await handle.detach();
    const pods = cluster.pods.length;
    if (options.output === 'json') {
      const summary = { id: record.id, name: record.name, provider: record.provider, cni: record.cni, pods, status: record.status, expiresAt: record.expiresAt, readyMs };
      context.io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      return ExitCodes.ok;
    }
    printReady(context.io, record, pods, readyMs);
    return ExitCodes.ok;
  },
};
