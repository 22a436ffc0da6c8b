// A live local sandbox: the SandboxHandle over its namespaces, agents and router ruleset. It reconciles to a new
// Cluster (apply), runs probes through pod agents, and tears everything down (destroy) or lets go (detach).
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { CniProfile } from '../../policy/cni-profiles.ts';
import { parseIp } from '../../policy/cidr.ts';
import type { Cluster, Policy } from '../../policy/model.ts';
import { indexCluster, serviceBackends } from '../../policy/select.ts';
import type { ApplyResult, ProbeRequest, ProbeResult, SandboxHandle, SandboxRecord } from '../contract.ts';
import { SandboxError, SandboxErrorCodes, SandboxStatuses } from '../contract.ts';
import { AgentClient } from './agent/agent-client.ts';
import { AgentErrorCodes } from './agent/agent-protocol.ts';
import { writeClusterFile } from '../cluster-file.ts';
import type { LocalPodState, LocalState } from './local-state.ts';
import { toProviderState } from './local-state.ts';
import type { RuntimePaths } from './names.ts';
import { getRuntimePaths, routerOutsideInterface } from './names.ts';
import { addPods, deleteNamespaces, listNetns, netnsDir, readdressEndpoint } from './netns-plumbing.ts';
import { findSandboxProcesses, readNetnsInode, signalProcesses, waitForExit } from './processes.ts';
import type { ChainAttribution } from './nft/compile-ruleset.ts';
import type { AddressDescription, ProbeContext } from './probe-mapping.ts';
import { getChainKey, mapAgentResult } from './probe-mapping.ts';
import { reapSandbox } from './reconcile.ts';
import type { PodLayout } from './sandbox-layout.ts';
import { formatPodKey, planLayout } from './sandbox-layout.ts';
import type { ProcessContext } from './sandbox-runtime.ts';
import {
  compileForLayout,
  listRuleset,
  loadRuleset,
  reloadDnsAgents,
  runLimited,
  startOutsideAgent,
  startPodAgent,
  stopOwnedProcesses,
  writeDnsRecordsFile,
} from './sandbox-runtime.ts';
import type { StateStore } from './state-store.ts';

export interface LocalSandboxOptions {
  readonly record: SandboxRecord;
  readonly state: LocalState;
  readonly cluster: Cluster;
  readonly profile: CniProfile;
  readonly chains: readonly ChainAttribution[];
  readonly store: StateStore;
  readonly maxPods: number;
  readonly probeConcurrency: number;
  readonly readyTimeoutMs: number;
  readonly agentBinary: string;
}

/** Processes started at once while provisioning or applying; each is a short `ip netns exec` plus a READY wait. */
export const processStartConcurrency = 16;
const maxProbeConcurrency = 1024;

function indexChains(chains: readonly ChainAttribution[]): Map<string, ChainAttribution> {
  return new Map(chains.map((chain) => [getChainKey(chain.direction, chain.subject), chain]));
}

function withoutSource(policy: Policy): unknown {
  const { source: _source, ...rest } = policy;
  return rest;
}

/** Policies added, removed, or changed in anything but their file position. */
export function countPolicyChanges(before: readonly Policy[], after: readonly Policy[]): number {
  const keyOf = (policy: Policy): string => `${policy.namespace}/${policy.name}`;
  const old = new Map(before.map((policy) => [keyOf(policy), withoutSource(policy)]));
  let changed = 0;
  const seen = new Set<string>();
  for (const policy of after) {
    seen.add(keyOf(policy));
    const previous = old.get(keyOf(policy));
    if (previous === undefined || !isDeepStrictEqual(previous, withoutSource(policy))) changed += 1;
  }
  for (const key of old.keys()) if (!seen.has(key)) changed += 1;
  return changed;
}

export class LocalSandbox implements SandboxHandle {
  readonly id: string;
  #record: SandboxRecord;
  #state: LocalState;
  #cluster: Cluster;
  readonly #profile: CniProfile;
  #chains: Map<string, ChainAttribution>;
  readonly #store: StateStore;
  readonly #paths: RuntimePaths;
  readonly #maxPods: number;
  readonly #probeConcurrency: number;
  readonly #readyTimeoutMs: number;
  readonly #agentBinary: string;
  readonly #clients = new Map<string, Promise<AgentClient>>();
  /** Applies run one after another: each reconciles from the state the previous one left. */
  #queue: Promise<unknown> = Promise.resolve();
  #isGone = false;

  constructor(options: LocalSandboxOptions) {
    this.id = options.record.id;
    this.#record = options.record;
    this.#state = options.state;
    this.#cluster = options.cluster;
    this.#profile = options.profile;
    this.#chains = indexChains(options.chains);
    this.#store = options.store;
    this.#paths = getRuntimePaths(options.state.runRoot, options.record.id);
    this.#maxPods = options.maxPods;
    this.#probeConcurrency = options.probeConcurrency;
    this.#readyTimeoutMs = options.readyTimeoutMs;
    this.#agentBinary = options.agentBinary;
  }

  record(): SandboxRecord {
    return this.#record;
  }

  cluster(): Cluster {
    return this.#cluster;
  }

  #assertLive(): void {
    if (this.#isGone) throw new SandboxError(SandboxErrorCodes.notFound, `sandbox ${this.id} was destroyed or detached from this handle; attach again or create a new one`);
  }

  #serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #processContext(cluster: Cluster): ProcessContext {
    return { paths: this.#paths, agentBinary: this.#agentBinary, readyTimeoutMs: this.#readyTimeoutMs, dnsServiceIp: cluster.dnsServiceIp };
  }

  apply(cluster: Cluster, options: { readonly signal?: AbortSignal } = {}): Promise<ApplyResult> {
    return this.#serialize(() => this.#apply(cluster, options.signal));
  }

  async #apply(cluster: Cluster, signal: AbortSignal | undefined): Promise<ApplyResult> {
    const started = performance.now();
    this.#assertLive();
    const previousCluster = this.#cluster;
    const previousState = this.#state;
    const slots = { pods: previousState.pods, nextPodIndex: previousState.nextPodIndex };
    const previousLayout = planLayout({ sandboxId: this.id, cluster: previousCluster, maxPods: Number.MAX_SAFE_INTEGER, previous: slots });
    const layout = planLayout({ sandboxId: this.id, cluster, maxPods: this.#maxPods, previous: slots });
    const oldPods = new Map(previousState.pods.map((pod) => [pod.key, pod]));
    const oldLayouts = new Map(previousLayout.pods.map((pod) => [pod.key, pod]));
    const added = layout.pods.filter((pod) => !oldPods.has(pod.key));
    const newKeys = new Set(layout.pods.map((pod) => pod.key));
    const removed = previousState.pods.filter((pod) => !newKeys.has(pod.key));
    const readdressed = layout.pods.filter((pod) => {
      const old = oldPods.get(pod.key);
      return old !== undefined && !isDeepStrictEqual(old.ips, pod.ips);
    });
    const isResolverChanged = previousCluster.dnsServiceIp !== cluster.dnsServiceIp;
    // Agents bind every address of their pod, so a new address needs no restart; new ports, a new resolver or a
    // pod becoming (or ceasing to be) the cluster DNS do.
    const restarted = layout.pods.filter((pod) => {
      const old = oldLayouts.get(pod.key);
      if (old === undefined) return false;
      return isResolverChanged || old.role !== pod.role || !isDeepStrictEqual(old.listeners, pod.listeners);
    });

    try {
      // 1. Topology first, so the ruleset can name every interface it needs.
      await addPods({ routerNetns: previousState.routerNetns, pods: added, ...(signal === undefined ? {} : { signal }) });
      for (const pod of readdressed) {
        const old = oldPods.get(pod.key);
        await readdressEndpoint({
          routerNetns: previousState.routerNetns,
          netns: pod.netns,
          routerInterface: pod.routerInterface,
          previousIps: old?.ips ?? [],
          ips: pod.ips,
        });
      }
      if (!isDeepStrictEqual(previousLayout.externalIps, layout.externalIps)) {
        await readdressEndpoint({
          routerNetns: previousState.routerNetns,
          netns: previousState.outsideNetns,
          routerInterface: routerOutsideInterface,
          previousIps: previousLayout.externalIps,
          ips: layout.externalIps,
        });
      }
      // 2. Enforcement: one atomic transaction. From here on the new policy set is what the router enforces.
      const compiled = compileForLayout(cluster, this.#profile, layout);
      await loadRuleset(previousState.routerNetns, compiled.text, signal === undefined ? {} : { signal });
      const enforcedAfterMs = performance.now() - started;
      this.#chains = indexChains(compiled.chains);

      // 3. Processes: stop what left or changed, start what is new; then the DNS data.
      const stopping = [...removed, ...restarted.map((pod) => oldPods.get(pod.key)).filter((pod): pod is LocalPodState => pod !== undefined)];
      await stopOwnedProcesses(stopping.flatMap((pod) => (pod.pid === undefined ? [] : [pod.pid])), this.#paths.dir);
      for (const pod of stopping) await this.#dropClient(this.#paths.controlSocket(pod.index));
      await deleteNamespaces(removed.map((pod) => pod.netns));
      await writeDnsRecordsFile(this.#paths.dnsRecordsFile, cluster);
      const context = this.#processContext(cluster);
      const starting = [...added, ...restarted];
      const startedPids = await runLimited(starting, processStartConcurrency, (pod) => startPodAgent(context, pod));
      const processes = new Map(starting.map((pod, i) => [pod.key, { pid: startedPids[i] }]));
      // DNS agents that kept running read the new records now; a fresh one read them at start.
      const isStarted = new Set(starting.map((pod) => pod.key));
      const reloading = layout.pods.filter((pod) => pod.role === 'dns' && !isStarted.has(pod.key) && oldPods.has(pod.key));
      await reloadDnsAgents(reloading.map((pod) => this.#client(this.#paths.controlSocket(pod.index))));

      let outsidePid = previousState.outsidePid;
      if (!isDeepStrictEqual(previousLayout.outsideListeners, layout.outsideListeners)) {
        await stopOwnedProcesses(outsidePid === undefined ? [] : [outsidePid], this.#paths.dir);
        await this.#dropClient(this.#paths.outsideControlSocket);
        outsidePid = await startOutsideAgent(context, layout, previousState.outsideNetns);
      }

      this.#state = {
        ...previousState,
        pods: layout.pods.map((pod) => toPodState(pod, processes.get(pod.key) ?? oldPods.get(pod.key))),
        nextPodIndex: layout.nextPodIndex,
        ...(outsidePid === undefined ? {} : { outsidePid }),
      };
      this.#cluster = cluster;
      await writeClusterFile(this.#paths.clusterFile, cluster);
      await this.#writeRecord({ ...this.#record, providerState: toProviderState(this.#state) });
      return {
        enforcedAfterMs: Math.round(enforcedAfterMs * 100) / 100,
        podsAdded: added.length,
        podsRemoved: removed.length,
        policiesChanged: countPolicyChanges(previousCluster.policies, cluster.policies),
      };
    } catch (error) {
      // Pods this apply added are not in the state yet: remove them, so a retry can create them afresh.
      await this.#removeUnrecordedPods(added).catch(() => undefined);
      if (error instanceof SandboxError && error.code === SandboxErrorCodes.applyFailed) throw error;
      throw new SandboxError(
        SandboxErrorCodes.applyFailed,
        `applying to ${this.id} failed: ${error instanceof Error ? error.message : String(error)}; the sandbox may be half-updated: apply again, or destroy it`,
        { cause: error },
      );
    }
  }

  async #removeUnrecordedPods(pods: readonly PodLayout[]): Promise<void> {
    if (pods.length === 0) return;
    const netns = pods.map((pod) => pod.netns);
    const existing = new Set(await listNetns());
    const present = netns.filter((name) => existing.has(name));
    const inodes = (await Promise.all(present.map((name) => readNetnsInode(join(netnsDir, name))))).filter((inode): inode is string => inode !== undefined);
    const pids = await findSandboxProcesses({ argvMarkers: pods.map((pod) => this.#paths.controlSocket(pod.index)), netnsInodes: inodes, excludePids: [process.pid] });
    signalProcesses(pids, 'SIGKILL');
    await waitForExit(pids, 5_000);
    await deleteNamespaces(present);
  }

  async #writeRecord(record: SandboxRecord): Promise<void> {
    // The supervisor or a `rehearse down` may have moved the record on; never resurrect a destroyed sandbox.
    const current = await this.#store.read(this.id);
    if (current === undefined || current.status === SandboxStatuses.destroyed) {
      throw new SandboxError(SandboxErrorCodes.notFound, `sandbox ${this.id} was torn down while it was being changed`);
    }
    const merged: SandboxRecord = { ...record, expiresAt: current.expiresAt, status: current.status };
    await this.#store.write(merged);
    this.#record = merged;
  }

  probe(requests: readonly ProbeRequest[], options: { readonly signal?: AbortSignal; readonly concurrency?: number } = {}): AsyncIterable<ProbeResult> {
    this.#assertLive();
    const limit = Math.max(1, Math.min(options.concurrency ?? this.#probeConcurrency, maxProbeConcurrency));
    return this.#runProbes(requests, limit, options.signal);
  }

  async *#runProbes(requests: readonly ProbeRequest[], limit: number, signal: AbortSignal | undefined): AsyncGenerator<ProbeResult> {
    const done: ProbeResult[] = [];
    let next = 0;
    let running = 0;
    let isStopped = false;
    let wake: (() => void) | undefined;
    const launch = (): void => {
      while (!isStopped && signal?.aborted !== true && running < limit && next < requests.length) {
        const request = requests[next];
        next += 1;
        if (request === undefined) continue;
        running += 1;
        void this.#probeOne(request, signal)
          .then((result) => {
            done.push(result);
          })
          .finally(() => {
            running -= 1;
            launch();
            wake?.();
          });
      }
    };
    try {
      launch();
      for (;;) {
        const result = done.shift();
        if (result !== undefined) {
          yield result;
          continue;
        }
        if (running === 0 && (next >= requests.length || signal?.aborted === true)) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      isStopped = true;
    }
  }

  #client(socketPath: string): Promise<AgentClient> {
    let client = this.#clients.get(socketPath);
    if (client === undefined) {
      client = AgentClient.connect(socketPath);
      this.#clients.set(socketPath, client);
      client.catch(() => this.#clients.delete(socketPath));
    }
    return client;
  }

  async #dropClient(socketPath: string): Promise<void> {
    const client = this.#clients.get(socketPath);
    this.#clients.delete(socketPath);
    if (client !== undefined) await client.then((c) => c.close()).catch(() => undefined);
  }

  async #probeOne(request: ProbeRequest, signal: AbortSignal | undefined): Promise<ProbeResult> {
    const started = performance.now();
    const fail = (detail: string): ProbeResult => ({ id: request.id, outcome: 'error', latencyMs: Math.round((performance.now() - started) * 100) / 100, detail });
    const plan = this.#planProbe(request);
    if (typeof plan === 'string') return fail(plan);
    let socketPath = '';
    try {
      socketPath = plan.socketPath;
      const client = await this.#client(socketPath);
      const protocol = request.protocol === 'TCP' ? 'tcp' : request.protocol === 'UDP' ? 'udp' : 'sctp';
      const common = { protocol, port: request.port, timeoutMs: request.timeoutMs, ...(plan.sourceIp === undefined ? {} : { sourceIp: plan.sourceIp }) } as const;
      const requestOptions = signal === undefined ? {} : { signal };
      const result =
        plan.hostname !== undefined
          ? await client.probeName({ ...common, hostname: plan.hostname }, requestOptions)
          : await client.probe({ ...common, ip: plan.ip }, requestOptions);
      return mapAgentResult(result, plan.context);
    } catch (error) {
      if (error instanceof SandboxError && (error.code === AgentErrorCodes.closed || error.code === AgentErrorCodes.protocol)) await this.#dropClient(socketPath);
      return fail(`the probe could not run: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #planProbe(request: ProbeRequest): string | { socketPath: string; sourceIp?: string; ip: string; hostname?: string; context: ProbeContext } {
    const cluster = this.#cluster;
    const podStates = new Map(this.#state.pods.map((pod) => [pod.key, pod]));
    let socketPath: string;
    let sourceIp: string | undefined;
    let sourcePod: string | undefined;
    if (request.from.kind === 'pod') {
      sourcePod = formatPodKey(request.from);
      const pod = podStates.get(sourcePod);
      if (pod === undefined) return `unknown source pod ${sourcePod} in sandbox ${this.id}`;
      socketPath = this.#paths.controlSocket(pod.index);
    } else {
      const name = request.from.name;
      const external = cluster.externals.find((candidate) => candidate.name === name);
      if (external === undefined) return `unknown source external endpoint ${name} in sandbox ${this.id}`;
      socketPath = this.#paths.outsideControlSocket;
      sourceIp = external.ip;
    }
    const dnsPods = this.#state.pods.filter((pod) => pod.role === 'dns').map((pod) => pod.key);
    const base = { request, ...(sourcePod === undefined ? {} : { sourcePod }), chains: this.#chains, dnsPods };
    const to = request.to;
    switch (to.kind) {
      case 'pod': {
        const key = formatPodKey(to);
        const pod = cluster.pods.find((candidate) => formatPodKey(candidate) === key);
        const ip = pod?.ips[0];
        if (ip === undefined) return `unknown target pod ${key} in sandbox ${this.id}`;
        return { socketPath, ...(sourceIp === undefined ? {} : { sourceIp }), ip, context: { ...base, destinationPods: [key], isTargetInSandbox: true } };
      }
      case 'external': {
        const external = cluster.externals.find((candidate) => candidate.name === to.name);
        if (external === undefined) return `unknown target external endpoint ${to.name} in sandbox ${this.id}`;
        return { socketPath, ...(sourceIp === undefined ? {} : { sourceIp }), ip: external.ip, context: { ...base, destinationPods: [], isTargetInSandbox: true } };
      }
      case 'service': {
        const service = cluster.services.find((candidate) => candidate.namespace === to.namespace && candidate.name === to.name);
        if (service === undefined) return `unknown target service ${to.namespace}/${to.name} in sandbox ${this.id}`;
        if (parseIp(service.clusterIP) === undefined) return `service ${to.namespace}/${to.name} is headless (no ClusterIP); probe its pods or its DNS name`;
        const backends = serviceBackends(indexCluster(cluster), service).map(formatPodKey);
        return {
          socketPath,
          ...(sourceIp === undefined ? {} : { sourceIp }),
          ip: service.clusterIP,
          context: { ...base, destinationPods: backends, service: `svc/${service.namespace}/${service.name}`, isTargetInSandbox: true },
        };
      }
      case 'dns':
        // Where the name lands is known only after resolution; mapAgentResult asks describeAddress then.
        return { socketPath, ...(sourceIp === undefined ? {} : { sourceIp }), ip: '', hostname: to.hostname, context: { ...base, destinationPods: [], isTargetInSandbox: true, describeAddress: (ip) => this.#describeAddress(ip) } };
      case 'ip': {
        if (parseIp(to.ip) === undefined) return `'${to.ip}' is not an IP address`;
        return { socketPath, ...(sourceIp === undefined ? {} : { sourceIp }), ip: to.ip, context: { ...base, ...this.#describeAddress(to.ip) } };
      }
    }
  }

  /** Which pods an address lands on in this sandbox (a pod IP, a ClusterIP's backends), and whether it is in the sandbox at all. */
  #describeAddress(ip: string): AddressDescription {
    const cluster = this.#cluster;
    const owners = cluster.pods.filter((pod) => pod.ips.includes(ip)).map(formatPodKey);
    if (owners.length > 0) return { destinationPods: owners, isTargetInSandbox: true };
    const service = cluster.services.find((candidate) => candidate.clusterIP === ip);
    if (service !== undefined) {
      return { destinationPods: serviceBackends(indexCluster(cluster), service).map(formatPodKey), service: `svc/${service.namespace}/${service.name}`, isTargetInSandbox: true };
    }
    return { destinationPods: [], isTargetInSandbox: cluster.externals.some((external) => external.ip === ip) };
  }

  async describeRules(): Promise<string> {
    this.#assertLive();
    return listRuleset(this.#state.routerNetns);
  }

  async extend(expiresAt: Date): Promise<SandboxRecord> {
    this.#assertLive();
    if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now()) {
      const shown = Number.isNaN(expiresAt.getTime()) ? 'an invalid date' : expiresAt.toISOString();
      throw new SandboxError(SandboxErrorCodes.expired, `the new expiry of ${this.id} (${shown}) is not in the future; pass a later time`);
    }
    const current = await this.#store.read(this.id);
    if (current === undefined || current.status === SandboxStatuses.destroyed || current.status === SandboxStatuses.expiring) {
      throw new SandboxError(SandboxErrorCodes.expired, `sandbox ${this.id} has already expired or been destroyed; create a new one`);
    }
    const updated: SandboxRecord = { ...current, expiresAt: expiresAt.toISOString() };
    await this.#store.write(updated);
    this.#record = updated;
    return updated;
  }

  async destroy(): Promise<void> {
    await this.#closeClients();
    this.#isGone = true;
    const current = (await this.#store.read(this.id)) ?? this.#record;
    this.#record = await reapSandbox(current, { store: this.#store, runRoot: this.#state.runRoot });
  }

  async detach(): Promise<void> {
    this.#isGone = true;
    await this.#closeClients();
  }

  async #closeClients(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(clients.map((client) => client.then((c) => c.close()).catch(() => undefined)));
  }
}

export function toPodState(pod: PodLayout, processes: { readonly pid?: number } | undefined): LocalPodState {
  return {
    key: pod.key,
    index: pod.index,
    netns: pod.netns,
    routerInterface: pod.routerInterface,
    ips: [...pod.ips],
    role: pod.role,
    ...(processes?.pid === undefined ? {} : { pid: processes.pid }),
  };
}
