// TEST DOUBLE at the provider boundary (allowed there, and said so): an in-memory SandboxProvider for server tests
// that need no root. It sends no packets: a probe's outcome is the engine's prediction for the flow (or what the
// test scripts with `observe`), so these tests check the server's plumbing, never enforcement. Root-gated
// integration tests (test/integration/server-*.test.ts) drive the real local provider.
import { createEvaluator, evaluateServiceFlow, listCniProfileNames } from '../../../../server/policy/index.ts';
import type { Cluster } from '../../../../server/policy/index.ts';
import type {
  ApplyResult,
  CreateSandboxOptions,
  ProbeOutcome,
  ProbeRequest,
  ProbeResult,
  ProviderAvailability,
  SandboxHandle,
  SandboxProvider,
  SandboxRecord,
} from '../../../../server/sandbox/contract.ts';
import { SandboxError, SandboxErrorCodes } from '../../../../server/sandbox/contract.ts';

/** What survives a "server restart" in tests: the double's host, shared by two server instances. */
export interface DoubleHost {
  readonly sandboxes: Map<string, { record: SandboxRecord; cluster: Cluster }>;
  readonly destroyed: string[];
  readonly reaped: string[];
}

export interface ProviderDoubleOptions {
  readonly host?: DoubleHost;
  /** Provisioning waits this long between progress steps (to observe `provisioning`). Default 0. */
  readonly stepDelayMs?: number;
  /** Make create fail with this message. */
  readonly failCreateWith?: string;
  /** Per probe: an outcome other than the prediction (to script drift), or undefined for the prediction. */
  readonly observe?: (request: ProbeRequest) => ProbeOutcome | undefined;
  /** Each probe takes this long. Default 0. */
  readonly probeDelayMs?: number;
}

export function createDoubleHost(): DoubleHost {
  return { sandboxes: new Map(), destroyed: [], reaped: [] };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function predictOutcome(cluster: Cluster, profile: string, request: ProbeRequest): ProbeOutcome {
  const to = request.to;
  if (to.kind === 'service') {
    const result = evaluateServiceFlow(cluster, { from: request.from, service: to, port: request.port, protocol: request.protocol }, { profile });
    if (!result.ok) return 'error';
    const first = result.backends[0];
    if (first === undefined || !first.result.ok) return 'error';
    return first.result.verdict.isAllowed ? 'allowed' : 'denied';
  }
  if (to.kind === 'dns' || to.kind === 'ip') return 'error';
  const result = createEvaluator(cluster, { profile }).evaluate({ from: request.from, to, port: request.port, protocol: request.protocol });
  if (!result.ok) return 'error';
  return result.verdict.isAllowed ? 'allowed' : 'denied';
}

class HandleDouble implements SandboxHandle {
  readonly id: string;
  readonly #host: DoubleHost;
  readonly #options: ProviderDoubleOptions;
  #isDetached = false;

  constructor(id: string, host: DoubleHost, options: ProviderDoubleOptions) {
    this.id = id;
    this.#host = host;
    this.#options = options;
  }

  #entry(): { record: SandboxRecord; cluster: Cluster } {
    const entry = this.#host.sandboxes.get(this.id);
    if (entry === undefined || this.#isDetached) throw new SandboxError(SandboxErrorCodes.notFound, `sandbox ${this.id} is gone (test double)`);
    return entry;
  }

  record(): SandboxRecord {
    return this.#entry().record;
  }

  cluster(): Cluster {
    return this.#entry().cluster;
  }

  async apply(cluster: Cluster): Promise<ApplyResult> {
    const entry = this.#entry();
    const before = entry.cluster;
    entry.cluster = cluster;
    return { enforcedAfterMs: 1, podsAdded: Math.max(0, cluster.pods.length - before.pods.length), podsRemoved: Math.max(0, before.pods.length - cluster.pods.length), policiesChanged: 1 };
  }

  async *probe(requests: readonly ProbeRequest[], options: { readonly signal?: AbortSignal } = {}): AsyncIterable<ProbeResult> {
    const isAborted = (): boolean => options.signal?.aborted === true;
    for (const request of requests) {
      if (isAborted()) return;
      await sleep(this.#options.probeDelayMs ?? 0, options.signal);
      if (isAborted()) return;
      const entry = this.#entry();
      const outcome = this.#options.observe?.(request) ?? predictOutcome(entry.cluster, entry.record.cni, request);
      yield { id: request.id, outcome, latencyMs: 0.5, detail: 'test double: outcome from the engine, no packet sent' };
    }
  }

  async describeRules(): Promise<string> {
    return `# test double for ${this.id}: no dataplane\n`;
  }

  async extend(expiresAt: Date): Promise<SandboxRecord> {
    const entry = this.#entry();
    entry.record = { ...entry.record, expiresAt: expiresAt.toISOString() };
    return entry.record;
  }

  async destroy(): Promise<void> {
    const entry = this.#host.sandboxes.get(this.id);
    if (entry !== undefined) {
      entry.record = { ...entry.record, status: 'destroyed' };
      this.#host.sandboxes.delete(this.id);
      this.#host.destroyed.push(this.id);
    }
  }

  async detach(): Promise<void> {
    this.#isDetached = true;
  }
}

export function createProviderDouble(options: ProviderDoubleOptions = {}): SandboxProvider & { readonly host: DoubleHost } {
  const host = options.host ?? createDoubleHost();
  return {
    name: 'local',
    host,
    async checkHost(): Promise<ProviderAvailability> {
      return { provider: 'local', isAvailable: true, cnis: listCniProfileNames(), problems: [] };
    },
    async create(create: CreateSandboxOptions): Promise<SandboxHandle> {
      const createdAt = new Date();
      const record: SandboxRecord = {
        id: create.id,
        ...(create.name === undefined ? {} : { name: create.name }),
        provider: 'local',
        cni: create.cni,
        owner: create.owner,
        createdAt: createdAt.toISOString(),
        expiresAt: new Date(createdAt.getTime() + create.ttlSeconds * 1000).toISOString(),
        status: 'provisioning',
        providerState: { double: true },
        ...(create.scenario === undefined ? {} : { scenario: create.scenario }),
      };
      const steps = ['namespaces', 'policies', 'pods', 'readiness'];
      for (const [index, step] of steps.entries()) {
        await sleep(options.stepDelayMs ?? 0, create.signal);
        if (create.signal?.aborted === true) throw new SandboxError(SandboxErrorCodes.aborted, `creating ${create.id} was aborted`);
        create.onProgress?.({ sandboxId: create.id, step, message: `${step} (test double)`, fraction: (index + 1) / steps.length, at: new Date().toISOString() });
      }
      if (options.failCreateWith !== undefined) throw new SandboxError(SandboxErrorCodes.provisionFailed, options.failCreateWith);
      host.sandboxes.set(create.id, { record: { ...record, status: 'ready' }, cluster: create.cluster });
      return new HandleDouble(create.id, host, options);
    },
    async attach(record: SandboxRecord): Promise<SandboxHandle | undefined> {
      return host.sandboxes.has(record.id) ? new HandleDouble(record.id, host, options) : undefined;
    },
    async reap(record: SandboxRecord): Promise<void> {
      host.sandboxes.delete(record.id);
      host.reaped.push(record.id);
    },
    async discover(): Promise<readonly SandboxRecord[]> {
      return [...host.sandboxes.values()].map((entry) => entry.record);
    },
  };
}
