// Cluster + CNI profile → RulesetIr. Policy semantics come from the engine's selection helpers (which pods a
// policy isolates, which pods a peer selects, what a named port means on a pod); this file only decides how
// those answers become address sets, port matches and per-pod chains.

import { parseCidr } from '../../../policy/cidr.ts';
import type { CniProfile, CniProfileDifference } from '../../../policy/cni-profiles.ts';
import { canIpBlockSelectPods, isPolicyIgnoredByProfile } from '../../../policy/cni-profiles.ts';
import type { Cluster, Direction, Peer, Pod, Policy, PolicyRef, PortMatch, Protocol, Rule } from '../../../policy/model.ts';
import type { ClusterIndex } from '../../../policy/select.ts';
import { formatSelector } from '../../../policy/selector.ts';
import {
  formatExternalKey,
  formatPodKey,
  indexCluster,
  isolatingPolicies,
  matchIpBlock,
  parseIpCached,
  resolveNamedPort,
  resolvePeerPods,
  resolveServiceTargetPort,
  serviceBackends,
} from '../../../policy/select.ts';
import { SandboxError, SandboxErrorCodes } from '../../contract.ts';
import { AddressSetRegistry, normalizeAddresses } from './address-set-registry.ts';
import { assertIdentifier, assertIfname, canonicalizeAddress, maxNameBytes, tryCanonicalizeAddress } from './nft-text.ts';
import type {
  IrAddressMatch,
  IrEndpoint,
  IrFamily,
  IrL4Match,
  IrPodChain,
  IrPolicyRule,
  IrProfileNote,
  IrProtocol,
  IrServicePort,
  RulesetIr,
} from './ruleset-ir.ts';
import { IrRejects } from './ruleset-ir.ts';

export interface RouterInterfaces {
  /** `ns/name` → the router-side interface of that pod's veth. */
  readonly pods: ReadonlyMap<string, string>;
  /** The router-side interface towards the outside namespace holding external endpoints. */
  readonly external?: string;
}

export interface BuildIrInput {
  readonly cluster: Cluster;
  readonly profile: CniProfile;
  readonly interfaces: RouterInterfaces;
  readonly tableName: string;
  readonly gatewayIp: string;
  readonly gatewayIp6?: string;
}

const families: readonly IrFamily[] = ['ip', 'ip6'];

/** The family of a single address; undefined for anything that is not one (never put in the ruleset). */
function familyOfAddress(text: string): IrFamily | undefined {
  const canonical = tryCanonicalizeAddress(text);
  if (canonical === undefined || canonical.includes('/')) return undefined;
  return canonical.includes(':') ? 'ip6' : 'ip';
}

function toIrProtocol(protocol: Protocol): IrProtocol {
  return protocol === 'TCP' ? 'tcp' : protocol === 'UDP' ? 'udp' : 'sctp';
}

function policyRef(policy: Policy): PolicyRef {
  return { namespace: policy.namespace, name: policy.name };
}

function formatPolicyRefs(refs: readonly PolicyRef[]): string {
  return refs.map((r) => `${r.namespace}/${r.name}`).join(', ');
}

// Pod keys are DNS names (`[a-z0-9.-]`), so `egress/ns/pod` is a readable, unique nft identifier; anything
// else (or too long) falls back to the interface name, which is unique too and cannot collide (no `/`).
const readablePodKey = /^[a-z0-9.-]+\/[a-z0-9.-]+$/;

function chainNameFor(direction: Direction, podKey: string, ifname: string): string {
  const prefix = direction === 'Egress' ? 'egress' : 'ingress';
  const readable = `${prefix}/${podKey}`;
  if (readablePodKey.test(podKey) && readable.length <= maxNameBytes) return readable;
  return `${prefix}_${ifname}`;
}

/** Addresses of a list of pods grouped by family, in pod order. */
function addressesByFamily(pods: readonly Pod[]): Map<IrFamily, string[]> {
  const out = new Map<IrFamily, string[]>();
  for (const pod of pods) {
    for (const ip of pod.ips) {
      const family = familyOfAddress(ip);
      if (family === undefined) continue;
      const list = out.get(family) ?? [];
      list.push(ip);
      out.set(family, list);
    }
  }
  return out;
}

/**
 * Answers per (policy, key). Keyed by the policy too because a peer's meaning depends on the policy's namespace,
 * and callers may share one peer object between policies.
 */
class Memo<K extends object, V> {
  readonly #byPolicy = new Map<Policy, Map<K, V>>();

  obtain(policy: Policy, key: K, compute: () => V): V {
    let inner = this.#byPolicy.get(policy);
    if (inner === undefined) {
      inner = new Map();
      this.#byPolicy.set(policy, inner);
    }
    let value = inner.get(key);
    if (value === undefined) {
      value = compute();
      inner.set(key, value);
    }
    return value;
  }
}

interface BuildContext {
  readonly index: ClusterIndex;
  readonly profile: CniProfile;
  readonly sets: AddressSetRegistry;
  /** cilium: per family, the set of every pod address, which an ipBlock must never match. */
  readonly podAddressSets: Map<IrFamily, string | undefined>;
  readonly usedDifferences: Set<string>;
  /** A peer's address matches, computed once per policy however many pods it selects. */
  readonly peerMatches: Memo<Peer, IrAddressMatch[]>;
  /** Egress named-port pairs per policy, (peer or, for "all peers", its rule) and port entry. */
  readonly egressPairs: Memo<Peer | Rule, Map<PortMatch, PortPlan>>;
}

function podAddressSetName(context: BuildContext, family: IrFamily): string | undefined {
  if (context.podAddressSets.has(family)) return context.podAddressSets.get(family);
  const addresses = addressesByFamily(context.index.cluster.pods).get(family) ?? [];
  const name =
    addresses.length === 0
      ? undefined
      : context.sets.obtain(family, addresses, 'every pod address: ipBlock never selects pods under this profile').name;
  context.podAddressSets.set(family, name);
  return name;
}

/** `ns/policy spec.ingress[0].from[1] ports[0]`: the engine's RuleMatch coordinates as YAML paths. */
function describeRule(
  policy: Policy,
  rule: Rule,
  peer: { readonly peer: Peer | null; readonly index: number | null },
  portIndex: number | null,
  direction: Direction,
): string {
  const rulePath = rule.path || `spec.${direction.toLowerCase()}[${rule.index}]`;
  const peerPath =
    peer.peer === null || peer.index === null ? rulePath : peer.peer.path || `${rulePath}.${direction === 'Ingress' ? 'from' : 'to'}[${peer.index}]`;
  return `${policy.namespace}/${policy.name} ${peerPath}${portIndex === null ? '' : ` ports[${portIndex}]`}`;
}

/** Address matches for one peer, one per family that can match; empty when the peer selects nothing. */
function compilePeer(context: BuildContext, policy: Policy, peer: Peer | null, origin: string): IrAddressMatch[] {
  if (peer === null) return [{ kind: 'any' }];
  return context.peerMatches.obtain(policy, peer, () => compilePeerOnce(context, policy, peer, origin));
}

function compilePeerOnce(context: BuildContext, policy: Policy, peer: Peer, origin: string): IrAddressMatch[] {
  if (peer.kind === 'selector') {
    const pods = peer.podSelector === undefined ? 'all pods' : `pods ${formatSelector(peer.podSelector)}`;
    const namespaces = peer.namespaceSelector === undefined ? `namespace ${policy.namespace}` : `namespaces ${formatSelector(peer.namespaceSelector)}`;
    const comment = `${pods} in ${namespaces} (${origin})`;
    const byFamily = addressesByFamily(resolvePeerPods(context.index, policy, peer));
    const matches: IrAddressMatch[] = [];
    for (const family of families) {
      const addresses = byFamily.get(family);
      if (addresses === undefined) continue;
      const set = context.sets.obtain(family, addresses, comment);
      matches.push({ kind: 'set', family, set: set.name });
    }
    return matches;
  }
  const cidr = parseCidr(peer.ipBlock.cidr);
  // A CIDR that does not parse was reported by the parser and selects nothing (as in the engine).
  if (cidr === undefined) return [];
  const family: IrFamily = cidr.family === 'IPv4' ? 'ip' : 'ip6';
  const except = normalizeAddresses(family, peer.ipBlock.except.filter((e) => parseCidr(e) !== undefined));
  let excludeSet: string | undefined;
  if (!canIpBlockSelectPods(context.profile, peer)) {
    // Cilium: "CIDR rules do not apply when both ends are Cilium-managed" - the block still matches addresses
    // outside the cluster, never a pod's.
    excludeSet = podAddressSetName(context, family);
    context.usedDifferences.add('ipblock-ignores-pod-ips');
  }
  return [
    {
      kind: 'cidr',
      family,
      cidr: canonicalizeAddress(peer.ipBlock.cidr, 'ipBlock cidr'),
      except,
      ...(excludeSet === undefined ? {} : { excludeSet }),
    },
  ];
}

/** The pods an egress peer can send a named port to, and which of their addresses the peer admits. */
function namedPortDestinations(context: BuildContext, policy: Policy, peer: Peer | null): { pod: Pod; addresses: string[] }[] {
  const index = context.index;
  if (peer === null) return index.cluster.pods.map((pod) => ({ pod, addresses: [...pod.ips] }));
  if (peer.kind === 'selector') return resolvePeerPods(index, policy, peer).map((pod) => ({ pod, addresses: [...pod.ips] }));
  if (!canIpBlockSelectPods(context.profile, peer)) {
    context.usedDifferences.add('ipblock-ignores-pod-ips');
    return [];
  }
  // An ipBlock is matched per address, in the packet's family.
  const out: { pod: Pod; addresses: string[] }[] = [];
  for (const pod of index.cluster.pods) {
    const addresses = pod.ips.filter((text) => {
      const ip = parseIpCached(index, text);
      return ip !== undefined && matchIpBlock(index, peer.ipBlock, ip).kind === 'match';
    });
    if (addresses.length > 0) out.push({ pod, addresses });
  }
  return out;
}

interface PortPlan {
  /** Layer-4 match with no dependence on the destination. */
  readonly l4?: IrL4Match;
  /** Egress named port: per-destination (address, port) pairs replace the address match. */
  readonly pairs?: ReadonlyMap<IrFamily, { address: string; port: number }[]>;
  /** The port cannot match anything (a named port the subject lacks). */
  readonly isEmpty?: boolean;
}

type PlanInput = { policy: Policy; rule: Rule; peer: Peer | null; port: PortMatch | null; direction: Direction; subject: Pod };

function planPort(context: BuildContext, input: PlanInput): PortPlan {
  const { port, direction } = input;
  if (port === null) return { l4: { kind: 'any' } };
  const protocol = toIrProtocol(port.protocol);
  // "If this field is not provided, this matches all port names and numbers."
  if (port.port === undefined) return { l4: { kind: 'protocol', protocol } };
  if (typeof port.port === 'number') {
    let toPort = port.port;
    if (port.endPort !== undefined) {
      if (context.profile.endPort === 'ignored-uses-port-only') {
        // "If your network plugin does not support the endPort field ... the policy will be applied only for the single port field."
        context.usedDifferences.add('endport-ignored');
      } else {
        // "the range of ports from port to endPort, inclusive": an inverted range holds no port (validation rejects it).
        if (port.endPort < port.port) return { isEmpty: true };
        toPort = port.endPort;
      }
    }
    return { l4: { kind: 'ports', protocol, fromPort: port.port, toPort } };
  }
  const name = port.port;
  if (context.profile.namedPorts === 'opens-all-ports-of-protocol') {
    // OVN-Kubernetes turns a string port into port 0, which its ACLs read as every port of the protocol.
    context.usedDifferences.add('named-port-opens-all-ports');
    return { l4: { kind: 'protocol', protocol } };
  }
  if (direction === 'Ingress') {
    // "This can either be a numerical or named port on a pod": for ingress, the pod is the subject itself.
    const resolved = resolveNamedPort(input.subject, name, port.protocol);
    return resolved === undefined ? { isEmpty: true } : { l4: { kind: 'ports', protocol, fromPort: resolved, toPort: resolved } };
  }
  // Egress: the name is looked up on each destination pod, which may map it to different numbers.
  const byPort = context.egressPairs.obtain(input.policy, input.peer ?? input.rule, () => new Map<PortMatch, PortPlan>());
  const known = byPort.get(port);
  if (known !== undefined) return known;
  const plan = planEgressNamedPort(context, input, name, port.protocol);
  byPort.set(port, plan);
  return plan;
}

function planEgressNamedPort(context: BuildContext, input: PlanInput, name: string, protocol: Protocol): PortPlan {
  const pairs = new Map<IrFamily, { address: string; port: number }[]>();
  for (const { pod, addresses } of namedPortDestinations(context, input.policy, input.peer)) {
    const resolved = resolveNamedPort(pod, name, protocol);
    if (resolved === undefined) continue;
    for (const address of addresses) {
      const family = familyOfAddress(address);
      if (family === undefined) continue;
      const list = pairs.get(family) ?? [];
      list.push({ address: canonicalizeAddress(address, `address of ${formatPodKey(pod)}`), port: resolved });
      pairs.set(family, list);
    }
  }
  return pairs.size === 0 ? { isEmpty: true } : { pairs };
}

/** Citations for the profile differences that shaped this (peer, port) combination. */
function ruleCitations(context: BuildContext, input: { peer: Peer | null; port: PortMatch | null }): string[] {
  const { profile } = context;
  const out: string[] = [];
  if (input.peer !== null && !canIpBlockSelectPods(profile, input.peer)) out.push(citeDifference(profile, 'ipblock-ignores-pod-ips'));
  const port = input.port;
  if (port !== null && typeof port.port === 'number' && port.endPort !== undefined && profile.endPort === 'ignored-uses-port-only') {
    out.push(citeDifference(profile, 'endport-ignored'));
  }
  if (port !== null && typeof port.port === 'string' && profile.namedPorts === 'opens-all-ports-of-protocol') {
    out.push(citeDifference(profile, 'named-port-opens-all-ports'));
  }
  return out;
}

function compileCombination(
  context: BuildContext,
  input: { policy: Policy; rule: Rule; peer: Peer | null; peerIndex: number | null; port: PortMatch | null; portIndex: number | null; direction: Direction; subject: Pod },
): IrPolicyRule[] {
  const peer = { peer: input.peer, index: input.peerIndex };
  const comment = [describeRule(input.policy, input.rule, peer, input.portIndex, input.direction), ...ruleCitations(context, input)].join('; ');
  const origin = {
    policy: policyRef(input.policy),
    direction: input.direction,
    ruleIndex: input.rule.index,
    peerIndex: input.peerIndex,
    portIndex: input.portIndex,
  };
  const verdict = input.direction === 'Egress' ? 'return' : 'accept';
  const plan = planPort(context, input);
  if (plan.isEmpty) return [];
  if (plan.pairs) {
    const rules: IrPolicyRule[] = [];
    for (const family of families) {
      const pairs = plan.pairs.get(family);
      if (pairs === undefined || pairs.length === 0 || input.port === null) continue;
      rules.push({
        address: { kind: 'any' },
        l4: { kind: 'address-ports', family, protocol: toIrProtocol(input.port.protocol), pairs },
        verdict,
        comment,
        origin,
      });
    }
    return rules;
  }
  const l4 = plan.l4 ?? { kind: 'any' };
  const peerOrigin = describeRule(input.policy, input.rule, peer, null, input.direction);
  return compilePeer(context, input.policy, input.peer, peerOrigin).map((address) => ({ address, l4, verdict, comment, origin }));
}

function buildPodChain(context: BuildContext, pod: Pod, ifname: string, direction: Direction, policies: readonly Policy[]): IrPodChain {
  const podKey = formatPodKey(pod);
  const rules: IrPolicyRule[] = [];
  for (const policy of policies) {
    // "The effects of those egress lists combine additively": every rule of every isolating policy may admit.
    for (const rule of direction === 'Ingress' ? policy.ingress : policy.egress) {
      const peers: [Peer | null, number | null][] = rule.matchesAllPeers ? [[null, null]] : rule.peers.map((p, i) => [p, i]);
      const ports: [PortMatch | null, number | null][] = rule.matchesAllPorts ? [[null, null]] : rule.ports.map((p, i) => [p, i]);
      for (const [peer, peerIndex] of peers) {
        for (const [port, portIndex] of ports) {
          rules.push(...compileCombination(context, { policy, rule, peer, peerIndex, port, portIndex, direction, subject: pod }));
        }
      }
    }
  }
  const refs = policies.map(policyRef);
  return {
    name: chainNameFor(direction, podKey, ifname),
    direction,
    subject: podKey,
    ifname,
    policies: refs,
    rules,
    reject: direction === 'Egress' ? IrRejects.egress : IrRejects.ingress,
    rejectComment: `deny ${direction.toLowerCase()} of ${podKey}: no rule of ${formatPolicyRefs(refs)}`,
  };
}

function buildServices(index: ClusterIndex): IrServicePort[] {
  const out: IrServicePort[] = [];
  for (const service of index.cluster.services) {
    const clusterIp = service.clusterIP;
    // Headless services ("None") have no virtual IP to translate.
    const family = clusterIp === 'None' || clusterIp === '' ? undefined : familyOfAddress(clusterIp);
    if (family === undefined || clusterIp.includes('/')) continue;
    const serviceKey = formatPodKey(service);
    const backendPods = serviceBackends(index, service);
    for (const servicePort of service.ports) {
      const backends: { pod: string; address: string; port: number }[] = [];
      for (const pod of backendPods) {
        const targetPort = resolveServiceTargetPort(servicePort, pod);
        const address = pod.ips.find((ip) => familyOfAddress(ip) === family);
        // A backend that lacks the named targetPort (or an address in the family) is not an endpoint of this port.
        if (targetPort === undefined || address === undefined) continue;
        backends.push({ pod: formatPodKey(pod), address: canonicalizeAddress(address, `address of ${formatPodKey(pod)}`), port: targetPort });
      }
      const label = `svc ${serviceKey} ${servicePort.name === undefined ? '' : `${servicePort.name} `}${servicePort.port}/${servicePort.protocol}`;
      out.push({
        service: serviceKey,
        ...(servicePort.name === undefined ? {} : { portName: servicePort.name }),
        family,
        clusterIp: canonicalizeAddress(clusterIp, `ClusterIP of ${serviceKey}`),
        protocol: toIrProtocol(servicePort.protocol),
        port: servicePort.port,
        backends,
        comment: backends.length === 0 ? `${label}: no ready endpoints, refused` : `${label} -> ${backends.length} endpoint(s)`,
      });
    }
  }
  return out;
}

function collectNotes(profile: CniProfile, used: ReadonlySet<string>): IrProfileNote[] {
  const notes: IrProfileNote[] = [];
  const seen = new Set<string>();
  for (const difference of profile.differences) {
    if (!used.has(difference.id) || seen.has(difference.id)) continue;
    seen.add(difference.id);
    notes.push(noteOf(difference));
  }
  return notes;
}

function noteOf(difference: CniProfileDifference): IrProfileNote {
  return { difference: difference.id, text: difference.summary, source: difference.source };
}

function checkInterfaces(cluster: Cluster, interfaces: RouterInterfaces): void {
  const owners = new Map<string, string>();
  for (const pod of cluster.pods) {
    const key = formatPodKey(pod);
    const ifname = interfaces.pods.get(key);
    if (ifname === undefined) {
      throw new SandboxError(
        SandboxErrorCodes.applyFailed,
        `pod ${key} has no router interface, so its policies could not be enforced; create the pod's veth before compiling the ruleset`,
      );
    }
    assertIfname(ifname, `router interface of pod ${key}`);
    const owner = owners.get(ifname);
    if (owner !== undefined) {
      throw new SandboxError(SandboxErrorCodes.applyFailed, `pods ${owner} and ${key} share router interface ${ifname}; give each pod its own veth`);
    }
    owners.set(ifname, key);
  }
  if (interfaces.external !== undefined) {
    assertIfname(interfaces.external, 'external interface');
    const owner = owners.get(interfaces.external);
    if (owner !== undefined) throw new SandboxError(SandboxErrorCodes.applyFailed, `external interface ${interfaces.external} is also pod ${owner}'s`);
  }
}

/** `cilium ipblock-ignores-pod-ips [CIL2][CIL1]`: short enough for a rule comment; the header notes carry the URLs. */
function citeDifference(profile: CniProfile, id: string): string {
  const difference = profile.differences.find((d) => d.id === id);
  const sourceIds = difference === undefined ? '' : (difference.source.match(/\[[A-Z0-9]+\]/g) ?? []).join('');
  return `${profile.name} ${id}${sourceIds === '' ? '' : ` ${sourceIds}`}`;
}

/** Differences whose id the compiler acts on beyond the evaluator's own (conntrack, ICMP, hairpin). */
function findDifferenceId(profile: CniProfile, candidates: readonly string[]): string | undefined {
  return profile.differences.find((d) => candidates.includes(d.id))?.id;
}

export function buildRulesetIr(input: BuildIrInput): RulesetIr {
  const { cluster, profile, interfaces } = input;
  assertIdentifier(input.tableName, 'table name');
  checkInterfaces(cluster, interfaces);
  const index = indexCluster(cluster);
  const context: BuildContext = {
    index,
    profile,
    sets: new AddressSetRegistry('peers'),
    podAddressSets: new Map(),
    usedDifferences: new Set(),
    peerMatches: new Memo(),
    egressPairs: new Memo(),
  };

  const chains: IrPodChain[] = [];
  const ignoredPolicies: { policy: PolicyRef; citation: string }[] = [];
  const egress: { ifname: string; chain: string }[] = [];
  const ingress: { ifname: string; chain: string }[] = [];
  if (profile.enforcesPolicy) {
    for (const policy of cluster.policies) {
      if (isPolicyIgnoredByProfile(profile, policy)) ignoredPolicies.push({ policy: policyRef(policy), citation: citeDifference(profile, 'named-port-policy-ignored') });
    }
    for (const pod of cluster.pods) {
      const ifname = interfaces.pods.get(formatPodKey(pod)) ?? '';
      for (const direction of ['Egress', 'Ingress'] as const) {
        const all = isolatingPolicies(index, pod, direction);
        const policies = all.filter((p) => !isPolicyIgnoredByProfile(profile, p));
        if (policies.length < all.length) context.usedDifferences.add('named-port-policy-ignored');
        // "By default, a pod is non-isolated ...": no chain, the packet falls through to accept.
        if (policies.length === 0) continue;
        const chain = buildPodChain(context, pod, ifname, direction, policies);
        chains.push(chain);
        (direction === 'Egress' ? egress : ingress).push({ ifname, chain: chain.name });
      }
    }
  } else {
    context.usedDifferences.add('no-enforcement');
  }

  const conntrack = profile.establishedSurvivesNewDeny ? 'established-survives' : 'per-packet';
  const conntrackDifference = findDifferenceId(profile, conntrack === 'per-packet' ? ['established-cut', 'established-cut-after-sweep'] : ['established-survive']);
  if (profile.enforcesPolicy && conntrackDifference !== undefined) context.usedDifferences.add(conntrackDifference);
  const icmpDifference = findDifferenceId(profile, ['icmp-always-allowed', 'icmp-frag-needed', 'icmpv6-nd-allowed']);
  if (profile.enforcesPolicy && profile.icmpAlwaysAllowed.length > 0 && icmpDifference !== undefined) context.usedDifferences.add(icmpDifference);
  const isHairpinAlwaysAllowed = profile.enforcesPolicy && profile.hairpin === 'always-allowed';
  if (isHairpinAlwaysAllowed) context.usedDifferences.add('hairpin-allowed');

  const services = buildServices(index);
  const hairpin = families.map((family) => ({
    family,
    addresses: [...new Set(services.filter((s) => s.family === family).flatMap((s) => s.backends.map((b) => b.address)))],
  }));

  const endpoints: IrEndpoint[] = cluster.pods.map((pod) => ({
    key: formatPodKey(pod),
    ifname: interfaces.pods.get(formatPodKey(pod)) ?? '',
    addresses: pod.ips.map((ip) => canonicalizeAddress(ip, `address of ${formatPodKey(pod)}`)),
  }));
  if (interfaces.external !== undefined) {
    for (const external of cluster.externals) {
      endpoints.push({
        key: formatExternalKey(external),
        ifname: interfaces.external,
        addresses: [canonicalizeAddress(external.ip, `address of ${formatExternalKey(external)}`)],
      });
    }
  }

  return {
    table: input.tableName,
    profile: profile.name,
    gatewayIp: canonicalizeAddress(input.gatewayIp, 'gateway address'),
    ...(input.gatewayIp6 === undefined ? {} : { gatewayIp6: canonicalizeAddress(input.gatewayIp6, 'IPv6 gateway address') }),
    notes: collectNotes(profile, context.usedDifferences),
    sets: context.sets.list(),
    services,
    hairpin,
    forward: {
      isEnforcing: profile.enforcesPolicy,
      conntrack,
      icmpAlwaysAllowed: profile.enforcesPolicy ? profile.icmpAlwaysAllowed : [],
      isHairpinAlwaysAllowed,
      egress,
      ingress,
      citations: {
        ...(conntrackDifference === undefined ? {} : { conntrack: citeDifference(profile, conntrackDifference) }),
        ...(icmpDifference === undefined ? {} : { icmp: citeDifference(profile, icmpDifference) }),
        ...(isHairpinAlwaysAllowed ? { hairpin: citeDifference(profile, 'hairpin-allowed') } : {}),
        ...(profile.enforcesPolicy ? {} : { enforcement: citeDifference(profile, 'no-enforcement') }),
      },
    },
    chains,
    endpoints,
    ignoredPolicies,
  };
}
