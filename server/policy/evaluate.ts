// The evaluator: a flow in, a verdict out. Each direction carries the policies that isolate the pod, every rule
// that admits the flow, and for denials the closest rule of each isolating policy with the precise mismatch.
// A CNI profile changes evaluation only where the research documents a difference; when that changes a
// direction's outcome, the verdict says so with a cited ProfileNote.

import type { IpFamily, ParsedIp } from './cidr.ts';
import { describeFlowProblem } from './explain.ts';
import type { CniProfile, DifferenceId } from './cni-profiles.ts';
import {
  findProfileDifference,
  getCniProfile,
  isPolicyIgnoredByProfile,
  listCniProfileNames,
  referenceProfile,
  referenceProfileName,
} from './cni-profiles.ts';
import type {
  Cluster,
  Direction,
  DirectionVerdict,
  EndpointKey,
  EndpointRef,
  Flow,
  FlowError,
  FlowResult,
  Mismatch,
  NearMiss,
  Peer,
  Pod,
  Policy,
  PolicyRef,
  PortMatch,
  ProfileNote,
  Protocol,
  Rule,
  RuleMatch,
  Verdict,
} from './model.ts';
import { DirectionOutcomes } from './model.ts';
import type { ClusterIndex } from './select.ts';
import {
  formatExternalKey,
  formatPodKey,
  indexCluster,
  isolatingPolicies,
  matchIpBlock,
  matchSelectorPeer,
  namespaceLabels,
  parseIpCached,
  resolveNamedPort,
} from './select.ts';

export interface EvaluateOptions {
  /** A name from `cniProfiles`; default `reference` (the API semantics). */
  readonly profile?: string;
}

/** One end of a flow, resolved against the cluster. */
export interface FlowEndpoint {
  readonly key: EndpointKey;
  readonly ref: EndpointRef;
  /** Undefined for endpoints outside the cluster. */
  readonly pod: Pod | undefined;
  readonly ips: readonly string[];
}

/** A flow whose endpoints, addresses and port number are known. */
export interface ResolvedFlow {
  readonly from: FlowEndpoint;
  readonly to: FlowEndpoint;
  readonly family: IpFamily;
  readonly fromIp: ParsedIp;
  readonly fromIpText: string;
  readonly toIp: ParsedIp;
  readonly toIpText: string;
  readonly port: number;
  /** Set when the flow asked for a named port. */
  readonly portName: string | undefined;
  readonly protocol: Protocol;
}

export type ResolvedFlowResult = { readonly ok: true; readonly flow: ResolvedFlow } | { readonly ok: false; readonly error: FlowError };

/** What one direction is judged on: the pod whose policies decide, and the other end as its rules see it. */
export interface DirectionInput {
  readonly direction: Direction;
  /** The source for egress, the destination for ingress. */
  readonly subject: FlowEndpoint;
  /** The other end: the destination for egress, the source for ingress. */
  readonly peer: FlowEndpoint;
  /** The peer's address in the flow's family. */
  readonly peerIp: ParsedIp;
  readonly peerIpText: string;
  /** Named ports resolve on the destination's containers, for egress rules too. */
  readonly destination: FlowEndpoint;
  readonly port: number;
  readonly protocol: Protocol;
}

export interface DirectionEvaluation {
  readonly verdict: DirectionVerdict;
  /** Non-empty only when the profile changed this direction's outcome compared with the reference. */
  readonly profileNotes: readonly ProfileNote[];
}

export interface DirectionOptions {
  /** Default true. False leaves nearMisses empty (the matrix needs only outcomes and rule matches). */
  readonly withNearMisses?: boolean;
}

export interface BindFlowRequest {
  readonly from: FlowEndpoint;
  readonly to: FlowEndpoint;
  readonly port: number | string;
  readonly protocol: Protocol;
  readonly ipFamily?: IpFamily;
}

export interface Evaluator {
  readonly index: ClusterIndex;
  readonly profileName: string;
  /** Undefined when the profile name is unknown: every evaluation then returns an `unknown-profile` error. */
  readonly profile: CniProfile | undefined;
  evaluate(flow: Flow): FlowResult;
  resolveEndpoint(ref: EndpointRef): FlowEndpoint | undefined;
  endpointOfPod(pod: Pod): FlowEndpoint;
  bindFlow(request: BindFlowRequest): ResolvedFlowResult;
  evaluateResolved(flow: ResolvedFlow): Verdict;
  evaluateDirection(input: DirectionInput, options?: DirectionOptions): DirectionEvaluation;
  /** Isolating policies after the profile (Weave ignores policies with named ports). */
  effectivePolicies(pod: Pod, direction: Direction): readonly Policy[];
}

export function createEvaluator(cluster: Cluster, options: EvaluateOptions = {}): Evaluator {
  return createEvaluatorForIndex(indexCluster(cluster), options);
}

/** Evaluate one flow. Builds an index each call: for many flows, create an evaluator once. */
export function evaluateFlow(cluster: Cluster, flow: Flow, options: EvaluateOptions = {}): FlowResult {
  return createEvaluator(cluster, options).evaluate(flow);
}

export function createEvaluatorForIndex(index: ClusterIndex, options: EvaluateOptions = {}): Evaluator {
  const profileName = options.profile ?? referenceProfileName;
  const profile = getCniProfile(profileName);
  const endpoints = new Map<Pod, FlowEndpoint>();
  const isolating = new Map<Pod, { Ingress: readonly Policy[]; Egress: readonly Policy[] }>();

  const endpointOfPod = (pod: Pod): FlowEndpoint => {
    let endpoint = endpoints.get(pod);
    if (endpoint === undefined) {
      endpoint = { key: formatPodKey(pod), ref: { kind: 'pod', namespace: pod.namespace, name: pod.name }, pod, ips: pod.ips };
      endpoints.set(pod, endpoint);
    }
    return endpoint;
  };

  const apiIsolating = (pod: Pod, direction: Direction): readonly Policy[] => {
    let entry = isolating.get(pod);
    if (entry === undefined) {
      entry = { Ingress: isolatingPolicies(index, pod, 'Ingress'), Egress: isolatingPolicies(index, pod, 'Egress') };
      isolating.set(pod, entry);
    }
    return entry[direction];
  };

  const context: EvalContext = { index, apiIsolating };

  const resolveEndpoint = (ref: EndpointRef): FlowEndpoint | undefined => {
    if (ref.kind === 'pod') {
      const pod = index.podsByKey.get(`${ref.namespace}/${ref.name}`);
      return pod === undefined ? undefined : endpointOfPod(pod);
    }
    const external = index.externalsByName.get(ref.name);
    if (external === undefined) return undefined;
    return { key: formatExternalKey(external), ref: { kind: 'external', name: external.name }, pod: undefined, ips: [external.ip] };
  };

  const evaluateDirection = (input: DirectionInput, directionOptions: DirectionOptions = {}): DirectionEvaluation => {
    const withNearMisses = directionOptions.withNearMisses ?? true;
    // An unknown profile never gets here through evaluate() (it returns unknown-profile first); direct callers get the reference.
    if (profile === undefined) {
      return { verdict: evaluateDirectionWith(context, referenceProfile, input, { effects: new Set(), withNearMisses }), profileNotes: [] };
    }
    const effects = new Set<DifferenceId>();
    const verdict = evaluateDirectionWith(context, profile, input, { effects, withNearMisses });
    // Effects are recorded only where the profile changed a rule part that mattered, so without one the reference agrees.
    if (effects.size === 0) return { verdict, profileNotes: [] };
    const asReference = evaluateDirectionWith(context, referenceProfile, input, { effects: new Set(), withNearMisses: false });
    if (asReference.isAllowed === verdict.isAllowed) return { verdict, profileNotes: [] };
    const profileNotes: ProfileNote[] = [];
    for (const id of effects) {
      const difference = findProfileDifference(profile, id);
      if (difference !== undefined) {
        profileNotes.push({ profile: profile.name, difference: id, note: difference.summary, source: difference.source });
      }
    }
    return { verdict, profileNotes };
  };

  const evaluateResolved = (flow: ResolvedFlow): Verdict => {
    const egress = evaluateDirection({
      direction: 'Egress',
      subject: flow.from,
      peer: flow.to,
      peerIp: flow.toIp,
      peerIpText: flow.toIpText,
      destination: flow.to,
      port: flow.port,
      protocol: flow.protocol,
    });
    const ingress = evaluateDirection({
      direction: 'Ingress',
      subject: flow.to,
      peer: flow.from,
      peerIp: flow.fromIp,
      peerIpText: flow.fromIpText,
      destination: flow.to,
      port: flow.port,
      protocol: flow.protocol,
    });
    const profileNotes: ProfileNote[] = [];
    for (const note of [...egress.profileNotes, ...ingress.profileNotes]) {
      if (!profileNotes.some((n) => n.difference === note.difference)) profileNotes.push(note);
    }
    return {
      from: { key: flow.from.key, ref: flow.from.ref, ip: flow.fromIpText },
      to: { key: flow.to.key, ref: flow.to.ref, ip: flow.toIpText },
      port: flow.port,
      ...(flow.portName === undefined ? {} : { portName: flow.portName }),
      protocol: flow.protocol,
      // "For a connection from a source pod to a destination pod to be allowed, both the egress policy on the
      // source pod and the ingress policy on the destination pod need to allow the connection."
      isAllowed: egress.verdict.isAllowed && ingress.verdict.isAllowed,
      egress: egress.verdict,
      ingress: ingress.verdict,
      profile: profileName,
      profileNotes,
    };
  };

  const bindFlow = (request: BindFlowRequest): ResolvedFlowResult => bindResolvedFlow(index, request);

  const unknownProfile = (): FlowError =>
    describeFlowProblem({ code: 'unknown-profile', profile: profileName, known: listCniProfileNames() });

  const evaluate = (flow: Flow): FlowResult => {
    if (profile === undefined) return { ok: false, error: unknownProfile() };
    const from = resolveEndpoint(flow.from);
    if (from === undefined) return { ok: false, error: unknownEndpointError(index, flow.from) };
    const to = resolveEndpoint(flow.to);
    if (to === undefined) return { ok: false, error: unknownEndpointError(index, flow.to) };
    const bound = bindFlow({ from, to, port: flow.port, protocol: flow.protocol, ...(flow.ipFamily === undefined ? {} : { ipFamily: flow.ipFamily }) });
    if (!bound.ok) return bound;
    return { ok: true, verdict: evaluateResolved(bound.flow) };
  };

  const effectivePolicies = (pod: Pod, direction: Direction): readonly Policy[] => {
    const all = apiIsolating(pod, direction);
    return profile === undefined ? all : all.filter((p) => !isPolicyIgnoredByProfile(profile, p));
  };

  return {
    index,
    profileName,
    profile,
    evaluate,
    resolveEndpoint,
    endpointOfPod,
    bindFlow,
    evaluateResolved,
    evaluateDirection,
    effectivePolicies,
  };
}

interface EvalContext {
  readonly index: ClusterIndex;
  readonly apiIsolating: (pod: Pod, direction: Direction) => readonly Policy[];
}

function unknownEndpointError(index: ClusterIndex, ref: EndpointRef): FlowError {
  if (ref.kind === 'pod') {
    const inNamespace = (index.podsByNamespace.get(ref.namespace) ?? []).map((p) => formatPodKey(p));
    return describeFlowProblem({ code: 'unknown-endpoint', ref, known: inNamespace.length > 0 ? inNamespace : [...index.podsByKey.keys()] });
  }
  return describeFlowProblem({ code: 'unknown-endpoint', ref, known: [...index.externalsByName.values()].map((e) => formatExternalKey(e)) });
}

function findAddressText(index: ClusterIndex, ips: readonly string[], family: IpFamily): { ip: ParsedIp; text: string } | undefined {
  for (const text of ips) {
    const ip = parseIpCached(index, text);
    if (ip !== undefined && ip.family === family) return { ip, text };
  }
  return undefined;
}

/** Fix the flow's address family, both addresses and the port number (a name resolves on the destination pod). */
function bindResolvedFlow(index: ClusterIndex, request: BindFlowRequest): ResolvedFlowResult {
  const { from, to, protocol } = request;
  const primary = to.ips[0] === undefined ? undefined : parseIpCached(index, to.ips[0]);
  const family = request.ipFamily ?? primary?.family;
  if (family === undefined) {
    return { ok: false, error: describeFlowProblem({ code: 'no-address-in-family', endpoint: to.key, family: 'IPv4', hasAnyAddress: false }) };
  }
  const toAddress = findAddressText(index, to.ips, family);
  if (toAddress === undefined) {
    return { ok: false, error: describeFlowProblem({ code: 'no-address-in-family', endpoint: to.key, family, hasAnyAddress: to.ips.length > 0 }) };
  }
  const fromAddress = findAddressText(index, from.ips, family);
  if (fromAddress === undefined) {
    return { ok: false, error: describeFlowProblem({ code: 'no-address-in-family', endpoint: from.key, family, hasAnyAddress: from.ips.length > 0 }) };
  }
  let port: number;
  let portName: string | undefined;
  if (typeof request.port === 'number') {
    if (!Number.isInteger(request.port) || request.port < 1 || request.port > 65535) {
      return { ok: false, error: describeFlowProblem({ code: 'invalid-port', port: String(request.port) }) };
    }
    port = request.port;
  } else {
    const name = request.port;
    if (name.length === 0) return { ok: false, error: describeFlowProblem({ code: 'invalid-port', port: '""' }) };
    // "This can either be a numerical or named port on a pod": a name means a port of the destination pod.
    const resolved = to.pod === undefined ? undefined : resolveNamedPort(to.pod, name, protocol);
    if (resolved === undefined) {
      const declared = to.pod === undefined ? [] : declaredPortNames(to.pod, protocol);
      return {
        ok: false,
        error: describeFlowProblem({ code: 'unknown-port-name', portName: name, protocol, endpoint: to.key, isExternal: to.pod === undefined, declared }),
      };
    }
    port = resolved;
    portName = name;
  }
  return {
    ok: true,
    flow: {
      from,
      to,
      family,
      fromIp: fromAddress.ip,
      fromIpText: fromAddress.text,
      toIp: toAddress.ip,
      toIpText: toAddress.text,
      port,
      portName,
      protocol,
    },
  };
}

function declaredPortNames(pod: Pod, protocol: Protocol): string[] {
  const names: string[] = [];
  for (const container of pod.containers) {
    for (const p of container.ports) if (p.name !== undefined && p.protocol === protocol) names.push(p.name);
  }
  return names;
}

function toPolicyRef(policy: Policy): PolicyRef {
  return { namespace: policy.namespace, name: policy.name };
}

interface DirectionRun {
  /** Profile differences that changed a rule part that mattered (see evaluateRule). */
  readonly effects: Set<DifferenceId>;
  readonly withNearMisses: boolean;
}

/** One direction under one profile. */
function evaluateDirectionWith(context: EvalContext, profile: CniProfile, input: DirectionInput, run: DirectionRun): DirectionVerdict {
  const { direction, subject } = input;
  const pod = subject.pod;
  if (pod === undefined) {
    // External endpoints have no NetworkPolicy of their own; only the pod end of the flow is policed.
    return { direction, outcome: DirectionOutcomes.notApplicable, isAllowed: true, isolatingPolicies: [], allowedBy: [], nearMisses: [] };
  }
  const all = context.apiIsolating(pod, direction);
  const policies = all.filter((policy) => !isPolicyIgnoredByProfile(profile, policy));
  if (policies.length < all.length) run.effects.add('named-port-policy-ignored');
  if (!profile.enforcesPolicy) {
    if (policies.length > 0) run.effects.add('no-enforcement');
    return {
      direction,
      subject: subject.key,
      outcome: DirectionOutcomes.notEnforced,
      isAllowed: true,
      isolatingPolicies: policies.map(toPolicyRef),
      allowedBy: [],
      nearMisses: [],
    };
  }
  if (policies.length === 0) {
    // "By default, a pod is non-isolated for egress; all outbound connections are allowed." (Likewise ingress.)
    return { direction, subject: subject.key, outcome: DirectionOutcomes.notIsolated, isAllowed: true, isolatingPolicies: [], allowedBy: [], nearMisses: [] };
  }
  // "When a pod is isolated for egress, the only allowed connections from the pod are those allowed by the egress
  // list of some NetworkPolicy that applies to the pod for egress ... The effects of those egress lists combine
  // additively." An isolating policy with an empty list admits nothing: "If this field is empty then this
  // NetworkPolicy limits all outgoing traffic (and serves solely to ensure that the pods it selects are isolated by default)".
  const allowedBy: RuleMatch[] = [];
  const closest: NearMiss[] = [];
  for (const policy of policies) {
    const rules = direction === 'Ingress' ? policy.ingress : policy.egress;
    let best: NearMiss | undefined;
    for (const rule of rules) {
      const outcome = evaluateRule(context, profile, policy, rule, input, run);
      if (outcome.isAdmitted) allowedBy.push(outcome.match);
      else if (outcome.nearMiss !== undefined && (best === undefined || compareNearMisses(outcome.nearMiss, best) < 0)) best = outcome.nearMiss;
    }
    if (best !== undefined) closest.push(best);
  }
  const isolating = policies.map(toPolicyRef);
  if (allowedBy.length > 0) {
    return { direction, subject: subject.key, outcome: DirectionOutcomes.allowedByRule, isAllowed: true, isolatingPolicies: isolating, allowedBy, nearMisses: [] };
  }
  return {
    direction,
    subject: subject.key,
    outcome: DirectionOutcomes.deniedNoRule,
    isAllowed: false,
    isolatingPolicies: isolating,
    allowedBy: [],
    // One entry per isolating policy that has at least one rule in this direction; a policy without one is a deny-all.
    nearMisses: closest.sort(compareNearMisses),
  };
}

/** Closer first: more parts matched, then fewer mismatches; ties keep policy and rule order (stable sort). */
function compareNearMisses(a: NearMiss, b: NearMiss): number {
  if (a.matched.length !== b.matched.length) return b.matched.length - a.matched.length;
  return a.mismatches.length - b.mismatches.length;
}

type RuleOutcome =
  | { readonly isAdmitted: true; readonly match: RuleMatch }
  /** `nearMiss` is undefined when near misses were not asked for. */
  | { readonly isAdmitted: false; readonly nearMiss: NearMiss | undefined };

/**
 * How one part of a rule (its peers or its ports) fared. `effects` holds the profile differences that decided it:
 * for a match, the difference that made it match (if any); for a failure, the differences without which some
 * entry would have matched. A failure with no effects fails under the reference too.
 */
interface PartOutcome {
  readonly isMatch: boolean;
  readonly index: number | null;
  readonly effects: readonly DifferenceId[];
}

/** What one entry (a peer or a port) did: matched or not, and the profile difference involved. */
interface EntryOutcome {
  readonly isMatch: boolean;
  readonly effect: DifferenceId | undefined;
}

const plainMatch: EntryOutcome = { isMatch: true, effect: undefined };
const plainMiss: EntryOutcome = { isMatch: false, effect: undefined };

/**
 * "The traffic must match both ports and from" (ingress) / "both ports and to" (egress). Ports are tested first (they
 * are cheap); without near misses a port part that fails under the reference too ends the rule at once. Profile
 * effects count only when no part fails for a reason of its own: then the rule's admission hinges on them.
 */
function evaluateRule(context: EvalContext, profile: CniProfile, policy: Policy, rule: Rule, input: DirectionInput, run: DirectionRun): RuleOutcome {
  const sink: Mismatch[] | undefined = run.withNearMisses ? [] : undefined;
  const portSink: Mismatch[] | undefined = run.withNearMisses ? [] : undefined;
  const port = matchPorts(profile, rule, input, portSink);
  const isPortPlainFailure = !port.isMatch && port.effects.length === 0;
  if (isPortPlainFailure && sink === undefined) return { isAdmitted: false, nearMiss: undefined };
  const peer = matchPeers(context, profile, policy, rule, input, sink);
  const isPeerPlainFailure = !peer.isMatch && peer.effects.length === 0;
  if (!isPortPlainFailure && !isPeerPlainFailure) {
    for (const effect of port.effects) run.effects.add(effect);
    for (const effect of peer.effects) run.effects.add(effect);
  }
  if (peer.isMatch && port.isMatch) {
    return {
      isAdmitted: true,
      match: { policy: toPolicyRef(policy), direction: input.direction, ruleIndex: rule.index, peerIndex: peer.index, portIndex: port.index, path: rule.path },
    };
  }
  if (sink === undefined || portSink === undefined) return { isAdmitted: false, nearMiss: undefined };
  const matched: ('peer' | 'port')[] = [];
  if (peer.isMatch) matched.push('peer');
  if (port.isMatch) matched.push('port');
  const mismatches = [...(peer.isMatch ? [] : sink), ...(port.isMatch ? [] : portSink)];
  return { isAdmitted: false, nearMiss: { policy: toPolicyRef(policy), direction: input.direction, ruleIndex: rule.index, path: rule.path, matched, mismatches } };
}

function summarizePart(entries: readonly EntryOutcome[], matchedAt: number): PartOutcome {
  if (matchedAt >= 0) {
    const effect = entries[matchedAt]?.effect;
    return { isMatch: true, index: matchedAt, effects: effect === undefined ? [] : [effect] };
  }
  const effects: DifferenceId[] = [];
  for (const entry of entries) if (entry.effect !== undefined && !effects.includes(entry.effect)) effects.push(entry.effect);
  return { isMatch: false, index: null, effects };
}

/**
 * "If this field is empty or missing, this rule matches all sources (traffic not restricted by source). If this
 * field is present and contains at least one item, this rule allows traffic only if the traffic matches at least
 * one item in the from list." (Egress: "to", destinations.) "Items in this list are combined using a logical OR".
 */
function matchPeers(context: EvalContext, profile: CniProfile, policy: Policy, rule: Rule, input: DirectionInput, sink: Mismatch[] | undefined): PartOutcome {
  if (rule.matchesAllPeers) return { isMatch: true, index: null, effects: [] };
  const entries: EntryOutcome[] = [];
  for (let i = 0; i < rule.peers.length; i++) {
    const peer = rule.peers[i];
    if (peer === undefined) continue;
    const outcome = matchPeer(context, profile, policy, peer, input, sink);
    entries[i] = outcome;
    if (outcome.isMatch) return summarizePart(entries, i);
  }
  return summarizePart(entries, -1);
}

/** One peer against the flow's other end; mismatches go to `sink` when near misses are wanted. */
function matchPeer(context: EvalContext, profile: CniProfile, policy: Policy, peer: Peer, input: DirectionInput, sink: Mismatch[] | undefined): EntryOutcome {
  const other = input.peer;
  if (peer.kind === 'ipBlock') {
    // "ipBlock: This selects particular IP CIDR ranges to allow as ingress sources or egress destinations."
    const result = matchIpBlock(context.index, peer.ipBlock, input.peerIp);
    if (result.kind === 'not-in-cidr') {
      sink?.push({ kind: 'ip-not-in-cidr', ip: input.peerIpText, cidr: peer.ipBlock.cidr, path: peer.path });
      return plainMiss;
    }
    if (result.kind === 'excepted') {
      sink?.push({ kind: 'ip-excepted', ip: input.peerIpText, cidr: peer.ipBlock.cidr, except: result.except, path: peer.path });
      return plainMiss;
    }
    if (other.pod !== undefined && !profile.ipBlockMatchesPodIps) {
      const difference = findProfileDifference(profile, 'ipblock-ignores-pod-ips');
      sink?.push({ kind: 'profile', profile: profile.name, note: difference?.summary ?? 'ipBlock never selects pods', path: peer.path });
      return { isMatch: false, effect: 'ipblock-ignores-pod-ips' };
    }
    return plainMatch;
  }
  if (other.pod === undefined) {
    // Selectors select pods; an endpoint outside the cluster is reachable only through ipBlock.
    sink?.push({ kind: 'peer-is-external', endpoint: other.key, path: peer.path });
    return plainMiss;
  }
  const pod = other.pod;
  const result = matchSelectorPeer(context.index, policy, peer, pod);
  if (result.isMatch) return plainMatch;
  if (sink === undefined) return plainMiss;
  if (result.isOtherNamespace) {
    sink.push({ kind: 'other-namespace', policyNamespace: policy.namespace, peerNamespace: pod.namespace, path: peer.path });
  }
  if (result.isNamespaceRejected && peer.namespaceSelector !== undefined) {
    sink.push({
      kind: 'namespace-selector',
      selector: peer.namespaceSelector,
      namespace: pod.namespace,
      namespaceLabels: namespaceLabels(context.index, pod.namespace),
      path: peer.path,
    });
  }
  if (result.isPodRejected && peer.podSelector !== undefined) {
    sink.push({ kind: 'pod-selector', selector: peer.podSelector, pod: other.key, podLabels: pod.labels, path: peer.path });
  }
  return plainMiss;
}

/**
 * "If this field is empty or missing, this rule matches all ports (traffic not restricted by port). If this field is
 * present and contains at least one item, then this rule allows traffic only if the traffic matches at least one
 * port in the list."
 */
function matchPorts(profile: CniProfile, rule: Rule, input: DirectionInput, sink: Mismatch[] | undefined): PartOutcome {
  if (rule.matchesAllPorts) return { isMatch: true, index: null, effects: [] };
  const entries: EntryOutcome[] = [];
  for (let i = 0; i < rule.ports.length; i++) {
    const entry = rule.ports[i];
    if (entry === undefined) continue;
    const outcome = matchPort(profile, entry, input, sink);
    entries[i] = outcome;
    if (outcome.isMatch) return summarizePart(entries, i);
  }
  return summarizePart(entries, -1);
}

function formatPortRange(entry: PortMatch): string {
  if (entry.port === undefined) return `all/${entry.protocol}`;
  if (entry.endPort !== undefined) return `${entry.port}-${entry.endPort}/${entry.protocol}`;
  return `${entry.port}/${entry.protocol}`;
}

/** One port entry against the flow; a mismatch goes to `sink` when near misses are wanted. */
function matchPort(profile: CniProfile, entry: PortMatch, input: DirectionInput, sink: Mismatch[] | undefined): EntryOutcome {
  // "The protocol (TCP, UDP, or SCTP) which traffic must match. If not specified, this field defaults to TCP."
  if (entry.protocol !== input.protocol) {
    sink?.push({ kind: 'protocol', wanted: input.protocol, ruleHas: entry.protocol, path: entry.path });
    return plainMiss;
  }
  // "If this field is not provided, this matches all port names and numbers."
  if (entry.port === undefined) return plainMatch;
  const wanted = `${input.port}/${input.protocol}`;
  if (typeof entry.port === 'number') {
    if (entry.endPort === undefined) {
      if (input.port === entry.port) return plainMatch;
      sink?.push({ kind: 'port', wanted, ruleHas: formatPortRange(entry), path: entry.path });
      return plainMiss;
    }
    // "indicates that the range of ports from port to endPort, inclusive, should be allowed by the policy"
    const isInRange = input.port >= entry.port && input.port <= entry.endPort;
    if (!isInRange) {
      sink?.push({ kind: 'port', wanted, ruleHas: formatPortRange(entry), path: entry.path });
      return plainMiss;
    }
    if (profile.endPort === 'ignored-uses-port-only' && input.port !== entry.port) {
      // "If your network plugin does not support the endPort field ... the policy will be applied only for the single port field."
      const difference = findProfileDifference(profile, 'endport-ignored');
      sink?.push({ kind: 'profile', profile: profile.name, note: difference?.summary ?? 'endPort ignored', path: entry.path });
      return { isMatch: false, effect: 'endport-ignored' };
    }
    return plainMatch;
  }
  const name = entry.port;
  const destinationPod = input.destination.pod;
  const resolved = destinationPod === undefined ? undefined : resolveNamedPort(destinationPod, name, entry.protocol);
  if (resolved === input.port) return plainMatch;
  if (profile.namedPorts === 'opens-all-ports-of-protocol') return { isMatch: true, effect: 'named-port-opens-all-ports' };
  if (resolved === undefined) sink?.push({ kind: 'named-port-missing', portName: name, pod: input.destination.key, path: entry.path });
  else sink?.push({ kind: 'port', wanted, ruleHas: `${name} (=${resolved})/${entry.protocol}`, path: entry.path });
  return plainMiss;
}
