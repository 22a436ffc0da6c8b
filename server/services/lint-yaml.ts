// Lint of a policy set sent as YAML: alone (its own manifests as the topology), or against a live sandbox's pods
// and namespaces, where "selects no pod" and DNS findings mean the most. Parse issues and lint findings together.
import { compareIssues, lintPolicies, parseManifests, replacePolicies } from '../policy/index.ts';
import type { Cluster, Issue } from '../policy/index.ts';
import { parsePolicyYaml, policyYamlFileName } from './policy-edit.ts';

export function lintPolicyYaml(yaml: string, sandboxCluster: Cluster | undefined): Issue[] {
  if (sandboxCluster === undefined) {
    const parsed = parseManifests([{ file: policyYamlFileName, text: yaml }]);
    return [...parsed.issues, ...lintPolicies(parsed.cluster)].sort(compareIssues);
  }
  const { policies, issues } = parsePolicyYaml(yaml, sandboxCluster);
  const candidate = replacePolicies({ ...sandboxCluster, policies: [] }, policies);
  return [...issues, ...lintPolicies(candidate)].sort(compareIssues);
}
