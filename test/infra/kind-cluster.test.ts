// The kind program under Pulumi mocks, for every CNI kind offers: names, sandbox labels, the default CNI switched
// off exactly when another one is installed, subnets, pinned charts, deletedWith on every in-cluster object, and
// the output contract with a secret kubeconfig.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { listCniNames } from '../../infra/cni/catalog.ts';
import { referencePluginsVersion } from '../../infra/cni/reference-plugins.ts';
import { fakeKindKubeconfig, findResource, findResources, runWithMocks } from './pulumi-mocks.ts';
import type { MockRun } from './pulumi-mocks.ts';

const sandboxId = 'sb-0a1b2c3d';
const expiresAt = '2026-11-21T12:30:00Z';

async function runKind(cni: string, extra: Readonly<Record<string, string>> = {}): Promise<MockRun> {
  return runWithMocks({
    stack: sandboxId,
    config: { provider: 'kind', cni, expiresAt, owner: 'qa@example.com', ...extra },
    loadProgram: async () => (await import('../../infra/program.ts')).runSandboxProgram,
  });
}

function readKindConfig(run: MockRun): Record<string, unknown> {
  const create = findResources(run, 'command:local:Command').find((resource) => resource.name.endsWith('-kind'));
  if (create === undefined) throw new Error('no kind create command');
  const stdin = create.inputs['stdin'];
  if (typeof stdin !== 'string') throw new Error('kind config is not passed on stdin');
  const parsed: unknown = parse(stdin);
  if (typeof parsed !== 'object' || parsed === null) throw new Error('kind config is not a mapping');
  return { ...parsed };
}

const expectedCharts: Readonly<Record<string, readonly { chart: string; version: RegExp }[]>> = {
  kindnet: [],
  calico: [{ chart: 'tigera-operator', version: /^v3\.\d+\.\d+$/ }],
  cilium: [{ chart: 'cilium', version: /^1\.\d+\.\d+$/ }],
  antrea: [{ chart: 'antrea', version: /^2\.\d+\.\d+$/ }],
  'kube-router': [{ chart: 'kube-router', version: /^\d+\.\d+\.\d+$/ }],
  flannel: [{ chart: 'flannel', version: /^v0\.\d+\.\d+$/ }],
  'flannel-netpol': [{ chart: 'flannel', version: /^v0\.\d+\.\d+$/ }],
};

describe('kind program', () => {
  it('offers exactly the CNIs this test covers', () => {
    expect([...listCniNames('kind')].sort()).toEqual(Object.keys(expectedCharts).sort());
  });

  for (const cni of listCniNames('kind')) {
    describe(`with ${cni}`, () => {
      it('creates and deletes a kind cluster named after the sandbox, config on stdin, values as environment', async () => {
        const run = await runKind(cni);
        const create = findResources(run, 'command:local:Command').find((resource) => resource.name.endsWith('-kind'));
        expect(create?.inputs['create']).toBe('kind create cluster --name "$KIND_CLUSTER_NAME" --config - --kubeconfig "$KIND_KUBECONFIG"');
        expect(create?.inputs['delete']).toContain('kind delete cluster --name "$KIND_CLUSTER_NAME"');
        expect(create?.inputs['environment']).toMatchObject({ KIND_CLUSTER_NAME: `rehearsal-${sandboxId}` });
        expect(readKindConfig(run)['name']).toBe(`rehearsal-${sandboxId}`);
      });

      it('disables kindnet exactly when another CNI is installed, and sets pod and service subnets', async () => {
        const run = await runKind(cni, { podSubnet: '10.200.0.0/16', serviceSubnet: '10.100.0.0/16' });
        expect(readKindConfig(run)['networking']).toEqual({
          disableDefaultCNI: cni !== 'kindnet',
          podSubnet: '10.200.0.0/16',
          serviceSubnet: '10.100.0.0/16',
        });
      });

      it('labels every node with the sandbox id and expiry', async () => {
        const run = await runKind(cni, { nodeCount: '3' });
        const nodes = readKindConfig(run)['nodes'];
        expect(nodes).toHaveLength(3);
        expect(nodes).toEqual([
          expect.objectContaining({ role: 'control-plane', labels: { 'rehearsal.dev/sandbox-id': sandboxId, 'rehearsal.dev/expires-at': '20261121t123000z' } }),
          expect.objectContaining({ role: 'worker' }),
          expect.objectContaining({ role: 'worker' }),
        ]);
      });

      it('installs the CNI from pinned chart versions', async () => {
        const run = await runKind(cni);
        const charts = findResources(run, 'kubernetes:helm.sh/v4:Chart').map((chart) => ({
          chart: chart.inputs['chart'],
          version: chart.inputs['version'],
        }));
        const expected = expectedCharts[cni] ?? [];
        expect(charts.map((chart) => chart.chart)).toEqual(expected.map((chart) => chart.chart));
        for (const [index, chart] of charts.entries()) expect(chart.version).toMatch(expected[index]?.version ?? /^never$/);
      });

      it('deletes every in-cluster object with the cluster', async () => {
        const run = await runKind(cni);
        const create = findResources(run, 'command:local:Command').find((resource) => resource.name.endsWith('-kind'));
        const inCluster = run.resources.filter((resource) => resource.type.startsWith('kubernetes:'));
        expect(inCluster.length > 0).toBe(cni !== 'kindnet');
        for (const resource of inCluster) expect({ name: resource.name, deletedWith: resource.deletedWith }).toEqual({ name: resource.name, deletedWith: create?.urn });
      });

      it('exports the output contract with the kubeconfig as a secret', async () => {
        const run = await runKind(cni);
        expect(run.outputs).toEqual({ kubeconfig: fakeKindKubeconfig, clusterName: `rehearsal-${sandboxId}`, endpoint: 'https://127.0.0.1:40123' });
        expect([...run.secretOutputs]).toEqual(['kubeconfig']);
        const kubeconfigCommand = findResources(run, 'command:local:Command').find((resource) => resource.name.endsWith('-kubeconfig'));
        expect(kubeconfigCommand?.additionalSecretOutputs).toEqual(['stdout']);
      });
    });
  }

  it('flannel alone enforces nothing; flannel-netpol turns on the kube-network-policies add-on', async () => {
    const bare = findResource(await runKind('flannel'), 'kubernetes:helm.sh/v4:Chart');
    const netpol = findResource(await runKind('flannel-netpol'), 'kubernetes:helm.sh/v4:Chart');
    expect(bare.inputs['values']).toMatchObject({ netpol: { enabled: false }, podCidr: '10.244.0.0/16' });
    expect(netpol.inputs['values']).toMatchObject({ netpol: { enabled: true } });
  });

  it('puts the reference CNI plugins on every node for CNIs that delegate to bridge', async () => {
    for (const cni of ['flannel', 'kube-router']) {
      const daemonSet = findResource(await runKind(cni), 'kubernetes:apps/v1:DaemonSet');
      expect(JSON.stringify(daemonSet.inputs)).toContain(referencePluginsVersion);
      expect(daemonSet.inputs).toMatchObject({ spec: { template: { spec: { hostNetwork: true, tolerations: [{ operator: 'Exists' }] } } } });
    }
    expect(findResources(await runKind('cilium'), 'kubernetes:apps/v1:DaemonSet')).toEqual([]);
  });

  it('points the Calico pool at the kind pod subnet and runs cilium with one operator replica', async () => {
    const calico = findResource(await runKind('calico', { podSubnet: '10.210.0.0/16' }), 'kubernetes:helm.sh/v4:Chart');
    expect(calico.inputs['values']).toMatchObject({ installation: { calicoNetwork: { ipPools: [{ cidr: '10.210.0.0/16', encapsulation: 'VXLAN' }] } } });
    const cilium = findResource(await runKind('cilium'), 'kubernetes:helm.sh/v4:Chart');
    expect(cilium.inputs['values']).toMatchObject({ ipam: { mode: 'kubernetes' }, operator: { replicas: 1 }, image: { pullPolicy: 'IfNotPresent' } });
  });

  it('pins the node image from kubernetesVersion and reads the internal kubeconfig when asked', async () => {
    const run = await runKind('kindnet', { kubernetesVersion: '1.33.1', internalKubeconfig: 'true' });
    expect(readKindConfig(run)['nodes']).toEqual(expect.arrayContaining([expect.objectContaining({ image: 'kindest/node:v1.33.1' })]));
    const kubeconfigCommand = findResources(run, 'command:local:Command').find((resource) => resource.name.endsWith('-kubeconfig'));
    expect(kubeconfigCommand?.inputs['create']).toContain('--internal');
  });
});
