// Small builders for engine model objects, so table-driven tests read like the API sentences they check.
import type {
  Cluster,
  CniOverride,
  Container,
  ContainerPort,
  Expectation,
  ExpectationSide,
  ExternalEndpoint,
  Labels,
  Namespace,
  Peer,
  Pod,
  Policy,
  PortMatch,
  Protocol,
  Rule,
  Scenario,
  Selector,
  SelectorRequirement,
  Service,
  WorkloadRef,
} from '../../server/policy/model.ts';

const testSource = { file: 'test', line: 0, docIndex: 0, path: '' } as const;

export function sel(matchLabels: Labels = {}, matchExpressions: readonly SelectorRequirement[] = []): Selector {
  return { matchLabels, matchExpressions };
}

export function makeNamespace(name: string, labels: Labels = {}): Namespace {
  return {
    name,
    labels: { ...labels, 'kubernetes.io/metadata.name': name },
    source: testSource,
    isImplicit: false,
  };
}

export interface PodOptions {
  readonly labels?: Labels;
  /** `[80, 'TCP', 'serve-80-tcp']` tuples or full ContainerPorts; default none. */
  readonly ports?: readonly (ContainerPort | readonly [number, Protocol, string?])[];
  readonly ip?: string;
  readonly ips?: readonly string[];
  readonly isSystem?: boolean;
  /** The owning controller; default the pod itself (kind Pod). */
  readonly workload?: WorkloadRef;
}

export function makePod(namespace: string, name: string, options: PodOptions = {}): Pod {
  const ports: ContainerPort[] = (options.ports ?? []).map((p) =>
    'containerPort' in p ? p : { containerPort: p[0], protocol: p[1], ...(p[2] === undefined ? {} : { name: p[2] }) },
  );
  const containers: Container[] = ports.map((port, i) => ({ name: `cont-${i}`, ports: [port] }));
  return {
    namespace,
    name,
    labels: options.labels ?? {},
    annotations: {},
    ips: options.ips ?? (options.ip === undefined ? [] : [options.ip]),
    containers,
    workload: options.workload ?? { kind: 'Pod', name },
    source: testSource,
    isSystem: options.isSystem ?? false,
  };
}

export function port(protocol: Protocol, value?: number | string, endPort?: number): PortMatch {
  return {
    protocol,
    ...(value === undefined ? {} : { port: value }),
    ...(endPort === undefined ? {} : { endPort }),
    path: '',
  };
}

export function podPeer(podSelector?: Selector, namespaceSelector?: Selector): Peer {
  return {
    kind: 'selector',
    ...(podSelector === undefined ? {} : { podSelector }),
    ...(namespaceSelector === undefined ? {} : { namespaceSelector }),
    path: '',
  };
}

export function ipPeer(cidr: string, except: readonly string[] = []): Peer {
  return { kind: 'ipBlock', ipBlock: { cidr, except }, path: '' };
}

/** A rule; omit peers/ports (undefined) for "all". Paths are filled in by makePolicy. */
export function rule(peers?: readonly Peer[], ports?: readonly PortMatch[]): Omit<Rule, 'index' | 'path'> {
  return {
    matchesAllPeers: peers === undefined || peers.length === 0,
    peers: peers ?? [],
    matchesAllPorts: ports === undefined || ports.length === 0,
    ports: ports ?? [],
  };
}

export interface PolicyOptions {
  readonly podSelector?: Selector;
  readonly ingress?: readonly Omit<Rule, 'index' | 'path'>[];
  readonly egress?: readonly Omit<Rule, 'index' | 'path'>[];
  /** Explicit policyTypes; default as the API defaults them. */
  readonly policyTypes?: readonly ('Ingress' | 'Egress')[];
}

function withPaths(direction: 'ingress' | 'egress', rules: readonly Omit<Rule, 'index' | 'path'>[]): Rule[] {
  const peerKey = direction === 'ingress' ? 'from' : 'to';
  return rules.map((r, index) => {
    const path = `spec.${direction}[${index}]`;
    return {
      ...r,
      index,
      path,
      peers: r.peers.map((p, i) => ({ ...p, path: `${path}.${peerKey}[${i}]` })),
      ports: r.ports.map((p, i) => ({ ...p, path: `${path}.ports[${i}]` })),
    };
  });
}

export function makePolicy(namespace: string, name: string, options: PolicyOptions = {}): Policy {
  const hasEgress = options.egress !== undefined;
  const policyTypes = options.policyTypes ?? (hasEgress ? ['Ingress', 'Egress'] : ['Ingress']);
  return {
    namespace,
    name,
    podSelector: options.podSelector ?? sel(),
    policyTypes,
    hasExplicitPolicyTypes: options.policyTypes !== undefined,
    ingress: withPaths('ingress', options.ingress ?? []),
    egress: withPaths('egress', options.egress ?? []),
    labels: {},
    source: testSource,
  };
}

export function makeService(
  namespace: string,
  name: string,
  options: { selector: Labels | null; clusterIP: string; ports: Service['ports'] },
): Service {
  return { namespace, name, labels: {}, ...options, source: testSource, isSystem: false };
}

export function makeExternal(name: string, ip: string, ports: ExternalEndpoint['ports'] = [], hostnames: string[] = []): ExternalEndpoint {
  return { name, ip, ports, hostnames, source: testSource };
}

export interface ClusterParts {
  readonly namespaces?: readonly Namespace[];
  readonly pods?: readonly Pod[];
  readonly services?: readonly Service[];
  readonly externals?: readonly ExternalEndpoint[];
  readonly policies?: readonly Policy[];
}

/** Assembles a Cluster; pods without an address get 10.244.0.N in order; namespaces used by pods are added. */
export function makeCluster(parts: ClusterParts): Cluster {
  const namespaces = new Map<string, Namespace>((parts.namespaces ?? []).map((n) => [n.name, n]));
  let next = 10;
  const pods = (parts.pods ?? []).map((p) => {
    if (!namespaces.has(p.namespace)) namespaces.set(p.namespace, makeNamespace(p.namespace));
    if (p.ips.length > 0) return p;
    const ip = `10.244.${Math.floor(next / 256)}.${next % 256}`;
    next += 1;
    return { ...p, ips: [ip] };
  });
  return {
    namespaces: [...namespaces.values()].sort((a, b) => a.name.localeCompare(b.name)),
    pods,
    services: parts.services ?? [],
    externals: parts.externals ?? [],
    policies: parts.policies ?? [],
    podCidr: '10.244.0.0/16',
    serviceCidr: '10.96.0.0/12',
    dnsServiceIp: '10.96.0.10',
  };
}

/** The upstream e2e model: namespaces x,y,z; pods a,b,c labelled pod=<name>; ports 80/81 TCP+UDP, named serve-<port>-<proto>. */
export function makeUpstreamModel(policies: readonly Policy[] = [], protocols: readonly Protocol[] = ['TCP', 'UDP']): Cluster {
  const namespaces = ['x', 'y', 'z'].map((n) => makeNamespace(n, { ns: n }));
  const pods: Pod[] = [];
  let octet = 10;
  for (const ns of ['x', 'y', 'z']) {
    for (const name of ['a', 'b', 'c']) {
      const ports: [number, Protocol, string][] = [];
      for (const portNumber of [80, 81]) {
        for (const protocol of protocols) ports.push([portNumber, protocol, `serve-${portNumber}-${protocol.toLowerCase()}`]);
      }
      pods.push(makePod(ns, name, { labels: { pod: name }, ports, ip: `10.244.0.${octet}` }));
      octet += 1;
    }
  }
  return makeCluster({ namespaces, pods, policies });
}

// ---- Scenarios (intent) ----

export interface ExpectationOptions {
  readonly id?: string;
  readonly protocol?: Protocol;
  readonly overrides?: readonly CniOverride[];
}

export function makeExpectation(
  from: ExpectationSide,
  to: ExpectationSide,
  portValue: number | string,
  allowed: boolean,
  options: ExpectationOptions = {},
): Expectation {
  return {
    id: options.id ?? `${JSON.stringify(from)}->${JSON.stringify(to)}:${portValue}`,
    from,
    to,
    port: portValue,
    protocol: options.protocol ?? 'TCP',
    allowed,
    overrides: options.overrides ?? [],
    path: '',
  };
}

export function makeScenario(expectations: readonly Expectation[], brokenExpectations: readonly string[] = []): Scenario {
  return {
    name: 'test',
    title: 'test scenario',
    description: '',
    teaches: [],
    expectations,
    brokenExpectations,
    variants: [],
    source: testSource,
  };
}

// ---- Seeded random clusters (differential tests and benchmarks) ----

/** A small deterministic PRNG (mulberry32): the same seed gives the same cluster on every machine. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  int(maxExclusive: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (maxExclusive: number): number => Math.floor(next() * maxExclusive);
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => {
      const item = items[int(items.length)];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
    chance: (probability: number) => next() < probability,
  };
}

export interface RandomClusterOptions {
  readonly seed: number;
  readonly namespaces?: number;
  readonly pods?: number;
  readonly policies?: number;
  readonly externals?: number;
}

const randomProtocols: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

function randomSelector(rng: Rng, keys: readonly string[], values: readonly string[]): Selector {
  const matchLabels: Record<string, string> = {};
  const expressions: SelectorRequirement[] = [];
  const labelCount = rng.int(3);
  for (let i = 0; i < labelCount; i++) matchLabels[rng.pick(keys)] = rng.pick(values);
  if (rng.chance(0.3)) {
    const operator = rng.pick(['In', 'NotIn', 'Exists', 'DoesNotExist'] as const);
    const hasValues = operator === 'In' || operator === 'NotIn';
    expressions.push({ key: rng.pick(keys), operator, values: hasValues ? [rng.pick(values), rng.pick(values)] : [] });
  }
  return sel(matchLabels, expressions);
}

const randomCidrs: readonly (readonly [string, readonly string[]])[] = [
  ['10.244.0.0/16', []],
  ['10.244.0.0/16', ['10.244.0.0/28']],
  ['10.244.0.0/24', ['10.244.0.16/29', '10.244.0.40/30']],
  ['10.244.0.0/27', []],
  ['0.0.0.0/0', ['10.244.0.0/16']],
  ['0.0.0.0/0', []],
  ['192.0.2.0/24', ['192.0.2.128/25']],
  ['198.51.100.0/24', []],
  ['fd00::/64', ['fd00::10/126']],
  ['::/0', []],
  ['2001:db8::/32', []],
];

/** A random cluster for differential tests: small label vocabularies so selectors often match, v4, v6 and dual-stack pods. */
export function makeRandomCluster(options: RandomClusterOptions): Cluster {
  const rng = createRng(options.seed);
  const labelKeys = ['app', 'tier', 'team'];
  const labelValues = ['a', 'b', 'c'];
  const namespaceCount = options.namespaces ?? 3;
  const namespaces = Array.from({ length: namespaceCount }, (_, i) => {
    const labels: Record<string, string> = {};
    if (rng.chance(0.7)) labels['team'] = rng.pick(labelValues);
    if (rng.chance(0.5)) labels['env'] = rng.pick(['prod', 'dev']);
    return makeNamespace(`ns${i}`, labels);
  });
  const pods: Pod[] = [];
  const podCount = options.pods ?? 8;
  for (let i = 0; i < podCount; i++) {
    const labels: Record<string, string> = {};
    for (const key of labelKeys) if (rng.chance(0.6)) labels[key] = rng.pick(labelValues);
    const ports: ContainerPort[] = [];
    const portCount = rng.int(4);
    for (let p = 0; p < portCount; p++) {
      const protocol = rng.pick(randomProtocols);
      const containerPort = rng.pick([53, 80, 81, 443, 8080]);
      const name = rng.chance(0.6) ? rng.pick(['http', 'dns', 'metrics']) : undefined;
      ports.push({ containerPort, protocol, ...(name === undefined ? {} : { name }) });
    }
    const v4 = `10.244.0.${10 + i}`;
    const v6 = `fd00::${(16 + i).toString(16)}`;
    const family = rng.int(10);
    const ips = family < 6 ? [v4] : family < 8 ? [v4, v6] : family < 9 ? [v6, v4] : [v6];
    pods.push(makePod(rng.pick(namespaces).name, `p${i}`, { labels, ports, ips }));
  }
  const externals: ExternalEndpoint[] = [];
  const externalIps = ['192.0.2.10', '192.0.2.200', '198.51.100.7', '2001:db8::5', '203.0.113.9'];
  for (let i = 0; i < (options.externals ?? 2); i++) {
    externals.push(makeExternal(`e${i}`, externalIps[i % externalIps.length] ?? '192.0.2.1', [{ port: rng.pick([80, 443, 53]), protocol: rng.pick(randomProtocols) }]));
  }
  const randomPeer = (): Peer => {
    const kind = rng.int(6);
    if (kind === 0) {
      const [cidr, except] = rng.pick(randomCidrs);
      return ipPeer(cidr, except);
    }
    if (kind === 1) return podPeer(randomSelector(rng, labelKeys, labelValues));
    if (kind === 2) return podPeer(undefined, randomSelector(rng, ['team', 'env'], [...labelValues, 'prod', 'dev']));
    if (kind === 3) return podPeer(randomSelector(rng, labelKeys, labelValues), randomSelector(rng, ['team', 'env'], [...labelValues, 'prod']));
    if (kind === 4) return podPeer(undefined, sel());
    return podPeer(sel());
  };
  const randomPort = (): PortMatch => {
    const protocol = rng.pick(randomProtocols);
    const kind = rng.int(4);
    if (kind === 0) return port(protocol);
    if (kind === 1) return port(protocol, rng.pick([53, 80, 81, 443, 8080]));
    if (kind === 2) return port(protocol, rng.pick([53, 80, 443]), rng.pick([81, 443, 8080]));
    return port(protocol, rng.pick(['http', 'dns', 'metrics']));
  };
  const randomRules = (): Omit<Rule, 'index' | 'path'>[] => {
    const count = rng.int(3);
    return Array.from({ length: count }, () =>
      rule(
        rng.chance(0.2) ? undefined : Array.from({ length: 1 + rng.int(2) }, randomPeer),
        rng.chance(0.25) ? undefined : Array.from({ length: 1 + rng.int(2) }, randomPort),
      ),
    );
  };
  const policies: Policy[] = [];
  for (let i = 0; i < (options.policies ?? 4); i++) {
    const types = rng.pick([['Ingress'], ['Egress'], ['Ingress', 'Egress']] as const);
    policies.push(
      makePolicy(rng.pick(namespaces).name, `pol${i}`, {
        podSelector: rng.chance(0.3) ? sel() : randomSelector(rng, labelKeys, labelValues),
        ingress: randomRules(),
        egress: randomRules(),
        policyTypes: types,
      }),
    );
  }
  return makeCluster({ namespaces, pods, externals, policies });
}

export interface RealisticClusterOptions {
  readonly seed: number;
  readonly namespaces: number;
  readonly pods: number;
  readonly policies: number;
}

/**
 * A cluster shaped like a real one, for benchmarks: teams own namespaces, workloads have a few replicas with
 * app/tier/team labels and named ports, and policies mix default-deny, same-namespace tiers, cross-namespace by
 * team label, monitoring on a named port, DNS egress and ipBlock egress to external ranges.
 */
export function makeRealisticCluster(options: RealisticClusterOptions): Cluster {
  const rng = createRng(options.seed);
  const teams = ['payments', 'search', 'identity', 'catalog', 'checkout', 'platform', 'data', 'ml'];
  const tiers = ['frontend', 'backend', 'db', 'cache'] as const;
  const namespaces: Namespace[] = [];
  for (let i = 0; i < options.namespaces; i++) {
    const team = teams[i % teams.length] ?? 'platform';
    namespaces.push(makeNamespace(i === 0 ? 'monitoring' : `${team}-${i}`, { team, env: rng.pick(['prod', 'staging']) }));
  }
  const tierPorts: Record<(typeof tiers)[number], [number, Protocol, string][]> = {
    frontend: [[8080, 'TCP', 'http']],
    backend: [
      [8080, 'TCP', 'http'],
      [9090, 'TCP', 'metrics'],
    ],
    db: [
      [5432, 'TCP', 'postgres'],
      [9187, 'TCP', 'metrics'],
    ],
    cache: [[6379, 'TCP', 'redis']],
  };
  const pods: Pod[] = [];
  let workload = 0;
  while (pods.length < options.pods) {
    const ns = rng.pick(namespaces);
    const tier = rng.pick(tiers);
    const app = `${tier}-${workload}`;
    const replicas = Math.min(1 + rng.int(5), options.pods - pods.length);
    for (let r = 0; r < replicas; r++) {
      const labels: Record<string, string> = { app, tier, team: ns.labels['team'] ?? 'platform' };
      pods.push(
        makePod(ns.name, `${app}-${r}`, {
          labels,
          ports: tierPorts[tier],
          workload: { kind: 'Deployment', name: app },
          ip: `10.244.${Math.floor(pods.length / 250)}.${(pods.length % 250) + 2}`,
        }),
      );
    }
    workload++;
  }
  const externals = [
    makeExternal('payments-api', '192.0.2.10', [{ port: 443, protocol: 'TCP' }]),
    makeExternal('s3', '198.51.100.20', [{ port: 443, protocol: 'TCP' }]),
    makeExternal('partner', '203.0.113.5', [{ port: 8443, protocol: 'TCP' }]),
  ];
  const policies: Policy[] = [];
  const nsNames = namespaces.map((n) => n.name);
  let i = 0;
  while (policies.length < options.policies) {
    const ns = rng.pick(nsNames);
    const kind = i % 8;
    i++;
    const name = `np-${i}`;
    if (kind === 0) {
      policies.push(makePolicy(ns, `default-deny-${i}`, { policyTypes: ['Ingress', 'Egress'] }));
    } else if (kind === 1) {
      policies.push(
        makePolicy(ns, name, {
          podSelector: sel({ tier: 'backend' }),
          ingress: [rule([podPeer(sel({ tier: 'frontend' }))], [port('TCP', 'http')])],
        }),
      );
    } else if (kind === 2) {
      policies.push(
        makePolicy(ns, name, {
          podSelector: sel({ tier: 'db' }),
          ingress: [rule([podPeer(sel({ tier: 'backend' }), sel({ team: rng.pick(teams) }))], [port('TCP', 5432)])],
        }),
      );
    } else if (kind === 3) {
      policies.push(
        makePolicy(ns, name, {
          podSelector: sel({}, [{ key: 'tier', operator: 'In', values: ['backend', 'db'] }]),
          ingress: [rule([podPeer(undefined, sel({ 'kubernetes.io/metadata.name': 'monitoring' }))], [port('TCP', 'metrics')])],
        }),
      );
    } else if (kind === 4) {
      policies.push(
        makePolicy(ns, name, {
          egress: [
            rule([podPeer(undefined, sel())], [port('UDP', 53), port('TCP', 53)]),
            rule([podPeer(sel({ tier: 'backend' }))], [port('TCP', 8000, 8100)]),
          ],
          policyTypes: ['Egress'],
        }),
      );
    } else if (kind === 5) {
      policies.push(
        makePolicy(ns, name, {
          podSelector: sel({ tier: 'backend' }),
          egress: [rule([ipPeer('0.0.0.0/0', ['10.0.0.0/8', '192.168.0.0/16']), ipPeer('192.0.2.0/24')], [port('TCP', 443)])],
          policyTypes: ['Egress'],
        }),
      );
    } else if (kind === 6) {
      policies.push(
        makePolicy(ns, name, {
          podSelector: sel({ tier: 'frontend' }),
          ingress: [rule([ipPeer('10.244.0.0/16', ['10.244.1.0/24']), podPeer(sel({ app: `frontend-${rng.int(workload)}` }), sel())])],
        }),
      );
    } else {
      policies.push(
        makePolicy(ns, name, {
          podSelector: sel({ tier: 'cache' }),
          ingress: [rule([podPeer(sel({}, [{ key: 'tier', operator: 'NotIn', values: ['frontend'] }]))], [port('TCP', 'redis')])],
        }),
      );
    }
  }
  return makeCluster({ namespaces, pods, externals, policies });
}
