// `rehearse explain`: why one flow is allowed or denied — the isolating policies, the admitting rule, or the
// closest rule and exactly what it missed. A Service target explains each backend the Service lands on.
import { z } from 'zod';
import {
  createEvaluator,
  evaluateServiceFlowWith,
  explainVerdict,
  findClosestMatch,
  formatEndpointKey,
  parseEndpointKey,
} from '../../policy/index.ts';
import type { Cluster, EndpointRef, FlowError, FlowResult, TargetRef, Verdict } from '../../policy/index.ts';
import { CliError, CliErrorCodes } from '../cli-error.ts';
import type { CommandModule } from '../command.ts';
import { ExitCodes } from '../exit-codes.ts';
import type { CliIo } from '../io.ts';
import {
  addCniOption,
  addFileOption,
  addOutputOption,
  addPortOptions,
  parseCommandOptions,
  parsePortText,
  protocolSchema,
  requireFiles,
  resolveCniProfile,
} from '../options.ts';
import { readManifests } from '../read-input.ts';

const optionsSchema = z.object({
  filename: z.array(z.string()).default([]),
  from: z.string({ error: 'is required (ns/pod or external/name)' }),
  to: z.string({ error: 'is required (ns/pod, external/name or svc/ns/name)' }),
  port: z.string({ error: 'is required (a number or a container port name)' }),
  protocol: protocolSchema.optional(),
  cni: z.string(),
  output: z.enum(['text', 'json']),
});

function listKnownKeys(cluster: Cluster, isTarget: boolean): string[] {
  return [
    ...cluster.pods.map((pod) => `${pod.namespace}/${pod.name}`),
    ...cluster.externals.map((external) => `external/${external.name}`),
    ...(isTarget ? cluster.services.map((service) => `svc/${service.namespace}/${service.name}`) : []),
  ];
}

function doesExist(cluster: Cluster, ref: TargetRef): boolean {
  switch (ref.kind) {
    case 'pod':
      return cluster.pods.some((pod) => pod.namespace === ref.namespace && pod.name === ref.name);
    case 'external':
      return cluster.externals.some((external) => external.name === ref.name);
    case 'service':
      return cluster.services.some((service) => service.namespace === ref.namespace && service.name === ref.name);
  }
}

/** `--from`/`--to` text to a reference that exists, or a usage error naming the closest that does. */
function resolveEndpoint(cluster: Cluster, text: string, flag: '--from' | '--to'): TargetRef {
  const isTarget = flag === '--to';
  const ref = parseEndpointKey(text);
  const forms = isTarget ? 'ns/pod, external/name or svc/ns/name' : 'ns/pod or external/name';
  if (ref === undefined) throw new CliError(CliErrorCodes.usage, `${flag} "${text}" is not ${forms}`);
  if (ref.kind === 'service' && !isTarget) {
    throw new CliError(CliErrorCodes.usage, `${flag} "${text}": traffic starts at a pod or an external endpoint, not a Service`);
  }
  if (doesExist(cluster, ref)) return ref;
  const known = listKnownKeys(cluster, isTarget);
  const suggestion = findClosestMatch(text, known, { maxDistance: Math.max(3, Math.floor(text.length / 3)) });
  const what = ref.kind === 'pod' ? 'pod' : ref.kind === 'external' ? 'external endpoint' : 'Service';
  throw new CliError(CliErrorCodes.unknownEndpoint, `${flag}: no ${what} ${formatEndpointKey(ref)} in the input`, {
    hints: [
      ...(suggestion === undefined ? [] : ['', 'Did you mean this?', `\t${suggestion}`, '']),
      `Known: ${known.slice(0, 12).join(', ')}${known.length > 12 ? `, ... (${known.length} in all)` : ''}`,
    ],
  });
}

function throwFlowError(error: FlowError): never {
  throw new CliError(CliErrorCodes.usage, error.message, { hints: [`fix: ${error.fix}`] });
}

function printVerdict(io: CliIo, verdict: Verdict, indent: string): void {
  const colour = io.stdout.colour;
  explainVerdict(verdict).forEach((line, i) => {
    let text = line;
    if (i === 0) text = line.replace(/^(ALLOWED|DENIED)/, (word) => colour.bold(word === 'ALLOWED' ? colour.green(word) : colour.red(word)));
    io.stdout.write(`${indent}${text}\n`);
  });
}

interface ExplainedResult {
  readonly backend?: string;
  readonly targetPort?: number;
  readonly result: FlowResult;
}

export const command: CommandModule = {
  description:
    'Explain one flow: which policies isolate each end, which rule admits the flow, or — for a denial — the\n' +
    'closest rule of every isolating policy and exactly what it missed (port, protocol, label, namespace).\n' +
    'A Service target (svc/ns/name) is explained per backend pod, after the Service port is translated.\n' +
    'Exits 0 whatever the verdict.',
  usage: 'explain -f PATH... --from ns/pod|external/name --to ns/pod|external/name|svc/ns/name --port PORT [--protocol TCP] [--cni NAME] [-o text|json]',
  examples: [
    {
      description: 'Why can y/a not reach x/a on 80/TCP?',
      command: 'rehearse explain -f test/fixtures/upstream-model.yaml -f test/fixtures/policies/allow-from-y.yaml --from x/b --to x/a --port 80',
    },
    { description: 'Through a Service: one explanation per backend', command: 'rehearse explain -f manifests/ --from shop/web-0 --to svc/shop/db --port 5432' },
    { description: 'A named port, as Cilium would enforce it', command: 'rehearse explain -f manifests/ --from x/a --to y/b --port serve-80-tcp --cni cilium' },
  ],
  configure(command) {
    addFileOption(command);
    command.option('--from <endpoint>', 'where the flow starts: ns/pod or external/name');
    command.option('--to <endpoint>', 'where it goes: ns/pod, external/name, or svc/ns/name for a Service');
    addPortOptions(command, 'destination port: a number or a container port name (for a Service: its port or port name)');
    addCniOption(command);
    addOutputOption(command, ['text', 'json'], 'text');
  },
  async run(context) {
    const options = parseCommandOptions(optionsSchema, context.options, 'explain');
    const files = requireFiles(options.filename, 'explain');
    const profile = resolveCniProfile(options.cni);
    const port = parsePortText(options.port);
    const protocol = options.protocol ?? 'TCP';
    const { cluster } = await readManifests(context.io, files, { commandName: 'explain', isVerbose: context.isVerbose });
    const from = resolveEndpoint(cluster, options.from, '--from');
    const to = resolveEndpoint(cluster, options.to, '--to');
    if (from.kind === 'service') throw new CliError(CliErrorCodes.usage, '--from cannot be a Service');
    const source: EndpointRef = from;
    const evaluator = createEvaluator(cluster, { profile });
    const results: ExplainedResult[] = [];
    let serviceHeader: string | undefined;
    if (to.kind === 'service') {
      const flow = evaluateServiceFlowWith(evaluator, { from: source, service: to, port, protocol });
      if (!flow.ok) throwFlowError(flow.error);
      const servicePort = flow.servicePort;
      serviceHeader =
        `${flow.service} port ${servicePort.port}/${servicePort.protocol}${servicePort.name === undefined ? '' : ` (${servicePort.name})`} ` +
        `→ targetPort ${String(servicePort.targetPort)} on ${flow.backends.length} ${flow.backends.length === 1 ? 'backend' : 'backends'}`;
      for (const backend of flow.backends) {
        results.push({ backend: backend.backend, ...(backend.targetPort === undefined ? {} : { targetPort: backend.targetPort }), result: backend.result });
      }
    } else {
      const result = evaluator.evaluate({ from: source, to, port, protocol });
      if (!result.ok) throwFlowError(result.error);
      results.push({ result });
    }
    const { io } = context;
    if (options.output === 'json') {
      const document = {
        from: formatEndpointKey(source),
        to: formatEndpointKey(to),
        port,
        protocol,
        profile,
        results: results.map((r) => ({
          ...(r.backend === undefined ? {} : { backend: r.backend, targetPort: r.targetPort }),
          ...(r.result.ok ? { verdict: r.result.verdict, explanation: explainVerdict(r.result.verdict) } : { error: r.result.error }),
        })),
      };
      io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
      return ExitCodes.ok;
    }
    if (serviceHeader !== undefined) {
      io.stdout.write(`${serviceHeader}\n`);
      if (results.length === 0) io.stdout.write('  the Service selects no pod: connections to it fail before any policy applies\n');
    }
    results.forEach((r, i) => {
      const indent = r.backend === undefined ? '' : '  ';
      if (r.backend !== undefined) io.stdout.write(`${i > 0 ? '\n' : ''}backend ${r.backend}:\n`);
      if (r.result.ok) printVerdict(io, r.result.verdict, indent);
      else io.stdout.write(`${indent}${io.stdout.colour.yellow('not evaluated')}: ${r.result.error.message} (fix: ${r.result.error.fix})\n`);
    });
    return ExitCodes.ok;
  },
};
