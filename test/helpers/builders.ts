// Small builders for engine model objects, so table-driven tests read like the API sentences they check.
import type {
  Cluster,
  Container,
  ContainerPort,
  ExternalEndpoint,
  Labels,
  Namespace,
  Peer,
  Pod,
  Policy,
  PortMatch,
  Protocol,
  Rule,
  Selector,
  SelectorRequirement,
  Service,
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
}

export function makePod(namespace: string, name: string, options: PodOptions = {}): Pod {
  const ports: ContainerPort[] = (options.ports ?? []).map((p) =>
    Array.isArray(p)
      ? { containerPort: p[0], protocol: p[1], ...(p[2] === undefined ? {} : { name: p[2] }) }
      : (p as ContainerPort),
  );
  const containers: Container[] = ports.map((port, i) => ({ name: `cont-${i}`, ports: [port] }));
  return {
    namespace,
    name,
    labels: options.labels ?? {},
    annotations: {},
    ips: options.ips ?? (options.ip === undefined ? [] : [options.ip]),
    containers,
    workload: { kind: 'Pod', name },
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
