// flannel by Helm (flannel-io/flannel chart/kube-flannel). flannel alone enforces no NetworkPolicy: `flannel`
// keeps it bare on purpose, the dangerous "accepts policies, enforces nothing" case (the engine's `flannel`
// profile). Since flannel v0.25.5 the chart value `netpol.enabled=true` adds the kube-network-policies
// container: that is `flannel-netpol`.
import type { CniPlan, KindCniContext } from './types.ts';
import { coreDns } from './types.ts';

export const flannelChartVersion = 'v0.28.9';

function planKindFlannelWith(context: KindCniContext, options: { readonly isPolicyEnabled: boolean }): CniPlan {
  return {
    cni: options.isPolicyEnabled ? 'flannel-netpol' : 'flannel',
    disablesDefaultCni: true,
    charts: [
      {
        releaseName: 'flannel',
        chart: 'flannel',
        repo: 'https://flannel-io.github.io/flannel/',
        version: flannelChartVersion,
        namespace: 'kube-flannel',
        // The chart's DaemonSet is privileged; Pod Security admission must allow that in its namespace.
        createNamespace: { labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } },
        values: { podCidr: context.podSubnet, netpol: { enabled: options.isPolicyEnabled } },
      },
    ],
    // flannel delegates to the `bridge` plugin: "failed to find plugin "bridge" in path [/opt/cni/bin]" (kind#1340).
    needsReferencePlugins: true,
    readiness: { daemonSets: [{ namespace: 'kube-flannel', name: 'kube-flannel-ds' }], crds: [], dns: coreDns },
    enforcement: options.isPolicyEnabled
      ? 'kube-network-policies (nftables) beside flannel, the chart\'s netpol add-on'
      : 'none: NetworkPolicies are accepted by the API server and silently ignored',
  };
}

/** Bare flannel: no enforcement at all. */
export function planKindFlannel(context: KindCniContext): CniPlan {
  return planKindFlannelWith(context, { isPolicyEnabled: false });
}

/** flannel with its policy add-on (kube-network-policies). */
export function planKindFlannelNetpol(context: KindCniContext): CniPlan {
  return planKindFlannelWith(context, { isPolicyEnabled: true });
}
