// Antrea by Helm (antrea-io/antrea docs/helm.md, docs/kind.md). Needs the host kernel's openvswitch module,
// which kind nodes share with the host.
import type { CniPlan } from './types.ts';
import { coreDns } from './types.ts';

export const antreaChartVersion = '2.6.0';

export function planKindAntrea(): CniPlan {
  return {
    cni: 'antrea',
    disablesDefaultCni: true,
    charts: [
      {
        releaseName: 'antrea',
        chart: 'antrea',
        repo: 'https://charts.antrea.io',
        version: antreaChartVersion,
        namespace: 'kube-system',
        values: {},
      },
    ],
    needsReferencePlugins: false,
    readiness: {
      daemonSets: [{ namespace: 'kube-system', name: 'antrea-agent' }],
      crds: ['networkpolicies.crd.antrea.io', 'clusternetworkpolicies.crd.antrea.io'],
      dns: coreDns,
    },
    enforcement: 'Open vSwitch flows compiled by antrea-agent',
  };
}
