// Calico through the tigera-operator chart (docs.tigera.io, "Install Calico with Helm"). The operator renders
// calico-node into calico-system after the chart is applied, so readiness waits on that DaemonSet, not on the chart.
import type { CniPlan, ChartSpec, KindCniContext } from './types.ts';
import { coreDns } from './types.ts';

export const calicoChartVersion = 'v3.32.2';

const calicoCrds = ['networkpolicies.crd.projectcalico.org', 'globalnetworkpolicies.crd.projectcalico.org'];

function makeTigeraChart(installation: Readonly<Record<string, unknown>>): ChartSpec {
  return {
    releaseName: 'calico',
    chart: 'tigera-operator',
    repo: 'https://docs.tigera.io/calico/charts',
    version: calicoChartVersion,
    namespace: 'tigera-operator',
    createNamespace: { labels: { name: 'tigera-operator' } },
    values: { installation },
  };
}

const calicoReadiness = {
  daemonSets: [{ namespace: 'calico-system', name: 'calico-node' }],
  crds: calicoCrds,
  dns: coreDns,
};

export function planKindCalico(context: KindCniContext): CniPlan {
  return {
    cni: 'calico',
    disablesDefaultCni: true,
    charts: [
      makeTigeraChart({
        cni: { type: 'Calico' },
        calicoNetwork: {
          // "The pool must sit inside the cluster pod CIDR": use kind's podSubnet itself, so pods get the addresses
          // kind's controller-manager expects. Pools in the Installation cannot change after install.
          ipPools: [{ cidr: context.podSubnet, encapsulation: 'VXLAN', natOutgoing: 'Enabled', blockSize: 26 }],
        },
      }),
    ],
    needsReferencePlugins: false,
    readiness: calicoReadiness,
    enforcement: 'Felix programs iptables/nftables per pod from the full policy set',
  };
}

/** Calico policy-only on EKS: the VPC CNI keeps networking (`kubernetesProvider: EKS`, `cni.type: AmazonVPC`). */
export function planEksCalico(): CniPlan {
  return {
    cni: 'calico',
    disablesDefaultCni: false,
    charts: [makeTigeraChart({ kubernetesProvider: 'EKS', cni: { type: 'AmazonVPC' } })],
    needsReferencePlugins: false,
    readiness: {
      daemonSets: [{ namespace: 'kube-system', name: 'aws-node' }, ...calicoReadiness.daemonSets],
      crds: calicoCrds,
      dns: coreDns,
    },
    enforcement: 'Calico in policy-only mode over the AWS VPC CNI',
  };
}
