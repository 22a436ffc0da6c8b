// Random NetworkPolicies on the upstream e2e model (seeded, so every run sees the same cases), written out as plain
// YAML, read by parseManifests and judged by evaluateFlow and computeMatrix, against a small oracle written straight
// from the API reference sentences quoted below. The oracle shares no code with the engine: it reads the generator's
// own objects, never the parsed Cluster. Loopback is left out, as upstream does (kubernetes#95879).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { computeMatrix, createEvaluator, findMatrixCell, parseCidr, parseIp, parseManifests } from '../../../../server/policy/index.ts';
import type { Cluster, Protocol } from '../../../../server/policy/index.ts';

const modelText = readFileSync(new URL('../../../fixtures/upstream-model.yaml', import.meta.url), 'utf8');
const namespaces = ['x', 'y', 'z'] as const;
const podNames = ['a', 'b', 'c'] as const;
const pods = namespaces.flatMap((ns) => podNames.map((name) => ({ ns, name, key: `${ns}/${name}` })));
type ModelPod = (typeof pods)[number];

// ---- the generator's own model of a policy (never the engine's) ----

type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
interface GenSelector {
  matchLabels: Record<string, string>;
  matchExpressions: { key: string; operator: Operator; values: string[] }[];
}
type GenPeer = { podSelector?: GenSelector; namespaceSelector?: GenSelector } | { ipBlock: { cidr: string; except: string[] } };
interface GenPort {
  protocol?: Protocol;
  port?: number | string;
  endPort?: number;
}
interface GenRule {
  peers?: GenPeer[];
  ports?: GenPort[];
}
interface GenPolicy {
  name: string;
  namespace: string;
  podSelector: GenSelector;
  policyTypes?: ('Ingress' | 'Egress')[];
  ingress?: GenRule[];
  egress?: GenRule[];
}

function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generatePolicies(random: () => number, ips: ReadonlyMap<string, string>): GenPolicy[] {
  const pick = <T,>(items: readonly T[]): T => {
    const item = items[Math.floor(random() * items.length)];
    if (item === undefined) throw new Error('empty choice');
    return item;
  };
  const chance = (p: number): boolean => random() < p;
  const podValues = ['a', 'b', 'c', 'd'];
  const nsValues = ['x', 'y', 'z', 'w'];
  const selector = (forNamespaces: boolean): GenSelector => {
    const keys = forNamespaces ? ['ns', 'kubernetes.io/metadata.name', 'team'] : ['pod', 'tier'];
    const values = forNamespaces ? nsValues : podValues;
    const matchLabels: Record<string, string> = {};
    const matchExpressions: GenSelector['matchExpressions'] = [];
    if (chance(0.4)) matchLabels[pick(keys)] = pick(values);
    const expressionCount = chance(0.5) ? 1 + Math.floor(random() * 2) : 0;
    for (let i = 0; i < expressionCount; i++) {
      const operator = pick(['In', 'NotIn', 'Exists', 'DoesNotExist'] as const);
      const key = pick(keys);
      const needsValues = operator === 'In' || operator === 'NotIn';
      matchExpressions.push({ key, operator, values: needsValues ? [...new Set([pick(values), pick(values)])] : [] });
    }
    return { matchLabels, matchExpressions };
  };
  const ipOf = (pod: ModelPod): string => ips.get(pod.key) ?? '';
  const peer = (): GenPeer => {
    if (chance(0.25)) {
      const host = ipOf(pick(pods));
      const octets = host.split('.');
      const cidr = pick([`${host}/32`, `${octets[0]}.${octets[1]}.0.0/16`, '10.0.0.0/8', '0.0.0.0/0', '192.0.2.0/24']);
      const parsed = parseCidr(cidr);
      const except: string[] = [];
      if (parsed !== undefined && parsed.prefixLength < 32 && chance(0.6)) {
        for (const candidate of [pick(pods), pick(pods)]) {
          const text = `${ipOf(candidate)}/32`;
          const address = parseIp(ipOf(candidate));
          const inside = address !== undefined && (address.value >> BigInt(32 - parsed.prefixLength)) === (parsed.network >> BigInt(32 - parsed.prefixLength));
          if (inside && !except.includes(text)) except.push(text);
        }
      }
      return { ipBlock: { cidr, except } };
    }
    const shape = pick(['pod', 'ns', 'both']);
    return {
      ...(shape !== 'ns' ? { podSelector: selector(false) } : {}),
      ...(shape !== 'pod' ? { namespaceSelector: selector(true) } : {}),
    };
  };
  const port = (): GenPort => {
    const out: GenPort = {};
    if (chance(0.6)) out.protocol = pick(['TCP', 'UDP', 'SCTP'] as const);
    const kind = pick(['none', 'number', 'number', 'range', 'name']);
    if (kind === 'number') out.port = pick([80, 81, 82]);
    if (kind === 'range') {
      out.port = pick([79, 80, 81]);
      out.endPort = out.port + Math.floor(random() * 3);
    }
    if (kind === 'name') out.port = pick(['serve-80-tcp', 'serve-81-tcp', 'serve-80-udp', 'serve-81-udp', 'serve-99-tcp']);
    return out;
  };
  const rule = (): GenRule => {
    const out: GenRule = {};
    const peerCount = pick([-1, 0, 1, 1, 2, 3]);
    if (peerCount >= 0) out.peers = Array.from({ length: peerCount }, peer);
    const portCount = pick([-1, 0, 1, 1, 2]);
    if (portCount >= 0) out.ports = Array.from({ length: portCount }, port);
    return out;
  };
  const rules = (): GenRule[] | undefined => {
    const count = pick([-1, 0, 1, 1, 2]);
    return count < 0 ? undefined : Array.from({ length: count }, rule);
  };
  const count = 1 + Math.floor(random() * 3);
  return Array.from({ length: count }, (_, i) => {
    const policy: GenPolicy = { name: `p${i}`, namespace: pick(namespaces), podSelector: chance(0.3) ? { matchLabels: {}, matchExpressions: [] } : selector(false) };
    const types = pick([[], ['Ingress'], ['Egress'], ['Ingress', 'Egress']] as const);
    // An empty choice leaves policyTypes out, so the parser's defaulting is exercised too.
    if (types.length > 0) policy.policyTypes = [...types];
    const ingress = rules();
    const egress = rules();
    if (ingress !== undefined) policy.ingress = ingress;
    if (egress !== undefined) policy.egress = egress;
    return policy;
  });
}

// ---- YAML, as a user would write it ----

const q = (text: string): string => JSON.stringify(text);

function selectorYaml(selector: GenSelector): string {
  const labels = Object.entries(selector.matchLabels).map(([k, v]) => `${q(k)}: ${q(v)}`);
  const expressions = selector.matchExpressions.map(
    (e) => `{key: ${q(e.key)}, operator: ${e.operator}${e.values.length > 0 ? `, values: [${e.values.map(q).join(', ')}]` : ''}}`,
  );
  return `{matchLabels: {${labels.join(', ')}}, matchExpressions: [${expressions.join(', ')}]}`;
}

function peerYaml(peer: GenPeer): string {
  if ('ipBlock' in peer) return `{ipBlock: {cidr: ${q(peer.ipBlock.cidr)}${peer.ipBlock.except.length > 0 ? `, except: [${peer.ipBlock.except.map(q).join(', ')}]` : ''}}}`;
  const parts: string[] = [];
  if (peer.podSelector !== undefined) parts.push(`podSelector: ${selectorYaml(peer.podSelector)}`);
  if (peer.namespaceSelector !== undefined) parts.push(`namespaceSelector: ${selectorYaml(peer.namespaceSelector)}`);
  return `{${parts.join(', ')}}`;
}

function portYaml(port: GenPort): string {
  const parts: string[] = [];
  if (port.protocol !== undefined) parts.push(`protocol: ${port.protocol}`);
  if (port.port !== undefined) parts.push(`port: ${typeof port.port === 'number' ? port.port : q(port.port)}`);
  if (port.endPort !== undefined) parts.push(`endPort: ${port.endPort}`);
  return `{${parts.join(', ')}}`;
}

function rulesYaml(key: 'ingress' | 'egress', rules: readonly GenRule[] | undefined): string {
  if (rules === undefined) return '';
  if (rules.length === 0) return `  ${key}: []\n`;
  const peersKey = key === 'ingress' ? 'from' : 'to';
  const items = rules.map((rule) => {
    const parts: string[] = [];
    if (rule.peers !== undefined) parts.push(`${peersKey}: [${rule.peers.map(peerYaml).join(', ')}]`);
    if (rule.ports !== undefined) parts.push(`ports: [${rule.ports.map(portYaml).join(', ')}]`);
    return `    - {${parts.join(', ')}}\n`;
  });
  return `  ${key}:\n${items.join('')}`;
}

function policyYaml(policy: GenPolicy): string {
  return (
    `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: ${policy.name}\n  namespace: ${q(policy.namespace)}\nspec:\n` +
    `  podSelector: ${selectorYaml(policy.podSelector)}\n` +
    (policy.policyTypes === undefined ? '' : `  policyTypes: [${policy.policyTypes.join(', ')}]\n`) +
    rulesYaml('ingress', policy.ingress) +
    rulesYaml('egress', policy.egress)
  );
}

// ---- the oracle: the API reference, sentence by sentence ----

function labelsOfPod(pod: ModelPod): Record<string, string> {
  return { pod: pod.name };
}

function labelsOfNamespace(ns: string): Record<string, string> {
  // "The Kubernetes control plane sets an immutable label kubernetes.io/metadata.name on all namespaces"
  return { ns, 'kubernetes.io/metadata.name': ns };
}

function selects(selector: GenSelector, labels: Record<string, string>): boolean {
  // "matchLabels ... A single {key,value} in the matchLabels map is equivalent to an element of matchExpressions, whose
  // key field is "key", the operator is "In", and the values array contains only "value". The requirements are ANDed."
  for (const [key, value] of Object.entries(selector.matchLabels)) if (labels[key] !== value) return false;
  for (const { key, operator, values } of selector.matchExpressions) {
    const has = Object.hasOwn(labels, key);
    const value = labels[key];
    if (operator === 'In' && !(has && value !== undefined && values.includes(value))) return false;
    if (operator === 'NotIn' && has && value !== undefined && values.includes(value)) return false;
    if (operator === 'Exists' && !has) return false;
    if (operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function typesOf(policy: GenPolicy): ('Ingress' | 'Egress')[] {
  // "If this field is not specified, it will default based on the existence of ingress or egress rules; policies that
  // contain an egress section are assumed to affect egress, and all policies (whether or not they contain an ingress
  // section) are assumed to affect ingress." (SetDefaults_NetworkPolicy tests len(spec.egress) != 0.)
  if (policy.policyTypes !== undefined && policy.policyTypes.length > 0) return policy.policyTypes;
  return (policy.egress?.length ?? 0) > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

function ipInCidr(ip: string, cidrText: string): boolean {
  const address = parseIp(ip);
  const cidr = parseCidr(cidrText);
  if (address === undefined || cidr === undefined || address.family !== cidr.family) return false;
  const shift = BigInt(32 - cidr.prefixLength);
  return address.value >> shift === cidr.network >> shift;
}

function peerSelects(policy: GenPolicy, peer: GenPeer, other: ModelPod, otherIp: string): boolean {
  if ('ipBlock' in peer) {
    // "The except entry describes CIDRs that should not be included within this rule."
    return ipInCidr(otherIp, peer.ipBlock.cidr) && !peer.ipBlock.except.some((e) => ipInCidr(otherIp, e));
  }
  // "If namespaceSelector is also set, then the NetworkPolicyPeer as a whole selects the pods matching podSelector in
  // the Namespaces selected by NamespaceSelector. Otherwise it selects the pods matching podSelector in the policy's
  // own namespace." and "if present but empty, it selects all namespaces" / "all pods".
  const namespaceOk = peer.namespaceSelector === undefined ? other.ns === policy.namespace : selects(peer.namespaceSelector, labelsOfNamespace(other.ns));
  const podOk = peer.podSelector === undefined || selects(peer.podSelector, labelsOfPod(other));
  return namespaceOk && podOk;
}

/** The model's container ports: serve-<port>-<proto> for 80 and 81 over TCP and UDP. */
function namedPortOf(name: string, protocol: Protocol): number | undefined {
  const match = /^serve-(80|81)-(tcp|udp)$/.exec(name);
  if (match === null || match[2]?.toUpperCase() !== protocol) return undefined;
  return Number(match[1]);
}

function portMatches(port: GenPort, flowPort: number, protocol: Protocol): boolean {
  // "If not specified, this field defaults to TCP."
  if ((port.protocol ?? 'TCP') !== protocol) return false;
  // "If this field is not provided, this matches all port names and numbers."
  if (port.port === undefined) return true;
  // "This can either be a numerical or named port on a pod."
  if (typeof port.port === 'string') return namedPortOf(port.port, protocol) === flowPort;
  // "endPort indicates that the range of ports from port to endPort if set, inclusive, should be allowed"
  if (port.endPort !== undefined) return flowPort >= port.port && flowPort <= port.endPort;
  return flowPort === port.port;
}

function directionAllows(policies: readonly GenPolicy[], direction: 'Ingress' | 'Egress', subject: ModelPod, other: ModelPod, flow: { otherIp: string; port: number; protocol: Protocol }): boolean {
  const applying = policies.filter((p) => p.namespace === subject.ns && selects(p.podSelector, labelsOfPod(subject)) && typesOf(p).includes(direction));
  // "By default, a pod is non-isolated for egress; all outbound connections are allowed." (Likewise ingress.)
  if (applying.length === 0) return true;
  // "the only allowed connections ... are those allowed by the ... list of some NetworkPolicy that applies to the pod"
  return applying.some((policy) =>
    ((direction === 'Ingress' ? policy.ingress : policy.egress) ?? []).some((rule) => {
      // "If this field is empty or missing, this rule matches all sources" / "all ports"
      const peersOk = rule.peers === undefined || rule.peers.length === 0 || rule.peers.some((peer) => peerSelects(policy, peer, other, flow.otherIp));
      const portsOk = rule.ports === undefined || rule.ports.length === 0 || rule.ports.some((port) => portMatches(port, flow.port, flow.protocol));
      return peersOk && portsOk;
    }),
  );
}

function oracleAllows(policies: readonly GenPolicy[], ips: ReadonlyMap<string, string>, from: ModelPod, to: ModelPod, port: number, protocol: Protocol): boolean {
  // "both the egress policy on the source pod and the ingress policy on the destination pod need to allow the connection"
  return (
    directionAllows(policies, 'Egress', from, to, { otherIp: ips.get(to.key) ?? '', port, protocol }) &&
    directionAllows(policies, 'Ingress', to, from, { otherIp: ips.get(from.key) ?? '', port, protocol })
  );
}

function parseOrFail(policies: readonly GenPolicy[]): Cluster {
  const result = parseManifests([
    { file: 'upstream-model.yaml', text: modelText },
    { file: 'random-policies.yaml', text: policies.map(policyYaml).join('---\n') },
  ]);
  expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
  expect(result.cluster.policies).toHaveLength(policies.length);
  return result.cluster;
}

describe('random policies on the upstream model: engine and matrix agree with an oracle written from the API reference', () => {
  const base = parseManifests([{ file: 'upstream-model.yaml', text: modelText }]).cluster;
  const ips = new Map(base.pods.map((p) => [`${p.namespace}/${p.name}`, p.ips[0] ?? '']));
  const seeds = Array.from({ length: 8 }, (_, i) => 1000 + i);

  it.each(seeds)('seed %i: 20 policy sets, every pair, ports 80/81/82 over TCP/UDP/SCTP', (seed) => {
    const random = createRandom(seed);
    const columns: { port: number; protocol: Protocol }[] = [];
    for (const protocol of ['TCP', 'UDP', 'SCTP'] as const) for (const port of [80, 81, 82]) columns.push({ port, protocol });
    let denied = 0;
    let checked = 0;
    for (let round = 0; round < 20; round++) {
      const policies = generatePolicies(random, ips);
      const cluster = parseOrFail(policies);
      const evaluator = createEvaluator(cluster);
      const matrices = new Map(columns.map((c) => [`${c.port}/${c.protocol}`, computeMatrix(cluster, { port: c.port, protocol: c.protocol })]));
      const mismatches: string[] = [];
      for (const from of pods) {
        for (const to of pods) {
          if (from === to) continue;
          for (const { port, protocol } of columns) {
            const expected = oracleAllows(policies, ips, from, to, port, protocol);
            const result = evaluator.evaluate({ from: { kind: 'pod', namespace: from.ns, name: from.name }, to: { kind: 'pod', namespace: to.ns, name: to.name }, port, protocol });
            const cell = findMatrixCell(matrices.get(`${port}/${protocol}`) ?? computeMatrix(cluster), from.key, to.key, port, protocol);
            const viaFlow = result.ok ? result.verdict.isAllowed : undefined;
            if (viaFlow !== expected || cell?.isAllowed !== expected) {
              mismatches.push(`${from.key} -> ${to.key} ${port}/${protocol}: oracle ${expected}, evaluateFlow ${String(viaFlow)}, matrix ${String(cell?.isAllowed)}`);
            }
            checked++;
            if (!expected) denied++;
          }
        }
      }
      expect(mismatches, policies.map(policyYaml).join('---\n')).toEqual([]);
    }
    // The generator must exercise both outcomes, or the comparison proves little.
    expect(denied).toBeGreaterThan(checked / 20);
    expect(denied).toBeLessThan(checked);
  });
});
