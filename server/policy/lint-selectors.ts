// Lint checks on selectors: policies and peers that select nothing (with the closest existing label), and
// namespaceSelector: {} opening a rule to every namespace.
import { explainSelectorMiss } from './selector-miss.ts';
import type { LabelledObject, SelectorMiss } from './selector-miss.ts';
import { formatSelector, isEmptySelector, matchesSelector } from './selector.ts';
import { selectPolicySubjects } from './select.ts';
import { formatNameList, listDirectedRules, makePolicyIssue } from './lint-context.ts';
import type { LintContext, SelectorPeer } from './lint-context.ts';
import type { Issue, Namespace, Pod, Policy, Selector } from './model.ts';

function describePods(pods: readonly Pod[]): LabelledObject[] {
  return pods.map((pod) => ({ name: `${pod.namespace}/${pod.name}`, labels: pod.labels }));
}

function describeNamespaces(namespaces: readonly Namespace[]): LabelledObject[] {
  return namespaces.map((ns) => ({ name: ns.name, labels: ns.labels }));
}

function formatSuggestion(miss: SelectorMiss): string {
  const first = miss.suggestions[0];
  return first === undefined ? '' : `; did you mean ${first.suggested}?`;
}

function formatSelectorFix(miss: SelectorMiss, fallback: string): string {
  if (miss.suggestions.length === 0) return fallback;
  const changes = miss.suggestions.map((s) => `${s.written} to ${s.suggested}`).join(', ');
  return `change ${changes} if that was meant; otherwise ${fallback}`;
}

/** Peers may name system pods too (the cluster DNS is the usual egress peer), so they count as candidates. */
function podsIn(context: LintContext, namespace: string): readonly Pod[] {
  return context.index.podsByNamespace.get(namespace) ?? [];
}

/** "podSelector ... Selects the pods to which this NetworkPolicy object applies." One that selects none does nothing. */
function checkPolicySubjects(context: LintContext, policy: Policy): Issue[] {
  if (selectPolicySubjects(context.index, policy).length > 0) return [];
  const pods = context.index.podsByNamespace.get(policy.namespace) ?? [];
  const selectorText = formatSelector(policy.podSelector);
  if (pods.length === 0) {
    return [
      makePolicyIssue(policy, 'policy-selects-nothing', {
        path: 'spec.podSelector',
        message: `namespace ${policy.namespace} has no pods in this input, so the policy applies to nothing`,
        fix: `include the namespace's workloads with -f, or check metadata.namespace (the policy is in ${policy.namespace})`,
      }),
    ];
  }
  const miss = explainSelectorMiss(policy.podSelector, describePods(pods), `pod in namespace ${policy.namespace}`);
  return [
    makePolicyIssue(policy, 'policy-selects-nothing', {
      path: 'spec.podSelector',
      message: `podSelector ${selectorText} selects no pod: ${miss.detail}${formatSuggestion(miss)}`,
      fix: formatSelectorFix(miss, `correct spec.podSelector or the pods' labels (kubectl get pods -n ${policy.namespace} --show-labels)`),
    }),
  ];
}

function checkSelectorPeer(context: LintContext, policy: Policy, peer: SelectorPeer): Issue[] {
  let namespaces: Namespace[];
  if (peer.namespaceSelector === undefined) {
    const own = context.index.namespacesByName.get(policy.namespace);
    namespaces = own === undefined ? [] : [own];
  } else {
    const selector = peer.namespaceSelector;
    namespaces = context.cluster.namespaces.filter((ns) => matchesSelector(selector, ns.labels));
    if (namespaces.length === 0) {
      const miss = explainSelectorMiss(selector, describeNamespaces(context.cluster.namespaces), 'namespace');
      return [
        makePolicyIssue(policy, 'namespace-selector-matches-nothing', {
          path: `${peer.path}.namespaceSelector`,
          message: `namespaceSelector ${formatSelector(selector)} matches no namespace: ${miss.detail}${formatSuggestion(miss)}`,
          fix: formatSelectorFix(
            miss,
            'select namespaces by a label they carry; every namespace has kubernetes.io/metadata.name=<name> (kubectl get ns --show-labels)',
          ),
        }),
      ];
    }
  }
  const candidates = namespaces.flatMap((ns) => podsIn(context, ns.name));
  const podSelector: Selector = peer.podSelector ?? { matchLabels: {}, matchExpressions: [] };
  if (candidates.some((pod) => matchesSelector(podSelector, pod.labels))) return [];
  const where = namespaces.length === 1 ? `namespace ${namespaces[0]?.name ?? ''}` : `namespaces ${formatNameList(namespaces.map((ns) => ns.name))}`;
  const path = peer.podSelector === undefined ? peer.path : `${peer.path}.podSelector`;
  if (candidates.length === 0) {
    return [
      makePolicyIssue(policy, 'selector-matches-nothing', {
        path,
        message: `the peer selects pods in ${where}, which has no pods in this input`,
        fix: 'include the workloads of that namespace with -f, or point the peer at the namespace that runs them',
      }),
    ];
  }
  // The pods may exist, only elsewhere: a podSelector without namespaceSelector stays in the policy's namespace.
  const elsewhere = context.cluster.pods.filter(
    (pod) => !namespaces.some((ns) => ns.name === pod.namespace) && matchesSelector(podSelector, pod.labels),
  );
  const selectorText = formatSelector(podSelector);
  if (elsewhere.length > 0 && !isEmptySelector(podSelector)) {
    const otherNamespaces = [...new Set(elsewhere.map((pod) => pod.namespace))];
    const scope =
      peer.namespaceSelector === undefined
        ? `without a namespaceSelector the peer only looks in the policy's namespace ${policy.namespace}`
        : `the namespaceSelector ${formatSelector(peer.namespaceSelector)} leaves those namespaces out`;
    return [
      makePolicyIssue(policy, 'selector-matches-nothing', {
        path,
        message: `podSelector ${selectorText} matches no pod in ${where}; pods with these labels run in ${formatNameList(otherNamespaces)}, but ${scope}`,
        fix: `add namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ${otherNamespaces[0] ?? ''}}} beside the podSelector (in the same list item)`,
      }),
    ];
  }
  const miss = explainSelectorMiss(podSelector, describePods(candidates), `pod in ${where}`);
  return [
    makePolicyIssue(policy, 'selector-matches-nothing', {
      path,
      message: `podSelector ${selectorText} matches no pod: ${miss.detail}${formatSuggestion(miss)}`,
      fix: formatSelectorFix(miss, 'correct the selector or the labels of the pods it is meant for'),
    }),
  ];
}

/** "If present but empty, this selector selects all namespaces." */
function checkCrossNamespace(policy: Policy, peer: SelectorPeer, direction: 'Ingress' | 'Egress'): Issue[] {
  if (peer.namespaceSelector === undefined || !isEmptySelector(peer.namespaceSelector)) return [];
  const pods = peer.podSelector === undefined || isEmptySelector(peer.podSelector) ? 'every pod' : `pods ${formatSelector(peer.podSelector)}`;
  const verb = direction === 'Ingress' ? 'admits traffic from' : 'allows traffic to';
  return [
    makePolicyIssue(policy, 'cross-namespace-exposure', {
      path: `${peer.path}.namespaceSelector`,
      message: `namespaceSelector: {} ${verb} ${pods} in every namespace, including namespaces created later`,
      fix: 'name the namespaces that need access: namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: <ns>}}',
    }),
  ];
}

export function lintSelectors(context: LintContext): Issue[] {
  const issues: Issue[] = [];
  for (const policy of context.cluster.policies) {
    if (context.hasWorkloads) issues.push(...checkPolicySubjects(context, policy));
    for (const directed of listDirectedRules(policy)) {
      for (const rule of directed.rules) {
        for (const peer of rule.peers) {
          if (peer.kind !== 'selector') continue;
          issues.push(...checkCrossNamespace(policy, peer, directed.direction));
          if (context.hasWorkloads) issues.push(...checkSelectorPeer(context, policy, peer));
        }
      }
    }
  }
  return issues;
}
