// The one SandboxProvider contract suite: every provider (local netns, kind, cloud, cluster) runs it with its own
// factory. It checks what the server and CLI rely on, through the contract only. A check a provider cannot pass
// is skipped with the reason the provider states, and the reason is part of the test name.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import type { Cluster } from '../../server/policy/model.ts';
import type { ProbeRequest, ProbeResult, SandboxHandle, SandboxProvider, SandboxRecord } from '../../server/sandbox/contract.ts';
import { SandboxError } from '../../server/sandbox/contract.ts';
import { makeCluster, makeNamespace, makePod, makePolicy, podPeer, rule, sel } from '../helpers/builders.ts';

export const ContractChecks = {
  /** UDP probes get a reply from the server pod. */
  udp: 'udp',
  /** Denied probes name the direction, the pod and its isolating policy. */
  attribution: 'attribution',
  /** A second process can attach to a live sandbox by its record. */
  attach: 'attach',
  /** Nothing of the sandbox is left after destroy (provider-specific inspection). */
  leftovers: 'leftovers',
} as const;
export type ContractCheck = (typeof ContractChecks)[keyof typeof ContractChecks];

export interface ProviderContractOptions {
  readonly cni: string;
  /** Default 2000. */
  readonly probeTimeoutMs?: number;
  /** Default 600. */
  readonly ttlSeconds?: number;
  /** Checks this provider cannot pass, each with the reason (shown in the test name). */
  readonly skip?: Partial<Record<ContractCheck, string>>;
  /** What of the sandbox is still on the host/cloud after destroy; empty when clean. Required unless `leftovers` is skipped. */
  readonly findLeftovers?: (record: SandboxRecord) => Promise<readonly string[]>;
  /** Fresh ids per run (`sb-` + 8 hex). */
  readonly makeId: () => string;
}

/** alpha/client → alpha/server (80 TCP+UDP), beta/other (80 TCP); the smallest cluster that shows isolation. */
export function makeContractCluster(policies: Cluster['policies'] = []): Cluster {
  return makeCluster({
    namespaces: [makeNamespace('alpha', { team: 'alpha' }), makeNamespace('beta', { team: 'beta' })],
    pods: [
      makePod('alpha', 'client', { labels: { app: 'client' } }),
      makePod('alpha', 'server', { labels: { app: 'server' }, ports: [[80, 'TCP', 'http'], [80, 'UDP', 'echo']] }),
      makePod('beta', 'other', { labels: { app: 'other' }, ports: [[80, 'TCP', 'http']] }),
    ],
    policies,
  });
}

const denyServerIngress = makePolicy('alpha', 'server-from-other-only', {
  podSelector: sel({ app: 'server' }),
  ingress: [rule([podPeer(sel({ app: 'other' }), sel({ team: 'beta' }))])],
});

async function collect(iterable: AsyncIterable<ProbeResult>): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  for await (const result of iterable) results.push(result);
  return results;
}

function probeRequest(id: string, from: string, to: string, protocol: 'TCP' | 'UDP', timeoutMs: number): ProbeRequest {
  const [fromNs = '', fromName = ''] = from.split('/');
  const [toNs = '', toName = ''] = to.split('/');
  return { id, from: { kind: 'pod', namespace: fromNs, name: fromName }, to: { kind: 'pod', namespace: toNs, name: toName }, port: 80, protocol, timeoutMs };
}

export function describeProviderContract(name: string, makeProvider: () => SandboxProvider, options: ProviderContractOptions): void {
  const timeoutMs = options.probeTimeoutMs ?? 2000;
  const ttlSeconds = options.ttlSeconds ?? 600;
  const skip = options.skip ?? {};
  const check = (key: ContractCheck, title: string, body: () => Promise<void>): void => {
    const reason = skip[key];
    if (reason === undefined) it(title, body);
    else it.skip(`${title} — skipped for ${name}: ${reason}`, body);
  };

  describe(`SandboxProvider contract: ${name}`, () => {
    let provider: SandboxProvider;
    let handle: SandboxHandle | undefined;
    let createdMs = 0;

    beforeAll(async () => {
      provider = makeProvider();
      const availability = await provider.checkHost();
      if (!availability.isAvailable) {
        throw new Error(`${name} cannot run here: ${availability.problems.map((p) => `${p.check}: ${p.message} (fix: ${p.fix})`).join('; ')}`);
      }
      const started = Date.now();
      handle = await provider.create({ id: options.makeId(), cni: options.cni, ttlSeconds, owner: 'conformance', cluster: makeContractCluster() });
      createdMs = Date.now() - started;
    });

    afterAll(async () => {
      await handle?.destroy();
    });

    const live = (): SandboxHandle => {
      if (handle === undefined) throw new Error('the sandbox was not created');
      return handle;
    };

    it('reports availability with a fix for every problem', async () => {
      const availability = await provider.checkHost();
      expect(availability.provider).toBe(provider.name);
      expect(availability.cnis).toContain(options.cni);
      for (const problem of availability.problems) {
        expect(problem.check).not.toBe('');
        expect(problem.message).not.toBe('');
        expect(problem.fix).not.toBe('');
      }
    });

    it('creates a ready sandbox whose record describes it', () => {
      const record = live().record();
      expect(record.id).toMatch(/^sb-[0-9a-f]{8}$/);
      expect(record.provider).toBe(provider.name);
      expect(record.cni).toBe(options.cni);
      expect(record.status).toBe('ready');
      const lifetimeMs = Date.parse(record.expiresAt) - Date.parse(record.createdAt);
      expect(lifetimeMs).toBe(ttlSeconds * 1000);
      expect(createdMs).toBeGreaterThan(0);
      expect(live().cluster().pods.map((pod) => `${pod.namespace}/${pod.name}`)).toEqual(['alpha/client', 'alpha/server', 'beta/other']);
    });

    it('finds the sandbox in discover()', async () => {
      const found = await provider.discover();
      expect(found.map((record) => record.id)).toContain(live().id);
    });

    it('lets traffic through when no policy isolates a pod (positive control)', async () => {
      const results = await collect(live().probe([probeRequest('tcp', 'alpha/client', 'alpha/server', 'TCP', timeoutMs)]));
      expect(results).toHaveLength(1);
      expect(results[0]?.id).toBe('tcp');
      expect(results[0]?.outcome).toBe('allowed');
      expect(results[0]?.latencyMs).toBeGreaterThanOrEqual(0);
    });

    check('udp', 'answers UDP probes when allowed', async () => {
      const results = await collect(live().probe([probeRequest('udp', 'alpha/client', 'alpha/server', 'UDP', timeoutMs)]));
      expect(results[0]?.outcome).toBe('allowed');
    });

    it("reports 'refused' for a port nothing listens on, not 'denied'", async () => {
      const request: ProbeRequest = { ...probeRequest('closed', 'alpha/client', 'alpha/server', 'TCP', timeoutMs), port: 8081 };
      const results = await collect(live().probe([request]));
      expect(results[0]?.outcome).toBe('refused');
    });

    it('enforces a policy after apply and reports what changed', async () => {
      const result = await live().apply(makeContractCluster([denyServerIngress]));
      expect(result.policiesChanged).toBe(1);
      expect(result.podsAdded).toBe(0);
      expect(result.podsRemoved).toBe(0);
      expect(result.enforcedAfterMs).toBeGreaterThan(0);
      expect(live().cluster().policies.map((policy) => policy.name)).toEqual(['server-from-other-only']);
      const results = await collect(
        live().probe([probeRequest('denied', 'alpha/client', 'alpha/server', 'TCP', timeoutMs), probeRequest('allowed', 'beta/other', 'alpha/server', 'TCP', timeoutMs)]),
      );
      const byId = new Map(results.map((r) => [r.id, r]));
      expect(byId.get('denied')?.outcome).toBe('denied');
      expect(byId.get('allowed')?.outcome).toBe('allowed');
    });

    check('attribution', 'attributes a denial to the isolating policy of the pod that dropped it', async () => {
      const results = await collect(live().probe([probeRequest('denied', 'alpha/client', 'alpha/server', 'TCP', timeoutMs)]));
      const attribution = results[0]?.attribution;
      expect(attribution?.direction).toBe('Ingress');
      expect(attribution?.subject).toBe('alpha/server');
      expect(attribution?.policies).toEqual([{ namespace: 'alpha', name: 'server-from-other-only' }]);
      expect(attribution?.evidence).not.toBe('');
    });

    it('describes its rules in a form that names the policy', async () => {
      expect(await live().describeRules()).toContain('server-from-other-only');
    });

    it('runs many probes concurrently and returns every id once', async () => {
      const requests = Array.from({ length: 40 }, (_, i) => probeRequest(`r${i}`, i % 2 === 0 ? 'alpha/client' : 'beta/other', 'alpha/server', 'TCP', timeoutMs));
      const results = await collect(live().probe(requests, { concurrency: 8 }));
      expect(results.map((r) => r.id).sort()).toEqual(requests.map((r) => r.id).sort());
      expect(results.filter((r) => r.outcome === 'allowed')).toHaveLength(20);
      expect(results.filter((r) => r.outcome === 'denied')).toHaveLength(20);
    });

    it('stops probing when the signal aborts', async () => {
      const controller = new AbortController();
      controller.abort();
      const results = await collect(live().probe([probeRequest('never', 'alpha/client', 'alpha/server', 'TCP', timeoutMs)], { signal: controller.signal }));
      expect(results).toEqual([]);
    });

    it('moves its expiry on extend', async () => {
      const target = new Date(Date.now() + 2 * ttlSeconds * 1000);
      const updated = await live().extend(target);
      expect(Date.parse(updated.expiresAt)).toBe(target.getTime());
      expect(live().record().expiresAt).toBe(updated.expiresAt);
    });

    check('attach', 'can be attached from its record and detached without being torn down', async () => {
      const attached = await provider.attach(live().record());
      expect(attached?.id).toBe(live().id);
      expect(attached?.cluster().policies.map((policy) => policy.name)).toEqual(['server-from-other-only']);
      await attached?.detach();
      const results = await collect(live().probe([probeRequest('after-detach', 'beta/other', 'alpha/server', 'TCP', timeoutMs)]));
      expect(results[0]?.outcome).toBe('allowed');
    });

    it('refuses an unknown CNI with a typed error naming the known ones', async () => {
      const failure = await provider
        .create({ id: options.makeId(), cni: 'no-such-cni', ttlSeconds: 60, owner: 'conformance', cluster: makeContractCluster() })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failure).toBeInstanceOf(SandboxError);
      expect(failure instanceof Error ? failure.message : '').toMatch(/no-such-cni/);
    });

    check('leftovers', 'destroy is idempotent, leaves nothing behind, and the sandbox cannot be attached again', async () => {
      const sandbox = live();
      const record = sandbox.record();
      await sandbox.destroy();
      await sandbox.destroy();
      expect((await provider.discover()).map((r) => r.id)).not.toContain(record.id);
      expect(await provider.attach(record)).toBeUndefined();
      await provider.reap(record);
      if (options.findLeftovers === undefined) throw new Error('findLeftovers is required unless the leftovers check is skipped with a reason');
      expect(await options.findLeftovers(record)).toEqual([]);
      handle = undefined;
    });
  });
}
