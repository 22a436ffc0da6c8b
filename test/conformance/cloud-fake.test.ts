// The cloud providers (EKS, GKE, AKS) against fakes at the Automation API and Kubernetes seams: the shared
// provider contract for each, the stack settings that reach the program, and preflight errors for missing
// cloud credentials and credential plugins.
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCloudProvider } from '../../server/sandbox/cloud/cloud-provider.ts';
import type { CloudKind } from '../../server/sandbox/cloud/cloud-provider.ts';
import type { SandboxProvider } from '../../server/sandbox/contract.ts';
import type { HostFacts } from '../../server/sandbox/pulumi/preflight.ts';
import { describeProviderContract, makeContractCluster } from './provider-contract.ts';
import { FakeAutomation } from './fakes/fake-automation.ts';
import { createFakeClock, createRecordingLogger, makeTestId } from './fakes/fake-clock.ts';
import { makeFakeHost } from './fakes/fake-host.ts';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rehearsal-cloud-fake-'));
});

const credentials: Readonly<Record<CloudKind, Readonly<Record<string, string>>>> = {
  eks: { AWS_PROFILE: 'sandbox' },
  gke: { GOOGLE_APPLICATION_CREDENTIALS: '/keys/sa.json', GOOGLE_CLOUD_PROJECT: 'rehearsal-test' },
  aks: { ARM_CLIENT_ID: 'id', ARM_CLIENT_SECRET: 'secret', ARM_TENANT_ID: 'tenant', ARM_SUBSCRIPTION_ID: 'sub' },
};

interface Rig {
  readonly provider: SandboxProvider;
  readonly automation: FakeAutomation;
  readonly home: string;
}

let rigCount = 0;
function makeRig(kind: CloudKind, options: { readonly host?: HostFacts; readonly stackSettings?: Readonly<Record<string, string>> } = {}): Rig {
  rigCount += 1;
  const home = join(root, `home-${rigCount}`);
  const automation = new FakeAutomation({ backendDirectory: join(home, 'pulumi', 'state') });
  const provider = createCloudProvider(kind, {
    openAutomation: async () => automation,
    createKubeClient: automation.createKubeClient,
    clock: createFakeClock(),
    logger: createRecordingLogger(),
    host: options.host ?? makeFakeHost({ env: credentials[kind], files: ['/keys/sa.json'] }),
    home,
    hostname: 'test-host',
    timings: { pollMs: 1_000, gateTimeoutMs: 60_000, enforcementWindowMs: 10_000 },
    stackSettings: options.stackSettings ?? (kind === 'gke' ? { gcpProject: 'rehearsal-test' } : {}),
  });
  return { provider, automation, home };
}

const defaultCni: Readonly<Record<CloudKind, string>> = { eks: 'vpc-cni', gke: 'dataplane-v2', aks: 'cilium' };

for (const kind of ['eks', 'gke', 'aks'] as const) {
  const holder: { rig?: Rig } = {};
  describeProviderContract(
    `${kind} (fake Pulumi + fake Kubernetes)`,
    () => {
      holder.rig = makeRig(kind);
      return holder.rig.provider;
    },
    {
      cni: defaultCni[kind],
      makeId: makeTestId,
      skip: { attribution: `${kind}'s dataplane drops packets silently; naming the dropping policy needs its flow logs, which rehearsal does not read` },
      findLeftovers: async (record) => {
        const rig = holder.rig;
        if (rig === undefined) return ['no rig'];
        return [
          ...(rig.automation.stacks.has(record.id) ? [`Pulumi stack ${record.id}`] : []),
          ...(rig.automation.clusters.has(`fake-kubeconfig:${record.id}`) ? [`cluster of ${record.id}`] : []),
          ...(existsSync(join(rig.home, 'sandboxes', kind, record.id)) ? [`sandbox files of ${record.id}`] : []),
        ];
      },
    },
  );
}

describe('cloud providers', () => {
  it('pass region and project settings to the program as stack config', async () => {
    const rig = makeRig('gke', { stackSettings: { gcpProject: 'my-project-1', gcpZone: 'europe-west1-b', nodeCount: '1' } });
    const handle = await rig.provider.create({ id: makeTestId(), cni: 'calico', ttlSeconds: 600, owner: 'qa', cluster: makeContractCluster() });
    expect(rig.automation.stacks.get(handle.id)?.config).toMatchObject({ provider: 'gke', cni: 'calico', gcpProject: 'my-project-1', gcpZone: 'europe-west1-b', nodeCount: '1' });
    await handle.destroy();
  });

  it('explain missing AWS credentials and the missing aws CLI the kubeconfig needs', async () => {
    const rig = makeRig('eks', { host: makeFakeHost({ tools: { aws: { kind: 'missing' } } }) });
    const availability = await rig.provider.checkHost();
    expect(availability.isAvailable).toBe(false);
    expect(availability.problems.map((problem) => problem.check)).toEqual(['aws-credentials', 'aws-cli']);
    expect(availability.problems[0]?.message).toContain('/home/tester/.aws/credentials');
    expect(availability.problems[0]?.fix).toContain('aws configure');
    expect(availability.problems[1]?.message).toContain("aws eks get-token");
  });

  it('accept an AWS shared credentials file, and instance roles when told to skip the check', async () => {
    const withFile = makeRig('eks', { host: makeFakeHost({ files: ['/home/tester/.aws/credentials'] }) });
    expect((await withFile.provider.checkHost()).problems).toEqual([]);
    const instanceRole = makeRig('eks', { host: makeFakeHost({ env: { REHEARSAL_SKIP_CREDENTIAL_CHECK: '1' } }) });
    expect((await instanceRole.provider.checkHost()).isAvailable).toBe(true);
  });

  it('explain missing Google credentials, project and auth plugin', async () => {
    const rig = makeRig('gke', { host: makeFakeHost({ tools: { 'gke-gcloud-auth-plugin': { kind: 'missing' } } }), stackSettings: {} });
    const problems = (await rig.provider.checkHost()).problems;
    expect(problems.map((problem) => problem.check)).toEqual(['gcp-credentials', 'gcp-project', 'gke-auth-plugin']);
    expect(problems[0]?.fix).toContain('gcloud auth application-default login');
    expect(problems[2]?.fix).toContain('gcloud components install gke-gcloud-auth-plugin');
  });

  it('explain missing Azure credentials and accept an az login profile', async () => {
    const missing = makeRig('aks', { host: makeFakeHost() });
    const [problem] = (await missing.provider.checkHost()).problems;
    expect(problem?.check).toBe('azure-credentials');
    expect(problem?.fix).toContain('az login');
    const loggedIn = makeRig('aks', { host: makeFakeHost({ files: ['/home/tester/.azure/azureProfile.json'] }) });
    expect((await loggedIn.provider.checkHost()).isAvailable).toBe(true);
  });

  it('report a missing Pulumi CLI for every cloud', async () => {
    for (const kind of ['eks', 'gke', 'aks'] as const) {
      const rig = makeRig(kind, { host: makeFakeHost({ env: credentials[kind], files: ['/keys/sa.json'], tools: { pulumi: { kind: 'missing' } } }) });
      const problems = (await rig.provider.checkHost()).problems;
      expect(problems.map((problem) => problem.check)).toEqual(['pulumi-cli']);
      expect(problems[0]?.fix).toContain('get.pulumi.com');
    }
  });
});
