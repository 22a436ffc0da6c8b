// Shared plumbing for the lint checks: the codes, the indexed cluster they read, and one way to build an Issue.
import type { ClusterIndex } from './select.ts';
import type { Cluster, Issue, Peer, Policy, Rule, Severity } from './model.ts';

/** Every lint code, with the severity it is reported at. Codes are stable: users filter and suppress by them. */
export const lintChecks = {
  'selector-matches-nothing': { severity: 'warning', summary: 'a peer podSelector matches no pod (often a label typo)' },
  'namespace-selector-matches-nothing': { severity: 'warning', summary: 'a peer namespaceSelector matches no namespace' },
  'policy-selects-nothing': { severity: 'warning', summary: 'the policy podSelector matches no pod: the policy does nothing' },
  'egress-blocks-dns': { severity: 'warning', summary: 'egress-isolated pods cannot reach the cluster DNS on UDP and TCP 53' },
  'allow-all-hidden': { severity: 'warning', summary: 'a rule with no peers and no ports allows everything in a restrictive-looking policy' },
  'cross-namespace-exposure': { severity: 'warning', summary: 'namespaceSelector: {} admits every namespace' },
  'named-port-undefined': { severity: 'warning', summary: 'no destination pod defines the named port for that protocol' },
  'named-port-inconsistent': { severity: 'info', summary: 'one port name maps to different numbers on different pods' },
  'ipblock-covers-pod-cidr': { severity: 'warning', summary: 'an ipBlock covers pod addresses: CNIs disagree on what it matches' },
  'ipblock-except-invalid': { severity: 'error', summary: 'an ipBlock except equals, escapes or overlaps' },
  'ipblock-host-bits': { severity: 'info', summary: 'an ipBlock CIDR has host bits set' },
  'duplicate-policy': { severity: 'error', summary: 'the same namespace/name twice, or two policies with identical specs' },
  'rule-shadowed': { severity: 'warning', summary: 'a rule admits nothing a broader rule of the same policy does not already admit' },
  'egress-rules-ignored': { severity: 'warning', summary: 'spec.egress is present but policyTypes leaves Egress out: the rules do nothing' },
  'ingress-rules-ignored': { severity: 'warning', summary: 'spec.ingress is present but policyTypes leaves Ingress out: the rules do nothing' },
  'missing-egress-policytype': { severity: 'warning', summary: 'the policy is about egress but policyTypes has no Egress, so egress is not isolated' },
  'default-deny': { severity: 'info', summary: 'a policy type with no rules isolates its pods for that direction' },
  'pod-unprotected': { severity: 'info', summary: 'a pod left open in a namespace where other pods are isolated' },
  'endport-cni-support': { severity: 'info', summary: 'endPort is ignored by some CNIs, shrinking the range to one port' },
  'port-range-huge': { severity: 'warning', summary: 'a port range spans more than 1000 ports' },
  'no-workloads': { severity: 'info', summary: 'the input has policies but no pods, so selector checks were skipped' },
} as const satisfies Record<string, { readonly severity: Severity; readonly summary: string }>;
export type LintCode = keyof typeof lintChecks;

export interface LintContext {
  readonly cluster: Cluster;
  readonly index: ClusterIndex;
  /** False when the input carries no (non-system) pods: selector checks would only produce noise then. */
  readonly hasWorkloads: boolean;
}

export interface FindingText {
  /** Path inside the policy (`spec.ingress[0].from[1]`); the policy's own position in a List is prefixed. */
  readonly path: string;
  readonly message: string;
  readonly fix: string;
  /** Overrides the code's usual severity (e.g. duplicate specs are a warning, duplicate names an error). */
  readonly severity?: Severity;
}

export function formatPolicyName(policy: Policy): string {
  return `${policy.namespace}/${policy.name}`;
}

/** `items[2]` + `spec.ingress[0]` → `items[2].spec.ingress[0]`. */
export function joinYamlPath(prefix: string, path: string): string {
  if (prefix === '') return path;
  if (path === '') return prefix;
  return `${prefix}.${path}`;
}

export function makePolicyIssue(policy: Policy, code: LintCode, text: FindingText): Issue {
  return {
    code,
    severity: text.severity ?? lintChecks[code].severity,
    file: policy.source.file,
    line: policy.source.line,
    path: joinYamlPath(policy.source.path, text.path),
    message: text.message,
    fix: text.fix,
    object: `NetworkPolicy ${formatPolicyName(policy)}`,
  };
}

/** The rules of one direction with the YAML key their peers live under. */
export interface DirectedRules {
  readonly direction: 'Ingress' | 'Egress';
  readonly rules: readonly Rule[];
  /** `from` for ingress, `to` for egress. */
  readonly peerKey: 'from' | 'to';
  /** `spec.ingress` / `spec.egress`. */
  readonly path: string;
}

export function listDirectedRules(policy: Policy): readonly DirectedRules[] {
  return [
    { direction: 'Ingress', rules: policy.ingress, peerKey: 'from', path: 'spec.ingress' },
    { direction: 'Egress', rules: policy.egress, peerKey: 'to', path: 'spec.egress' },
  ];
}

export type SelectorPeer = Extract<Peer, { kind: 'selector' }>;
export type IpBlockPeer = Extract<Peer, { kind: 'ipBlock' }>;

/** Up to `limit` names, then "and N more", so a finding about 40 pods stays one readable line. */
export function formatNameList(names: readonly string[], limit = 3): string {
  if (names.length <= limit) return names.join(', ');
  return `${names.slice(0, limit).join(', ')} and ${names.length - limit} more`;
}
