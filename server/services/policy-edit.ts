// A policy change to a running sandbox, computed before anything is applied: the YAML parsed with every issue
// (YAML paths included), the resulting Cluster, the flows it newly allows or denies, and lint of the result.
import { maxListedFlowChanges } from '../api/protocol/schemas.ts';
import type { ApplyPoliciesResponse } from '../api/protocol/schemas.ts';
import { compareIssues, diffPolicies, lintPolicies, parseManifests, replacePolicies, summarizeFlowChanges } from '../policy/index.ts';
import type { Cluster, Issue, Policy } from '../policy/index.ts';

export const PolicyEditModes = { replace: 'replace', merge: 'merge' } as const;
export type PolicyEditMode = (typeof PolicyEditModes)[keyof typeof PolicyEditModes];

export interface PolicyEdit {
  readonly issues: readonly Issue[];
  readonly hasErrors: boolean;
  /** The desired state after the change (the current one when the YAML has errors). */
  readonly next: Cluster;
  readonly lint: readonly Issue[];
  readonly changes: { readonly newlyAllowed: number; readonly newlyDenied: number };
  readonly summary: string;
  readonly flows: ApplyPoliciesResponse['flows'];
}

/** Shown as the file of every issue: the text came over the wire, not from a path on this host. */
export const policyYamlFileName = 'policies.yaml';

function notAPolicyIssue(kind: string, name: string): Issue {
  return {
    code: 'not-a-policy',
    severity: 'error',
    file: policyYamlFileName,
    line: 0,
    path: '',
    message: `${kind} ${name} is not a NetworkPolicy; only policies can be applied to a running sandbox`,
    fix: 'remove it from the YAML; to change pod labels use the label command (or PATCH /api/sandboxes/{id}/pods/{ns}/{name})',
    object: `${kind} ${name}`,
  };
}

/** `NetworkPolicy x/deny-all` → `x`. */
function readObjectNamespace(issue: Issue): string | undefined {
  return issue.object === undefined ? undefined : /^\S+ ([^/\s]+)\//.exec(issue.object)?.[1];
}

/** The policies of `yaml`, with every issue; objects that are not policies are errors, not silently dropped. */
export function parsePolicyYaml(yaml: string, current: Cluster): { readonly policies: readonly Policy[]; readonly issues: readonly Issue[] } {
  const parsed = parseManifests([{ file: policyYamlFileName, text: yaml }], { includeClusterDns: false });
  const knownNamespaces = new Set(current.namespaces.map((namespace) => namespace.name));
  // Policies alone name namespaces without declaring them; in a sandbox that has them, that is not worth a warning.
  const issues = parsed.issues.filter((issue) => !(issue.code === 'implicit-namespace' && knownNamespaces.has(readObjectNamespace(issue) ?? '')));
  for (const pod of parsed.cluster.pods) issues.push(notAPolicyIssue('Pod', `${pod.namespace}/${pod.name}`));
  for (const service of parsed.cluster.services) issues.push(notAPolicyIssue('Service', `${service.namespace}/${service.name}`));
  for (const external of parsed.cluster.externals) issues.push(notAPolicyIssue('ExternalEndpoint', external.name));
  if (parsed.scenario !== undefined) issues.push(notAPolicyIssue('Scenario', parsed.scenario.name));
  for (const namespace of parsed.cluster.namespaces) {
    if (!namespace.isImplicit && !knownNamespaces.has(namespace.name)) issues.push(notAPolicyIssue('Namespace', namespace.name));
  }
  return { policies: parsed.cluster.policies, issues: issues.sort(compareIssues) };
}

export function planPolicyEdit(current: Cluster, input: { readonly yaml: string; readonly mode: PolicyEditMode; readonly profile: string }): PolicyEdit {
  const { policies, issues } = parsePolicyYaml(input.yaml, current);
  const hasErrors = issues.some((issue) => issue.severity === 'error');
  if (hasErrors) {
    return { issues, hasErrors, next: current, lint: [], changes: { newlyAllowed: 0, newlyDenied: 0 }, summary: 'nothing was applied: the YAML has errors', flows: [] };
  }
  const next = input.mode === PolicyEditModes.replace ? replacePolicies({ ...current, policies: [] }, policies) : replacePolicies(current, policies);
  return { issues, hasErrors, next, ...describeChange(current, next, input.profile) };
}

/** A set of policies removed (by namespace/name), as a planned edit. */
export function planPolicyRemoval(current: Cluster, input: { readonly namespace: string; readonly name: string; readonly profile: string }): PolicyEdit | undefined {
  const remaining = current.policies.filter((policy) => !(policy.namespace === input.namespace && policy.name === input.name));
  if (remaining.length === current.policies.length) return undefined;
  const next = { ...current, policies: remaining };
  return { issues: [], hasErrors: false, next, ...describeChange(current, next, input.profile) };
}

export function describeChange(before: Cluster, after: Cluster, profile: string): Pick<PolicyEdit, 'lint' | 'changes' | 'summary' | 'flows'> {
  const changes = diffPolicies(before, after, { profile });
  const newlyDenied = changes.filter((change) => change.change === 'newly-denied').length;
  return {
    lint: lintPolicies(after),
    changes: { newlyAllowed: changes.length - newlyDenied, newlyDenied },
    summary: summarizeFlowChanges(changes),
    flows: changes.slice(0, maxListedFlowChanges).map((change) => ({
      change: change.change,
      from: change.from,
      to: change.to,
      port: change.port,
      ...(change.portName === undefined ? {} : { portName: change.portName }),
      protocol: change.protocol,
      before: change.before.text,
      after: change.after.text,
    })),
  };
}
