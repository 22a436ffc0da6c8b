// The `local` SandboxProvider: a cluster-like network of Linux network namespaces on this host, with real packets
// and NetworkPolicy enforced by nftables in a router namespace. Creation writes the record first, starts the TTL
// supervisor, builds the network, then loads the ruleset while the agents start (the kube-dns pod's agent serves
// the cluster DNS); any failure tears it all down.
import { mkdir } from 'node:fs/promises';
import { getCniProfile, listCniProfileNames } from '../../policy/cni-profiles.ts';
import type { CreateSandboxOptions, ProgressEvent, ProviderAvailability, SandboxHandle, SandboxProvider, SandboxRecord } from '../contract.ts';
import { SandboxError, SandboxErrorCodes, SandboxStatuses } from '../contract.ts';
import { ensureAgentBinary } from './agent/build-agent.ts';
import { readClusterFile, writeClusterFile } from '../cluster-file.ts';
import { LocalSandbox, processStartConcurrency, toPodState } from './local-sandbox.ts';
import type { LocalState } from './local-state.ts';
import { parseLocalState, toProviderState } from './local-state.ts';
import { assertValidSandboxName, getOutsideNetns, getRouterNetns, getRuntimePaths, isSandboxId, parseNetnsName } from './names.ts';
import { configureNetwork, createNamespaces, listNetns } from './netns-plumbing.ts';
import { checkHost, formatHostProblems } from './preflight.ts';
import { readStartTicks } from './processes.ts';
import { reapSandbox, reapStaleSandboxes } from './reconcile.ts';
import type { ReapedSandbox } from './reconcile.ts';
import { planLayout } from './sandbox-layout.ts';
import { compileForLayout, loadRuleset, runLimited, startOutsideAgent, startPodAgent, writeDnsRecordsFile } from './sandbox-runtime.ts';
import type { StateStore } from './state-store.ts';
import { createStateStore, resolveStateHome } from './state-store.ts';
import { startSupervisor } from './supervisor.ts';
import { tearDownSandbox } from './teardown.ts';

export interface LocalProviderOptions {
  /** Default `$REHEARSAL_HOME` or `~/.rehearsal`. */
  readonly stateHome?: string;
  /** Runtime files (control sockets, DNS records). Default `/run/rehearsal`. */
  readonly runRoot?: string;
  /** Default 500. */
  readonly maxPods?: number;
  /** Probes in flight per `probe` call. Default 32. */
  readonly probeConcurrency?: number;
  /** How long an agent may take to print READY. Default 10 s. */
  readonly readyTimeoutMs?: number;
  /** Where the compiled agent is cached. Default `$REHEARSAL_CACHE_DIR` or `~/.cache/rehearsal`. */
  readonly agentCacheDir?: string;
  /** Default `$CC` or `cc`. */
  readonly compiler?: string;
}

export const defaultRunRoot = '/run/rehearsal';
export const defaultMaxPods = 500;
export const defaultProbeConcurrency = 32;

export interface LocalProvider extends SandboxProvider {
  /** Reaps every sandbox of this state home that is past its expiry or half-built. Every command calls this first. */
  reapStale(): Promise<readonly ReapedSandbox[]>;
  readonly store: StateStore;
  readonly runRoot: string;
}

interface ResolvedOptions {
  readonly stateHome: string;
  readonly runRoot: string;
  readonly maxPods: number;
  readonly probeConcurrency: number;
  readonly readyTimeoutMs: number;
  readonly agentCacheDir?: string;
  readonly compiler: string;
}

function resolveOptions(options: LocalProviderOptions): ResolvedOptions {
  const maxPods = options.maxPods ?? defaultMaxPods;
  if (!Number.isInteger(maxPods) || maxPods < 1) throw new SandboxError(SandboxErrorCodes.limitExceeded, `maxPods must be a positive integer, got ${maxPods}`);
  return {
    stateHome: options.stateHome ?? resolveStateHome(process.env),
    runRoot: options.runRoot ?? defaultRunRoot,
    maxPods,
    probeConcurrency: options.probeConcurrency ?? defaultProbeConcurrency,
    readyTimeoutMs: options.readyTimeoutMs ?? 10_000,
    ...(options.agentCacheDir === undefined ? {} : { agentCacheDir: options.agentCacheDir }),
    compiler: options.compiler ?? process.env.CC ?? 'cc',
  };
}

export function createLocalProvider(options: LocalProviderOptions = {}): LocalProvider {
  const resolved = resolveOptions(options);
  const store = createStateStore(resolved.stateHome);
  let availability: Promise<ProviderAvailability> | undefined;

  const getAvailability = (): Promise<ProviderAvailability> => {
    availability ??= checkHost({ compiler: resolved.compiler, hasPrebuiltAgent: false, cnis: listCniProfileNames() });
    return availability;
  };

  const reapStale = (): Promise<readonly ReapedSandbox[]> => reapStaleSandboxes({ store, runRoot: resolved.runRoot });

  const provider: LocalProvider = {
    name: 'local',
    store,
    runRoot: resolved.runRoot,
    checkHost: getAvailability,
    reapStale,
    create: async (createOptions) => {
      await reapStale();
      return createSandbox(createOptions, { resolved, store, getAvailability });
    },
    attach: async (record) => attachSandbox(record, { resolved, store }),
    reap: async (record) => {
      await reapSandbox(record, { store, runRoot: resolved.runRoot });
    },
    discover: async () => {
      const { records } = await store.list();
      const live = records.filter((record) => record.provider === 'local' && record.status !== SandboxStatuses.destroyed);
      const known = new Set(records.map((record) => record.id));
      const orphans = new Set<string>();
      for (const name of await listNetns()) {
        const parsed = parseNetnsName(name);
        if (parsed !== undefined && !known.has(parsed.sandboxId)) orphans.add(parsed.sandboxId);
      }
      const now = new Date().toISOString();
      // Namespaces without a record belong to another state home, or to a record deleted by hand: listed, never auto-reaped.
      const found: SandboxRecord[] = [...orphans].sort().map((id) => ({
        id,
        provider: 'local',
        cni: 'unknown',
        owner: 'unknown',
        createdAt: now,
        expiresAt: now,
        status: SandboxStatuses.failed,
        providerState: {},
        failure: `found on the host (rh-${id.slice(3)}-* namespaces) without a record in ${store.dir}; 'rehearse down ${id}' removes it`,
      }));
      return [...live, ...found];
    },
  };
  return provider;
}

function settledValue<T>(settled: PromiseSettledResult<T>): T {
  if (settled.status === 'rejected') throw settled.reason;
  return settled.value;
}

function pick<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  const picked: Partial<Record<K, number>> = {};
  if (value !== undefined) picked[key] = value;
  return picked;
}

interface CreateDependencies {
  readonly resolved: ResolvedOptions;
  readonly store: StateStore;
  readonly getAvailability: () => Promise<ProviderAvailability>;
}

async function assertNameFree(store: StateStore, name: string): Promise<void> {
  const { records } = await store.list();
  const holder = records.find((record) => record.name === name && record.status !== SandboxStatuses.destroyed);
  if (holder !== undefined) {
    throw new SandboxError(SandboxErrorCodes.invalidName, `the name '${name}' is taken by ${holder.id} (${holder.status}); pick another name or 'rehearse down ${name}' first`);
  }
}

async function createSandbox(options: CreateSandboxOptions, dependencies: CreateDependencies): Promise<SandboxHandle> {
  const { resolved, store } = dependencies;
  if (!isSandboxId(options.id)) throw new SandboxError(SandboxErrorCodes.invalidName, `'${options.id}' is not a sandbox id (sb- and 8 hex digits)`);
  if (options.name !== undefined) {
    assertValidSandboxName(options.name);
    await assertNameFree(store, options.name);
  }
  if (!Number.isFinite(options.ttlSeconds) || options.ttlSeconds <= 0) {
    throw new SandboxError(SandboxErrorCodes.limitExceeded, `the TTL must be a positive number of seconds, got ${options.ttlSeconds}`);
  }
  const profile = getCniProfile(options.cni);
  if (profile === undefined) {
    throw new SandboxError(SandboxErrorCodes.invalidName, `unknown CNI '${options.cni}'; the local sandbox knows: ${listCniProfileNames().join(', ')}`);
  }
  const availability = await dependencies.getAvailability();
  if (!availability.isAvailable) throw new SandboxError(SandboxErrorCodes.hostUnsupported, formatHostProblems(availability));
  const layout = planLayout({ sandboxId: options.id, cluster: options.cluster, maxPods: resolved.maxPods });
  const agentBinary = await ensureAgentBinary({
    compiler: resolved.compiler,
    ...(resolved.agentCacheDir === undefined ? {} : { cacheDir: resolved.agentCacheDir }),
  });

  const started = performance.now();
  const paths = getRuntimePaths(resolved.runRoot, options.id);
  const createdAt = new Date();
  const creatorStartTicks = await readStartTicks(process.pid);
  let state: LocalState = {
    stateVersion: 1,
    creatorPid: process.pid,
    ...(creatorStartTicks === undefined ? {} : { creatorStartTicks }),
    runRoot: resolved.runRoot,
    runDir: paths.dir,
    routerNetns: getRouterNetns(options.id),
    outsideNetns: getOutsideNetns(options.id),
    pods: layout.pods.map((pod) => toPodState(pod, undefined)),
    nextPodIndex: layout.nextPodIndex,
    agentBinary,
  };
  let record: SandboxRecord = {
    id: options.id,
    ...(options.name === undefined ? {} : { name: options.name }),
    provider: 'local',
    cni: options.cni,
    owner: options.owner,
    createdAt: createdAt.toISOString(),
    expiresAt: new Date(createdAt.getTime() + options.ttlSeconds * 1000).toISOString(),
    status: SandboxStatuses.provisioning,
    providerState: toProviderState(state),
    ...(options.scenario === undefined ? {} : { scenario: options.scenario }),
  };
  const signal = options.signal;
  const stepCount = 4;
  let step = 0;
  const progress = (id: string, message: string): void => {
    signal?.throwIfAborted();
    step += 1;
    const event: ProgressEvent = { sandboxId: options.id, step: id, message, fraction: Math.min(1, step / stepCount), at: new Date().toISOString() };
    options.onProgress?.(event);
  };

  // The record comes first: from here on, a crash at any point leaves something a reaper can find and finish.
  await store.write(record);
  try {
    await mkdir(paths.logDir, { recursive: true, mode: 0o700 });
    const supervisorPid = await startSupervisor({
      sandboxId: options.id,
      stateHome: resolved.stateHome,
      runRoot: resolved.runRoot,
      agentBinary,
      recordFile: store.fileOf(options.id),
      routerNetns: state.routerNetns,
      creatorPid: process.pid,
      ...(creatorStartTicks === undefined ? {} : { creatorStartTicks }),
    });
    state = { ...state, supervisorPid };
    record = { ...record, providerState: toProviderState(state) };
    await store.write(record);
    await writeClusterFile(paths.clusterFile, options.cluster);
    await writeDnsRecordsFile(paths.dnsRecordsFile, options.cluster);

    progress('namespaces', `creating ${layout.pods.length + 2} network namespaces`);
    const plan = { routerNetns: state.routerNetns, outsideNetns: state.outsideNetns, pods: layout.pods, externalIps: layout.externalIps };
    const commandOptions = signal === undefined ? {} : { signal };
    await createNamespaces(plan, commandOptions);

    // Once the namespaces exist, three things run side by side: configuring the network, loading the ruleset (it
    // names interfaces, which exist), and starting the pod agents (they bind every address of their pod, so they
    // need none configured). The outside world's agent binds its endpoints' addresses: it waits for the network.
    // Nothing probes before the sandbox is ready, so no packet crosses the router before its rules are in place.
    const context = { paths, agentBinary, readyTimeoutMs: resolved.readyTimeoutMs, dnsServiceIp: options.cluster.dnsServiceIp };
    progress('policies', `loading the ${profile.name} ruleset`);
    const compiled = compileForLayout(options.cluster, profile, layout);
    progress('pods', `starting ${layout.pods.length} pod agents`);
    const configuring = configureNetwork(plan, commandOptions);
    // allSettled, not all: on a failure, every start still in flight must finish before teardown looks for processes.
    const [networkSettled, rulesetSettled, agentsSettled, outsideSettled] = await Promise.allSettled([
      configuring,
      loadRuleset(state.routerNetns, compiled.text, commandOptions),
      runLimited(layout.pods, processStartConcurrency, (pod) => startPodAgent(context, pod)),
      configuring.then(() => startOutsideAgent(context, layout, state.outsideNetns)),
    ]);
    settledValue(networkSettled);
    settledValue(rulesetSettled);
    const agentPids = settledValue(agentsSettled);
    const outsidePid = settledValue(outsideSettled);
    state = {
      ...state,
      pods: layout.pods.map((pod, i) => toPodState(pod, pick('pid', agentPids[i]))),
      outsidePid,
    };

    progress('readiness', `ready in ${Math.round(performance.now() - started)} ms`);
    record = { ...record, status: SandboxStatuses.ready, providerState: toProviderState(state) };
    await store.write(record);
    return new LocalSandbox({
      record,
      state,
      cluster: options.cluster,
      profile,
      chains: compiled.chains,
      store,
      maxPods: resolved.maxPods,
      probeConcurrency: resolved.probeConcurrency,
      readyTimeoutMs: resolved.readyTimeoutMs,
      agentBinary,
    });
  } catch (error) {
    const isAborted = signal?.aborted === true;
    let cleanup = '';
    try {
      await tearDownSandbox({ sandboxId: options.id, runRoot: resolved.runRoot });
    } catch (teardownError) {
      cleanup = `; cleaning up also failed: ${teardownError instanceof Error ? teardownError.message : String(teardownError)}`;
    }
    const message = error instanceof Error ? error.message : String(error);
    await store.write({ ...record, status: SandboxStatuses.failed, failure: `${isAborted ? 'aborted' : message}${cleanup}` });
    if (isAborted) throw new SandboxError(SandboxErrorCodes.aborted, `creating ${options.id} was aborted; everything it had built was removed${cleanup}`, { cause: error });
    if (error instanceof SandboxError && error.code !== SandboxErrorCodes.applyFailed) {
      throw new SandboxError(error.code, `creating ${options.id} failed: ${message}${cleanup}`, { cause: error });
    }
    throw new SandboxError(SandboxErrorCodes.provisionFailed, `creating ${options.id} failed: ${message}${cleanup}`, { cause: error });
  }
}

async function attachSandbox(record: SandboxRecord, dependencies: { readonly resolved: ResolvedOptions; readonly store: StateStore }): Promise<SandboxHandle | undefined> {
  if (record.provider !== 'local' || record.status !== SandboxStatuses.ready) return undefined;
  if (Date.parse(record.expiresAt) <= Date.now()) return undefined;
  const state = parseLocalState(record.providerState);
  if (state === undefined) return undefined;
  if (!(await listNetns()).includes(state.routerNetns)) return undefined;
  const profile = getCniProfile(record.cni);
  if (profile === undefined) {
    throw new SandboxError(SandboxErrorCodes.invalidName, `${record.id} was created with CNI '${record.cni}', which this version does not know; destroy it and create a new one`);
  }
  const cluster = await readClusterFile(getRuntimePaths(state.runRoot, record.id).clusterFile, record.id);
  const slots = { pods: state.pods, nextPodIndex: state.nextPodIndex };
  // The compiler is deterministic: compiling the saved cluster again yields the chains the router holds.
  const compiled = compileForLayout(cluster, profile, planLayout({ sandboxId: record.id, cluster, maxPods: Number.MAX_SAFE_INTEGER, previous: slots }));
  return new LocalSandbox({
    record,
    state,
    cluster,
    profile,
    chains: compiled.chains,
    store: dependencies.store,
    maxPods: dependencies.resolved.maxPods,
    probeConcurrency: dependencies.resolved.probeConcurrency,
    readyTimeoutMs: dependencies.resolved.readyTimeoutMs,
    agentBinary: state.agentBinary ?? (await ensureAgentBinary({ compiler: dependencies.resolved.compiler })),
  });
}
