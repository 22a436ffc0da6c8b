// An AKS cluster for one sandbox in its own resource group (deleting the group sweeps anything left), one small
// system pool, and NetworkPolicy enforcement chosen by `networkProfile.networkPolicy`: Azure CNI powered by
// Cilium (overlay + cilium dataplane), Azure NPM, or Calico.
import * as pulumi from '@pulumi/pulumi';
import { z } from 'zod';
import { formatClusterName, labelKeys, makeCloudTags } from '../naming.ts';
import type { AzureNetworkProfile } from './cloud-resources.ts';
import { AzureManagedCluster, AzureResourceGroup, pluginVersions } from './cloud-resources.ts';
import type { SandboxCluster, SandboxClusterArgs } from './sandbox-cluster.ts';
import { componentTypes } from './sandbox-cluster.ts';
import { readKubeconfigEndpoint } from './kubeconfig.ts';

export interface AksClusterArgs extends SandboxClusterArgs {
  readonly location: string;
  readonly vmSize: string;
}

const serviceNetwork = { serviceCidr: '10.96.0.0/16', dnsServiceIP: '10.96.0.10' } as const;

/** The network profile that switches NetworkPolicy enforcement on for an AKS CNI choice. */
export function makeAksNetworkProfile(cni: string): AzureNetworkProfile {
  if (cni === 'cilium') {
    return { networkPlugin: 'azure', networkPluginMode: 'overlay', networkDataplane: 'cilium', networkPolicy: 'cilium', podCidr: '10.244.0.0/16', ...serviceNetwork };
  }
  if (cni === 'azure') return { networkPlugin: 'azure', networkPolicy: 'azure', ...serviceNetwork };
  if (cni === 'calico') return { networkPlugin: 'azure', networkPluginMode: 'overlay', networkPolicy: 'calico', podCidr: '10.244.0.0/16', ...serviceNetwork };
  throw new Error(`aks does not offer the CNI '${cni}'`);
}

const credentialsSchema = z.object({ kubeconfigs: z.array(z.object({ value: z.string().min(1) })).min(1) });

export class AksCluster extends pulumi.ComponentResource implements SandboxCluster {
  readonly kubeconfig: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  readonly endpoint: pulumi.Output<string>;

  constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(componentTypes.aks, name, {}, opts);
    const clusterName = formatClusterName(args.sandboxId);
    const tags = makeCloudTags(args);
    const group = new AzureResourceGroup(`${name}-rg`, { resourceGroupName: clusterName, location: args.location, tags }, { parent: this });
    const cluster = new AzureManagedCluster(
      `${name}-cluster`,
      {
        resourceGroupName: group.name,
        resourceName: clusterName,
        location: args.location,
        dnsPrefix: clusterName,
        ...(args.kubernetesVersion === undefined ? {} : { kubernetesVersion: args.kubernetesVersion }),
        identity: { type: 'SystemAssigned' },
        agentPoolProfiles: [
          {
            name: 'system',
            mode: 'System',
            count: args.nodeCount,
            vmSize: args.vmSize,
            osType: 'Linux',
            type: 'VirtualMachineScaleSets',
            nodeLabels: { [labelKeys.sandboxId]: args.sandboxId },
          },
        ],
        networkProfile: makeAksNetworkProfile(args.cni),
        tags,
      },
      { parent: this },
    );
    const credentials = pulumi.runtime.invokeOutput<unknown>(
      'azure-native:containerservice:listManagedClusterUserCredentials',
      { resourceGroupName: group.name, resourceName: cluster.name },
      { parent: this, version: pluginVersions.azureNative, dependsOn: [cluster] },
    );
    this.clusterName = cluster.name;
    this.kubeconfig = pulumi.secret(
      credentials.apply((result) => {
        const first = credentialsSchema.parse(result).kubeconfigs[0];
        if (first === undefined) throw new Error('AKS returned no user kubeconfig');
        return Buffer.from(first.value, 'base64').toString('utf8');
      }),
    );
    this.endpoint = pulumi.unsecret(this.kubeconfig.apply(readKubeconfigEndpoint));
    this.registerOutputs({ kubeconfig: this.kubeconfig, clusterName: this.clusterName, endpoint: this.endpoint });
  }
}
