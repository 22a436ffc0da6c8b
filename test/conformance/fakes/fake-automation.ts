// An in-memory Automation API behind the seam: stacks with config and outputs, `up` that validates the config
// exactly as the program would (infra/config.ts) and "creates" a FakeKubeCluster reachable through the returned
// kubeconfig, `destroy` that removes it, and switches to replay the CLI failures the driver must recover from.
import { describeCniReadiness } from '../../../infra/cni/catalog.ts';
import { parseSandboxConfig } from '../../../infra/config.ts';
import type { Automation, AutomationStack, OperationOptions, StackSummaryView } from '../../../server/sandbox/pulumi/automation.ts';
import type { KubeClient } from '../../../server/sandbox/k8s/kube-client.ts';
import { FakeKubeCluster } from './fake-kube.ts';

interface FakeStackState {
  config: Record<string, string>;
  outputs: Record<string, { value: string; secret: boolean }> | undefined;
  pendingOperations: number;
}

export interface FakeFailure {
  /** Thrown by the next matching operation, then cleared (use `times` for more). */
  readonly operation: 'up' | 'destroy';
  readonly error: Error;
  times: number;
}

export class FakeAutomation implements Automation {
  readonly stacks = new Map<string, FakeStackState>();
  readonly clusters = new Map<string, FakeKubeCluster>();
  readonly log: string[] = [];
  readonly failures: FakeFailure[] = [];
  readonly backendDirectory: string | undefined;
  /** Clusters for a CNI documented to enforce nothing store policies and ignore them. */
  readonly nonEnforcingCnis: readonly string[];

  constructor(options: { readonly backendDirectory?: string; readonly nonEnforcingCnis?: readonly string[] } = {}) {
    this.backendDirectory = options.backendDirectory;
    this.nonEnforcingCnis = options.nonEnforcingCnis ?? ['flannel'];
  }

  /** The KubeClientFactory tests hand the provider: kubeconfig text → the fake cluster it names. */
  readonly createKubeClient = (kubeconfig: string): KubeClient => {
    const cluster = this.clusters.get(kubeconfig);
    if (cluster === undefined) throw new Error(`the fake has no cluster for kubeconfig ${kubeconfig.slice(0, 40)}`);
    return cluster.client;
  };

  #takeFailure(operation: 'up' | 'destroy'): Error | undefined {
    const failure = this.failures.find((entry) => entry.operation === operation && entry.times > 0);
    if (failure === undefined) return undefined;
    failure.times -= 1;
    return failure.error;
  }

  #wrap(name: string): AutomationStack {
    const state = (): FakeStackState => {
      const found = this.stacks.get(name);
      if (found === undefined) throw new Error(`no stack named '${name}' found`);
      return found;
    };
    return {
      name,
      setConfig: async (values) => {
        state().config = { ...values };
      },
      getConfig: async () => ({ ...state().config }),
      up: async (options: OperationOptions) => {
        this.log.push(`up ${name}`);
        const failure = this.#takeFailure('up');
        if (failure !== undefined) throw failure;
        if (state().pendingOperations > 0) {
          throw new Error(`error: the current deployment has ${state().pendingOperations} resource(s) with pending operations`);
        }
        const config = parseSandboxConfig(state().config);
        const readiness = describeCniReadiness(config.provider, config.cni);
        options.onEvent({ kind: 'resource-start', op: 'create', type: 'rehearsal:sandbox:KindCluster', urn: `urn:pulumi:${name}::rehearsal::rehearsal:sandbox:KindCluster::${name}` });
        options.onEvent({ kind: 'resource-start', op: 'create', type: 'command:local:Command', urn: `urn:pulumi:${name}::rehearsal::command:local:Command::${name}-kind` });
        options.onEvent({ kind: 'resource-done', op: 'create', type: 'command:local:Command', urn: `urn:pulumi:${name}::rehearsal::command:local:Command::${name}-kind` });
        const kubeconfig = `fake-kubeconfig:${name}`;
        this.clusters.set(
          kubeconfig,
          new FakeKubeCluster({
            enforcesPolicy: !this.nonEnforcingCnis.includes(config.cni),
            daemonSets: readiness?.daemonSets ?? [],
            crds: readiness?.crds ?? [],
            ...(readiness === undefined ? {} : { dns: readiness.dns }),
            nodeCount: config.nodeCount,
          }),
        );
        options.onEvent({ kind: 'summary', durationSeconds: 42 });
        state().outputs = {
          kubeconfig: { value: kubeconfig, secret: true },
          clusterName: { value: `rehearsal-${name}`, secret: false },
          endpoint: { value: 'https://127.0.0.1:40123', secret: false },
        };
        return state().outputs;
      },
      destroy: async (options: OperationOptions) => {
        this.log.push(`destroy ${name}`);
        const failure = this.#takeFailure('destroy');
        if (failure !== undefined) throw failure;
        options.onEvent({ kind: 'resource-start', op: 'delete', type: 'command:local:Command', urn: `urn:pulumi:${name}::rehearsal::command:local:Command::${name}-kind` });
        this.clusters.delete(`fake-kubeconfig:${name}`);
        state().outputs = undefined;
      },
      outputs: async () => state().outputs ?? {},
      clearPendingOperations: async () => {
        const count = state().pendingOperations;
        state().pendingOperations = 0;
        this.log.push(`clear-pending ${name}`);
        return count;
      },
    };
  }

  async openStack(options: { readonly stackName: string; readonly create: boolean }): Promise<AutomationStack | undefined> {
    if (!this.stacks.has(options.stackName)) {
      if (!options.create) return undefined;
      this.stacks.set(options.stackName, { config: {}, outputs: undefined, pendingOperations: 0 });
    }
    return this.#wrap(options.stackName);
  }

  async listStacks(): Promise<readonly StackSummaryView[]> {
    return [...this.stacks.keys()].map((name) => ({ name, isUpdateInProgress: false }));
  }

  async removeStack(stackName: string): Promise<void> {
    this.log.push(`rm ${stackName}`);
    this.stacks.delete(stackName);
  }
}
