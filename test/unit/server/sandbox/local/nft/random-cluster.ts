// Seeded random clusters and policies for differential tests: small enough to compare every flow, varied enough
// to hit selectors, expressions, ipBlock excepts, named ports with different numbers per pod, dual stack.

import { ipPeer, makeCluster, makeExternal, makeNamespace, makePod, makePolicy, podPeer, port, rule, sel } from '../../../../../helpers/builders.ts';
import type { Cluster, Peer, Pod, Policy, PortMatch, Protocol, Selector, SelectorRequirement } from '../../../../../../server/policy/model.ts';

/** mulberry32: a tiny deterministic PRNG, so a failing seed reproduces exactly. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Picker {
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
  subset<T>(items: readonly T[], max: number): T[];
}

function createPicker(random: () => number): Picker {
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => {
    const item = items[int(0, items.length - 1)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  };
  return {
    int,
    pick,
    chance: (p) => random() < p,
    subset: (items, max) => {
      const count = int(0, Math.min(max, items.length));
      const pool = [...items];
      const out = [];
      for (let i = 0; i < count; i++) out.push(...pool.splice(int(0, pool.length - 1), 1));
      return out;
    },
  };
}

const podPorts: readonly (readonly [number, Protocol, string])[] = [
  [80, 'TCP', 'http'],
  [8080, 'TCP', 'http'],
  [443, 'TCP', 'https'],
  [53, 'UDP', 'dns'],
  [5353, 'UDP', 'dns'],
  [9000, 'SCTP', 'sig'],
];

export const randomProbePorts: readonly number[] = [53, 79, 80, 81, 85, 90, 91, 443, 5353, 8080, 9000];

const cidrs = [
  '10.244.0.0/16',
  '10.244.0.0/24',
  '10.0.0.0/8',
  '0.0.0.0/0',
  '192.0.2.0/24',
  '10.244.0.12/30',
  '10.99.0.0/16',
  '::/0',
  'fd00:10:244::/64',
  '2001:db8::/32',
];

const excepts: Readonly<Record<string, readonly string[]>> = {
  '10.244.0.0/16': ['10.244.0.16/28', '10.244.0.11/32', '10.244.1.0/24'],
  '10.244.0.0/24': ['10.244.0.8/29', '10.244.0.13/32'],
  '10.0.0.0/8': ['10.244.0.0/16', '10.99.0.0/24', '10.244.0.10/31'],
  '0.0.0.0/0': ['10.244.0.0/16', '192.0.2.0/25', '10.244.0.12/32'],
  '192.0.2.0/24': ['192.0.2.10/32'],
  '10.244.0.12/30': ['10.244.0.13/32'],
  '10.99.0.0/16': [],
  '::/0': ['fd00:10:244::/64', '2001:db8::10/128'],
  'fd00:10:244::/64': ['fd00:10:244::c/126'],
  '2001:db8::/32': [],
};

function randomSelector(p: Picker, keys: Readonly<Record<string, readonly string[]>>): Selector {
  if (p.chance(0.25)) return sel();
  const matchLabels: Record<string, string> = {};
  const matchExpressions: SelectorRequirement[] = [];
  for (const [key, values] of Object.entries(keys)) {
    if (p.chance(0.5)) continue;
    if (p.chance(0.6)) {
      matchLabels[key] = p.pick(values);
    } else {
      const operator = p.pick(['In', 'NotIn', 'Exists', 'DoesNotExist'] as const);
      matchExpressions.push({ key, operator, values: operator === 'In' || operator === 'NotIn' ? p.subset(values, 2) : [] });
    }
  }
  // The API rejects In/NotIn with no values; keep only valid requirements.
  return sel(matchLabels, matchExpressions.filter((r) => (r.operator !== 'In' && r.operator !== 'NotIn') || r.values.length > 0));
}

const podLabelKeys = { app: ['web', 'db', 'api'], tier: ['fe', 'be'] } as const;
const namespaceLabelKeys = { team: ['red', 'blue'], env: ['prod', 'dev'] } as const;

function randomPeer(p: Picker): Peer {
  if (p.chance(0.3)) {
    const cidr = p.pick(cidrs);
    return ipPeer(cidr, p.subset(excepts[cidr] ?? [], 2));
  }
  const podSelector = p.chance(0.7) ? randomSelector(p, podLabelKeys) : undefined;
  const namespaceSelector = p.chance(0.5) ? randomSelector(p, namespaceLabelKeys) : undefined;
  return podPeer(podSelector, namespaceSelector);
}

function randomPort(p: Picker): PortMatch {
  switch (p.int(0, 7)) {
    case 0:
      return port('TCP', 80);
    case 1:
      return port('TCP', 80, 90);
    case 2:
      return port('UDP', 53);
    case 3:
      return port('TCP', 'http');
    case 4:
      return port('UDP', 'dns');
    case 5:
      return port(p.pick(['TCP', 'UDP', 'SCTP'] as const));
    case 6:
      return port('SCTP', 'sig');
    default:
      return port('TCP', 443, 443);
  }
}

function randomRules(p: Picker): ReturnType<typeof rule>[] {
  const rules = [];
  const count = p.int(0, 3);
  for (let i = 0; i < count; i++) {
    const peers = p.chance(0.2) ? undefined : Array.from({ length: p.int(1, 3) }, () => randomPeer(p));
    const ports = p.chance(0.3) ? undefined : Array.from({ length: p.int(1, 3) }, () => randomPort(p));
    rules.push(rule(peers, ports));
  }
  return rules;
}

function randomPolicy(p: Picker, namespace: string, name: string): Policy {
  const podSelector = randomSelector(p, podLabelKeys);
  const types = p.pick([['Ingress'], ['Egress'], ['Ingress', 'Egress'], 'defaulted'] as const);
  const ingress = randomRules(p);
  const egress = randomRules(p);
  if (types === 'defaulted') {
    // Defaulted policyTypes: Ingress always, Egress when spec.egress is present.
    return p.chance(0.5) ? makePolicy(namespace, name, { podSelector, ingress }) : makePolicy(namespace, name, { podSelector, ingress, egress });
  }
  return makePolicy(namespace, name, { podSelector, policyTypes: [...types], ingress, egress });
}

/** One random cluster: 2-4 namespaces, 3-8 pods (some dual stack), 1-3 externals, 1-5 policies. */
export function generateRandomCluster(seed: number): Cluster {
  const p = createPicker(createRandom(seed));
  const namespaceNames = ['ns-a', 'ns-b', 'ns-c', 'ns-d'].slice(0, p.int(2, 4));
  const namespaces = namespaceNames.map((n) => makeNamespace(n, { team: p.pick(namespaceLabelKeys.team), env: p.pick(namespaceLabelKeys.env) }));
  const pods: Pod[] = [];
  const podCount = p.int(3, 8);
  for (let i = 0; i < podCount; i++) {
    const labels: Record<string, string> = {};
    if (p.chance(0.85)) labels['app'] = p.pick(podLabelKeys.app);
    if (p.chance(0.5)) labels['tier'] = p.pick(podLabelKeys.tier);
    // One name per protocol per pod: `http` is 80 on some pods and 8080 on others.
    const chosen = p.subset(podPorts, 4).filter((entry, j, all) => all.findIndex((o) => o[1] === entry[1] && o[2] === entry[2]) === j);
    const ips = [`10.244.0.${10 + i}`];
    if (p.chance(0.3)) ips.push(`fd00:10:244::${(10 + i).toString(16)}`);
    pods.push(makePod(p.pick(namespaceNames), `pod-${i}`, { labels, ports: chosen, ips }));
  }
  const externals = [makeExternal('world', '192.0.2.10')];
  if (p.chance(0.6)) externals.push(makeExternal('corp', '10.99.0.5'));
  if (p.chance(0.4)) externals.push(makeExternal('world6', '2001:db8::10'));
  const policies: Policy[] = [];
  const policyCount = p.int(1, 5);
  for (let i = 0; i < policyCount; i++) policies.push(randomPolicy(p, p.pick(namespaceNames), `policy-${i}`));
  return { ...makeCluster({ namespaces, pods, policies }), externals };
}

export interface LargeClusterOptions {
  readonly seed: number;
  readonly podCount: number;
  readonly policyCount: number;
  readonly namespaceCount?: number;
}

/**
 * A cluster shaped like a busy real one, for load and timing runs: pods spread over namespaces, each labelled with
 * one of 25 apps and a tier, policies selecting an app (or a tier) with a few rules each, some egress with DNS.
 */
export function generateLargeCluster(options: LargeClusterOptions): Cluster {
  const p = createPicker(createRandom(options.seed));
  const namespaceCount = options.namespaceCount ?? 20;
  const namespaceNames = Array.from({ length: namespaceCount }, (_, i) => `team-${i}`);
  const namespaces = namespaceNames.map((n, i) => makeNamespace(n, { team: `t${i % 7}`, env: i % 3 === 0 ? 'prod' : 'dev' }));
  const apps = Array.from({ length: 25 }, (_, i) => `app-${i}`);
  const pods: Pod[] = [];
  for (let i = 0; i < options.podCount; i++) {
    const app = p.pick(apps);
    const ports: (readonly [number, Protocol, string])[] = [[8080, 'TCP', 'http'], [9090, 'TCP', 'metrics']];
    if (p.chance(0.2)) ports.push([53, 'UDP', 'dns']);
    pods.push(
      makePod(namespaceNames[i % namespaceCount] ?? 'team-0', `${app}-${i}`, {
        labels: { app, tier: p.pick(['fe', 'be', 'data']) },
        ports,
        ip: `10.244.${Math.floor(i / 250)}.${(i % 250) + 2}`,
      }),
    );
  }
  const policies: Policy[] = [];
  for (let i = 0; i < options.policyCount; i++) {
    const namespace = p.pick(namespaceNames);
    const podSelector = p.chance(0.8) ? sel({ app: p.pick(apps) }) : sel({ tier: p.pick(['fe', 'be', 'data']) });
    const ingress = Array.from({ length: p.int(1, 3) }, () =>
      rule(
        [
          p.chance(0.5) ? podPeer(sel({ app: p.pick(apps) })) : podPeer(sel({ tier: p.pick(['fe', 'be']) }), sel({ team: `t${p.int(0, 6)}` })),
          ...(p.chance(0.2) ? [ipPeer('10.0.0.0/8', ['10.244.0.0/16'])] : []),
        ],
        [p.chance(0.6) ? port('TCP', 'http') : port('TCP', 8000, 8100), ...(p.chance(0.3) ? [port('TCP', 9090)] : [])],
      ),
    );
    const hasEgress = p.chance(0.3);
    const egress = [
      rule([podPeer(sel({ app: p.pick(apps) }), sel())], [port('TCP', 'http')]),
      rule([podPeer(undefined, sel({ 'kubernetes.io/metadata.name': p.pick(namespaceNames) }))], [port('UDP', 53), port('TCP', 53)]),
    ];
    policies.push(makePolicy(namespace, `policy-${i}`, hasEgress ? { podSelector, ingress, egress } : { podSelector, ingress }));
  }
  return makeCluster({ namespaces, pods, policies });
}
