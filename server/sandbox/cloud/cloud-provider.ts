// EKS, GKE and AKS sandboxes: a managed cluster with NetworkPolicy enforcement switched on, made and destroyed
// by the infra/ program through the Automation API. Needs the Pulumi CLI, cloud credentials and the cloud's
// kubeconfig credential plugin; they cost money while they run (docs/providers.md has the figures).
import type { SandboxProvider } from '../contract.ts';
import type { HostFacts, Problem } from '../pulumi/preflight.ts';
import { checkAwsCredentials, checkAzureCredentials, checkGcpCredentials } from '../pulumi/preflight.ts';
import type { PulumiProviderDeps } from '../pulumi/stack-provider.ts';
import { createStackProvider } from '../pulumi/stack-provider.ts';

export type CloudKind = 'eks' | 'gke' | 'aks';

function checkCloudHost(kind: CloudKind): (host: HostFacts, settings: Readonly<Record<string, string>>) => Promise<readonly Problem[]> {
  return async (host, settings) => {
    switch (kind) {
      case 'eks':
        return checkAwsCredentials(host);
      case 'gke': {
        const project = settings['gcpProject'];
        return checkGcpCredentials(host, project === undefined ? {} : { project });
      }
      case 'aks':
        return checkAzureCredentials(host);
    }
  };
}

export function createCloudProvider(kind: CloudKind, deps: PulumiProviderDeps): SandboxProvider {
  return createStackProvider({ name: kind, checkHost: checkCloudHost(kind), nonEnforcingCnis: [] }, deps);
}
