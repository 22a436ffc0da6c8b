// kind sandboxes: a real Kubernetes cluster in Docker per sandbox, with the chosen CNI installed by Helm, made
// and destroyed by the infra/ program through the Automation API. Needs Docker, kind and the Pulumi CLI.
import type { SandboxProvider } from '../contract.ts';
import type { HostFacts, Problem } from '../pulumi/preflight.ts';
import { checkDockerDaemon, checkKind } from '../pulumi/preflight.ts';
import type { PulumiProviderDeps } from '../pulumi/stack-provider.ts';
import { createStackProvider } from '../pulumi/stack-provider.ts';

async function checkKindHost(host: HostFacts): Promise<readonly Problem[]> {
  const problems = await Promise.all([checkDockerDaemon(host), checkKind(host)]);
  return problems.flatMap((problem) => (problem === undefined ? [] : [problem]));
}

export function createKindProvider(deps: PulumiProviderDeps): SandboxProvider {
  return createStackProvider({ name: 'kind', checkHost: checkKindHost, nonEnforcingCnis: ['flannel'] }, deps);
}
