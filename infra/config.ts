// Every stack-config read of the program, in one place, typed and validated. Each key says why it exists and
// what it defaults to. Keys live in the `rehearsal` namespace: `pulumi config set rehearsal:cni calico`
// (or `pulumi config set cni calico` inside this project). The server sets the same keys through the
// Automation API, so a person running `pulumi up` by hand gets exactly what the server would make.
import { tmpdir } from 'node:os';
import * as pulumi from '@pulumi/pulumi';
import { z } from 'zod';
import type { ClusterProvider } from './cni/catalog.ts';
import { defaultCnis, listCniNames } from './cni/catalog.ts';
import { isSandboxId, projectName, sandboxIdPattern } from './naming.ts';

const cidrPattern = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;

const baseSchema = z.object({
  /** Every name, label and tag derives from it. Default: the stack name, when it is a sandbox id (`sb-1a2b3c4d`). */
  sandboxId: z.string().regex(sandboxIdPattern, 'must be `sb-` followed by 8 lowercase hex characters, e.g. sb-1a2b3c4d'),
  /** Which component to build. Default `kind`: no cloud account needed. */
  provider: z.enum(['kind', 'eks', 'gke', 'aks']).default('kind'),
  /** The CNI to install. Default: the provider's own policy-enforcing one (kindnet, vpc-cni, dataplane-v2, cilium). */
  cni: z.string().optional(),
  /** Nodes (kind: 1 control plane + workers). Default 2: cross-node policy cases need pods on two nodes. */
  nodeCount: z.coerce.number().int().min(1).max(10).default(2),
  /** Kubernetes minor or patch version. Default: the provider's default (kind: its node image; clouds: their default). */
  kubernetesVersion: z.string().regex(/^1\.\d{1,2}(\.\d{1,2})?$/, 'must look like 1.33 or 1.33.1').optional(),
  /** When the sandbox must be gone (ISO 8601). Required: every resource is labelled with it and sweepers read it. */
  expiresAt: z.iso.datetime({ offset: true }),
  /** Who asked for it, for labels/tags. Default `rehearsal`. */
  owner: z.string().min(1).max(256).default('rehearsal'),

  /** kind pod subnet. Default kind's own 10.244.0.0/16; change it if it clashes with your LAN or VPN. */
  podSubnet: z.string().regex(cidrPattern).default('10.244.0.0/16'),
  /** kind service subnet. Default kind's own 10.96.0.0/12. */
  serviceSubnet: z.string().regex(cidrPattern).default('10.96.0.0/12'),
  /** Where kind writes the sandbox's kubeconfig file (never ~/.kube/config). Default: the OS temp directory. */
  kubeconfigDir: z.string().min(1).default(tmpdir()),
  /** Use the in-Docker-network API address (`kind get kubeconfig --internal`), for a server that runs in a container. */
  internalKubeconfig: z.enum(['true', 'false']).default('false').transform((text) => text === 'true'),
  /** A full kind node image (`kindest/node:v1.33.1@sha256:...`); overrides kubernetesVersion. */
  kindNodeImage: z.string().min(1).optional(),

  /** AWS region for EKS. Default us-east-1. */
  awsRegion: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/).default('us-east-1'),
  /** EKS node instance type. Default t3.medium: the smallest type whose ENI limits fit a scenario's pods (17 per node). */
  awsInstanceType: z.string().min(1).default('t3.medium'),
  /** Subnets for EKS (comma separated, two AZs at least). Default: the default VPC's default-for-AZ subnets. */
  awsSubnetIds: z.string().optional(),

  /** GCP project for GKE. Required for gke. */
  gcpProject: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/).optional(),
  /** GKE zone. Default us-central1-a: a zonal cluster, whose management fee the GKE free tier covers once per account. */
  gcpZone: z.string().regex(/^[a-z]+-[a-z]+\d-[a-z]$/).default('us-central1-a'),
  /** GKE node machine type. Default e2-medium (2 vCPU shared, 4 GB). */
  gcpMachineType: z.string().min(1).default('e2-medium'),

  /** Azure region for AKS. Default eastus. */
  azureLocation: z.string().regex(/^[a-z0-9]+$/).default('eastus'),
  /** AKS node size. Default Standard_B2s: the smallest size AKS accepts for a system pool (2 vCPU, 4 GB). */
  azureVmSize: z.string().min(1).default('Standard_B2s'),
});

export type RawSandboxConfig = z.input<typeof baseSchema>;

export interface SandboxConfig {
  readonly sandboxId: string;
  readonly provider: ClusterProvider;
  readonly cni: string;
  readonly nodeCount: number;
  readonly kubernetesVersion?: string;
  readonly expiresAt: Date;
  readonly owner: string;
  readonly kind: {
    readonly podSubnet: string;
    readonly serviceSubnet: string;
    readonly kubeconfigDir: string;
    readonly isInternalKubeconfig: boolean;
    readonly nodeImage?: string;
  };
  readonly eks: { readonly region: string; readonly instanceType: string; readonly subnetIds?: readonly string[] };
  readonly gke: { readonly project?: string; readonly zone: string; readonly machineType: string };
  readonly aks: { readonly location: string; readonly vmSize: string };
}

/** Every config key the program reads, for the server (which sets them) and for docs. */
export const configKeys: readonly string[] = Object.keys(baseSchema.shape);

/** Stack config that cannot make a sandbox. The message lists every problem with the command that fixes it. */
export class InfraConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid stack config for project ${projectName}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'InfraConfigError';
    this.problems = problems;
  }
}

function formatFix(key: string): string {
  if (key === 'expiresAt') return `pulumi config set ${projectName}:expiresAt "$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)"`;
  if (key === 'sandboxId') return `pulumi stack init sb-1a2b3c4d (or pulumi config set ${projectName}:sandboxId sb-1a2b3c4d)`;
  return `pulumi config set ${projectName}:${key} <value>`;
}

/** Validates raw config (strings, as stack config stores them); pure so tests and the server can call it. */
export function parseSandboxConfig(raw: Readonly<Record<string, string | undefined>>): SandboxConfig {
  const result = baseSchema.safeParse(raw);
  if (!result.success) {
    throw new InfraConfigError(
      result.error.issues.map((issue) => {
        const key = issue.path.join('.');
        return `${projectName}:${key}: ${issue.message}; fix: ${formatFix(key)}`;
      }),
    );
  }
  const value = result.data;
  const cni = value.cni ?? defaultCnis[value.provider];
  const problems: string[] = [];
  if (!listCniNames(value.provider).includes(cni)) {
    problems.push(`${projectName}:cni: '${cni}' is not offered for ${value.provider}; choose one of ${listCniNames(value.provider).join(', ')}`);
  }
  if (value.provider === 'gke' && value.gcpProject === undefined) {
    problems.push(`${projectName}:gcpProject: required for gke; fix: ${formatFix('gcpProject')}`);
  }
  if (value.provider === 'kind' && value.kubernetesVersion !== undefined && !/^1\.\d+\.\d+$/.test(value.kubernetesVersion)) {
    problems.push(`${projectName}:kubernetesVersion: kind node images are tagged by patch version (1.33.1), got ${value.kubernetesVersion}`);
  }
  const subnetIds = value.awsSubnetIds
    ?.split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  if (subnetIds?.some((id) => !/^subnet-[0-9a-f]+$/.test(id)) === true) {
    problems.push(`${projectName}:awsSubnetIds: expected comma-separated subnet-... ids`);
  }
  if (problems.length > 0) throw new InfraConfigError(problems);
  return {
    sandboxId: value.sandboxId,
    provider: value.provider,
    cni,
    nodeCount: value.nodeCount,
    ...(value.kubernetesVersion === undefined ? {} : { kubernetesVersion: value.kubernetesVersion }),
    expiresAt: new Date(value.expiresAt),
    owner: value.owner,
    kind: {
      podSubnet: value.podSubnet,
      serviceSubnet: value.serviceSubnet,
      kubeconfigDir: value.kubeconfigDir,
      isInternalKubeconfig: value.internalKubeconfig,
      ...(value.kindNodeImage === undefined ? {} : { nodeImage: value.kindNodeImage }),
    },
    eks: { region: value.awsRegion, instanceType: value.awsInstanceType, ...(subnetIds === undefined ? {} : { subnetIds }) },
    gke: { ...(value.gcpProject === undefined ? {} : { project: value.gcpProject }), zone: value.gcpZone, machineType: value.gcpMachineType },
    aks: { location: value.azureLocation, vmSize: value.azureVmSize },
  };
}

/** Reads the running stack's config (the one place the program touches pulumi.Config). */
export function readSandboxConfig(): SandboxConfig {
  const config = new pulumi.Config(projectName);
  const raw: Record<string, string | undefined> = {};
  for (const key of configKeys) raw[key] = config.get(key);
  const stack = pulumi.getStack();
  if (raw['sandboxId'] === undefined && isSandboxId(stack)) raw['sandboxId'] = stack;
  return parseSandboxConfig(raw);
}

