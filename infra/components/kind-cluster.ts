// A kind cluster for one sandbox: created and deleted by `kind` itself through command resources (no kind
// provider is published by Pulumi), then the chosen CNI by Helm. The kubeconfig comes back as a secret.
import { join } from 'node:path';
import * as command from '@pulumi/command';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { stringify } from 'yaml';
import { planKindCni } from '../cni/catalog.ts';
import type { CniPlan } from '../cni/types.ts';
import { formatClusterName, formatExpiryLabel, labelKeys, makeKubernetesLabels } from '../naming.ts';
import { installCni } from './cni-install.ts';
import { readKubeconfigEndpoint } from './kubeconfig.ts';
import type { SandboxCluster, SandboxClusterArgs } from './sandbox-cluster.ts';
import { componentTypes } from './sandbox-cluster.ts';

export interface KindClusterArgs extends SandboxClusterArgs {
  readonly podSubnet: string;
  readonly serviceSubnet: string;
  /** Directory for the per-sandbox kubeconfig file kind writes (never ~/.kube/config). */
  readonly kubeconfigDir: string;
  /** `kind get kubeconfig --internal`: the API address inside the Docker network. */
  readonly isInternalKubeconfig: boolean;
  readonly nodeImage?: string;
}

export interface KindConfigOptions {
  readonly clusterName: string;
  readonly plan: CniPlan;
  readonly nodeCount: number;
  readonly podSubnet: string;
  readonly serviceSubnet: string;
  readonly nodeImage?: string;
  readonly nodeLabels: Readonly<Record<string, string>>;
}

/** The kind cluster config (kind.x-k8s.io/v1alpha4): one control plane plus `nodeCount - 1` workers. */
export function renderKindConfig(options: KindConfigOptions): string {
  const node = (role: 'control-plane' | 'worker'): Record<string, unknown> => ({
    role,
    ...(options.nodeImage === undefined ? {} : { image: options.nodeImage }),
    labels: { ...options.nodeLabels },
  });
  return stringify({
    kind: 'Cluster',
    apiVersion: 'kind.x-k8s.io/v1alpha4',
    name: options.clusterName,
    networking: {
      disableDefaultCNI: options.plan.disablesDefaultCni,
      podSubnet: options.podSubnet,
      serviceSubnet: options.serviceSubnet,
    },
    nodes: [node('control-plane'), ...Array.from({ length: Math.max(0, options.nodeCount - 1) }, () => node('worker'))],
  });
}

/**
 * `local.Command` always runs through an interpreter (`/bin/sh -c`). The scripts here are constant text; the
 * cluster name and paths (validated by infra/config.ts) travel as environment variables, never spliced in.
 */
const scripts = {
  create: 'kind create cluster --name "$KIND_CLUSTER_NAME" --config - --kubeconfig "$KIND_KUBECONFIG"',
  delete: 'kind delete cluster --name "$KIND_CLUSTER_NAME" --kubeconfig "$KIND_KUBECONFIG" && rm -f "$KIND_KUBECONFIG"',
  kubeconfig: 'kind get kubeconfig --name "$KIND_CLUSTER_NAME"',
  kubeconfigInternal: 'kind get kubeconfig --name "$KIND_CLUSTER_NAME" --internal',
} as const;

export class KindCluster extends pulumi.ComponentResource implements SandboxCluster {
  readonly kubeconfig: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  readonly endpoint: pulumi.Output<string>;
  /** Every in-cluster resource (all deleted with the cluster). */
  readonly inClusterResources: readonly pulumi.Resource[];

  constructor(name: string, args: KindClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(componentTypes.kind, name, {}, opts);
    const clusterName = formatClusterName(args.sandboxId);
    const plan = planKindCni(args.cni, { podSubnet: args.podSubnet, clusterName });
    if (plan === undefined) throw new Error(`kind does not offer the CNI '${args.cni}'`);
    const nodeImage = args.nodeImage ?? (args.kubernetesVersion === undefined ? undefined : `kindest/node:v${args.kubernetesVersion}`);
    const configYaml = renderKindConfig({
      clusterName,
      plan,
      nodeCount: args.nodeCount,
      podSubnet: args.podSubnet,
      serviceSubnet: args.serviceSubnet,
      ...(nodeImage === undefined ? {} : { nodeImage }),
      // kubelets may not self-assign labels under kubernetes.io (NodeRestriction), so nodes get only ours.
      nodeLabels: { [labelKeys.sandboxId]: args.sandboxId, [labelKeys.expiresAt]: formatExpiryLabel(args.expiresAt) },
    });
    const kubeconfigPath = join(args.kubeconfigDir, `${clusterName}.kubeconfig`);

    // Creating the cluster is the one slow step; a changed config replaces the whole cluster (triggers).
    const cluster = new command.local.Command(
      `${name}-kind`,
      {
        create: scripts.create,
        delete: scripts.delete,
        stdin: configYaml,
        environment: { KIND_CLUSTER_NAME: clusterName, KIND_KUBECONFIG: kubeconfigPath },
        triggers: [configYaml],
      },
      { parent: this },
    );
    // Read back separately so the kubeconfig is a secret output of its own and never sits in the create log.
    const kubeconfigCommand = new command.local.Command(
      `${name}-kubeconfig`,
      {
        create: args.isInternalKubeconfig ? scripts.kubeconfigInternal : scripts.kubeconfig,
        environment: { KIND_CLUSTER_NAME: clusterName },
        triggers: [cluster.id],
      },
      { parent: this, dependsOn: [cluster], additionalSecretOutputs: ['stdout'] },
    );
    this.kubeconfig = pulumi.secret(kubeconfigCommand.stdout);
    this.clusterName = pulumi.output(clusterName);
    this.endpoint = pulumi.unsecret(this.kubeconfig.apply(readKubeconfigEndpoint));

    const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, deleteUnreachable: true }, { parent: this });
    this.inClusterResources = installCni({
      namePrefix: name,
      plan,
      provider,
      cluster,
      parent: this,
      labels: makeKubernetesLabels(args),
    });
    this.registerOutputs({ kubeconfig: this.kubeconfig, clusterName: this.clusterName, endpoint: this.endpoint });
  }
}
