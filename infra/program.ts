// The sandbox program: read the stack config, build ONE provider component, export the output contract.
// `index.ts` runs it for `pulumi up`; the server runs the same function inline through the Automation API.
import type * as pulumi from '@pulumi/pulumi';
import { AksCluster } from './components/aks-cluster.ts';
import { EksCluster } from './components/eks-cluster.ts';
import { GkeCluster } from './components/gke-cluster.ts';
import { KindCluster } from './components/kind-cluster.ts';
import type { SandboxCluster } from './components/sandbox-cluster.ts';
import type { SandboxConfig } from './config.ts';
import { InfraConfigError, readSandboxConfig } from './config.ts';
import { exportSandboxOutputs } from './outputs.ts';

/** Builds the component the config asks for; the name is the sandbox id so URNs say which sandbox they are. */
export function buildSandboxCluster(config: SandboxConfig): SandboxCluster {
  const marks = { sandboxId: config.sandboxId, expiresAt: config.expiresAt, owner: config.owner };
  const common = {
    ...marks,
    cni: config.cni,
    nodeCount: config.nodeCount,
    ...(config.kubernetesVersion === undefined ? {} : { kubernetesVersion: config.kubernetesVersion }),
  };
  switch (config.provider) {
    case 'kind':
      return new KindCluster(config.sandboxId, {
        ...common,
        podSubnet: config.kind.podSubnet,
        serviceSubnet: config.kind.serviceSubnet,
        kubeconfigDir: config.kind.kubeconfigDir,
        isInternalKubeconfig: config.kind.isInternalKubeconfig,
        ...(config.kind.nodeImage === undefined ? {} : { nodeImage: config.kind.nodeImage }),
      });
    case 'eks':
      return new EksCluster(config.sandboxId, {
        ...common,
        region: config.eks.region,
        instanceType: config.eks.instanceType,
        ...(config.eks.subnetIds === undefined ? {} : { subnetIds: config.eks.subnetIds }),
      });
    case 'gke': {
      const project = config.gke.project;
      if (project === undefined) throw new InfraConfigError(['rehearsal:gcpProject: required for gke']);
      return new GkeCluster(config.sandboxId, { ...common, project, zone: config.gke.zone, machineType: config.gke.machineType });
    }
    case 'aks':
      return new AksCluster(config.sandboxId, { ...common, location: config.aks.location, vmSize: config.aks.vmSize });
  }
}

/** The Pulumi program: stack outputs are `kubeconfig` (secret), `clusterName`, `endpoint`. */
export function runSandboxProgram(): Record<string, pulumi.Output<string>> {
  return exportSandboxOutputs(buildSandboxCluster(readSandboxConfig()));
}
