// Cloud resources declared by their exact Pulumi type tokens instead of through @pulumi/aws, @pulumi/gcp and
// @pulumi/azure-native: those SDKs are hundreds of MB of generated code for the dozen resources a sandbox needs
// (docs/providers.md explains the trade). The input interfaces below are written from the providers' API docs;
// the engine downloads the pinned plugin version on first use, exactly as it would for the SDK packages.
import * as pulumi from '@pulumi/pulumi';

/** Provider plugin versions (the npm SDK versions of the research date); bump them together with docs/providers.md. */
export const pluginVersions = { aws: '7.48.0', gcp: '9.37.0', azureNative: '3.28.0' } as const;

type Inputs<T> = { readonly [K in keyof T]: pulumi.Input<T[K]> };

function withVersion(opts: pulumi.CustomResourceOptions, version: string): pulumi.CustomResourceOptions {
  return { ...opts, version };
}

// ---- AWS (registry: pulumi.com/registry/packages/aws) ----

export interface AwsProviderArgs {
  region: string;
  /** Tags applied to every taggable resource this provider creates. */
  defaultTags: { tags: Record<string, string> };
}

/** An explicit provider per sandbox, so region and default tags never come from ambient config. */
export class AwsProvider extends pulumi.ProviderResource {
  constructor(name: string, args: AwsProviderArgs, opts: pulumi.CustomResourceOptions) {
    // Provider inputs travel as strings: nested objects are JSON, as the generated SDKs send them.
    super('aws', name, { region: args.region, defaultTags: JSON.stringify(args.defaultTags) }, withVersion(opts, pluginVersions.aws));
  }
}

export interface AwsIamRoleArgs {
  namePrefix: string;
  /** JSON policy document. */
  assumeRolePolicy: string;
}

export class AwsIamRole extends pulumi.CustomResource {
  declare readonly arn: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  constructor(name: string, args: Inputs<AwsIamRoleArgs>, opts: pulumi.CustomResourceOptions) {
    super('aws:iam/role:Role', name, { ...args, arn: undefined, name: undefined }, withVersion(opts, pluginVersions.aws));
  }
}

export interface AwsRolePolicyAttachmentArgs {
  role: string;
  policyArn: string;
}

export class AwsRolePolicyAttachment extends pulumi.CustomResource {
  constructor(name: string, args: Inputs<AwsRolePolicyAttachmentArgs>, opts: pulumi.CustomResourceOptions) {
    super('aws:iam/rolePolicyAttachment:RolePolicyAttachment', name, { ...args }, withVersion(opts, pluginVersions.aws));
  }
}

export interface AwsEksClusterArgs {
  name: string;
  roleArn: string;
  version?: string;
  vpcConfig: { subnetIds: string[]; endpointPublicAccess: boolean };
  /** API mode with the creator as admin: the kubeconfig's `aws eks get-token` identity can act at once. */
  accessConfig: { authenticationMode: 'API' | 'API_AND_CONFIG_MAP'; bootstrapClusterCreatorAdminPermissions: boolean };
}

export class AwsEksCluster extends pulumi.CustomResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly endpoint: pulumi.Output<string>;
  /** `{ data: <base64 PEM> }`; parsed where used. */
  declare readonly certificateAuthority: pulumi.Output<unknown>;
  constructor(name: string, args: Inputs<AwsEksClusterArgs>, opts: pulumi.CustomResourceOptions) {
    super(
      'aws:eks/cluster:Cluster',
      name,
      { ...args, endpoint: undefined, certificateAuthority: undefined },
      withVersion(opts, pluginVersions.aws),
    );
  }
}

export interface AwsEksAddonArgs {
  clusterName: string;
  addonName: string;
  /** JSON matching the add-on's configuration schema (`aws eks describe-addon-configuration`). */
  configurationValues?: string;
  resolveConflictsOnCreate: 'NONE' | 'OVERWRITE';
  resolveConflictsOnUpdate: 'NONE' | 'OVERWRITE' | 'PRESERVE';
}

export class AwsEksAddon extends pulumi.CustomResource {
  constructor(name: string, args: Inputs<AwsEksAddonArgs>, opts: pulumi.CustomResourceOptions) {
    super('aws:eks/addon:Addon', name, { ...args }, withVersion(opts, pluginVersions.aws));
  }
}

export interface AwsEksNodeGroupArgs {
  clusterName: string;
  nodeRoleArn: string;
  subnetIds: string[];
  instanceTypes: string[];
  scalingConfig: { desiredSize: number; minSize: number; maxSize: number };
  labels: Record<string, string>;
  version?: string;
}

export class AwsEksNodeGroup extends pulumi.CustomResource {
  constructor(name: string, args: Inputs<AwsEksNodeGroupArgs>, opts: pulumi.CustomResourceOptions) {
    super('aws:eks/nodeGroup:NodeGroup', name, { ...args }, withVersion(opts, pluginVersions.aws));
  }
}

// ---- Google Cloud (registry: pulumi.com/registry/packages/gcp) ----

export interface GcpProviderArgs {
  project: string;
  zone: string;
  /** Labels applied to every labelable resource this provider creates. */
  defaultLabels: Record<string, string>;
}

export class GcpProvider extends pulumi.ProviderResource {
  constructor(name: string, args: GcpProviderArgs, opts: pulumi.CustomResourceOptions) {
    super('gcp', name, { project: args.project, zone: args.zone, defaultLabels: JSON.stringify(args.defaultLabels) }, withVersion(opts, pluginVersions.gcp));
  }
}

export interface GcpContainerClusterArgs {
  name: string;
  location: string;
  /** The default pool is removed at once; the sandbox's own NodePool is managed separately. */
  removeDefaultNodePool: boolean;
  initialNodeCount: number;
  /** `ADVANCED_DATAPATH` is Dataplane V2, which enforces NetworkPolicy natively. */
  datapathProvider?: 'ADVANCED_DATAPATH' | 'LEGACY_DATAPATH';
  /** Legacy Calico enforcement; never combined with Dataplane V2. */
  networkPolicy?: { enabled: boolean; provider: 'CALICO' };
  addonsConfig?: { networkPolicyConfig: { disabled: boolean } };
  minMasterVersion?: string;
  resourceLabels: Record<string, string>;
  /** The provider defaults this to true, which would make every TTL destroy fail. */
  deletionProtection: boolean;
}

export class GcpContainerCluster extends pulumi.CustomResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly endpoint: pulumi.Output<string>;
  /** `{ clusterCaCertificate: <base64 PEM>, ... }`; parsed where used. */
  declare readonly masterAuth: pulumi.Output<unknown>;
  constructor(name: string, args: Inputs<GcpContainerClusterArgs>, opts: pulumi.CustomResourceOptions) {
    super(
      'gcp:container/cluster:Cluster',
      name,
      { ...args, endpoint: undefined, masterAuth: undefined },
      withVersion(opts, pluginVersions.gcp),
    );
  }
}

export interface GcpNodePoolArgs {
  cluster: string;
  location: string;
  nodeCount: number;
  version?: string;
  nodeConfig: {
    machineType: string;
    diskSizeGb: number;
    labels: Record<string, string>;
    resourceLabels: Record<string, string>;
    oauthScopes: string[];
  };
}

export class GcpNodePool extends pulumi.CustomResource {
  constructor(name: string, args: Inputs<GcpNodePoolArgs>, opts: pulumi.CustomResourceOptions) {
    super('gcp:container/nodePool:NodePool', name, { ...args }, withVersion(opts, pluginVersions.gcp));
  }
}

// ---- Azure (registry: pulumi.com/registry/packages/azure-native) ----

export interface AzureResourceGroupArgs {
  resourceGroupName: string;
  location: string;
  tags: Record<string, string>;
}

export class AzureResourceGroup extends pulumi.CustomResource {
  declare readonly name: pulumi.Output<string>;
  constructor(name: string, args: Inputs<AzureResourceGroupArgs>, opts: pulumi.CustomResourceOptions) {
    super('azure-native:resources:ResourceGroup', name, { ...args, name: undefined }, withVersion(opts, pluginVersions.azureNative));
  }
}

export interface AzureNetworkProfile {
  networkPlugin: 'azure';
  networkPluginMode?: 'overlay';
  networkDataplane?: 'cilium' | 'azure';
  /** `cilium` (Azure CNI powered by Cilium), `azure` (Azure NPM) or `calico`. */
  networkPolicy: 'cilium' | 'azure' | 'calico';
  podCidr?: string;
  serviceCidr: string;
  dnsServiceIP: string;
}

export interface AzureManagedClusterArgs {
  resourceGroupName: string;
  resourceName: string;
  location: string;
  dnsPrefix: string;
  kubernetesVersion?: string;
  identity: { type: 'SystemAssigned' };
  agentPoolProfiles: {
    name: string;
    mode: 'System';
    count: number;
    vmSize: string;
    osType: 'Linux';
    type: 'VirtualMachineScaleSets';
    nodeLabels: Record<string, string>;
  }[];
  networkProfile: AzureNetworkProfile;
  tags: Record<string, string>;
}

export class AzureManagedCluster extends pulumi.CustomResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly fqdn: pulumi.Output<string>;
  constructor(name: string, args: Inputs<AzureManagedClusterArgs>, opts: pulumi.CustomResourceOptions) {
    super(
      'azure-native:containerservice:ManagedCluster',
      name,
      { ...args, name: undefined, fqdn: undefined },
      withVersion(opts, pluginVersions.azureNative),
    );
  }
}
