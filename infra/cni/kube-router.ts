// kube-router has no first-party chart (cloudnativelabs/kube-router#32); the community chart (enix/kube-router,
// "alpha quality" by its own README) is pinned here with the router and firewall on and the service proxy off,
// the same switches upstream's own kind e2e passes (--run-router --run-firewall --run-service-proxy=false).
import type { CniPlan } from './types.ts';
import { coreDns } from './types.ts';

export const kubeRouterChartVersion = '1.2.0';

export function planKindKubeRouter(): CniPlan {
  return {
    cni: 'kube-router',
    disablesDefaultCni: true,
    charts: [
      {
        releaseName: 'kube-router',
        chart: 'kube-router',
        repo: 'https://charts.enix.io/',
        version: kubeRouterChartVersion,
        namespace: 'kube-system',
        values: {
          kubeRouter: {
            router: { enabled: true },
            firewall: { enabled: true },
            serviceProxy: { enabled: false },
            // kube-router's CNI config delegates to `bridge`, absent from kind node images; the chart's own
            // installer is off because the shared reference-plugins DaemonSet installs a current release.
            cni: { install: false },
          },
        },
      },
    ],
    needsReferencePlugins: true,
    readiness: { daemonSets: [{ namespace: 'kube-system', name: 'kube-router' }], crds: [], dns: coreDns },
    enforcement: 'iptables/ipsets per pod from NetworkPolicy (no CNI-specific kinds)',
  };
}
