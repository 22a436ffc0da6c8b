// Lint checks on what a policy isolates: policyTypes that drop rules or miss Egress, default denies, pods left
// open beside isolated neighbours, and duplicated policies.
import { isolatingPolicies, selectPolicySubjects } from './select.ts';
import { formatSelector } from './selector.ts';
import { formatNameList, formatPolicyName, makePolicyIssue } from './lint-context.ts';
import type { LintContext } from './lint-context.ts';
import type { Issue, Policy } from './model.ts';

const egressName = /egress|outbound/i;

function formatPolicyTypes(policy: Policy): string {
  return `[${policy.policyTypes.join(', ')}]`;
}

/**
 * "policyTypes ... If this field is not specified, it will default based on the existence of ingress or egress
 * rules": once written, it is final, and rules of a type it leaves out have no effect.
 */
function checkIgnoredRules(policy: Policy): Issue[] {
  if (!policy.hasExplicitPolicyTypes) return [];
  const issues: Issue[] = [];
  if (policy.egress.length > 0 && !policy.policyTypes.includes('Egress')) {
    issues.push(
      makePolicyIssue(policy, 'egress-rules-ignored', {
        path: 'spec.egress',
        message: `spec.policyTypes is ${formatPolicyTypes(policy)}, so the ${policy.egress.length} egress rule(s) have no effect and egress stays open`,
        fix: 'add Egress to spec.policyTypes, or delete spec.egress',
      }),
    );
  }
  if (policy.ingress.length > 0 && !policy.policyTypes.includes('Ingress')) {
    issues.push(
      makePolicyIssue(policy, 'ingress-rules-ignored', {
        path: 'spec.ingress',
        message: `spec.policyTypes is ${formatPolicyTypes(policy)}, so the ${policy.ingress.length} ingress rule(s) have no effect and ingress stays open`,
        fix: 'add Ingress to spec.policyTypes, or delete spec.ingress',
      }),
    );
  }
  return issues;
}

/**
 * A policy named for egress (deny-egress, allow-egress-dns) with no Egress type isolates nothing outbound:
 * "Egress ... will be set if the policy has any egress rules" — with none written, it defaults to [Ingress].
 */
function checkMissingEgressType(policy: Policy): Issue[] {
  if (policy.policyTypes.includes('Egress') || policy.egress.length > 0 || !egressName.test(policy.name)) return [];
  const why = policy.hasExplicitPolicyTypes
    ? `spec.policyTypes is ${formatPolicyTypes(policy)}`
    : 'spec.policyTypes is not written and there is no spec.egress, so it defaults to [Ingress]';
  return [
    makePolicyIssue(policy, 'missing-egress-policytype', {
      path: policy.hasExplicitPolicyTypes ? 'spec.policyTypes' : 'spec',
      message: `the policy is named ${policy.name} but ${why}: it does not isolate egress, and all outbound traffic stays allowed`,
      fix: 'add Egress to spec.policyTypes (policyTypes: [Egress], or [Ingress, Egress] to isolate both)',
    }),
  ];
}

function describeSubjects(context: LintContext, policy: Policy): string {
  const subjects = selectPolicySubjects(context.index, policy);
  if (!context.hasWorkloads || subjects.length === 0) return `pods ${formatSelector(policy.podSelector)} in ${policy.namespace}`;
  return formatNameList(subjects.map((pod) => `${pod.namespace}/${pod.name}`));
}

/** "A pod is isolated for ingress if there is any NetworkPolicy that both selects the pod and has Ingress in its policyTypes." */
function checkDefaultDeny(context: LintContext, policy: Policy): Issue[] {
  const denied: string[] = [];
  if (policy.policyTypes.includes('Ingress') && policy.ingress.length === 0) denied.push('ingress');
  if (policy.policyTypes.includes('Egress') && policy.egress.length === 0) denied.push('egress');
  if (denied.length === 0) return [];
  return [
    makePolicyIssue(policy, 'default-deny', {
      path: policy.hasExplicitPolicyTypes ? 'spec.policyTypes' : 'spec.podSelector',
      message: `isolates ${describeSubjects(context, policy)} for ${denied.join(' and ')} with no rule: all ${denied.join(' and ')} traffic is denied unless another policy allows it`,
      fix: 'intended for a default deny; pair it with allow policies for the traffic the pods need (DNS egress in particular)',
    }),
  ];
}

function checkUnprotectedPods(context: LintContext): Issue[] {
  const issues: Issue[] = [];
  for (const [namespace, pods] of context.index.podsByNamespace) {
    const workloads = pods.filter((pod) => !pod.isSystem);
    // Per direction, once per namespace: which pods are isolated and by which policies.
    const isolation = (['Ingress', 'Egress'] as const).map((direction) => {
      const byPod = new Map(workloads.map((pod) => [pod, isolatingPolicies(context.index, pod, direction)] as const));
      const isolated = workloads.filter((pod) => (byPod.get(pod)?.length ?? 0) > 0);
      const policies = [...new Set(isolated.flatMap((pod) => (byPod.get(pod) ?? []).map((policy) => policy.name)))];
      return { direction, byPod, isolated, policies };
    });
    for (const pod of workloads) {
      const open = isolation.filter((entry) => entry.isolated.length > 0 && (entry.byPod.get(pod)?.length ?? 0) === 0);
      const first = open[0];
      if (first === undefined) continue;
      const directions = open.map((o) => o.direction.toLowerCase()).join(' and ');
      const neighbours = first.isolated.map((other) => other.name);
      issues.push({
        code: 'pod-unprotected',
        severity: 'info',
        file: pod.source.file,
        line: pod.source.line,
        path: 'metadata.labels',
        message:
          `pod ${namespace}/${pod.name} is not isolated for ${directions}, while ${formatNameList(neighbours)} in the same namespace ` +
          `${neighbours.length === 1 ? 'is' : 'are'} (by ${formatNameList(first.policies)})`,
        fix: `if the pod should be protected too, widen the podSelector of ${formatNameList(first.policies)} or add a policy that selects it`,
        object: `Pod ${namespace}/${pod.name}`,
      });
    }
  }
  return issues;
}

/** Object keys sorted, `path` fields dropped: two policies with the same meaning give the same text. */
function canonicalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalize);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([key]) => key !== 'path')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, inner]) => [key, canonicalize(inner)] as const);
    return Object.fromEntries(entries);
  }
  return value;
}

function describeSpec(policy: Policy): string {
  return JSON.stringify(
    canonicalize({
      namespace: policy.namespace,
      podSelector: policy.podSelector,
      policyTypes: [...policy.policyTypes].sort(),
      ingress: policy.ingress,
      egress: policy.egress,
    }),
  );
}

function checkDuplicates(context: LintContext): Issue[] {
  const issues: Issue[] = [];
  const byName = new Map<string, Policy>();
  const bySpec = new Map<string, Policy>();
  for (const policy of context.cluster.policies) {
    const key = formatPolicyName(policy);
    const earlier = byName.get(key);
    if (earlier !== undefined) {
      issues.push(
        makePolicyIssue(policy, 'duplicate-policy', {
          path: 'metadata.name',
          message: `NetworkPolicy ${key} is defined again (first at ${earlier.source.file}:${earlier.source.line}); applying both keeps only the last`,
          fix: 'rename one of them, or merge their rules into one policy',
        }),
      );
      continue;
    }
    byName.set(key, policy);
    const spec = describeSpec(policy);
    const twin = bySpec.get(spec);
    if (twin !== undefined) {
      issues.push(
        makePolicyIssue(policy, 'duplicate-policy', {
          severity: 'warning',
          path: 'spec',
          message: `the spec is identical to NetworkPolicy ${formatPolicyName(twin)} (${twin.source.file}:${twin.source.line}); one of them is redundant`,
          fix: `delete one of ${formatPolicyName(twin)} and ${key}`,
        }),
      );
    } else {
      bySpec.set(spec, policy);
    }
  }
  return issues;
}

export function lintIsolation(context: LintContext): Issue[] {
  const issues: Issue[] = [];
  for (const policy of context.cluster.policies) {
    issues.push(...checkIgnoredRules(policy));
    issues.push(...checkMissingEgressType(policy));
    issues.push(...checkDefaultDeny(context, policy));
  }
  if (context.hasWorkloads) issues.push(...checkUnprotectedPods(context));
  issues.push(...checkDuplicates(context));
  return issues;
}
