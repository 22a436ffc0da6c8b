// Cilium by Helm, with the values of Cilium's own kind guide (Documentation/installation/kind.rst) plus a single
// operator replica: the operator's two default replicas have required anti-affinity and the second stays Pending
// on small clusters (cilium/cilium#14089), which a Pulumi await turns into a timeout.
import type { ChartSpec, CniPlan, KindCniContext } from './types.ts';
import { coreDns } from './types.ts';

export const ciliumChartVersion = '1.18.6';

const ciliumCrds = ['ciliumnetworkpolicies.cilium.io', 'ciliumclusterwidenetworkpolicies.cilium.io'];

function makeCiliumChart(values: Readonly<Record<string, unknown>>): ChartSpec {
  return {
    releaseName: 'cilium',
    chart: 'cilium',
    repo: 'https://helm.cilium.io/',
    version: ciliumChartVersion,
    namespace: 'kube-system',
    values,
  };
}

export function planKindCilium(context: KindCniContext): CniPlan {
  return {
    cni: 'cilium',
    disablesDefaultCni: true,
    charts: [
      makeCiliumChart({
        image: { pullPolicy: 'IfNotPresent' },
        // Use the node podCIDRs kind's controller-manager allocates from podSubnet (the kind guide's setting).
        ipam: { mode: 'kubernetes' },
        operator: { replicas: 1 },
        cluster: { name: context.clusterName },
      }),
    ],
    needsReferencePlugins: false,
    readiness: { daemonSets: [{ namespace: 'kube-system', name: 'cilium' }], crds: ciliumCrds, dns: coreDns },
    enforcement: 'eBPF, identity-based; CRDs are registered by cilium-operator at runtime, so the gate waits for them',
  };
}

/**
 * Cilium chained behind the AWS VPC CNI on EKS: the VPC CNI keeps IPAM and routing, Cilium adds policy
 * (Cilium docs, "AWS VPC CNI plugin" chaining: cni.chainingMode=aws-cni, cni.exclusive=false,
 * enableIPv4Masquerade=false, routingMode=native).
 */
export function planEksCilium(clusterName: string): CniPlan {
  return {
    cni: 'cilium',
    disablesDefaultCni: false,
    charts: [
      makeCiliumChart({
        cni: { chainingMode: 'aws-cni', exclusive: false },
        enableIPv4Masquerade: false,
        routingMode: 'native',
        operator: { replicas: 1 },
        cluster: { name: clusterName },
      }),
    ],
    needsReferencePlugins: false,
    readiness: {
      daemonSets: [
        { namespace: 'kube-system', name: 'aws-node' },
        { namespace: 'kube-system', name: 'cilium' },
      ],
      crds: ciliumCrds,
      dns: coreDns,
    },
    enforcement: 'Cilium in chaining mode enforces policy; the VPC CNI keeps pod addressing',
  };
}
