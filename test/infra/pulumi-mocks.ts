// Runs the sandbox program under Pulumi's mock monitor and records every registration, with the resource
// options mocks alone do not show (deletedWith, plugin version, secret outputs, provider, parent).
import * as pulumi from '@pulumi/pulumi';
import { MockMonitor } from '@pulumi/pulumi/runtime/mocks.js';
import type { MockCallArgs, MockCallResult, MockResourceArgs, MockResourceResult, Mocks } from '@pulumi/pulumi/runtime/mocks.js';
import { stringify } from 'yaml';

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly inputs: Record<string, unknown>;
  readonly deletedWith: string;
  readonly version: string;
  readonly additionalSecretOutputs: readonly string[];
  readonly provider: string;
  readonly parent: string;
  readonly isCustom: boolean;
}

export interface RecordedCall {
  readonly token: string;
  readonly inputs: Record<string, unknown>;
}

/** The getters of the gRPC RegisterResourceRequest this recorder reads. */
interface RegisterRequestView {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDeletedwith(): string;
  getVersion(): string;
  getAdditionalsecretoutputsList(): string[];
  getProvider(): string;
  getCustom(): boolean;
}

export const fakeKindKubeconfig = stringify({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{ name: 'kind', cluster: { server: 'https://127.0.0.1:40123', 'certificate-authority-data': 'Q0E=' } }],
  users: [{ name: 'kind', user: { 'client-certificate-data': 'Q0VSVA==', 'client-key-data': 'S0VZ' } }],
  contexts: [{ name: 'kind', context: { cluster: 'kind', user: 'kind' } }],
  'current-context': 'kind',
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Cloud-shaped outputs for the resources whose outputs the components read. */
function fakeState(args: MockResourceArgs): Record<string, unknown> {
  const inputs: Record<string, unknown> = isRecord(args.inputs) ? { ...args.inputs } : {};
  switch (args.type) {
    case 'command:local:Command':
      return { ...inputs, stdout: args.name.endsWith('-kubeconfig') ? fakeKindKubeconfig : '', stderr: '' };
    case 'aws:iam/role:Role':
      return { ...inputs, arn: `arn:aws:iam::123456789012:role/${args.name}`, name: `${args.name}-abc` };
    case 'aws:eks/cluster:Cluster':
      return { ...inputs, endpoint: 'https://ABCDEF.gr7.us-east-1.eks.amazonaws.com', certificateAuthority: { data: 'Q0E=' } };
    case 'gcp:container/cluster:Cluster':
      return { ...inputs, endpoint: '34.10.20.30', masterAuth: { clusterCaCertificate: 'Q0E=' } };
    case 'azure-native:resources:ResourceGroup':
      return { ...inputs, name: inputs['resourceGroupName'] };
    case 'azure-native:containerservice:ManagedCluster':
      return { ...inputs, name: inputs['resourceName'], fqdn: 'rehearsal.hcp.eastus.azmk8s.io' };
    default:
      return inputs;
  }
}

export const fakeAksKubeconfig = stringify({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{ name: 'aks', cluster: { server: 'https://rehearsal.hcp.eastus.azmk8s.io:443' } }],
  users: [{ name: 'aks', user: { token: 'fake' } }],
  contexts: [{ name: 'aks', context: { cluster: 'aks', user: 'aks' } }],
  'current-context': 'aks',
});

function fakeCall(args: MockCallArgs): MockCallResult {
  switch (args.token) {
    case 'aws:ec2/getVpc:getVpc':
      return { id: 'vpc-0abc' };
    case 'aws:ec2/getSubnets:getSubnets':
      return { ids: ['subnet-0aaa', 'subnet-0bbb'] };
    case 'azure-native:containerservice:listManagedClusterUserCredentials':
      return { kubeconfigs: [{ name: 'clusterUser', value: Buffer.from(fakeAksKubeconfig).toString('base64') }] };
    default:
      throw new Error(`unexpected invoke ${args.token}`);
  }
}

interface RegisterResponseView {
  getUrn(): string;
}

interface Recorder {
  readonly recorded: RecordedResource[];
  pending: number;
}

/** Wraps the mock monitor `setMocks` installed, so the store flags setMocks sets (deletedWith support) stay. */
function instrumentMonitor(): Recorder {
  const monitor: unknown = pulumi.runtime.getMonitor();
  if (!(monitor instanceof MockMonitor)) throw new Error('setMocks did not install a MockMonitor');
  const recorder: Recorder = { recorded: [], pending: 0 };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = async (req: RegisterRequestView, callback: (err: unknown, response: RegisterResponseView | undefined) => void) => {
    recorder.pending += 1;
    try {
      await original(req, (err: unknown, response: RegisterResponseView | undefined) => {
        if (err === null && response !== undefined) {
          recorder.recorded.push({
            type: req.getType(),
            name: req.getName(),
            urn: response.getUrn(),
            inputs: lastInputs.get(`${req.getType()}::${req.getName()}`) ?? {},
            deletedWith: req.getDeletedwith(),
            version: req.getVersion(),
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            provider: req.getProvider(),
            parent: req.getParent(),
            isCustom: req.getCustom(),
          });
        }
        callback(err, response);
      });
    } finally {
      recorder.pending -= 1;
    }
  };
  return recorder;
}

const lastInputs = new Map<string, Record<string, unknown>>();

export interface MockRun {
  readonly resources: readonly RecordedResource[];
  readonly calls: readonly RecordedCall[];
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly secretOutputs: ReadonlySet<string>;
}

function resolveOutput<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => {
    output.apply((value) => {
      resolve(value);
      return value;
    });
  });
}

async function waitForIdle(monitor: Recorder): Promise<void> {
  let quietRounds = 0;
  while (quietRounds < 5) {
    await new Promise((resolve) => setImmediate(resolve));
    quietRounds = monitor.pending === 0 ? quietRounds + 1 : 0;
  }
}

/**
 * Sets stack config, installs the recording mocks, runs `program`, and waits until every registration is done.
 * `program` must be imported lazily (after the mocks exist), which is why it is a loader.
 */
export async function runWithMocks(options: {
  readonly stack: string;
  readonly config: Readonly<Record<string, string>>;
  readonly loadProgram: () => Promise<() => Record<string, pulumi.Output<string>>>;
}): Promise<MockRun> {
  const calls: RecordedCall[] = [];
  lastInputs.clear();
  const mocks: Mocks = {
    newResource(args: MockResourceArgs): MockResourceResult {
      const inputs = isRecord(args.inputs) ? args.inputs : {};
      lastInputs.set(`${args.type}::${args.name}`, inputs);
      return { id: `${args.name}-id`, state: fakeState(args) };
    },
    call(args: MockCallArgs): MockCallResult {
      calls.push({ token: args.token, inputs: isRecord(args.inputs) ? args.inputs : {} });
      return fakeCall(args);
    },
  };
  await pulumi.runtime.setMocks(mocks, 'rehearsal', options.stack, false);
  const monitor = instrumentMonitor();
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(options.config).map(([key, value]) => [`rehearsal:${key}`, value])));
  const program = await options.loadProgram();
  const exported = program();
  const outputs: Record<string, unknown> = {};
  const secretOutputs = new Set<string>();
  for (const [key, output] of Object.entries(exported)) {
    outputs[key] = await resolveOutput(output);
    if (await pulumi.isSecret(output)) secretOutputs.add(key);
  }
  await waitForIdle(monitor);
  return { resources: [...monitor.recorded], calls, outputs, secretOutputs };
}

export function findResources(run: MockRun, type: string): readonly RecordedResource[] {
  return run.resources.filter((resource) => resource.type === type);
}

export function findResource(run: MockRun, type: string): RecordedResource {
  const found = findResources(run, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}: ${run.resources.map((r) => r.type).join(', ')}`);
  const [first] = found;
  if (first === undefined) throw new Error(`no ${type}`);
  return first;
}
