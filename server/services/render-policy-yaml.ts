// A policy of the model written back as the NetworkPolicy YAML a user keeps in git, for the UI's editor and the
// terminal. The model keeps what the API means, so the text is normalized (defaults written out), not a copy.
import { stringify } from 'yaml';
import type { Peer, Policy, PortMatch, Rule, Selector } from '../policy/index.ts';

function renderSelector(selector: Selector): Record<string, unknown> {
  const rendered: Record<string, unknown> = {};
  if (Object.keys(selector.matchLabels).length > 0) rendered['matchLabels'] = { ...selector.matchLabels };
  if (selector.matchExpressions.length > 0) {
    rendered['matchExpressions'] = selector.matchExpressions.map((requirement) =>
      requirement.operator === 'Exists' || requirement.operator === 'DoesNotExist'
        ? { key: requirement.key, operator: requirement.operator }
        : { key: requirement.key, operator: requirement.operator, values: [...requirement.values] },
    );
  }
  return rendered;
}

function renderPeer(peer: Peer): Record<string, unknown> {
  if (peer.kind === 'ipBlock') {
    return { ipBlock: { cidr: peer.ipBlock.cidr, ...(peer.ipBlock.except.length > 0 ? { except: [...peer.ipBlock.except] } : {}) } };
  }
  return {
    ...(peer.namespaceSelector === undefined ? {} : { namespaceSelector: renderSelector(peer.namespaceSelector) }),
    ...(peer.podSelector === undefined ? {} : { podSelector: renderSelector(peer.podSelector) }),
  };
}

function renderPort(port: PortMatch): Record<string, unknown> {
  return { protocol: port.protocol, ...(port.port === undefined ? {} : { port: port.port }), ...(port.endPort === undefined ? {} : { endPort: port.endPort }) };
}

// "If this field is empty or missing, this rule matches all sources" (NetworkPolicyIngressRule.from): a rule that
// matches every peer or port is written without the field, as people write it.
function renderRule(rule: Rule, peerField: 'from' | 'to'): Record<string, unknown> {
  return {
    ...(rule.matchesAllPeers ? {} : { [peerField]: rule.peers.map(renderPeer) }),
    ...(rule.matchesAllPorts ? {} : { ports: rule.ports.map(renderPort) }),
  };
}

export function renderPolicyObject(policy: Policy): Record<string, unknown> {
  const hasLabels = Object.keys(policy.labels).length > 0;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: policy.name, namespace: policy.namespace, ...(hasLabels ? { labels: { ...policy.labels } } : {}) },
    spec: {
      podSelector: renderSelector(policy.podSelector),
      policyTypes: [...policy.policyTypes],
      ...(policy.policyTypes.includes('Ingress') ? { ingress: policy.ingress.map((rule) => renderRule(rule, 'from')) } : {}),
      ...(policy.policyTypes.includes('Egress') ? { egress: policy.egress.map((rule) => renderRule(rule, 'to')) } : {}),
    },
  };
}

export function renderPolicyYaml(policy: Policy): string {
  return stringify(renderPolicyObject(policy), { lineWidth: 0 });
}

/** Several policies as one multi-document file. */
export function renderPoliciesYaml(policies: readonly Policy[]): string {
  return policies.map(renderPolicyYaml).join('---\n');
}
