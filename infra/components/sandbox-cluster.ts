// The public surface every provider component shares: the same inputs (sandbox id, CNI, node count, Kubernetes
// version, expiry and owner for labels/tags) and the same outputs (infra/outputs.ts).
import type { SandboxMarks } from '../naming.ts';
import type { SandboxClusterOutputs } from '../outputs.ts';

export interface SandboxClusterArgs extends SandboxMarks {
  readonly cni: string;
  readonly nodeCount: number;
  readonly kubernetesVersion?: string;
}

export type SandboxCluster = SandboxClusterOutputs;

/** Component type tokens, `rehearsal:sandbox:<Provider>Cluster`. */
export const componentTypes = {
  kind: 'rehearsal:sandbox:KindCluster',
  eks: 'rehearsal:sandbox:EksCluster',
  gke: 'rehearsal:sandbox:GkeCluster',
  aks: 'rehearsal:sandbox:AksCluster',
} as const;
