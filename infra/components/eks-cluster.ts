// An EKS cluster for one sandbox, smallest useful shape: a control plane, one managed node group in the default
// VPC's public subnets (no NAT gateway to pay for), and NetworkPolicy enforcement switched on. The VPC CNI
// enforces nothing unless its add-on config says `enableNetworkPolicy: "true"` ("policies apply cleanly but
// enforce nothing"), so that line is the point of this file.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { z } from 'zod';
import { planEksCni } from '../cni/catalog.ts';
import { formatClusterName, makeCloudTags, makeKubernetesLabels } from '../naming.ts';
import {
  AwsEksAddon,
  AwsEksCluster,
  AwsEksNodeGroup,
  AwsIamRole,
  AwsProvider,
  AwsRolePolicyAttachment,
  pluginVersions,
} from './cloud-resources.ts';
import { installCni } from './cni-install.ts';
import { renderExecKubeconfig } from './kubeconfig.ts';
import type { SandboxCluster, SandboxClusterArgs } from './sandbox-cluster.ts';
import { componentTypes } from './sandbox-cluster.ts';

export interface EksClusterArgs extends SandboxClusterArgs {
  readonly region: string;
  readonly instanceType: string;
  /** Explicit subnets; default: the default VPC's default-for-AZ subnets. */
  readonly subnetIds?: readonly string[];
}

const managedPolicy = (name: string): string => `arn:aws:iam::aws:policy/${name}`;

function assumeRolePolicy(service: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });
}

/** The VPC CNI add-on configuration that turns NetworkPolicy enforcement on (schema value is the string "true"). */
export function makeVpcCniConfiguration(isPolicyEnforced: boolean): string {
  return JSON.stringify({ enableNetworkPolicy: isPolicyEnforced ? 'true' : 'false' });
}

const subnetsResultSchema = z.object({ ids: z.array(z.string()).min(2, 'EKS needs subnets in at least two availability zones') });
const vpcResultSchema = z.object({ id: z.string().min(1) });
const certificateAuthoritySchema = z.object({ data: z.string().min(1) });

export class EksCluster extends pulumi.ComponentResource implements SandboxCluster {
  readonly kubeconfig: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  readonly endpoint: pulumi.Output<string>;
  readonly inClusterResources: readonly pulumi.Resource[];

  constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(componentTypes.eks, name, {}, opts);
    const clusterName = formatClusterName(args.sandboxId);
    const plan = planEksCni(args.cni, clusterName);
    if (plan === undefined) throw new Error(`eks does not offer the CNI '${args.cni}'`);
    // Every taggable AWS resource gets the sandbox id and expiry through the provider's default tags.
    const aws = new AwsProvider(`${name}-aws`, { region: args.region, defaultTags: { tags: makeCloudTags(args) } }, { parent: this });
    const resourceOptions = { parent: this, provider: aws };

    const subnetIds: pulumi.Output<string[]> =
      args.subnetIds === undefined
        ? pulumi
            .output(pulumi.runtime.invoke('aws:ec2/getVpc:getVpc', { default: true }, { provider: aws, version: pluginVersions.aws }))
            .apply((vpc: unknown) => {
              const parsed = vpcResultSchema.parse(vpc);
              return pulumi.runtime.invoke(
                'aws:ec2/getSubnets:getSubnets',
                { filters: [{ name: 'vpc-id', values: [parsed.id] }, { name: 'default-for-az', values: ['true'] }] },
                { provider: aws, version: pluginVersions.aws },
              );
            })
            .apply((result: unknown) => subnetsResultSchema.parse(result).ids)
        : pulumi.output([...args.subnetIds]);

    const clusterRole = new AwsIamRole(`${name}-cluster-role`, { namePrefix: `${clusterName}-cp-`, assumeRolePolicy: assumeRolePolicy('eks.amazonaws.com') }, resourceOptions);
    const clusterPolicy = new AwsRolePolicyAttachment(
      `${name}-cluster-policy`,
      { role: clusterRole.name, policyArn: managedPolicy('AmazonEKSClusterPolicy') },
      resourceOptions,
    );
    const cluster = new AwsEksCluster(
      `${name}-cluster`,
      {
        name: clusterName,
        roleArn: clusterRole.arn,
        ...(args.kubernetesVersion === undefined ? {} : { version: args.kubernetesVersion }),
        vpcConfig: subnetIds.apply((ids) => ({ subnetIds: ids, endpointPublicAccess: true })),
        accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP', bootstrapClusterCreatorAdminPermissions: true },
      },
      { ...resourceOptions, dependsOn: [clusterPolicy] },
    );

    // The VPC CNI add-on is managed explicitly so its configuration (network policy) is ours, not the default.
    const vpcCni = new AwsEksAddon(
      `${name}-vpc-cni`,
      {
        clusterName: cluster.name,
        addonName: 'vpc-cni',
        // With Calico or Cilium doing policy, the VPC CNI's own agent stays off so two enforcers never disagree.
        configurationValues: makeVpcCniConfiguration(args.cni === 'vpc-cni'),
        resolveConflictsOnCreate: 'OVERWRITE',
        resolveConflictsOnUpdate: 'OVERWRITE',
      },
      resourceOptions,
    );

    const nodeRole = new AwsIamRole(`${name}-node-role`, { namePrefix: `${clusterName}-node-`, assumeRolePolicy: assumeRolePolicy('ec2.amazonaws.com') }, resourceOptions);
    const nodePolicies = ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryReadOnly'].map(
      (policy) => new AwsRolePolicyAttachment(`${name}-node-${policy}`, { role: nodeRole.name, policyArn: managedPolicy(policy) }, resourceOptions),
    );
    const nodeGroup = new AwsEksNodeGroup(
      `${name}-nodes`,
      {
        clusterName: cluster.name,
        nodeRoleArn: nodeRole.arn,
        subnetIds,
        instanceTypes: [args.instanceType],
        scalingConfig: { desiredSize: args.nodeCount, minSize: args.nodeCount, maxSize: args.nodeCount },
        labels: { 'rehearsal.dev/sandbox-id': args.sandboxId },
        ...(args.kubernetesVersion === undefined ? {} : { version: args.kubernetesVersion }),
      },
      { ...resourceOptions, dependsOn: [...nodePolicies, vpcCni] },
    );

    this.clusterName = cluster.name;
    this.endpoint = cluster.endpoint;
    this.kubeconfig = pulumi.secret(
      pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority]).apply(([eksName, endpoint, authority]) =>
        renderExecKubeconfig({
          clusterName: eksName,
          endpoint,
          caDataBase64: certificateAuthoritySchema.parse(authority).data,
          command: 'aws',
          args: ['eks', 'get-token', '--cluster-name', eksName, '--region', args.region, '--output', 'json'],
          installHint: 'install the AWS CLI v2 (https://docs.aws.amazon.com/cli/) and configure credentials',
        }),
      ),
    );
    const kubernetes = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, deleteUnreachable: true }, { parent: this });
    this.inClusterResources = installCni({
      namePrefix: name,
      plan,
      provider: kubernetes,
      cluster,
      parent: this,
      labels: makeKubernetesLabels(args),
      dependsOn: [nodeGroup],
    });
    this.registerOutputs({ kubeconfig: this.kubeconfig, clusterName: this.clusterName, endpoint: this.endpoint });
  }
}
