// A GKE cluster for one sandbox: zonal (the free tier covers one zonal cluster's management fee), its default
// pool removed in favour of one small managed pool, and NetworkPolicy enforcement on: Dataplane V2
// (`datapathProvider: ADVANCED_DATAPATH`, enforces natively) or the legacy Calico add-on, never both.
import * as pulumi from '@pulumi/pulumi';
import { z } from 'zod';
import { formatClusterName, makeGcpLabels, labelKeys } from '../naming.ts';
import type { GcpContainerClusterArgs } from './cloud-resources.ts';
import { GcpContainerCluster, GcpNodePool, GcpProvider } from './cloud-resources.ts';
import { renderExecKubeconfig } from './kubeconfig.ts';
import type { SandboxCluster, SandboxClusterArgs } from './sandbox-cluster.ts';
import { componentTypes } from './sandbox-cluster.ts';

export interface GkeClusterArgs extends SandboxClusterArgs {
  readonly project: string;
  readonly zone: string;
  readonly machineType: string;
}

type EnforcementArgs = Pick<GcpContainerClusterArgs, 'datapathProvider' | 'networkPolicy' | 'addonsConfig'>;

/** The cluster arguments that switch NetworkPolicy enforcement on for a GKE CNI choice. */
export function makeGkeEnforcementArgs(cni: string): EnforcementArgs {
  if (cni === 'dataplane-v2') return { datapathProvider: 'ADVANCED_DATAPATH' };
  if (cni === 'calico') {
    return {
      datapathProvider: 'LEGACY_DATAPATH',
      networkPolicy: { enabled: true, provider: 'CALICO' },
      addonsConfig: { networkPolicyConfig: { disabled: false } },
    };
  }
  throw new Error(`gke does not offer the CNI '${cni}'`);
}

const masterAuthSchema = z.object({ clusterCaCertificate: z.string().min(1) });

export class GkeCluster extends pulumi.ComponentResource implements SandboxCluster {
  readonly kubeconfig: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  readonly endpoint: pulumi.Output<string>;

  constructor(name: string, args: GkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(componentTypes.gke, name, {}, opts);
    const clusterName = formatClusterName(args.sandboxId);
    const labels = makeGcpLabels(args);
    const gcp = new GcpProvider(`${name}-gcp`, { project: args.project, zone: args.zone, defaultLabels: labels }, { parent: this });
    const resourceOptions = { parent: this, provider: gcp };
    const cluster = new GcpContainerCluster(
      `${name}-cluster`,
      {
        name: clusterName,
        location: args.zone,
        removeDefaultNodePool: true,
        initialNodeCount: 1,
        ...makeGkeEnforcementArgs(args.cni),
        ...(args.kubernetesVersion === undefined ? {} : { minMasterVersion: args.kubernetesVersion }),
        resourceLabels: labels,
        deletionProtection: false,
      },
      resourceOptions,
    );
    new GcpNodePool(
      `${name}-nodes`,
      {
        cluster: cluster.name,
        location: args.zone,
        nodeCount: args.nodeCount,
        ...(args.kubernetesVersion === undefined ? {} : { version: args.kubernetesVersion }),
        nodeConfig: {
          machineType: args.machineType,
          diskSizeGb: 30,
          labels: { [labelKeys.sandboxId]: args.sandboxId },
          resourceLabels: labels,
          oauthScopes: ['https://www.googleapis.com/auth/cloud-platform'],
        },
      },
      resourceOptions,
    );
    this.clusterName = cluster.name;
    this.endpoint = cluster.endpoint.apply((host) => (host.startsWith('https://') ? host : `https://${host}`));
    this.kubeconfig = pulumi.secret(
      pulumi.all([cluster.name, this.endpoint, cluster.masterAuth]).apply(([gkeName, endpoint, masterAuth]) =>
        renderExecKubeconfig({
          clusterName: gkeName,
          endpoint,
          caDataBase64: masterAuthSchema.parse(masterAuth).clusterCaCertificate,
          command: 'gke-gcloud-auth-plugin',
          args: [],
          installHint: 'gcloud components install gke-gcloud-auth-plugin (or apt-get install google-cloud-cli-gke-gcloud-auth-plugin)',
        }),
      ),
    );
    this.registerOutputs({ kubeconfig: this.kubeconfig, clusterName: this.clusterName, endpoint: this.endpoint });
  }
}
