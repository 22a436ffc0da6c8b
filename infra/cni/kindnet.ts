// kindnet: kind's own CNI. kindnetd embeds sigs.k8s.io/kube-network-policies and enforces NetworkPolicy since
// kind v0.24.0, so no install step: the fastest real sandbox.
import type { CniPlan } from './types.ts';
import { coreDns } from './types.ts';

export function planKindnet(): CniPlan {
  return {
    cni: 'kindnet',
    disablesDefaultCni: false,
    charts: [],
    needsReferencePlugins: false,
    readiness: { daemonSets: [{ namespace: 'kube-system', name: 'kindnet' }], crds: [], dns: coreDns },
    enforcement: 'kube-network-policies (nftables) inside kindnetd, kind >= v0.24.0',
  };
}
