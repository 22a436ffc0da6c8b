// generateExpectations: test cases derived from the policies themselves. For every rule, flows just inside it
// (a matching peer on an allowed port) and just outside it (a neighbouring port or protocol, a peer that differs
// by one label, the reverse direction), plus a default-deny check for every isolated pod. Each expectation's
// `allowed` is the engine's prediction under the reference semantics, so a faithful sandbox passes them all.
import { createEvaluator } from './evaluate.ts';
import type { Evaluator } from './evaluate.ts';
import { formatSelector, matchesSelector } from './selector.ts';
import {
  isolatingPolicies,
  matchIpBlock,
  namespaceLabels,
  parseIpCached,
  resolvePeerPods,
  selectPolicySubjects,
} from './select.ts';
import type { ClusterIndex } from './select.ts';
import type {
  Cluster,
  Direction,
  EndpointRef,
  Expectation,
  ExpectationSide,
  ExternalEndpoint,
  Peer,
  Pod,
  Policy,
  PortMatch,
  Protocol,
  Rule,
} from './model.ts';

/** A port something serves: a container port of a pod, or a declared port of an external endpoint. */
interface ServedPort {
  readonly port: number;
  readonly protocol: Protocol;
  readonly name?: string;
}

type Endpoint = { readonly kind: 'pod'; readonly pod: Pod } | { readonly kind: 'external'; readonly external: ExternalEndpoint };

interface Candidate {
  readonly id: string;
  /**
   * What the flow probes, without the verdict (added once predicted). `{from}` and `{to}` stand for the sides,
   * filled in once it is known whether they name a pod or its whole workload.
   */
  readonly probes: string;
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly port: number;
  readonly protocol: Protocol;
}

function keyOf(endpoint: Endpoint): string {
  return endpoint.kind === 'pod' ? `${endpoint.pod.namespace}/${endpoint.pod.name}` : `external/${endpoint.external.name}`;
}

function refOf(endpoint: Endpoint): EndpointRef {
  return endpoint.kind === 'pod'
    ? { kind: 'pod', namespace: endpoint.pod.namespace, name: endpoint.pod.name }
    : { kind: 'external', name: endpoint.external.name };
}

function servedPorts(endpoint: Endpoint): ServedPort[] {
  if (endpoint.kind === 'external') return endpoint.external.ports.map((p) => ({ port: p.port, protocol: p.protocol }));
  return endpoint.pod.containers.flatMap((c) =>
    c.ports.map((p) => ({ port: p.containerPort, protocol: p.protocol, ...(p.name === undefined ? {} : { name: p.name }) })),
  );
}

function doesServe(endpoint: Endpoint, port: number, protocol: Protocol): boolean {
  return servedPorts(endpoint).some((p) => p.port === port && p.protocol === protocol);
}

/** "port ... can either be a numerical or named port on a pod ... If this field is not provided, this matches all port names and numbers." */
function doesPortMatchAdmit(match: PortMatch, served: ServedPort): boolean {
  if (match.protocol !== served.protocol) return false;
  if (match.port === undefined) return true;
  if (typeof match.port === 'string') return served.name === match.port;
  return served.port >= match.port && served.port <= (match.endPort ?? match.port);
}

function doesRuleAdmitPort(rule: Rule, served: ServedPort): boolean {
  return rule.matchesAllPorts || rule.ports.some((match) => doesPortMatchAdmit(match, served));
}

function sanitize(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
}

function describePort(port: number, protocol: Protocol, name?: string): string {
  return name === undefined ? `${port}/${protocol}` : `${port}/${protocol} (${name})`;
}

/** Endpoints a peer admits, pods before externals, the subject itself left out (loopback is implementation-defined). */
function listPeerEndpoints(index: ClusterIndex, policy: Policy, peer: Peer, subject: Pod): Endpoint[] {
  const pods = resolvePeerPods(index, policy, peer).filter((pod) => pod !== subject);
  const endpoints: Endpoint[] = pods.map((pod) => ({ kind: 'pod', pod }));
  if (peer.kind === 'ipBlock') {
    const externals = index.cluster.externals.filter((external) => {
      const ip = parseIpCached(index, external.ip);
      return ip !== undefined && matchIpBlock(index, peer.ipBlock, ip).kind === 'match';
    });
    // ipBlock is meant for outside addresses, so probe those first.
    return [...externals.map((external): Endpoint => ({ kind: 'external', external })), ...endpoints];
  }
  return endpoints;
}

/** Any other endpoint, for rules that admit every peer: prefer a pod of another namespace (shows the rule is open). */
function listAnyPeers(index: ClusterIndex, subject: Pod): Endpoint[] {
  const pods = index.cluster.pods.filter((pod) => pod !== subject && !pod.isSystem);
  const others = pods.filter((pod) => pod.namespace !== subject.namespace);
  const same = pods.filter((pod) => pod.namespace === subject.namespace);
  return [...others, ...same].map((pod) => ({ kind: 'pod', pod }));
}

/** How many of a selector peer's conditions a pod meets: its namespace, then each podSelector label. */
function scoreSelectorNearness(index: ClusterIndex, policy: Policy, peer: Extract<Peer, { kind: 'selector' }>, pod: Pod): number {
  const inNamespace =
    peer.namespaceSelector === undefined
      ? pod.namespace === policy.namespace
      : matchesSelector(peer.namespaceSelector, namespaceLabels(index, pod.namespace));
  let score = inNamespace ? 10 : 0;
  const selector = peer.podSelector;
  if (selector !== undefined) {
    for (const [key, value] of Object.entries(selector.matchLabels)) if (pod.labels[key] === value) score += 1;
    for (const req of selector.matchExpressions) {
      if (matchesSelector({ matchLabels: {}, matchExpressions: [req] }, pod.labels)) score += 1;
    }
  }
  return score;
}

/** Peers tried when looking for an inside flow the other end allows too; bounds the work on big clusters. */
const maxInsideTries = 50;
/** Flows tried when looking for one an isolated pod denies. */
const maxIsolationTries = 400;

const flowText = '{from} -> {to}';

interface RuleProbe {
  readonly policy: Policy;
  readonly direction: Direction;
  readonly rule: Rule;
  readonly subject: Pod;
  /** `x/allow-web spec.ingress[0]` */
  readonly ruleName: string;
  readonly idPrefix: string;
}

/** Orient a flow: the subject receives for ingress, sends for egress. */
function orient(probe: RuleProbe, peer: Endpoint): { from: Endpoint; to: Endpoint } {
  const subject: Endpoint = { kind: 'pod', pod: probe.subject };
  return probe.direction === 'Ingress' ? { from: peer, to: subject } : { from: subject, to: peer };
}

function generateForRule(index: ClusterIndex, evaluator: Evaluator, probe: RuleProbe): Candidate[] {
  const { policy, rule } = probe;
  const candidates: Candidate[] = [];
  const peerKey = probe.direction === 'Ingress' ? 'from' : 'to';
  const options: { endpoint: Endpoint; peerText: string }[] = rule.matchesAllPeers
    ? listAnyPeers(index, probe.subject).map((endpoint) => ({ endpoint, peerText: `any peer (no ${peerKey})` }))
    : rule.peers.flatMap((peer, i) =>
        listPeerEndpoints(index, policy, peer, probe.subject).map((endpoint) => ({ endpoint, peerText: `peer ${peerKey}[${i}]` })),
      );
  // Prefer a peer whose whole flow is allowed (the other end's policies agree), so "just inside" shows the rule
  // working; else the first peer serving an admitted port, whose denial then comes from the other end.
  let insidePeer: { endpoint: Endpoint; peerText: string } | undefined = options[0];
  let insidePort: ServedPort | undefined;
  let hasServedFallback = false;
  for (const option of options.slice(0, maxInsideTries)) {
    const flow = orient(probe, option.endpoint);
    const served = servedPorts(flow.to).find((p) => doesRuleAdmitPort(rule, p));
    if (served !== undefined && !hasServedFallback) {
      insidePeer = option;
      insidePort = served;
      hasServedFallback = true;
    }
    if (served !== undefined && predict(evaluator, flow.from, flow.to, served.port, served.protocol) === true) {
      insidePeer = option;
      insidePort = served;
      break;
    }
  }
  if (insidePeer === undefined) return candidates;
  const inside = orient(probe, insidePeer.endpoint);
  if (insidePort !== undefined) {
    candidates.push({
      id: `${probe.idPrefix}-inside`,
      probes: `just inside ${probe.ruleName}: ${flowText} ${describePort(insidePort.port, insidePort.protocol, insidePort.name)} matches ${insidePeer.peerText} and its ports`,
      ...inside,
      port: insidePort.port,
      protocol: insidePort.protocol,
    });
    // The reverse of an allowed hop is not implied: "allowing a to b does not allow b to a".
    candidates.push({
      id: `${probe.idPrefix}-reverse`,
      probes: `the reverse of ${probe.ruleName}: ${flowText} ${describePort(insidePort.port, insidePort.protocol)}`,
      from: inside.to,
      to: inside.from,
      port: insidePort.port,
      protocol: insidePort.protocol,
    });
  }
  if (!rule.matchesAllPorts) {
    const served = servedPorts(inside.to);
    const outsideSameProtocol = served.find((p) => !doesRuleAdmitPort(rule, p) && p.protocol === (insidePort?.protocol ?? p.protocol));
    const firstNumeric = rule.ports.find((p) => typeof p.port === 'number');
    // A neighbouring port: one the destination serves outside the rule, else the port just past the rule's range.
    const neighbour: ServedPort | undefined =
      outsideSameProtocol ??
      (firstNumeric !== undefined && typeof firstNumeric.port === 'number'
        ? { port: Math.min((firstNumeric.endPort ?? firstNumeric.port) + 1, 65535), protocol: firstNumeric.protocol }
        : undefined);
    if (neighbour !== undefined && !doesRuleAdmitPort(rule, neighbour)) {
      candidates.push({
        id: `${probe.idPrefix}-outside-port`,
        probes: `just outside ${probe.ruleName}: ${flowText} on ${describePort(neighbour.port, neighbour.protocol, neighbour.name)}, a port the rule does not list`,
        ...inside,
        port: neighbour.port,
        protocol: neighbour.protocol,
      });
    }
    if (insidePort !== undefined) {
      const flipped = served.find((p) => p.port === insidePort.port && p.protocol !== insidePort.protocol && !doesRuleAdmitPort(rule, p));
      if (flipped !== undefined) {
        candidates.push({
          id: `${probe.idPrefix}-outside-protocol`,
          probes: `just outside ${probe.ruleName}: ${flowText} on ${describePort(flipped.port, flipped.protocol)}, same port over another protocol`,
          ...inside,
          port: flipped.port,
          protocol: flipped.protocol,
        });
      }
    }
  }
  if (!rule.matchesAllPeers && insidePort !== undefined) {
    const outsider = findNearestOutsider(index, probe);
    if (outsider !== undefined) {
      const flow = orient(probe, outsider.endpoint);
      const port = servedPorts(flow.to).find((p) => doesRuleAdmitPort(rule, p)) ?? insidePort;
      candidates.push({
        id: `${probe.idPrefix}-outside-peer`,
        probes: `just outside ${probe.ruleName}: ${probe.direction === 'Ingress' ? '{from}' : '{to}'} ${outsider.why}; ${flowText} ${describePort(port.port, port.protocol)}`,
        ...flow,
        port: port.port,
        protocol: port.protocol,
      });
    }
  }
  return candidates;
}

/** What keeps a pod out of a selector peer: `namespace x does not match ns=y`, `app=api, not app=web`. */
function describeMiss(index: ClusterIndex, policy: Policy, peer: Extract<Peer, { kind: 'selector' }>, pod: Pod): string {
  const reasons: string[] = [];
  if (peer.namespaceSelector === undefined) {
    if (pod.namespace !== policy.namespace) reasons.push(`it is in namespace ${pod.namespace}, not the policy's ${policy.namespace}`);
  } else if (!matchesSelector(peer.namespaceSelector, namespaceLabels(index, pod.namespace))) {
    reasons.push(`its namespace ${pod.namespace} does not match namespaceSelector ${formatSelector(peer.namespaceSelector)}`);
  }
  const selector = peer.podSelector;
  if (selector !== undefined) {
    for (const [key, value] of Object.entries(selector.matchLabels)) {
      const actual = pod.labels[key];
      if (actual !== value) reasons.push(actual === undefined ? `it has no ${key} label (wants ${key}=${value})` : `it has ${key}=${actual}, not ${value}`);
    }
    for (const req of selector.matchExpressions) {
      const single = { matchLabels: {}, matchExpressions: [req] };
      if (!matchesSelector(single, pod.labels)) reasons.push(`it fails ${formatSelector(single)}`);
    }
  }
  return `differs from peer ${peer.path.slice(peer.path.lastIndexOf('.') + 1)}: ${reasons.join(' and ')}`;
}

/** The endpoint no peer of the rule admits that comes closest to being admitted. */
function findNearestOutsider(index: ClusterIndex, probe: RuleProbe): { endpoint: Endpoint; why: string } | undefined {
  const { policy, rule } = probe;
  const admitted = new Set<string>();
  for (const peer of rule.peers) for (const endpoint of listPeerEndpoints(index, policy, peer, probe.subject)) admitted.add(keyOf(endpoint));
  const firstSelector = rule.peers.find((p): p is Extract<Peer, { kind: 'selector' }> => p.kind === 'selector');
  if (firstSelector !== undefined) {
    let best: Pod | undefined;
    let bestScore = -1;
    for (const pod of index.cluster.pods) {
      if (pod === probe.subject || pod.isSystem || admitted.has(`${pod.namespace}/${pod.name}`)) continue;
      // A replica of the subject itself is a weaker probe than a different workload one label away.
      const isSibling = pod.namespace === probe.subject.namespace && pod.workload.kind === probe.subject.workload.kind && pod.workload.name === probe.subject.workload.name;
      const score = scoreSelectorNearness(index, policy, firstSelector, pod) - (isSibling ? 0.5 : 0);
      if (score > bestScore) {
        best = pod;
        bestScore = score;
      }
    }
    if (best !== undefined) return { endpoint: { kind: 'pod', pod: best }, why: describeMiss(index, policy, firstSelector, best) };
  }
  const firstBlock = rule.peers.find((p): p is Extract<Peer, { kind: 'ipBlock' }> => p.kind === 'ipBlock');
  if (firstBlock !== undefined) {
    const outside = index.cluster.externals.filter((external) => !admitted.has(`external/${external.name}`));
    const excepted = outside.find((external) => {
      const ip = parseIpCached(index, external.ip);
      return ip !== undefined && matchIpBlock(index, firstBlock.ipBlock, ip).kind === 'excepted';
    });
    const chosen = excepted ?? outside[0];
    if (chosen !== undefined) {
      return {
        endpoint: { kind: 'external', external: chosen },
        why: excepted === undefined ? `is outside ipBlock ${firstBlock.ipBlock.cidr}` : `falls in an except of ipBlock ${firstBlock.ipBlock.cidr}`,
      };
    }
  }
  return undefined;
}

/** For a pod isolated in a direction: the first flow no rule admits, on a port the far side serves. */
function generateIsolationCheck(index: ClusterIndex, evaluator: Evaluator, pod: Pod, direction: Direction): Candidate | undefined {
  const self: Endpoint = { kind: 'pod', pod };
  const others: Endpoint[] = [
    ...index.cluster.pods.filter((p) => p !== pod && !p.isSystem).map((p): Endpoint => ({ kind: 'pod', pod: p })),
    ...index.cluster.externals.map((external): Endpoint => ({ kind: 'external', external })),
  ];
  let attempts = 0;
  for (const other of others) {
    const flow = direction === 'Ingress' ? { from: other, to: self } : { from: self, to: other };
    for (const served of servedPorts(flow.to)) {
      // A pod reachable from almost everything would otherwise cost a scan of the whole cluster.
      if (++attempts > maxIsolationTries) return undefined;
      const result = evaluator.evaluate({ from: refOf(flow.from), to: refOf(flow.to), port: served.port, protocol: served.protocol });
      if (!result.ok || result.verdict.isAllowed) continue;
      const denier = direction === 'Ingress' ? result.verdict.ingress : result.verdict.egress;
      if (denier.isAllowed) continue;
      const policies = denier.isolatingPolicies.map((p) => `${p.namespace}/${p.name}`).join(', ');
      return {
        id: `gen-isolated-${sanitize(pod.namespace)}-${sanitize(pod.workload.kind === 'Pod' ? pod.name : pod.workload.name)}-${direction.toLowerCase()}`,
        probes: `default deny: ${direction === 'Ingress' ? '{to}' : '{from}'} is isolated for ${direction.toLowerCase()} by ${policies}; ${flowText} ${describePort(served.port, served.protocol)} matches no rule`,
        ...flow,
        port: served.port,
        protocol: served.protocol,
      };
    }
  }
  return undefined;
}

/** Pods of the same controller (Deployment, StatefulSet...) that are interchangeable here get one workload side. */
function chooseSide(endpoint: Endpoint, canWiden: (pods: readonly Pod[]) => boolean, index: ClusterIndex): { side: ExpectationSide; pods: readonly Pod[] } {
  if (endpoint.kind === 'external') return { side: { kind: 'external', name: endpoint.external.name }, pods: [] };
  const pod = endpoint.pod;
  if (pod.workload.kind !== 'Pod') {
    const siblings = (index.podsByNamespace.get(pod.namespace) ?? []).filter(
      (p) => p.workload.kind === pod.workload.kind && p.workload.name === pod.workload.name,
    );
    if (canWiden(siblings)) return { side: { kind: 'workload', namespace: pod.namespace, name: pod.workload.name }, pods: siblings };
  }
  return { side: { kind: 'pod', namespace: pod.namespace, name: pod.name }, pods: [pod] };
}

function formatSide(side: ExpectationSide): string {
  switch (side.kind) {
    case 'pod':
      return `${side.namespace}/${side.name}`;
    case 'workload':
      return `${side.namespace}/${side.name}`;
    case 'service':
      return `svc/${side.namespace}/${side.name}`;
    case 'external':
      return `external/${side.name}`;
    case 'selector':
      return `pods ${formatSelector(side.podSelector)}`;
  }
}

function predict(evaluator: Evaluator, from: Endpoint, to: Endpoint, port: number, protocol: Protocol): boolean | undefined {
  const result = evaluator.evaluate({ from: refOf(from), to: refOf(to), port, protocol });
  return result.ok ? result.verdict.isAllowed : undefined;
}

/**
 * Expectations probing every rule from just inside and just outside, and every isolated pod's default deny.
 * Ids are stable (`gen-<ns>-<policy>-<direction>-<rule>-<case>`); the description names the rule probed.
 */
export function generateExpectations(cluster: Cluster): Expectation[] {
  const evaluator = createEvaluator(cluster);
  const index = evaluator.index;
  const candidates: Candidate[] = [];
  for (const policy of cluster.policies) {
    const subject = selectPolicySubjects(index, policy).find((pod) => !pod.isSystem);
    if (subject === undefined) continue;
    for (const direction of ['Ingress', 'Egress'] as const) {
      if (!policy.policyTypes.includes(direction)) continue;
      const rules = direction === 'Ingress' ? policy.ingress : policy.egress;
      for (const rule of rules) {
        candidates.push(
          ...generateForRule(index, evaluator, {
            policy,
            direction,
            rule,
            subject,
            ruleName: `${policy.namespace}/${policy.name} ${rule.path}`,
            idPrefix: `gen-${sanitize(policy.namespace)}-${sanitize(policy.name)}-${direction.toLowerCase()}-${rule.index}`,
          }),
        );
      }
    }
  }
  const checkedWorkloads = new Set<string>();
  for (const pod of cluster.pods) {
    if (pod.isSystem) continue;
    // One check per controller: its replicas share labels and policies (widening below confirms they agree).
    const workloadKey = `${pod.namespace}/${pod.workload.kind}/${pod.workload.name}`;
    if (pod.workload.kind !== 'Pod' && checkedWorkloads.has(workloadKey)) continue;
    checkedWorkloads.add(workloadKey);
    for (const direction of ['Ingress', 'Egress'] as const) {
      if (isolatingPolicies(index, pod, direction).length === 0) continue;
      const check = generateIsolationCheck(index, evaluator, pod, direction);
      if (check !== undefined) candidates.push(check);
    }
  }

  const expectations: Expectation[] = [];
  const seenFlows = new Set<string>();
  const seenIds = new Set<string>();
  const seenSides = new Set<string>();
  for (const candidate of candidates) {
    if (keyOf(candidate.from) === keyOf(candidate.to)) continue;
    const flowKey = `${keyOf(candidate.from)}|${keyOf(candidate.to)}|${candidate.port}/${candidate.protocol}`;
    if (seenFlows.has(flowKey) || seenIds.has(candidate.id)) continue;
    const isAllowed = predict(evaluator, candidate.from, candidate.to, candidate.port, candidate.protocol);
    if (isAllowed === undefined) continue;
    // An allowed flow to a port nothing listens on would be observed as "refused", never as allowed.
    if (isAllowed && !doesServe(candidate.to, candidate.port, candidate.protocol)) continue;
    const agrees = (froms: readonly Pod[], tos: readonly Pod[]): boolean =>
      froms.every((f) =>
        tos.every(
          (t) => f !== t && predict(evaluator, { kind: 'pod', pod: f }, { kind: 'pod', pod: t }, candidate.port, candidate.protocol) === isAllowed,
        ),
      );
    const toPods = candidate.to.kind === 'pod' ? [candidate.to.pod] : [];
    const fromPods = candidate.from.kind === 'pod' ? [candidate.from.pod] : [];
    const from = chooseSide(
      candidate.from,
      (pods) => (candidate.to.kind === 'external' ? pods.every((p) => predict(evaluator, { kind: 'pod', pod: p }, candidate.to, candidate.port, candidate.protocol) === isAllowed) : agrees(pods, toPods)),
      index,
    );
    const to = chooseSide(
      candidate.to,
      (pods) =>
        pods.every((p) => doesServe({ kind: 'pod', pod: p }, candidate.port, candidate.protocol) || !isAllowed) &&
        (candidate.from.kind === 'external'
          ? pods.every((p) => predict(evaluator, candidate.from, { kind: 'pod', pod: p }, candidate.port, candidate.protocol) === isAllowed)
          : agrees(from.side.kind === 'workload' ? from.pods : fromPods, pods)),
      index,
    );
    const sideKey = JSON.stringify([from.side, to.side, candidate.port, candidate.protocol]);
    if (seenSides.has(sideKey)) continue;
    seenSides.add(sideKey);
    seenFlows.add(flowKey);
    seenIds.add(candidate.id);
    expectations.push({
      id: candidate.id,
      description: `${candidate.probes.replaceAll('{from}', formatSide(from.side)).replaceAll('{to}', formatSide(to.side))}: ${isAllowed ? 'allowed' : 'denied'}`,
      from: from.side,
      to: to.side,
      port: candidate.port,
      protocol: candidate.protocol,
      allowed: isAllowed,
      overrides: [],
      path: `expectations[${expectations.length}]`,
    });
  }
  return expectations;
}
