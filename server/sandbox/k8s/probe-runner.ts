// Runs probes on a real cluster: resolves each target to an address the source pod can dial, groups probes by
// source pod, and sends each group as ONE exec (probe-batch.ts) instead of one API-server exec per probe.
// Results stream back line by line. A broken exec is reported as `error`, never as a denial.
import { isIP } from 'node:net';
import type { ProbeRequest, ProbeResult } from '../contract.ts';
import type { ExecOutcome, KubeClient } from './kube-client.ts';
import type { BatchProbe } from './probe-batch.ts';
import { buildProbeCommand, classifyConnectResult, createLineSplitter, formatProbeTarget, parseBatchLine } from './probe-batch.ts';
import type { Clock } from './runtime-deps.ts';
import { AsyncQueue } from './runtime-deps.ts';

export interface ProbeAddressBook {
  /** `ns/pod` → the pod's IPs as the CNI assigned them (primary first). */
  readonly podIps: ReadonlyMap<string, readonly string[]>;
  /** `ns/svc` → ClusterIP (`None` for headless). */
  readonly serviceIps: ReadonlyMap<string, string>;
  /** `ns/pod` → the container to exec in. */
  readonly probeContainers: ReadonlyMap<string, string>;
}

export interface RunProbesOptions {
  readonly client: KubeClient;
  readonly clock: Clock;
  readonly addresses: ProbeAddressBook;
  readonly requests: readonly ProbeRequest[];
  /** Probes per exec. */
  readonly batchSize: number;
  /** Execs in flight at once. */
  readonly concurrency: number;
  readonly signal?: AbortSignal;
}

export const minProbeTimeoutMs = 100;
export const maxProbeTimeoutMs = 60_000;
/** Exec setup and teardown on a busy API server: added to the slowest probe of a batch for the exec deadline. */
const execOverheadMs = 15_000;

type Resolved =
  | { readonly kind: 'ready'; readonly request: ProbeRequest; readonly source: string; readonly target: string; readonly resolvedIp?: string }
  | { readonly kind: 'done'; readonly result: ProbeResult };

function finish(request: ProbeRequest, outcome: ProbeResult['outcome'], detail: string): Resolved {
  return { kind: 'done', result: { id: request.id, outcome, latencyMs: 0, detail } };
}

function resolveRequest(request: ProbeRequest, addresses: ProbeAddressBook): Resolved {
  if (request.from.kind !== 'pod') return finish(request, 'unsupported', 'a real cluster has no external endpoints to probe from; they exist only in the local sandbox');
  const source = `${request.from.namespace}/${request.from.name}`;
  if (!addresses.probeContainers.has(source)) return finish(request, 'error', `source pod ${source} is not part of this sandbox`);
  const to = request.to;
  let host: string;
  switch (to.kind) {
    case 'pod': {
      const ip = addresses.podIps.get(`${to.namespace}/${to.name}`)?.[0];
      if (ip === undefined) return finish(request, 'error', `destination pod ${to.namespace}/${to.name} is not part of this sandbox`);
      host = ip;
      break;
    }
    case 'service': {
      const clusterIp = addresses.serviceIps.get(`${to.namespace}/${to.name}`);
      if (clusterIp === undefined) return finish(request, 'error', `service ${to.namespace}/${to.name} is not part of this sandbox`);
      if (clusterIp === 'None') return finish(request, 'error', `service ${to.namespace}/${to.name} is headless (no ClusterIP); probe one of its pods or its DNS name`);
      host = clusterIp;
      break;
    }
    case 'external':
      return finish(request, 'unsupported', `external endpoint ${to.name} exists only in the local sandbox; on a real cluster probe its address with an ip target`);
    case 'dns':
      host = to.hostname;
      break;
    case 'ip':
      if (isIP(to.ip) === 0) return finish(request, 'error', `'${to.ip}' is not an IP address`);
      host = to.ip;
      break;
  }
  const target = formatProbeTarget(host, request.port);
  if (target === undefined) return finish(request, 'error', `cannot probe ${host}:${request.port}: not a valid host and port`);
  return { kind: 'ready', request, source, target, ...(isIP(host) === 0 ? {} : { resolvedIp: host }) };
}

interface Batch {
  readonly source: string;
  readonly items: readonly Extract<Resolved, { kind: 'ready' }>[];
}

function makeBatches(ready: readonly Extract<Resolved, { kind: 'ready' }>[], batchSize: number): Batch[] {
  const bySource = new Map<string, Extract<Resolved, { kind: 'ready' }>[]>();
  for (const item of ready) bySource.set(item.source, [...(bySource.get(item.source) ?? []), item]);
  const batches: Batch[] = [];
  for (const [source, items] of bySource) {
    for (let start = 0; start < items.length; start += batchSize) batches.push({ source, items: items.slice(start, start + batchSize) });
  }
  return batches;
}

function clampTimeoutMs(timeoutMs: number): number {
  return Math.min(maxProbeTimeoutMs, Math.max(minProbeTimeoutMs, Math.round(timeoutMs)));
}

async function runBatch(options: RunProbesOptions, batch: Batch, queue: AsyncQueue<ProbeResult>): Promise<void> {
  const [namespace = '', pod = ''] = batch.source.split('/');
  const container = options.addresses.probeContainers.get(batch.source) ?? '';
  const probes: BatchProbe[] = batch.items.map((item, index) => ({
    index,
    target: item.target,
    protocol: item.request.protocol === 'TCP' ? 'tcp' : item.request.protocol === 'UDP' ? 'udp' : 'sctp',
    timeoutMs: clampTimeoutMs(item.request.timeoutMs),
  }));
  const startedAt = options.clock.now().getTime();
  const answered = new Set<number>();
  const splitter = createLineSplitter((line) => {
    const parsed = parseBatchLine(line);
    const item = parsed === undefined ? undefined : batch.items[parsed.index];
    if (parsed === undefined || item === undefined || answered.has(parsed.index)) return;
    answered.add(parsed.index);
    const classified = classifyConnectResult(parsed);
    queue.push({
      id: item.request.id,
      outcome: classified.outcome,
      latencyMs: parsed.latencyMs ?? options.clock.now().getTime() - startedAt,
      ...(item.resolvedIp === undefined ? {} : { resolvedIp: item.resolvedIp }),
      ...(classified.detail === undefined ? {} : { detail: classified.detail }),
    });
  });
  const slowestMs = Math.max(...probes.map((probe) => probe.timeoutMs));
  const outcome: ExecOutcome = await options.client
    .exec({
    namespace,
    pod,
    container,
    command: buildProbeCommand(probes),
    timeoutMs: slowestMs + execOverheadMs,
    onStdout: (chunk) => splitter.push(chunk),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    })
    .catch((error: unknown) => ({ kind: 'failed', reason: error instanceof Error ? error.message : String(error) }));
  splitter.flush();
  const why =
    outcome.kind === 'failed'
      ? `exec into ${batch.source} failed (${outcome.reason}); this is not a policy decision`
      : `the probe script in ${batch.source} ended (exit ${outcome.exitCode}) without a result for this probe${outcome.stderr === '' ? '' : `: ${outcome.stderr.slice(0, 200)}`}`;
  for (const [index, item] of batch.items.entries()) {
    if (answered.has(index)) continue;
    queue.push({ id: item.request.id, outcome: 'error', latencyMs: options.clock.now().getTime() - startedAt, detail: why });
  }
}

/** Streams results as they complete; every request gets exactly one result. */
export function runProbes(options: RunProbesOptions): AsyncIterable<ProbeResult> {
  const queue = new AsyncQueue<ProbeResult>();
  const resolved = options.requests.map((request) => resolveRequest(request, options.addresses));
  const ready = resolved.flatMap((item) => (item.kind === 'ready' ? [item] : []));
  const batches = makeBatches(ready, Math.max(1, options.batchSize));
  // runBatch turns every exec failure into results, so this task cannot reject; `finally` still ends the stream.
  void (async () => {
    for (const item of resolved) if (item.kind === 'done') queue.push(item.result);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batches.length && options.signal?.aborted !== true) {
        const batch = batches[next];
        next += 1;
        if (batch !== undefined) await runBatch(options, batch, queue);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, batches.length)) }, worker));
    } finally {
      queue.end();
    }
  })();
  return queue;
}
