// `apply` reconciles a running sandbox: a new policy is enforced, a relabelled pod changes which rules select it,
// added pods get a namespace and an agent, removed pods leave nothing, a changed address moves the pod, and a new
// external endpoint appears in the outside world. Each step is checked with packets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster, ExternalEndpoint, Pod } from '../../server/policy/model.ts';
import type { SandboxHandle } from '../../server/sandbox/contract.ts';
import { parseLocalState } from '../../server/sandbox/local/local-state.ts';
import { generateSandboxId } from '../../server/sandbox/local/names.ts';
import { listNetns } from '../../server/sandbox/local/netns-plumbing.ts';
import { canRunPrivileged } from '../helpers/env.ts';
import { makeCluster, makeExternal, makeNamespace, makePod, makePolicy, podPeer, rule, sel } from '../helpers/builders.ts';
import { collectProbes, makeTempHome, makeTestProvider, podProbe } from './local-helpers.ts';

const bFromA = makePolicy('x', 'b-from-a', { podSelector: sel({ pod: 'b' }), ingress: [rule([podPeer(sel({ pod: 'a' }))])] });

function pod(name: string, ip: string, labels: Record<string, string> = { pod: name }): Pod {
  return makePod('x', name, { labels, ip, ports: [[80, 'TCP'], [80, 'UDP']] });
}

function cluster(pods: readonly Pod[], options: { readonly policies?: Cluster['policies']; readonly externals?: readonly ExternalEndpoint[] } = {}): Cluster {
  return makeCluster({ namespaces: [makeNamespace('x', { ns: 'x' })], pods, policies: options.policies ?? [], externals: options.externals ?? [] });
}

describe.runIf(canRunPrivileged())('local sandbox: apply changes enforcement', () => {
  let home: Awaited<ReturnType<typeof makeTempHome>> | undefined;
  let handle: SandboxHandle | undefined;
  const sandbox = (): SandboxHandle => {
    if (handle === undefined) throw new Error('sandbox not created');
    return handle;
  };
  const a = pod('a', '10.244.1.10');
  const b = pod('b', '10.244.1.11');
  const c = pod('c', '10.244.1.12');

  beforeAll(async () => {
    home = await makeTempHome('apply');
    handle = await makeTestProvider(home.dir).create({ id: generateSandboxId(), cni: 'reference', ttlSeconds: 600, owner: 'apply', cluster: cluster([a, b, c]) });
  });
  afterAll(async () => {
    await handle?.destroy();
    await home?.dispose();
  });

  it('enforces a new policy, with the change counted and the denial attributed', async () => {
    const before = await collectProbes(sandbox(), [podProbe('c-b', 'x/c', 'x/b', 80)]);
    expect(before.get('c-b')?.outcome).toBe('allowed');
    const result = await sandbox().apply(cluster([a, b, c], { policies: [bFromA] }));
    expect(result).toMatchObject({ policiesChanged: 1, podsAdded: 0, podsRemoved: 0 });
    const after = await collectProbes(sandbox(), [podProbe('a-b', 'x/a', 'x/b', 80), podProbe('c-b', 'x/c', 'x/b', 80), podProbe('c-b-udp', 'x/c', 'x/b', 80, 'UDP')]);
    expect(after.get('a-b')?.outcome).toBe('allowed');
    expect(after.get('c-b')?.outcome).toBe('denied');
    expect(after.get('c-b-udp')?.outcome).toBe('denied');
    expect(after.get('c-b')?.attribution).toMatchObject({ direction: 'Ingress', subject: 'x/b', policies: [{ namespace: 'x', name: 'b-from-a' }] });
  });

  it('follows a label change: a relabelled pod is selected by the rule', async () => {
    const relabelled = pod('c', '10.244.1.12', { pod: 'a' });
    const result = await sandbox().apply(cluster([a, b, relabelled], { policies: [bFromA] }));
    expect(result).toMatchObject({ policiesChanged: 0, podsAdded: 0, podsRemoved: 0 });
    const probes = await collectProbes(sandbox(), [podProbe('c-b', 'x/c', 'x/b', 80)]);
    expect(probes.get('c-b')?.outcome).toBe('allowed');
  });

  it('adds and removes pods: the new one serves and is policed, the removed one leaves no namespace', async () => {
    const removedNetns = parseLocalState(sandbox().record().providerState)?.pods.find((p) => p.key === 'x/c')?.netns;
    expect(removedNetns).toBeDefined();
    const d = pod('d', '10.244.1.13');
    const result = await sandbox().apply(cluster([a, b, d], { policies: [bFromA] }));
    expect(result).toMatchObject({ policiesChanged: 0, podsAdded: 1, podsRemoved: 1 });
    expect(await listNetns()).not.toContain(removedNetns);
    const probes = await collectProbes(sandbox(), [podProbe('d-b', 'x/d', 'x/b', 80), podProbe('a-d', 'x/a', 'x/d', 80, 'UDP'), podProbe('c-b', 'x/c', 'x/b', 80)]);
    expect(probes.get('d-b')?.outcome).toBe('denied');
    expect(probes.get('a-d')?.outcome).toBe('allowed');
    expect(probes.get('c-b')?.outcome).toBe('error');
    expect(probes.get('c-b')?.detail).toMatch(/unknown source pod x\/c/);
  });

  it('moves a pod to a new address and keeps enforcing by label', async () => {
    const moved = pod('a', '10.244.1.50');
    const d = pod('d', '10.244.1.13');
    await sandbox().apply(cluster([moved, b, d], { policies: [bFromA] }));
    const probes = await collectProbes(sandbox(), [podProbe('a-b', 'x/a', 'x/b', 80), podProbe('b-a', 'x/b', 'x/a', 80), podProbe('d-b', 'x/d', 'x/b', 80)]);
    expect(probes.get('a-b')?.outcome).toBe('allowed');
    expect(probes.get('b-a')?.outcome).toBe('allowed');
    expect(probes.get('d-b')?.outcome).toBe('denied');
  });

  it('adds an external endpoint to the outside world, reachable from pods and probing back in', async () => {
    const moved = pod('a', '10.244.1.50');
    const d = pod('d', '10.244.1.13');
    const api = makeExternal('api', '203.0.113.10', [{ port: 443, protocol: 'TCP' }]);
    await sandbox().apply(cluster([moved, b, d], { policies: [bFromA], externals: [api] }));
    const probes = await collectProbes(sandbox(), [
      { id: 'a-api', from: { kind: 'pod', namespace: 'x', name: 'a' }, to: { kind: 'external', name: 'api' }, port: 443, protocol: 'TCP', timeoutMs: 1000 },
      { id: 'api-b', from: { kind: 'external', name: 'api' }, to: { kind: 'pod', namespace: 'x', name: 'b' }, port: 80, protocol: 'TCP', timeoutMs: 1000 },
      { id: 'api-d', from: { kind: 'external', name: 'api' }, to: { kind: 'pod', namespace: 'x', name: 'd' }, port: 80, protocol: 'TCP', timeoutMs: 1000 },
    ]);
    expect(probes.get('a-api')?.outcome).toBe('allowed');
    expect(probes.get('api-b')?.outcome).toBe('denied');
    expect(probes.get('api-d')?.outcome).toBe('allowed');
  });

  it('a rejected apply leaves the previous rules in force', async () => {
    const bad = cluster([pod('a', '10.244.1.50'), b, pod('d', '10.244.1.13'), pod('e', 'not-an-ip')], { policies: [] });
    await expect(sandbox().apply(bad)).rejects.toThrow(/not an IP address|not-an-ip/);
    const probes = await collectProbes(sandbox(), [podProbe('d-b', 'x/d', 'x/b', 80)]);
    expect(probes.get('d-b')?.outcome).toBe('denied');
  });
});
