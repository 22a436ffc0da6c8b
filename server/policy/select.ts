// Which pods a policy, a rule peer or a Service selects: the selection layer shared by the evaluator,
// the matrix and the nftables compiler. Build a ClusterIndex once, then ask it questions.

import { isIpInCidr, parseCidr, parseIp } from './cidr.ts';
import type { ParsedCidr, ParsedIp, IpFamily } from './cidr.ts';
import { matchesSelector } from './selector.ts';
import type {
  Cluster,
  Direction,
  ExternalEndpoint,
  IpBlock,
  Labels,
  Namespace,
  Peer,
  Pod,
  Policy,
  Protocol,
  Service,
  ServicePort,
} from './model.ts';

/** A cluster indexed for lookups. Immutable once built; memoized answers live beside it, keyed by identity. */
export interface ClusterIndex {
  readonly cluster: Cluster;
  readonly namespacesByName: ReadonlyMap<string, Namespace>;
  /** Pods of each namespace, in cluster order. */
  readonly podsByNamespace: ReadonlyMap<string, readonly Pod[]>;
  /** `ns/name` → pod. */
  readonly podsByKey: ReadonlyMap<string, Pod>;
  readonly externalsByName: ReadonlyMap<string, ExternalEndpoint>;
  /** `ns/name` → service. */
  readonly servicesByKey: ReadonlyMap<string, Service>;
  /** Policies of each namespace, in cluster order. */
  readonly policiesByNamespace: ReadonlyMap<string, readonly Policy[]>;
}

interface IndexMemo {
  readonly subjects: Map<Policy, ReadonlySet<Pod>>;
  readonly cidrs: Map<string, ParsedCidr | undefined>;
  readonly ips: Map<string, ParsedIp | undefined>;
}

// Memo per index, held weakly so an index and its answers are collected together.
const memos = new WeakMap<ClusterIndex, IndexMemo>();

function memoOf(index: ClusterIndex): IndexMemo {
  let memo = memos.get(index);
  if (memo === undefined) {
    memo = { subjects: new Map(), cidrs: new Map(), ips: new Map() };
    memos.set(index, memo);
  }
  return memo;
}

/** `ns/name`: the key of a pod (also of a service, without the `svc/` prefix). */
export function formatPodKey(pod: { readonly namespace: string; readonly name: string }): string {
  return `${pod.namespace}/${pod.name}`;
}

/** `external/name`: the key of an external endpoint. */
export function formatExternalKey(external: { readonly name: string }): string {
  return `external/${external.name}`;
}

export function indexCluster(cluster: Cluster): ClusterIndex {
  const namespacesByName = new Map<string, Namespace>();
  for (const ns of cluster.namespaces) namespacesByName.set(ns.name, ns);
  const podsByNamespace = new Map<string, Pod[]>();
  const podsByKey = new Map<string, Pod>();
  for (const pod of cluster.pods) {
    const list = podsByNamespace.get(pod.namespace);
    if (list === undefined) podsByNamespace.set(pod.namespace, [pod]);
    else list.push(pod);
    podsByKey.set(formatPodKey(pod), pod);
  }
  const externalsByName = new Map<string, ExternalEndpoint>();
  for (const external of cluster.externals) externalsByName.set(external.name, external);
  const servicesByKey = new Map<string, Service>();
  for (const service of cluster.services) servicesByKey.set(formatPodKey(service), service);
  const policiesByNamespace = new Map<string, Policy[]>();
  for (const policy of cluster.policies) {
    const list = policiesByNamespace.get(policy.namespace);
    if (list === undefined) policiesByNamespace.set(policy.namespace, [policy]);
    else list.push(policy);
  }
  return { cluster, namespacesByName, podsByNamespace, podsByKey, externalsByName, servicesByKey, policiesByNamespace };
}

/**
 * A namespace's labels. A namespace referenced by a pod but never declared still carries the label the API
 * server sets: "The Kubernetes control plane sets an immutable label kubernetes.io/metadata.name on all namespaces".
 */
export function namespaceLabels(index: ClusterIndex, namespace: string): Labels {
  return index.namespacesByName.get(namespace)?.labels ?? { 'kubernetes.io/metadata.name': namespace };
}

/**
 * The pods a policy applies to. "podSelector selects the pods to which this NetworkPolicy object applies ...
 * An empty podSelector matches all pods in this namespace." Only the policy's own namespace is searched.
 */
export function selectPolicySubjects(index: ClusterIndex, policy: Policy): Pod[] {
  return [...subjectSet(index, policy)];
}

function subjectSet(index: ClusterIndex, policy: Policy): ReadonlySet<Pod> {
  const memo = memoOf(index);
  let set = memo.subjects.get(policy);
  if (set === undefined) {
    const pods = index.podsByNamespace.get(policy.namespace) ?? [];
    set = new Set(pods.filter((pod) => matchesSelector(policy.podSelector, pod.labels)));
    memo.subjects.set(policy, set);
  }
  return set;
}

export function doesPolicySelectPod(index: ClusterIndex, policy: Policy, pod: Pod): boolean {
  return subjectSet(index, policy).has(pod);
}

/**
 * The policies that isolate a pod for a direction, in cluster order. "A pod is isolated for egress if there is
 * any NetworkPolicy that both selects the pod and has "Egress" in its policyTypes; we say that such a policy
 * applies to the pod for egress." (Likewise for ingress.) policyTypes is final after parsing (defaulted there).
 */
export function isolatingPolicies(index: ClusterIndex, pod: Pod, direction: Direction): Policy[] {
  const policies = index.policiesByNamespace.get(pod.namespace) ?? [];
  return policies.filter((policy) => policy.policyTypes.includes(direction) && doesPolicySelectPod(index, policy, pod));
}

/** Why a selector peer does or does not select a pod; the evaluator turns a failure into a Mismatch. */
export type SelectorPeerMatch =
  | { readonly isMatch: true }
  | {
      readonly isMatch: false;
      /** The pod is outside the policy's namespace and the peer has no namespaceSelector. */
      readonly isOtherNamespace: boolean;
      readonly isNamespaceRejected: boolean;
      readonly isPodRejected: boolean;
    };

/**
 * Does a selector peer select a pod? "If NamespaceSelector is also set, then the NetworkPolicyPeer as a whole
 * selects the Pods matching PodSelector in the Namespaces selected by NamespaceSelector. Otherwise it selects the
 * Pods matching PodSelector in the policy's own Namespace." and "if present but empty, it selects all pods" /
 * "all namespaces".
 */
export function matchSelectorPeer(
  index: ClusterIndex,
  policy: Policy,
  peer: Extract<Peer, { kind: 'selector' }>,
  pod: Pod,
): SelectorPeerMatch {
  let isOtherNamespace = false;
  let isNamespaceRejected = false;
  if (peer.namespaceSelector === undefined) {
    isOtherNamespace = pod.namespace !== policy.namespace;
  } else {
    isNamespaceRejected = !matchesSelector(peer.namespaceSelector, namespaceLabels(index, pod.namespace));
  }
  // An absent podSelector selects every pod of the selected namespaces.
  const isPodRejected = peer.podSelector !== undefined && !matchesSelector(peer.podSelector, pod.labels);
  if (!isOtherNamespace && !isNamespaceRejected && !isPodRejected) return { isMatch: true };
  return { isMatch: false, isOtherNamespace, isNamespaceRejected, isPodRejected };
}

/** The outcome of testing one address against an ipBlock. */
export type IpBlockMatch =
  | { readonly kind: 'match' }
  | { readonly kind: 'not-in-cidr' }
  | { readonly kind: 'excepted'; readonly except: string };

export function parseIpCached(index: ClusterIndex, text: string): ParsedIp | undefined {
  const memo = memoOf(index);
  if (memo.ips.has(text)) return memo.ips.get(text);
  const parsed = parseIp(text);
  memo.ips.set(text, parsed);
  return parsed;
}

export function parseCidrCached(index: ClusterIndex, text: string): ParsedCidr | undefined {
  const memo = memoOf(index);
  if (memo.cidrs.has(text)) return memo.cidrs.get(text);
  const parsed = parseCidr(text);
  memo.cidrs.set(text, parsed);
  return parsed;
}

/**
 * Is an address inside an ipBlock? "IPBlock describes a particular CIDR ... The except entry describes CIDRs that
 * should not be included within this rule." An address of the other family is never inside (a v4 block says
 * nothing about v6 traffic). A CIDR that does not parse (the parser reports it) contains nothing.
 */
export function matchIpBlock(index: ClusterIndex, block: IpBlock, ip: ParsedIp): IpBlockMatch {
  const cidr = parseCidrCached(index, block.cidr);
  if (cidr === undefined || !isIpInCidr(ip, cidr)) return { kind: 'not-in-cidr' };
  for (const except of block.except) {
    const parsed = parseCidrCached(index, except);
    if (parsed !== undefined && isIpInCidr(ip, parsed)) return { kind: 'excepted', except };
  }
  return { kind: 'match' };
}

/** The first address of a family among a list of addresses (a pod's `ips`). */
export function findAddressInFamily(index: ClusterIndex, ips: readonly string[], family: IpFamily): ParsedIp | undefined {
  for (const text of ips) {
    const ip = parseIpCached(index, text);
    if (ip !== undefined && ip.family === family) return ip;
  }
  return undefined;
}

/**
 * Does a peer select a pod, under the API semantics? Selector peers by labels; ipBlock peers by address: ipBlock is
 * a pure IP match, so a CIDR covering any of the pod's addresses selects it (Calico, Antrea and kube-network-policies
 * behave so; Cilium does not, which the evaluator applies through the CNI profile).
 */
export function peerMatchesPod(index: ClusterIndex, policy: Policy, peer: Peer, pod: Pod): boolean {
  if (peer.kind === 'selector') return matchSelectorPeer(index, policy, peer, pod).isMatch;
  return pod.ips.some((text) => {
    const ip = parseIpCached(index, text);
    return ip !== undefined && matchIpBlock(index, peer.ipBlock, ip).kind === 'match';
  });
}

/** Every pod a peer selects, in cluster order. Selector peers search only the namespaces they can reach. */
export function resolvePeerPods(index: ClusterIndex, policy: Policy, peer: Peer): Pod[] {
  if (peer.kind === 'selector' && peer.namespaceSelector === undefined) {
    return (index.podsByNamespace.get(policy.namespace) ?? []).filter((pod) => peerMatchesPod(index, policy, peer, pod));
  }
  return index.cluster.pods.filter((pod) => peerMatchesPod(index, policy, peer, pod));
}

/**
 * The number behind a named port on a pod: "This can either be a numerical or named port on a pod." The name is
 * looked up among the pod's container ports of the same protocol; the first container that declares it wins.
 */
export function resolveNamedPort(pod: Pod, name: string, protocol: Protocol): number | undefined {
  for (const container of pod.containers) {
    for (const port of container.ports) {
      if (port.name === name && port.protocol === protocol) return port.containerPort;
    }
  }
  return undefined;
}

/**
 * The pods behind a Service: pods of its namespace whose labels match its selector. A Service without a selector
 * (or with an empty one) has no endpoints computed by Kubernetes, so no backends here.
 */
export function serviceBackends(index: ClusterIndex, service: Service): Pod[] {
  const selector = service.selector;
  if (selector === null || Object.keys(selector).length === 0) return [];
  const pods = index.podsByNamespace.get(service.namespace) ?? [];
  return pods.filter((pod) => Object.entries(selector).every(([key, value]) => pod.labels[key] === value));
}

/**
 * Where a Service port lands on one backend: a number is used as is; a name is resolved on that backend's
 * containers (so different backends may listen on different numbers). Undefined: the backend lacks the name.
 */
export function resolveServiceTargetPort(servicePort: ServicePort, backend: Pod): number | undefined {
  if (typeof servicePort.targetPort === 'number') return servicePort.targetPort;
  return resolveNamedPort(backend, servicePort.targetPort, servicePort.protocol);
}
