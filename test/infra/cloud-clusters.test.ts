// The EKS, GKE and AKS programs under Pulumi mocks, for every CNI each offers: names, tags/labels carrying the
// sandbox id and expiry, the arguments that switch NetworkPolicy enforcement on, pinned provider plugins, cheap
// defaults, and the output contract with a secret kubeconfig.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { listCniNames } from '../../infra/cni/catalog.ts';
import { pluginVersions } from '../../infra/components/cloud-resources.ts';
import { fakeAksKubeconfig, findResource, findResources, runWithMocks } from './pulumi-mocks.ts';
import type { MockRun } from './pulumi-mocks.ts';

const sandboxId = 'sb-9f8e7d6c';
const expiresAt = '2026-11-21T12:30:00Z';

async function runCloud(provider: 'eks' | 'gke' | 'aks', cni: string, extra: Readonly<Record<string, string>> = {}): Promise<MockRun> {
  return runWithMocks({
    stack: sandboxId,
    config: { provider, cni, expiresAt, owner: 'qa@example.com', ...(provider === 'gke' ? { gcpProject: 'rehearsal-test' } : {}), ...extra },
    loadProgram: async () => (await import('../../infra/program.ts')).runSandboxProgram,
  });
}

function readJsonInput(run: MockRun, type: string, key: string): unknown {
  const value = findResource(run, type).inputs[key];
  if (typeof value !== 'string') throw new Error(`${type}.${key} is not a JSON string`);
  return JSON.parse(value);
}

function readKubeconfigUser(kubeconfig: unknown): unknown {
  if (typeof kubeconfig !== 'string') throw new Error('kubeconfig output is not text');
  return parse(kubeconfig);
}

describe('EKS program', () => {
  for (const cni of listCniNames('eks')) {
    describe(`with ${cni}`, () => {
      it('names the cluster after the sandbox and tags everything through the provider default tags', async () => {
        const run = await runCloud('eks', cni);
        expect(findResource(run, 'aws:eks/cluster:Cluster').inputs['name']).toBe(`rehearsal-${sandboxId}`);
        expect(readJsonInput(run, 'pulumi:providers:aws', 'defaultTags')).toEqual({
          tags: { 'rehearsal-sandbox-id': sandboxId, 'rehearsal-expires-at': '2026-11-21T12:30:00.000Z', 'rehearsal-owner': 'qa@example.com', 'managed-by': 'rehearsal' },
        });
        const awsResources = run.resources.filter((resource) => resource.type.startsWith('aws:'));
        const provider = findResource(run, 'pulumi:providers:aws');
        for (const resource of awsResources) expect(resource.provider.startsWith(provider.urn)).toBe(true);
      });

      it('switches the VPC CNI network policy agent on only when it is the enforcer', async () => {
        const run = await runCloud('eks', cni);
        const addon = findResource(run, 'aws:eks/addon:Addon');
        expect(addon.inputs['addonName']).toBe('vpc-cni');
        expect(JSON.parse(String(addon.inputs['configurationValues']))).toEqual({ enableNetworkPolicy: cni === 'vpc-cni' ? 'true' : 'false' });
        const charts = findResources(run, 'kubernetes:helm.sh/v4:Chart').map((chart) => chart.inputs['chart']);
        expect(charts).toEqual(cni === 'vpc-cni' ? [] : [cni === 'calico' ? 'tigera-operator' : 'cilium']);
      });

      it('pins the aws plugin on every cloud resource and sizes the node group from nodeCount', async () => {
        const run = await runCloud('eks', cni, { nodeCount: '3' });
        for (const resource of run.resources.filter((r) => r.type.startsWith('aws:') || r.type === 'pulumi:providers:aws')) {
          expect({ type: resource.type, version: resource.version }).toEqual({ type: resource.type, version: pluginVersions.aws });
        }
        expect(findResource(run, 'aws:eks/nodeGroup:NodeGroup').inputs).toMatchObject({
          instanceTypes: ['t3.medium'],
          scalingConfig: { desiredSize: 3, minSize: 3, maxSize: 3 },
          subnetIds: ['subnet-0aaa', 'subnet-0bbb'],
        });
      });

      it('exports a secret exec kubeconfig that asks aws eks get-token', async () => {
        const run = await runCloud('eks', cni);
        expect([...run.secretOutputs]).toEqual(['kubeconfig']);
        expect(run.outputs['endpoint']).toBe('https://ABCDEF.gr7.us-east-1.eks.amazonaws.com');
        expect(readKubeconfigUser(run.outputs['kubeconfig'])).toMatchObject({
          users: [{ user: { exec: { command: 'aws', args: ['eks', 'get-token', '--cluster-name', `rehearsal-${sandboxId}`, '--region', 'us-east-1', '--output', 'json'] } } }],
        });
      });
    });
  }

  it('deletes in-cluster charts with the EKS cluster', async () => {
    const run = await runCloud('eks', 'calico');
    const cluster = findResource(run, 'aws:eks/cluster:Cluster');
    const inCluster = run.resources.filter((resource) => resource.type.startsWith('kubernetes:'));
    expect(inCluster.length).toBeGreaterThan(0);
    for (const resource of inCluster) expect(resource.deletedWith).toBe(cluster.urn);
  });

  it('uses explicit subnets without looking up the default VPC', async () => {
    const run = await runCloud('eks', 'vpc-cni', { awsSubnetIds: 'subnet-01, subnet-02' });
    expect(findResource(run, 'aws:eks/nodeGroup:NodeGroup').inputs['subnetIds']).toEqual(['subnet-01', 'subnet-02']);
    expect(run.calls.map((call) => call.token)).toEqual([]);
  });
});

describe('GKE program', () => {
  for (const cni of listCniNames('gke')) {
    describe(`with ${cni}`, () => {
      it('labels cluster and nodes with the sandbox id and a label-safe expiry', async () => {
        const run = await runCloud('gke', cni);
        const labels = { 'rehearsal-sandbox-id': sandboxId, 'rehearsal-expires-at': '20261121t123000z', 'rehearsal-owner': 'qa-example.com', 'managed-by': 'rehearsal' };
        expect(findResource(run, 'gcp:container/cluster:Cluster').inputs).toMatchObject({ name: `rehearsal-${sandboxId}`, resourceLabels: labels, deletionProtection: false });
        expect(findResource(run, 'gcp:container/nodePool:NodePool').inputs).toMatchObject({ nodeCount: 2, nodeConfig: { machineType: 'e2-medium', resourceLabels: labels } });
        expect(readJsonInput(run, 'pulumi:providers:gcp', 'defaultLabels')).toEqual(labels);
      });

      it('switches enforcement on: Dataplane V2, or the Calico add-on, never both', async () => {
        const inputs = findResource(await runCloud('gke', cni), 'gcp:container/cluster:Cluster').inputs;
        if (cni === 'dataplane-v2') {
          expect(inputs['datapathProvider']).toBe('ADVANCED_DATAPATH');
          expect(inputs['networkPolicy']).toBeUndefined();
        } else {
          expect(inputs).toMatchObject({
            datapathProvider: 'LEGACY_DATAPATH',
            networkPolicy: { enabled: true, provider: 'CALICO' },
            addonsConfig: { networkPolicyConfig: { disabled: false } },
          });
        }
      });

      it('pins the gcp plugin and exports a secret kubeconfig using gke-gcloud-auth-plugin', async () => {
        const run = await runCloud('gke', cni);
        for (const resource of run.resources.filter((r) => r.type.startsWith('gcp:') || r.type === 'pulumi:providers:gcp')) expect(resource.version).toBe(pluginVersions.gcp);
        expect([...run.secretOutputs]).toEqual(['kubeconfig']);
        expect(run.outputs['endpoint']).toBe('https://34.10.20.30');
        expect(readKubeconfigUser(run.outputs['kubeconfig'])).toMatchObject({ users: [{ user: { exec: { command: 'gke-gcloud-auth-plugin' } } }] });
      });
    });
  }
});

describe('AKS program', () => {
  const expectedPolicy: Readonly<Record<string, Record<string, unknown>>> = {
    cilium: { networkPlugin: 'azure', networkPluginMode: 'overlay', networkDataplane: 'cilium', networkPolicy: 'cilium' },
    azure: { networkPlugin: 'azure', networkPolicy: 'azure' },
    calico: { networkPlugin: 'azure', networkPluginMode: 'overlay', networkPolicy: 'calico' },
  };
  for (const cni of listCniNames('aks')) {
    describe(`with ${cni}`, () => {
      it('puts the cluster in its own tagged resource group, named after the sandbox', async () => {
        const run = await runCloud('aks', cni);
        const tags = { 'rehearsal-sandbox-id': sandboxId, 'rehearsal-expires-at': '2026-11-21T12:30:00.000Z', 'rehearsal-owner': 'qa@example.com', 'managed-by': 'rehearsal' };
        expect(findResource(run, 'azure-native:resources:ResourceGroup').inputs).toMatchObject({ resourceGroupName: `rehearsal-${sandboxId}`, location: 'eastus', tags });
        expect(findResource(run, 'azure-native:containerservice:ManagedCluster').inputs).toMatchObject({
          resourceName: `rehearsal-${sandboxId}`,
          tags,
          agentPoolProfiles: [{ count: 2, vmSize: 'Standard_B2s', mode: 'System' }],
        });
      });

      it('switches enforcement on through networkProfile.networkPolicy', async () => {
        const inputs = findResource(await runCloud('aks', cni), 'azure-native:containerservice:ManagedCluster').inputs;
        expect(inputs['networkProfile']).toMatchObject(expectedPolicy[cni] ?? { never: true });
      });

      it('pins the azure-native plugin and exports the user kubeconfig as a secret', async () => {
        const run = await runCloud('aks', cni);
        for (const resource of run.resources.filter((r) => r.type.startsWith('azure-native:'))) expect(resource.version).toBe(pluginVersions.azureNative);
        expect(run.outputs).toEqual({ kubeconfig: fakeAksKubeconfig, clusterName: `rehearsal-${sandboxId}`, endpoint: 'https://rehearsal.hcp.eastus.azmk8s.io:443' });
        expect([...run.secretOutputs]).toEqual(['kubeconfig']);
        expect(run.calls).toEqual([
          { token: 'azure-native:containerservice:listManagedClusterUserCredentials', inputs: { resourceGroupName: `rehearsal-${sandboxId}`, resourceName: `rehearsal-${sandboxId}` } },
        ]);
      });
    });
  }
});
