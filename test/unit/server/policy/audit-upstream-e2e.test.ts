// The upstream netpol e2e specs (kubernetes/kubernetes test/e2e/network/netpol/network_policy.go, the version that
// runs every case on the full x,y,z / a,b,c model) replayed as plain YAML through parseManifests, computeMatrix and
// evaluateFlow on test/fixtures/upstream-model.yaml. Each expectation is built the way the spec builds its
// Reachability (NewReachability(all, true) + ExpectPeer / ExpectAllIngress / ExpectAllEgress / Expect), and, as
// upstream does (ignoreLoopback, kubernetes#95879), a pod talking to itself is not judged.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { computeMatrix, evaluateFlow, findMatrixCell, parseManifests } from '../../../../server/policy/index.ts';
import type { Cluster, Protocol } from '../../../../server/policy/index.ts';

const modelText = readFileSync(new URL('../../../fixtures/upstream-model.yaml', import.meta.url), 'utf8');
const podStrings = ['x/a', 'x/b', 'x/c', 'y/a', 'y/b', 'y/c', 'z/a', 'z/b', 'z/c'] as const;

/** The model (optionally edited, as the "updated" specs relabel a namespace or pod) plus policy documents. */
function load(policies: readonly string[], model = modelText): Cluster {
  const result = parseManifests([
    { file: 'upstream-model.yaml', text: model },
    { file: 'policies.yaml', text: policies.join('\n---\n') },
  ]);
  expect(result.issues.filter((issue) => issue.severity === 'error')).toEqual([]);
  return result.cluster;
}

/** Pod addresses as the engine assigned them: upstream reads pod.Status.PodIP for its ipBlock specs. */
function podIp(cluster: Cluster, key: string): string {
  const pod = cluster.pods.find((p) => `${p.namespace}/${p.name}` === key);
  const ip = pod?.ips[0];
  if (ip === undefined) throw new Error(`no address for ${key}`);
  return ip;
}

/** Exact text edit of the fixture; fails loudly when the anchor is not there. */
function editModel(anchor: string, replacement: string): string {
  expect(modelText.split(anchor)).toHaveLength(2);
  return modelText.replace(anchor, replacement);
}

interface PeerSpec {
  readonly namespace?: string;
  readonly pod?: string;
}

function matchesPeer(peer: PeerSpec, podString: string): boolean {
  const [namespace, pod] = podString.split('/');
  return (peer.namespace === undefined || peer.namespace === namespace) && (peer.pod === undefined || peer.pod === pod);
}

/** test/e2e/network/netpol/reachability.go, reduced to the expectations the specs set. */
class Reachability {
  readonly #expected = new Map<string, boolean>();

  constructor(defaultExpectation: boolean) {
    for (const from of podStrings) for (const to of podStrings) this.#expected.set(`${from}>${to}`, defaultExpectation);
  }

  expectPeer(from: PeerSpec, to: PeerSpec, connected: boolean): this {
    for (const f of podStrings) for (const t of podStrings) if (matchesPeer(from, f) && matchesPeer(to, t)) this.#expected.set(`${f}>${t}`, connected);
    return this;
  }

  expectAllIngress(pod: string, connected: boolean): this {
    for (const f of podStrings) this.#expected.set(`${f}>${pod}`, connected);
    return this;
  }

  expectAllEgress(pod: string, connected: boolean): this {
    for (const t of podStrings) this.#expected.set(`${pod}>${t}`, connected);
    return this;
  }

  expect(from: string, to: string, connected: boolean): this {
    this.#expected.set(`${from}>${to}`, connected);
    return this;
  }

  /** Rows are sources, columns destinations; '.' connected, 'X' not, '-' loopback (ignored). */
  table(): string[] {
    return podStrings.map((from) => `${from} ${podStrings.map((to) => (from === to ? '-' : this.#expected.get(`${from}>${to}`) ? '.' : 'X')).join('')}`);
  }
}

const allowAll = (): Reachability => new Reachability(true);

/** ValidateOrFail: the matrix and the single-flow evaluator must both print the expected truth table. */
function validate(cluster: Cluster, toPort: number, protocol: Protocol, reachability: Reachability): void {
  const matrix = computeMatrix(cluster, { port: toPort, protocol });
  const fromMatrix = podStrings.map((from) => {
    const row = podStrings.map((to) => {
      if (from === to) return '-';
      const cell = findMatrixCell(matrix, from, to, toPort, protocol);
      if (cell === undefined) return '?';
      return cell.isAllowed ? '.' : 'X';
    });
    return `${from} ${row.join('')}`;
  });
  const fromFlows = podStrings.map((from) => {
    const row = podStrings.map((to) => {
      if (from === to) return '-';
      const [fromNs = '', fromName = ''] = from.split('/');
      const [toNs = '', toName = ''] = to.split('/');
      const result = evaluateFlow(cluster, {
        from: { kind: 'pod', namespace: fromNs, name: fromName },
        to: { kind: 'pod', namespace: toNs, name: toName },
        port: toPort,
        protocol,
      });
      if (!result.ok) return '?';
      return result.verdict.isAllowed ? '.' : 'X';
    });
    return `${from} ${row.join('')}`;
  });
  const expected = reachability.table();
  expect(fromMatrix, `computeMatrix ${toPort}/${protocol}`).toEqual(expected);
  expect(fromFlows, `evaluateFlow ${toPort}/${protocol}`).toEqual(expected);
}

/** GenNetworkPolicyWithNameAndPodMatchLabel / ...PodSelector: a NetworkPolicy document in namespace x (or another). */
function netpol(name: string, spec: string, namespace = 'x'): string {
  return `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: ${name}\n  namespace: "${namespace}"\nspec:\n${spec}`;
}

// SetSpecIngressRules() with no rules still writes Ingress into policyTypes; SetSpecEgressRules() likewise for Egress.
const denyIngress = (name: string, podSelector = '{}'): string => netpol(name, `  podSelector: ${podSelector}\n  policyTypes: [Ingress]\n  ingress: []\n`);
const nsSelector = (ns: string): string => `{matchLabels: {kubernetes.io/metadata.name: "${ns}"}}`;

describe('upstream netpol e2e: NetworkPolicy between server and client (TCP)', () => {
  it("should support a 'default-deny-ingress' policy", () => {
    const cluster = load([denyIngress('deny-ingress')]);
    validate(cluster, 80, 'TCP', allowAll().expectPeer({}, { namespace: 'x' }, false));
  });

  it("should support a 'default-deny-all' policy", () => {
    const cluster = load([netpol('deny-all', '  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  ingress: []\n  egress: []\n')]);
    validate(cluster, 80, 'TCP', allowAll().expectPeer({}, { namespace: 'x' }, false).expectPeer({ namespace: 'x' }, {}, false));
  });

  it('should enforce policy to allow traffic from pods within server namespace based on PodSelector', () => {
    const cluster = load([netpol('x-a-allows-x-b', '  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - podSelector: {matchLabels: {pod: b}}\n')]);
    validate(cluster, 80, 'TCP', allowAll().expectAllIngress('x/a', false).expect('x/b', 'x/a', true));
  });

  it('should enforce policy to allow ingress traffic for a target', () => {
    const cluster = load([
      denyIngress('deny-all'),
      netpol('allow-all-to-a', '  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - podSelector: {}\n          namespaceSelector: {}\n'),
    ]);
    validate(cluster, 80, 'TCP', allowAll().expectAllIngress('x/a', true).expectAllIngress('x/b', false).expectAllIngress('x/c', false));
  });

  it('should enforce policy to allow ingress traffic from pods in all namespaces', () => {
    const cluster = load([netpol('allow-from-another-ns', '  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - namespaceSelector: {matchLabels: {}}\n')]);
    validate(cluster, 80, 'TCP', allowAll());
  });

  it('should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector', () => {
    const cluster = load([netpol('allow-client-a-via-ns-selector', `  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - namespaceSelector: ${nsSelector('y')}\n`)]);
    validate(cluster, 80, 'TCP', allowAll().expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false).expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false));
  });

  it('should enforce policy based on PodSelector with MatchExpressions', () => {
    const cluster = load([
      netpol('x-a-allows-x-b', '  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - podSelector:\n            matchExpressions: [{key: pod, operator: In, values: [b]}]\n'),
    ]);
    validate(cluster, 80, 'TCP', allowAll().expectAllIngress('x/a', false).expect('x/b', 'x/a', true));
  });

  it('should enforce policy based on NamespaceSelector with MatchExpressions', () => {
    const cluster = load([
      netpol(
        'allow-ns-y-match-selector',
        '  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - namespaceSelector:\n            matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: ["y"]}]\n',
      ),
    ]);
    validate(cluster, 80, 'TCP', allowAll().expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false).expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false));
  });

  it('should enforce policy based on PodSelector or NamespaceSelector', () => {
    const cluster = load([
      netpol(
        'allow-ns-y-match-selector',
        '  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - namespaceSelector:\n            matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: ["x"]}]\n        - podSelector: {matchLabels: {pod: b}}\n',
      ),
    ]);
    validate(cluster, 80, 'TCP', allowAll().expect('x/a', 'x/a', false).expect('x/c', 'x/a', false));
  });

  it('should enforce policy based on PodSelector and NamespaceSelector', () => {
    const cluster = load([
      netpol(
        'allow-ns-y-podselector-and-nsselector',
        '  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - namespaceSelector:\n            matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: ["x"]}]\n          podSelector: {matchLabels: {pod: b}}\n',
      ),
    ]);
    validate(cluster, 80, 'TCP', allowAll().expectAllIngress('x/a', false).expect('y/b', 'x/a', true).expect('z/b', 'x/a', true));
  });

  it('should enforce policy based on Multiple PodSelectors and NamespaceSelectors', () => {
    const cluster = load([
      netpol(
        'allow-ns-y-z-pod-b-c',
        '  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - namespaceSelector:\n            matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: ["x"]}]\n          podSelector:\n            matchExpressions: [{key: pod, operator: In, values: [b, c]}]\n',
      ),
    ]);
    validate(cluster, 80, 'TCP', allowAll().expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false).expect('y/a', 'x/a', false).expect('z/a', 'x/a', false));
  });

  it('should enforce policy based on any PodSelectors', () => {
    const cluster = load([
      netpol('allow-ns-x-pod-b-c', '  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - podSelector: {matchLabels: {pod: b}}\n        - podSelector: {matchLabels: {pod: c}}\n'),
    ]);
    validate(cluster, 80, 'TCP', allowAll().expectAllIngress('x/a', false).expect('x/b', 'x/a', true).expect('x/c', 'x/a', true));
  });

  it('should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector', () => {
    const cluster = load([
      netpol(
        'allow-ns-y-pod-a-via-namespace-pod-selector',
        `  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - namespaceSelector: ${nsSelector('y')}\n          podSelector: {matchLabels: {pod: a}}\n`,
      ),
    ]);
    validate(cluster, 80, 'TCP', allowAll().expectAllIngress('x/a', false).expect('y/a', 'x/a', true));
  });

  it('should enforce policy based on Ports', () => {
    const cluster = load([
      netpol('allow-client-a-via-ns-selector', `  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - namespaceSelector: ${nsSelector('y')}\n      ports:\n        - port: 81\n          protocol: TCP\n`),
    ]);
    validate(
      cluster,
      81,
      'TCP',
      allowAll().expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false).expectPeer({ namespace: 'y' }, { namespace: 'x', pod: 'a' }, true).expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false),
    );
  });

  it('should enforce multiple, stacked policies with overlapping podSelectors', () => {
    const allowPort = (name: string, portNumber: number): string =>
      netpol(name, `  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - namespaceSelector: ${nsSelector('y')}\n      ports:\n        - port: ${portNumber}\n          protocol: TCP\n`);
    const reachabilityAllow = (): Reachability =>
      allowAll().expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false).expectPeer({ namespace: 'y' }, { namespace: 'x', pod: 'a' }, true).expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false);
    const first = load([allowPort('allow-client-a-via-ns-selector', 81)]);
    validate(first, 81, 'TCP', reachabilityAllow());
    validate(first, 80, 'TCP', allowAll().expectAllIngress('x/a', false));
    // "Verifying that we can add a policy to unblock port 80"
    const stacked = load([allowPort('allow-client-a-via-ns-selector', 81), allowPort('allow-client-a-via-ns-selector-80', 80)]);
    validate(stacked, 80, 'TCP', reachabilityAllow());
  });

  it('should support allow-all policy', () => {
    const cluster = load([netpol('allow-all', '  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n    - {}\n')]);
    validate(cluster, 80, 'TCP', allowAll());
    validate(cluster, 81, 'TCP', allowAll());
  });

  it('should allow ingress access on one named port', () => {
    const cluster = load([netpol('allow-all', '  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n    - ports:\n        - port: serve-81-tcp\n')]);
    validate(cluster, 81, 'TCP', allowAll());
    validate(cluster, 80, 'TCP', allowAll().expectPeer({}, { namespace: 'x' }, false));
  });

  it('should allow ingress access from namespace on one named port', () => {
    const cluster = load([
      netpol(
        'allow-client-a-via-ns-selector-80',
        `  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - namespaceSelector: ${nsSelector('y')}\n      ports:\n        - port: serve-80-tcp\n          protocol: TCP\n`,
      ),
    ]);
    validate(cluster, 80, 'TCP', allowAll().expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false).expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false));
    validate(cluster, 81, 'TCP', allowAll().expectAllIngress('x/a', false));
  });

  it('should allow egress access on one named port', () => {
    const cluster = load([netpol('allow-egress', '  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n    - ports:\n        - port: serve-80-tcp\n')]);
    validate(cluster, 80, 'TCP', allowAll());
    validate(cluster, 81, 'TCP', allowAll().expectPeer({ namespace: 'x' }, {}, false));
  });

  it('should enforce updated policy', () => {
    const before = load([netpol('allow-all-mutate-to-deny-all', '  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n    - {}\n')]);
    validate(before, 81, 'TCP', allowAll());
    // policy.Spec.Ingress = []NetworkPolicyIngressRule{}: the same policy, now without rules.
    const after = load([netpol('allow-all-mutate-to-deny-all', '  podSelector: {}\n  policyTypes: [Ingress]\n  ingress: []\n')]);
    validate(after, 81, 'TCP', allowAll().expectPeer({}, { namespace: 'x' }, false));
  });

  it('should allow ingress access from updated namespace', () => {
    const policy = netpol('allow-client-a-via-ns-selector', '  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - namespaceSelector: {matchLabels: {ns2: updated}}\n');
    validate(load([policy]), 80, 'TCP', allowAll().expectAllIngress('x/a', false));
    // AddNamespaceLabel(k8s, nsY, "ns2", "updated")
    const relabelled = editModel('  name: "y"\n  labels:\n    ns: "y"\n', '  name: "y"\n  labels:\n    ns: "y"\n    ns2: updated\n');
    validate(load([policy], relabelled), 80, 'TCP', allowAll().expectAllIngress('x/a', false).expectPeer({ namespace: 'y' }, {}, true));
  });

  it('should allow ingress access from updated pod', () => {
    const policy = netpol('allow-client-a-via-pod-selector', '  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - podSelector: {matchLabels: {pod: b, pod2: updated}}\n');
    validate(load([policy]), 80, 'TCP', allowAll().expectAllIngress('x/a', false));
    // AddPodLabels(k8s, nsX, "b", {"pod": "b", "pod2": "updated"})
    const relabelled = editModel('  name: b\n  namespace: "x"\n  labels:\n    pod: b\n', '  name: b\n  namespace: "x"\n  labels:\n    pod: b\n    pod2: updated\n');
    validate(load([policy], relabelled), 80, 'TCP', allowAll().expectAllIngress('x/a', false).expect('x/b', 'x/a', true));
  });

  it('should deny ingress from pods on other namespaces', () => {
    const cluster = load([netpol('deny-empty-policy', '  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - podSelector: {matchLabels: {}}\n')]);
    validate(cluster, 80, 'TCP', allowAll().expectPeer({ namespace: 'y' }, { namespace: 'x' }, false).expectPeer({ namespace: 'z' }, { namespace: 'x' }, false));
  });

  it('should deny ingress access to updated pod', () => {
    const policy = denyIngress('deny-ingress-via-label-selector', '{matchLabels: {target: isolated}}');
    validate(load([policy]), 80, 'TCP', allowAll());
    const relabelled = editModel('  name: a\n  namespace: "x"\n  labels:\n    pod: a\n', '  name: a\n  namespace: "x"\n  labels:\n    pod: a\n    target: isolated\n');
    validate(load([policy], relabelled), 80, 'TCP', allowAll().expectAllIngress('x/a', false));
  });

  it('should deny egress from pods based on PodSelector', () => {
    const cluster = load([netpol('deny-egress-pod-a', '  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Egress]\n  egress: []\n')]);
    validate(cluster, 80, 'TCP', allowAll().expectAllEgress('x/a', false));
  });

  it('should deny egress from all pods in a namespace', () => {
    const cluster = load([netpol('deny-egress-ns-x', '  podSelector: {}\n  policyTypes: [Egress]\n  egress: []\n')]);
    validate(cluster, 80, 'TCP', allowAll().expectPeer({ namespace: 'x' }, {}, false));
  });

  it('should work with Ingress, Egress specified together', () => {
    const cluster = load([
      netpol(
        'allow-client-a-via-pod-selector',
        '  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Egress, Ingress]\n  ingress:\n    - from:\n        - podSelector: {matchLabels: {pod: b}}\n  egress:\n    - ports:\n        - port: 80\n',
      ),
    ]);
    validate(cluster, 80, 'TCP', allowAll().expectAllIngress('x/a', false).expect('x/b', 'x/a', true));
    validate(cluster, 81, 'TCP', allowAll().expectAllIngress('x/a', false).expectAllEgress('x/a', false).expect('x/b', 'x/a', true));
  });

  it('should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)', () => {
    const ingressFromXa = `  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - namespaceSelector: ${nsSelector('x')}\n          podSelector: {matchLabels: {pod: a}}\n`;
    const cluster = load([
      netpol('allow-to-ns-y-pod-a', `  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Egress]\n  egress:\n    - to:\n        - namespaceSelector: ${nsSelector('y')}\n          podSelector: {matchLabels: {pod: a}}\n`),
      netpol('allow-from-xa-on-ya-match-selector', `  podSelector: {matchLabels: {pod: a}}\n${ingressFromXa}`, 'y'),
      netpol('allow-from-xa-on-yb-match-selector', `  podSelector: {matchLabels: {pod: b}}\n${ingressFromXa}`, 'y'),
    ]);
    validate(
      cluster,
      80,
      'TCP',
      allowAll()
        .expectPeer({ namespace: 'x', pod: 'a' }, {}, false)
        .expectPeer({}, { namespace: 'y', pod: 'a' }, false)
        .expectPeer({ namespace: 'x', pod: 'a' }, { namespace: 'y', pod: 'a' }, true)
        .expectPeer({}, { namespace: 'y', pod: 'b' }, false),
    );
  });

  it('should enforce egress policy allowing traffic to a server in a different namespace based on PodSelector and NamespaceSelector', () => {
    const cluster = load([
      netpol('allow-to-ns-y-pod-a', `  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Egress]\n  egress:\n    - to:\n        - namespaceSelector: ${nsSelector('y')}\n          podSelector: {matchLabels: {pod: a}}\n`),
    ]);
    validate(cluster, 80, 'TCP', allowAll().expectAllEgress('x/a', false).expect('x/a', 'y/a', true));
  });

  it('should enforce ingress policy allowing any port traffic to a server on a specific protocol', () => {
    const cluster = load([netpol('allow-ingress-by-proto', '  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - ports:\n        - protocol: TCP\n')]);
    validate(cluster, 80, 'TCP', allowAll());
    validate(cluster, 80, 'UDP', allowAll().expectPeer({}, { namespace: 'x', pod: 'a' }, false));
  });

  it('should enforce multiple ingress policies with ingress allow-all policy taking precedence', () => {
    const onlyPort80 = netpol('allow-ingress-port-80', '  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n    - ports:\n        - port: 80\n');
    validate(load([onlyPort80]), 81, 'TCP', allowAll().expectPeer({}, { namespace: 'x' }, false));
    const withAllowAll = load([onlyPort80, netpol('allow-ingress', '  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n    - {}\n')]);
    validate(withAllowAll, 81, 'TCP', allowAll());
  });

  it('should enforce multiple egress policies with egress allow-all policy taking precedence', () => {
    const onlyPort80 = netpol('allow-egress-port-80', '  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n    - ports:\n        - port: 80\n');
    validate(load([onlyPort80]), 81, 'TCP', allowAll().expectPeer({ namespace: 'x' }, {}, false));
    const withAllowAll = load([onlyPort80, netpol('allow-egress', '  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n    - {}\n')]);
    validate(withAllowAll, 81, 'TCP', allowAll());
  });

  it('should stop enforcing policies after they are deleted', () => {
    const denyAll = netpol('deny-all', '  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  ingress: []\n  egress: []\n');
    validate(load([denyAll]), 80, 'TCP', allowAll().expectPeer({ namespace: 'x' }, {}, false).expectPeer({}, { namespace: 'x' }, false));
    validate(load([]), 80, 'TCP', allowAll());
  });

  it('should allow egress access to server in CIDR block', () => {
    const ip = podIp(load([]), 'y/b');
    const cluster = load([netpol('allow-client-a-via-cidr-egress-rule', `  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Egress]\n  egress:\n    - to:\n        - ipBlock: {cidr: ${ip}/32}\n`)]);
    validate(cluster, 80, 'TCP', allowAll().expectAllEgress('x/a', false).expect('x/a', 'y/b', true));
  });

  it('should enforce except clause while egress access to server in CIDR block', () => {
    const model = load([]);
    // Upstream writes fmt.Sprintf("%s/4", podA.Status.PodIP): the pod's own address with a /4, host bits and all.
    const cidr = `${podIp(model, 'x/a')}/4`;
    const cluster = load([
      netpol('allow-client-a-via-cidr-egress-rule', `  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Egress]\n  egress:\n    - to:\n        - ipBlock:\n            cidr: ${cidr}\n            except: [${podIp(model, 'x/b')}/32]\n`),
    ]);
    validate(cluster, 80, 'TCP', allowAll().expect('x/a', 'x/b', false));
  });

  it('should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed', () => {
    const model = load([]);
    const xb = `${podIp(model, 'x/b')}/32`;
    const first = load([
      netpol('allow-client-a-via-cidr-egress-rule', `  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Egress]\n  egress:\n    - to:\n        - ipBlock:\n            cidr: ${podIp(model, 'x/a')}/4\n            except: [${xb}]\n`),
    ]);
    validate(first, 80, 'TCP', allowAll().expect('x/a', 'x/b', false));
    // UpdatePolicy with the same name: the second policy replaces the first.
    const updated = load([netpol('allow-client-a-via-cidr-egress-rule', `  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Egress]\n  egress:\n    - to:\n        - ipBlock: {cidr: ${xb}}\n`)]);
    validate(updated, 80, 'TCP', allowAll().expectAllEgress('x/a', false).expect('x/a', 'x/b', true));
  });

  it('should enforce policies to check ingress and egress policies can be controlled independently based on PodSelector', () => {
    const allowEgress = netpol('allow-egress-for-target', '  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Egress]\n  egress:\n    - {}\n');
    validate(load([allowEgress]), 80, 'TCP', allowAll());
    const both = load([allowEgress, denyIngress('deny-ingress-via-label-selector', '{matchLabels: {pod: a}}')]);
    validate(both, 80, 'TCP', allowAll().expectAllIngress('x/a', false));
  });

  it("should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin doesn't support SCTP", () => {
    const cluster = load([
      denyIngress('deny-ingress'),
      netpol('allow-only-sctp-ingress-on-port-81', '  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - ports:\n        - port: 81\n          protocol: SCTP\n'),
    ]);
    validate(cluster, 81, 'TCP', allowAll().expectPeer({}, { namespace: 'x' }, false));
  });

  it("should properly isolate pods that are selected by a policy allowing SCTP, even if the plugin doesn't support SCTP", () => {
    const cluster = load([netpol('allow-only-sctp-ingress-on-port-80', '  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - ports:\n        - port: 80\n          protocol: SCTP\n')]);
    validate(cluster, 81, 'TCP', allowAll().expectAllIngress('x/a', false));
  });

  it('should not allow access by TCP when a policy specifies only UDP', () => {
    const cluster = load([netpol('allow-only-udp-ingress-on-port-81', '  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - ports:\n        - port: 81\n          protocol: UDP\n')]);
    validate(cluster, 81, 'TCP', allowAll().expectAllIngress('x/a', false));
  });

  it('should enforce policy to allow traffic based on NamespaceSelector with MatchLabels using default ns label', () => {
    const cluster = load([
      netpol('allow-client-a-via-ns-selector-for-immutable-ns-label', `  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - namespaceSelector: ${nsSelector('y')}\n`),
    ]);
    validate(cluster, 80, 'TCP', allowAll().expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false).expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false));
  });

  it('should enforce policy based on NamespaceSelector with MatchExpressions using default ns label', () => {
    const cluster = load([
      netpol(
        'allow-ns-y-match-selector-for-immutable-ns-label',
        '  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Egress]\n  egress:\n    - to:\n        - namespaceSelector:\n            matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: ["y"]}]\n',
      ),
    ]);
    validate(cluster, 80, 'TCP', allowAll().expectPeer({ namespace: 'x', pod: 'a' }, { namespace: 'y' }, false));
  });
});

// The same specs under "Netpol [LinuxOnly]" (UDP) and "Netpol [Feature:SCTPConnectivity]" (SCTP). The engine judges
// a flow by its port and protocol alone, so the TCP/UDP model stands in for upstream's SCTP-serving pods.
describe.each([['UDP'], ['SCTP']] as const)('upstream netpol e2e: NetworkPolicy between server and client using %s', (protocol) => {
  it("should support a 'default-deny-ingress' policy", () => {
    const cluster = load([denyIngress('deny-all')]);
    validate(cluster, 80, protocol, allowAll().expectPeer({}, { namespace: 'x' }, false));
  });

  it('should enforce policy based on Ports', () => {
    const cluster = load([
      netpol('allow-ingress-on-port-81-ns-x', `  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - namespaceSelector: ${nsSelector('y')}\n      ports:\n        - port: 81\n          protocol: ${protocol}\n`),
    ]);
    validate(cluster, 81, protocol, allowAll().expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false).expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false));
    // The same rule says nothing about TCP: port 81/TCP to x/a is denied for everyone (x/a is isolated).
    validate(cluster, 81, 'TCP', allowAll().expectAllIngress('x/a', false));
  });

  it('should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector', () => {
    const cluster = load([
      netpol(
        'allow-ns-y-pod-a-via-namespace-pod-selector',
        `  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - namespaceSelector: ${nsSelector('y')}\n          podSelector: {matchLabels: {pod: a}}\n`,
      ),
    ]);
    validate(cluster, 80, protocol, allowAll().expectAllIngress('x/a', false).expect('y/a', 'x/a', true));
  });
});

describe('upstream netpol API e2e (network_policy_api.go)', () => {
  const withEgressPort = (port: string): string =>
    netpol('e2e-example-netpol-endport-validate', `  podSelector: {matchLabels: {pod-name: test-pod}}\n  policyTypes: [Egress]\n  egress:\n    - ports:\n        - ${port}\n`);
  const parse = (doc: string) => parseManifests([{ file: 'np.yaml', text: doc }], { includeClusterDns: false });

  it('should support creating NetworkPolicy API with endport field', () => {
    // "EndPort field cannot be defined if the Port field is not defined."
    const noPort = parse(withEgressPort('{endPort: 20000}'));
    expect(noPort.cluster.policies).toEqual([]);
    expect(noPort.issues).toContainEqual(expect.objectContaining({ code: 'invalid-end-port', severity: 'error', path: 'spec.egress[0].ports[0].endPort' }));
    // "EndPort field cannot be defined if the Port field is defined as a named (string) port."
    const named = parse(withEgressPort('{port: serve-80, endPort: 20000}'));
    expect(named.cluster.policies).toEqual([]);
    expect(named.issues).toContainEqual(expect.objectContaining({ code: 'invalid-end-port', path: 'spec.egress[0].ports[0].endPort' }));
    // "When EndPort field is smaller than port, it will failed"
    const smaller = parse(withEgressPort('{port: 30000, endPort: 20000}'));
    expect(smaller.cluster.policies).toEqual([]);
    expect(smaller.issues).toContainEqual(expect.objectContaining({ code: 'invalid-end-port', path: 'spec.egress[0].ports[0].endPort' }));
    // "EndPort field is equal with port." and "EndPort field is greater than port."
    for (const accepted of ['{port: 20000, endPort: 20000}', '{port: 10000, endPort: 20000}']) {
      const result = parse(withEgressPort(accepted));
      expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
      expect(result.cluster.policies).toHaveLength(1);
    }
  });
});
