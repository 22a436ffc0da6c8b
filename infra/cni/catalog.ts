// Which CNIs each provider offers, the default one, the engine profile that predicts it, and the install plan.
// The server reads this (names for the launch form, readiness targets for the gate); components read the plans.
import { planKindAntrea } from './antrea.ts';
import { planEksCalico, planKindCalico } from './calico.ts';
import { planEksCilium, planKindCilium } from './cilium.ts';
import { planKindFlannel, planKindFlannelNetpol } from './flannel.ts';
import { planKindnet } from './kindnet.ts';
import { planKindKubeRouter } from './kube-router.ts';
import type { CniPlan, CniReadiness, KindCniContext } from './types.ts';
import { coreDns } from './types.ts';

export const ClusterProviders = { kind: 'kind', eks: 'eks', gke: 'gke', aks: 'aks' } as const;
export type ClusterProvider = (typeof ClusterProviders)[keyof typeof ClusterProviders];
export const clusterProviderList: readonly ClusterProvider[] = ['kind', 'eks', 'gke', 'aks'];

export interface CniChoice {
  readonly name: string;
  /** The engine's CNI profile (server/policy/cni-profiles.ts) whose predictions this CNI should match. */
  readonly engineProfile: string;
  readonly summary: string;
}

export const cniChoices: Readonly<Record<ClusterProvider, readonly CniChoice[]>> = {
  kind: [
    { name: 'kindnet', engineProfile: 'kindnet', summary: 'kind\'s own CNI; enforces NetworkPolicy since kind v0.24.0 (fastest)' },
    { name: 'calico', engineProfile: 'calico', summary: 'Calico via the tigera-operator chart' },
    { name: 'cilium', engineProfile: 'cilium', summary: 'Cilium via Helm, kind guide values' },
    { name: 'antrea', engineProfile: 'antrea', summary: 'Antrea via Helm (needs the host openvswitch module)' },
    { name: 'kube-router', engineProfile: 'kube-router', summary: 'kube-router router + firewall (community chart)' },
    { name: 'flannel', engineProfile: 'flannel', summary: 'flannel alone: accepts NetworkPolicies and enforces none' },
    { name: 'flannel-netpol', engineProfile: 'kube-network-policies', summary: 'flannel with its kube-network-policies add-on' },
  ],
  eks: [
    { name: 'vpc-cni', engineProfile: 'reference', summary: 'Amazon VPC CNI with enableNetworkPolicy=true' },
    { name: 'calico', engineProfile: 'calico', summary: 'Calico policy-only over the VPC CNI' },
    { name: 'cilium', engineProfile: 'cilium', summary: 'Cilium chained behind the VPC CNI' },
  ],
  gke: [
    { name: 'dataplane-v2', engineProfile: 'cilium', summary: 'GKE Dataplane V2 (ADVANCED_DATAPATH, Cilium-based)' },
    { name: 'calico', engineProfile: 'calico', summary: 'legacy GKE network policy add-on (Calico)' },
  ],
  aks: [
    { name: 'cilium', engineProfile: 'cilium', summary: 'Azure CNI powered by Cilium (overlay)' },
    { name: 'azure', engineProfile: 'reference', summary: 'Azure CNI with Azure Network Policy Manager (retires 2028-09-30)' },
    { name: 'calico', engineProfile: 'calico', summary: 'Azure CNI overlay with Calico network policy' },
  ],
};

export const defaultCnis: Readonly<Record<ClusterProvider, string>> = {
  kind: 'kindnet',
  eks: 'vpc-cni',
  gke: 'dataplane-v2',
  aks: 'cilium',
};

export function listCniNames(provider: ClusterProvider): readonly string[] {
  return cniChoices[provider].map((choice) => choice.name);
}

export function findCniChoice(provider: ClusterProvider, cni: string): CniChoice | undefined {
  return cniChoices[provider].find((choice) => choice.name === cni);
}

/** The install plan for a CNI on kind; undefined for a name kind does not offer. */
export function planKindCni(cni: string, context: KindCniContext): CniPlan | undefined {
  switch (cni) {
    case 'kindnet':
      return planKindnet();
    case 'calico':
      return planKindCalico(context);
    case 'cilium':
      return planKindCilium(context);
    case 'antrea':
      return planKindAntrea();
    case 'kube-router':
      return planKindKubeRouter();
    case 'flannel':
      return planKindFlannel(context);
    case 'flannel-netpol':
      return planKindFlannelNetpol(context);
    default:
      return undefined;
  }
}

/** Helm charts a cloud cluster needs on top of its managed CNI (EKS calico/cilium); empty when managed. */
export function planEksCni(cni: string, clusterName: string): CniPlan | undefined {
  switch (cni) {
    case 'vpc-cni':
      return {
        cni,
        disablesDefaultCni: false,
        charts: [],
        needsReferencePlugins: false,
        readiness: {
          daemonSets: [{ namespace: 'kube-system', name: 'aws-node' }],
          // The VPC CNI's network policy agent resolves policies into PolicyEndpoints (aws-network-policy-agent).
          crds: ['policyendpoints.networking.k8s.aws'],
          dns: coreDns,
        },
        enforcement: 'aws-network-policy-agent (eBPF) in the aws-node DaemonSet, switched on by enableNetworkPolicy',
      };
    case 'calico':
      return planEksCalico();
    case 'cilium':
      return planEksCilium(clusterName);
    default:
      return undefined;
  }
}

const gkeDns = { namespace: 'kube-system', name: 'kube-dns' };

/** What the readiness gate waits for, per provider and CNI; undefined for an unknown pair. */
export function describeCniReadiness(provider: ClusterProvider, cni: string): CniReadiness | undefined {
  switch (provider) {
    case 'kind':
      return planKindCni(cni, { podSubnet: '10.244.0.0/16', clusterName: 'readiness' })?.readiness;
    case 'eks':
      return planEksCni(cni, 'readiness')?.readiness;
    case 'gke':
      if (cni === 'dataplane-v2') return { daemonSets: [{ namespace: 'kube-system', name: 'anetd' }], crds: [], dns: gkeDns };
      if (cni === 'calico') return { daemonSets: [{ namespace: 'kube-system', name: 'calico-node' }], crds: [], dns: gkeDns };
      return undefined;
    case 'aks':
      if (cni === 'cilium') return { daemonSets: [{ namespace: 'kube-system', name: 'cilium' }], crds: [], dns: coreDns };
      if (cni === 'azure') return { daemonSets: [{ namespace: 'kube-system', name: 'azure-npm' }], crds: [], dns: coreDns };
      if (cni === 'calico') return { daemonSets: [{ namespace: 'calico-system', name: 'calico-node' }], crds: [], dns: coreDns };
      return undefined;
  }
}
