// `rehearse up`: create a local sandbox from manifests and return as soon as it is ready; it lives until its TTL.
import { z } from 'zod';
import { generateSandboxId } from '../../sandbox/local/names.ts';
import type { CommandModule } from '../command.ts';
import { ExitCodes } from '../exit-codes.ts';
import { addCniOption, addFileOption, addOutputOption, parseCommandOptions, requireFiles, resolveCniProfile } from '../options.ts';
import { readManifests } from '../read-input.ts';
import { formatRemaining, getOwner, openLocalProvider, parseTtl } from '../sandbox-commands.ts';
import { CliError, CliErrorCodes } from '../cli-error.ts';
import { describeInvalidSandboxName } from '../../sandbox/local/names.ts';

const optionsSchema = z.object({
  filename: z.array(z.string()),
  cni: z.string(),
  ttl: z.string(),
  name: z.string().optional(),
  output: z.enum(['text', 'json']),
});

export const command: CommandModule = {
  description:
    'Create a sandbox on this host from manifests (namespaces, pods, services, policies): one network namespace\n' +
    'per pod behind a router namespace that enforces the policies with nftables, as the chosen CNI would.\n' +
    'Returns once every pod serves its ports. The sandbox tears itself down when its TTL ends, even after\n' +
    'this command has exited. Needs root (or CAP_NET_ADMIN) and the ip and nft tools.',
  usage: 'up -f PATH... [--cni NAME] [--ttl 30m] [--name NAME] [-o text|json]',
  examples: [
    { description: 'The upstream e2e model, enforced as the Kubernetes API defines it', command: 'rehearse up -f test/fixtures/upstream-model.yaml' },
    { description: 'As Calico enforces it, for an hour, with a name', command: 'rehearse up -f manifests/ --cni calico --ttl 1h --name review' },
  ],
  handlesInterrupt: true,
  configure(command) {
    addFileOption(command);
    addCniOption(command);
    command.option('--ttl <duration>', 'how long the sandbox lives (5s to 4h)', '30m');
    command.option('--name <name>', 'a name to use instead of the id (a DNS-1123 label)');
    addOutputOption(command, ['text', 'json'], 'text');
  },
  async run(context) {
    const options = parseCommandOptions(optionsSchema, context.options, 'up');
    const files = requireFiles(options.filename, 'up');
    const cni = resolveCniProfile(options.cni);
    const ttlSeconds = parseTtl(options.ttl);
    if (options.name !== undefined) {
      const problem = describeInvalidSandboxName(options.name);
      if (problem !== undefined) throw new CliError(CliErrorCodes.usage, `--name: ${problem}`);
    }
    const { cluster } = await readManifests(context.io, files, { commandName: 'up' });
    const provider = await openLocalProvider(context.io);
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
        if (context.isVerbose) context.io.stderr.write(`${context.io.stderr.colour.dim(`${event.step}: ${event.message}`)}\n`);
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
    const colour = context.io.stdout.colour;
    const label = record.name === undefined ? record.id : `${record.id} (${record.name})`;
    context.io.stdout.write(
      `${colour.green('sandbox')} ${colour.bold(label)} ready in ${readyMs} ms\n` +
        `  cni ${record.cni}, ${pods} pods, expires ${record.expiresAt} (in ${formatRemaining(Date.parse(record.expiresAt) - Date.now())})\n` +
        `  next: rehearse apply ${record.name ?? record.id} -f <policies>   rehearse sandbox rules ${record.name ?? record.id}   rehearse down ${record.name ?? record.id}\n`,
    );
    return ExitCodes.ok;
  },
};
