// The existing-cluster provider against a fake Kubernetes API: the shared provider contract, then what only an
// existing cluster needs: namespace ownership, the enforcement check that shouts when nothing is enforced,
// namespace removal at TTL, and rediscovery from namespace labels alone.
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClusterProvider } from '../../server/sandbox/cluster/cluster-provider.ts';
import type { ClusterProviderDeps } from '../../server/sandbox/cluster/cluster-provider.ts';
import type { ProgressEvent, SandboxProvider } from '../../server/sandbox/contract.ts';
import { SandboxError } from '../../server/sandbox/contract.ts';
import { KubeApiError } from '../../server/sandbox/k8s/kube-client.ts';
import type { KubeClient } from '../../server/sandbox/k8s/kube-client.ts';
import { describeProviderContract, makeContractCluster } from './provider-contract.ts';
import { createFakeClock, createRecordingLogger, makeTestId, waitUntil } from './fakes/fake-clock.ts';
import type { FakeClock, RecordingLogger } from './fakes/fake-clock.ts';
import { FakeKubeCluster } from './fakes/fake-kube.ts';

interface Rig {
  readonly provider: SandboxProvider;
  readonly cluster: FakeKubeCluster;
  readonly clock: FakeClock;
  readonly logger: RecordingLogger;
  readonly home: string;
  readonly kubeconfigPath: string;
}

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rehearsal-cluster-fake-'));
});

let rigCount = 0;
async function makeRig(options: { readonly cluster?: FakeKubeCluster; readonly home?: string; readonly client?: KubeClient } & Partial<ClusterProviderDeps> = {}): Promise<Rig> {
  rigCount += 1;
  const cluster = options.cluster ?? new FakeKubeCluster({ enforcesPolicy: true });
  const home = options.home ?? join(root, `home-${rigCount}`);
  const kubeconfigPath = join(root, `kubeconfig-${rigCount}`);
  await writeFile(kubeconfigPath, `fake-kubeconfig:${rigCount}`);
  const clock = createFakeClock();
  const logger = createRecordingLogger();
  const provider = createClusterProvider({
    createKubeClient: () => options.client ?? cluster.client,
    clock,
    logger,
    home,
    kubeconfigPath,
    readFile: (path) => readFile(path, 'utf8'),
    timings: { pollMs: 1_000, gateTimeoutMs: 60_000, enforcementWindowMs: 10_000 },
    ...options,
  });
  return { provider, cluster, clock, logger, home, kubeconfigPath };
}

const contract: { rig?: Rig; provider?: SandboxProvider } = {};
beforeAll(async () => {
  contract.rig = await makeRig();
});

describeProviderContract(
  'cluster (fake Kubernetes API)',
  () => {
    if (contract.rig === undefined) throw new Error('rig not ready');
    return contract.rig.provider;
  },
  {
    cni: 'existing',
    makeId: makeTestId,
    skip: { attribution: 'the cluster\'s own CNI drops packets silently; naming the dropping policy needs its flow logs, which rehearsal does not read' },
    findLeftovers: async (record) => {
      const rig = contract.rig;
      if (rig === undefined) return ['no rig'];
      return [...rig.cluster.listLabelled('rehearsal.dev/sandbox-id', record.id), ...(existsSync(join(rig.home, 'sandboxes', 'cluster', record.id)) ? ['sandbox files'] : [])];
    },
  },
);

function create(rig: Rig, options: { readonly events?: ProgressEvent[]; readonly ttlSeconds?: number } = {}) {
  return rig.provider.create({
    id: makeTestId(),
    cni: 'existing',
    ttlSeconds: options.ttlSeconds ?? 600,
    owner: 'qa@example.com',
    cluster: makeContractCluster(),
    ...(options.events === undefined ? {} : { onProgress: (event: ProgressEvent) => options.events?.push(event) }),
  });
}

describe('existing-cluster provider', () => {
  it('labels every namespace it makes with the sandbox id, expiry and owner', async () => {
    const rig = await makeRig();
    const handle = await create(rig);
    const namespaces = rig.cluster.listLabelled('rehearsal.dev/sandbox-id', handle.id).filter((key) => key.startsWith('Namespace/'));
    expect(namespaces.sort()).toEqual(['Namespace//alpha', 'Namespace//beta']);
    const alpha = await rig.cluster.client.read({ apiVersion: 'v1', kind: 'Namespace', name: 'alpha' });
    expect(alpha).toMatchObject({ metadata: { labels: { 'rehearsal.dev/owner': 'qa-example.com', team: 'alpha', 'rehearsal.dev/expires-at': expect.stringMatching(/^\d{8}t\d{6}z$/) } } });
    await handle.destroy();
  });

  it('shouts when the cluster accepts a deny-all policy and still lets traffic through', async () => {
    const rig = await makeRig({ cluster: new FakeKubeCluster({ enforcesPolicy: false }) });
    const events: ProgressEvent[] = [];
    const handle = await create(rig, { events });
    const warning = events.find((event) => event.step === 'enforcement' && event.message.startsWith('WARNING: THIS CLUSTER DOES NOT ENFORCE NETWORKPOLICY'));
    expect(warning?.message).toContain('alpha/client → alpha/server:80/TCP still connected');
    expect(handle.record().providerState['enforcement']).toMatch(/^not-enforced: /);
    expect(await handle.describeRules()).toContain('# enforcement check: not-enforced');
    expect(rig.logger.entries.some((entry) => entry.level === 'warn' && entry.message.includes('DOES NOT ENFORCE'))).toBe(true);
    expect(rig.cluster.listLabelled('rehearsal.dev/sandbox-id', handle.id).some((key) => key.includes('rehearsal-enforcement-check'))).toBe(false);
    await handle.destroy();
  });

  it('refuses namespaces that exist and are not its own, and leaves nothing behind', async () => {
    const rig = await makeRig();
    await rig.cluster.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'beta', labels: { owner: 'someone-else' } } }, { fieldManager: 'kubectl' });
    const failure = await create(rig).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SandboxError);
    expect(failure instanceof SandboxError ? failure.code : '').toBe('SANDBOX_APPLY_FAILED');
    expect(failure instanceof Error ? failure.message : '').toContain('namespace beta (not made by rehearsal) already exists on this cluster');
    expect(await rig.cluster.client.read({ apiVersion: 'v1', kind: 'Namespace', name: 'beta' })).toMatchObject({ metadata: { labels: { owner: 'someone-else' } } });
    expect(await rig.cluster.client.read({ apiVersion: 'v1', kind: 'Namespace', name: 'alpha' })).toBeUndefined();
  });

  it('removes its namespaces when the TTL passes', async () => {
    const rig = await makeRig();
    const handle = await create(rig, { ttlSeconds: 60 });
    await handle.detach();
    await rig.clock.advance(61_000);
    await waitUntil(() => rig.cluster.listLabelled('rehearsal.dev/sandbox-id', handle.id).length === 0, 'the sandbox namespaces are gone');
    expect(rig.cluster.calls.deletes).toEqual(expect.arrayContaining(['Namespace//alpha', 'Namespace//beta']));
  });

  it('rediscovers sandboxes from namespace labels and annotations alone', async () => {
    const first = await makeRig();
    const handle = await create(first);
    const stranger = await makeRig({ cluster: first.cluster, home: join(root, 'other-home') });
    const found = await stranger.provider.discover();
    expect(found.map((record) => ({ id: record.id, owner: record.owner, expiresAt: record.expiresAt, status: record.status }))).toEqual([
      { id: handle.id, owner: 'qa@example.com', expiresAt: handle.record().expiresAt, status: 'ready' },
    ]);
    const [record] = found;
    if (record !== undefined) await stranger.provider.reap(record);
    expect(first.cluster.listLabelled('rehearsal.dev/sandbox-id', handle.id)).toEqual([]);
  });

  it('keeps the policies of a shared cluster out of system namespaces', async () => {
    const rig = await makeRig();
    const handle = await create(rig);
    const cluster = handle.cluster();
    const kubeSystemPolicy = { ...cluster.policies[0], namespace: 'kube-system', name: 'lock-down-dns' };
    const base = makeContractCluster();
    await handle.apply({ ...base, policies: [{ ...kubeSystemPolicy, podSelector: { matchLabels: {}, matchExpressions: [] }, policyTypes: ['Ingress'], hasExplicitPolicyTypes: true, ingress: [], egress: [], labels: {}, source: { file: 't', line: 0, docIndex: 0, path: '' } }] });
    expect(await rig.cluster.client.read({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: 'kube-system', name: 'lock-down-dns' })).toBeUndefined();
    expect(rig.logger.entries.some((entry) => String(entry.fields?.['detail']).includes('would isolate other people'))).toBe(true);
    await handle.destroy();
  });

  it('explains an unreadable kubeconfig, an unreachable API server, and missing permissions', async () => {
    const missing = await makeRig({ kubeconfigPath: join(root, 'nope') });
    expect((await missing.provider.checkHost()).problems).toEqual([
      { check: 'kubeconfig', message: expect.stringContaining(`cannot read the kubeconfig ${join(root, 'nope')}`), fix: expect.stringContaining('--kubeconfig PATH') },
    ]);
    const failing = (status?: number): KubeClient => ({
      ...new FakeKubeCluster({ enforcesPolicy: true }).client,
      readVersion: async () => {
        throw new KubeApiError(status === undefined ? 'GET /version: fetch failed: connect ECONNREFUSED 10.0.0.1:6443' : `GET /version: HTTP ${status}`, status === undefined ? {} : { status });
      },
    });
    const unreachable = await makeRig({ client: failing() });
    const [down] = (await unreachable.provider.checkHost()).problems;
    expect(down?.check).toBe('api-server');
    expect(down?.message).toContain('ECONNREFUSED');
    expect(down?.fix).toContain('cluster-info');
    const forbidden = await makeRig({ client: failing(403) });
    expect((await forbidden.provider.checkHost()).problems[0]?.check).toBe('permissions');
  });
});
