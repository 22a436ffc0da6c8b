// A policy of the model written back as a NetworkPolicy object or YAML text: for the UI's editor, the terminal and
// the objects a sandbox applies. The model keeps what the API means, so the text is normalized (defaults written
// out), not a copy of what the user wrote.
import { stringify } from 'yaml';
import type { Labels, Peer, Policy, PortMatch, Rule, Selector } from './model.ts';

// A type alias, not an interface, so it stays assignable to the open `{ [field: string]: unknown }` object types
// of Kubernetes clients.
export type NetworkPolicyObject = {
  readonly apiVersion: 'networking.k8s.io/v1';
  readonly kind: 'NetworkPolicy';
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels?: Record<string, string> };
  readonly spec: Record<string, unknown>;
};

/** Which selector of a pod peer is written first; the YAML a user reads puts the namespace first. */
export const peerSelectorOrders = { namespaceFirst: 'namespaceFirst', podFirst: 'podFirst' } as const;
export type PeerSelectorOrder = (typeof peerSelectorOrders)[keyof typeof peerSelectorOrders];

export interface RenderPolicyOptions {
  /** Labels written over the policy's own (a sandbox's ownership mark). */
  readonly extraLabels?: Labels;
  /** Default `namespaceFirst`. */
  readonly peerSelectorOrder?: PeerSelectorOrder;
}

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

function renderPeer(peer: Peer, order: PeerSelectorOrder): Record<string, unknown> {
  if (peer.kind === 'ipBlock') {
    return { ipBlock: { cidr: peer.ipBlock.cidr, ...(peer.ipBlock.except.length > 0 ? { except: [...peer.ipBlock.except] } : {}) } };
  }
  const podSelector = peer.podSelector === undefined ? {} : { podSelector: renderSelector(peer.podSelector) };
  const namespaceSelector = peer.namespaceSelector === undefined ? {} : { namespaceSelector: renderSelector(peer.namespaceSelector) };
  return order === 'podFirst' ? { ...podSelector, ...namespaceSelector } : { ...namespaceSelector, ...podSelector };
}

function renderPort(port: PortMatch): Record<string, unknown> {
  return { protocol: port.protocol, ...(port.port === undefined ? {} : { port: port.port }), ...(port.endPort === undefined ? {} : { endPort: port.endPort }) };
}

// "If this field is empty or missing, this rule matches all sources" (NetworkPolicyIngressRule.from); the same
// for `ports`: so a rule that matches every peer or port is written without the field, as users write it.
function renderRule(rule: Rule, peerField: 'from' | 'to', order: PeerSelectorOrder): Record<string, unknown> {
  return {
    ...(rule.matchesAllPeers ? {} : { [peerField]: rule.peers.map((peer) => renderPeer(peer, order)) }),
    ...(rule.matchesAllPorts ? {} : { ports: rule.ports.map(renderPort) }),
  };
}

export function renderPolicyObject(policy: Policy, options: RenderPolicyOptions = {}): NetworkPolicyObject {
  const order = options.peerSelectorOrder ?? 'namespaceFirst';
  const labels = { ...policy.labels, ...options.extraLabels };
  const hasLabels = Object.keys(labels).length > 0;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: policy.name, namespace: policy.namespace, ...(hasLabels ? { labels } : {}) },
    spec: {
      podSelector: renderSelector(policy.podSelector),
      policyTypes: [...policy.policyTypes],
      ...(policy.policyTypes.includes('Ingress') ? { ingress: policy.ingress.map((rule) => renderRule(rule, 'from', order)) } : {}),
      ...(policy.policyTypes.includes('Egress') ? { egress: policy.egress.map((rule) => renderRule(rule, 'to', order)) } : {}),
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
