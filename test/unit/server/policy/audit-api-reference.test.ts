// Sentences of the NetworkPolicy API reference (networking.k8s.io/v1, kubernetes.io/docs/reference/kubernetes-api/
// policy-resources/network-policy-v1), of the LabelSelector reference and of the concepts page
// (kubernetes.io/docs/concepts/services-networking/network-policies) that no other engine test checked, plus the
// API server's defaulting (SetDefaults_*) of the objects the engine reads. Everything goes through plain YAML.
import { describe, expect, it } from 'vitest';
import { computeMatrix, evaluateFlow, findMatrixCell, parseManifests } from '../../../../server/policy/index.ts';
import type { Cluster, EndpointRef, Protocol } from '../../../../server/policy/index.ts';

function parse(text: string): ReturnType<typeof parseManifests> {
  return parseManifests([{ file: 'm.yaml', text }], { includeClusterDns: false });
}

function load(text: string): Cluster {
  const result = parse(text);
  expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
  return result.cluster;
}

const ref = (key: string): EndpointRef => {
  if (key.startsWith('external/')) return { kind: 'external', name: key.slice('external/'.length) };
  const [namespace = '', name = ''] = key.split('/');
  return { kind: 'pod', namespace, name };
};

/** evaluateFlow and the matrix must agree; the answer is returned. */
function allows(cluster: Cluster, from: string, to: string, port: number | string, protocol: Protocol = 'TCP'): boolean {
  const result = evaluateFlow(cluster, { from: ref(from), to: ref(to), port, protocol });
  if (!result.ok) throw new Error(result.error.message);
  const cell = findMatrixCell(computeMatrix(cluster, { port: result.verdict.port, protocol }), from, to, result.verdict.port, protocol);
  expect(cell?.isAllowed, `matrix ${from} -> ${to} ${port}/${protocol}`).toBe(result.verdict.isAllowed);
  return result.verdict.isAllowed;
}

const namespace = (name: string, labels = ''): string => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n  labels: {${labels}}\n`;
const pod = (ns: string, name: string, labels: string, ports = '[{name: http, containerPort: 80}, {name: dns, containerPort: 53, protocol: UDP}]'): string =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n  labels: {${labels}}\nspec:\n  containers:\n    - name: app\n      ports: ${ports}\n`;
const policy = (ns: string, name: string, spec: string): string => `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n${spec}`;
const docs = (...parts: string[]): string => parts.join('---\n');

// shop/web is the server; the clients differ only in labels.
const clients = docs(
  namespace('shop'),
  pod('shop', 'web', 'app: web'),
  pod('shop', 'both', 'role: client, tier: front'),
  pod('shop', 'role-only', 'role: client'),
  pod('shop', 'tier-back', 'role: client, tier: back'),
  pod('shop', 'bare', ''),
);
const ingressFrom = (selector: string): string =>
  policy('shop', 'web', `  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - podSelector: ${selector}\n`);

describe('API reference: LabelSelector', () => {
  it('"The requirements are ANDed." (matchLabels and matchExpressions of one selector)', () => {
    const cluster = load(docs(clients, ingressFrom('{matchLabels: {role: client}, matchExpressions: [{key: tier, operator: In, values: [front]}]}')));
    expect(allows(cluster, 'shop/both', 'shop/web', 80)).toBe(true);
    expect(allows(cluster, 'shop/role-only', 'shop/web', 80)).toBe(false);
    expect(allows(cluster, 'shop/tier-back', 'shop/web', 80)).toBe(false);
  });

  it('"A single {key,value} in the matchLabels map is equivalent to an element of matchExpressions, whose key field is "key", the operator is "In", and the values array contains only "value"."', () => {
    const viaLabels = load(docs(clients, ingressFrom('{matchLabels: {tier: front}}')));
    const viaExpression = load(docs(clients, ingressFrom('{matchExpressions: [{key: tier, operator: In, values: [front]}]}')));
    for (const client of ['shop/both', 'shop/role-only', 'shop/tier-back', 'shop/bare']) {
      expect(allows(viaExpression, client, 'shop/web', 80)).toBe(allows(viaLabels, client, 'shop/web', 80));
    }
    expect(allows(viaLabels, 'shop/both', 'shop/web', 80)).toBe(true);
  });

  it('operator NotIn: objects without the key are selected too (set-based "notin")', () => {
    const cluster = load(docs(clients, ingressFrom('{matchExpressions: [{key: tier, operator: NotIn, values: [back]}]}')));
    expect(allows(cluster, 'shop/both', 'shop/web', 80)).toBe(true);
    expect(allows(cluster, 'shop/role-only', 'shop/web', 80)).toBe(true);
    expect(allows(cluster, 'shop/bare', 'shop/web', 80)).toBe(true);
    expect(allows(cluster, 'shop/tier-back', 'shop/web', 80)).toBe(false);
  });

  it('operators Exists and DoesNotExist test the key only, whatever its value', () => {
    const exists = load(docs(clients, ingressFrom('{matchExpressions: [{key: tier, operator: Exists}]}')));
    expect([allows(exists, 'shop/both', 'shop/web', 80), allows(exists, 'shop/tier-back', 'shop/web', 80), allows(exists, 'shop/role-only', 'shop/web', 80)]).toEqual([true, true, false]);
    const absent = load(docs(clients, ingressFrom('{matchExpressions: [{key: tier, operator: DoesNotExist}]}')));
    expect([allows(absent, 'shop/both', 'shop/web', 80), allows(absent, 'shop/role-only', 'shop/web', 80), allows(absent, 'shop/bare', 'shop/web', 80)]).toEqual([false, true, true]);
  });
});

describe('API reference: NetworkPolicySpec.policyTypes', () => {
  const denyAllEgressFor = (types: string): string => policy('shop', 'no-egress', `  podSelector: {matchLabels: {app: web}}\n${types}  egress: []\n`);

  it('"if you want to write a policy that specifies that no egress is allowed, you must specify a policyTypes value that include "Egress" (since such a policy would not include an egress section and would otherwise default to just [ "Ingress" ])"', () => {
    const defaulted = load(docs(clients, denyAllEgressFor('')));
    expect(defaulted.policies[0]?.policyTypes).toEqual(['Ingress']);
    expect(allows(defaulted, 'shop/web', 'shop/bare', 80)).toBe(true);
    const explicit = load(docs(clients, denyAllEgressFor('  policyTypes: [Ingress, Egress]\n')));
    expect(allows(explicit, 'shop/web', 'shop/bare', 80)).toBe(false);
  });

  it('"policyTypes is a list of rule types that the NetworkPolicy relates to": an egress section of an Ingress-only policy isolates nothing', () => {
    const cluster = load(docs(clients, policy('shop', 'ingress-only', '  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n  egress:\n    - to: [{podSelector: {matchLabels: {role: client}}}]\n')));
    expect(allows(cluster, 'shop/web', 'shop/bare', 80)).toBe(true);
    expect(allows(cluster, 'shop/bare', 'shop/web', 80)).toBe(false);
  });
});

describe('concepts: the two sorts of pod isolation', () => {
  it('"Reply traffic for those allowed connections will also be implicitly allowed." (a pod that may not open connections still answers them)', () => {
    const cluster = load(docs(clients, policy('shop', 'web-no-egress', '  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]\n')));
    expect(allows(cluster, 'shop/web', 'shop/bare', 80)).toBe(false);
    expect(allows(cluster, 'shop/bare', 'shop/web', 80)).toBe(true);
  });
});

describe('API reference: NetworkPolicyPort', () => {
  const webIngressPorts = (ports: string): string => policy('shop', 'web', `  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n  ingress:\n    - ports: ${ports}\n`);

  it('port: "If this field is not provided, this matches all port names and numbers." and protocol: "If not specified, this field defaults to TCP." (ports: [{}] is every TCP port, no UDP)', () => {
    const cluster = load(docs(clients, webIngressPorts('[{}]')));
    expect(cluster.policies[0]?.ingress[0]?.matchesAllPorts).toBe(false);
    expect(allows(cluster, 'shop/bare', 'shop/web', 80)).toBe(true);
    expect(allows(cluster, 'shop/bare', 'shop/web', 31337)).toBe(true);
    expect(allows(cluster, 'shop/bare', 'shop/web', 53, 'UDP')).toBe(false);
    expect(allows(cluster, 'shop/bare', 'shop/web', 80, 'SCTP')).toBe(false);
  });

  it('port: "If present, only traffic on the specified protocol AND port will be matched." (a UDP port name under the default TCP protocol matches nothing)', () => {
    const tcpDefault = load(docs(clients, webIngressPorts('[{port: dns}]')));
    expect(allows(tcpDefault, 'shop/bare', 'shop/web', 53, 'UDP')).toBe(false);
    expect(allows(tcpDefault, 'shop/bare', 'shop/web', 53, 'TCP')).toBe(false);
    const udp = load(docs(clients, webIngressPorts('[{port: dns, protocol: UDP}]')));
    expect(allows(udp, 'shop/bare', 'shop/web', 53, 'UDP')).toBe(true);
    expect(allows(udp, 'shop/bare', 'shop/web', 'dns', 'UDP')).toBe(true);
    expect(allows(udp, 'shop/bare', 'shop/web', 80, 'TCP')).toBe(false);
  });

  it('protocol: a NetworkPolicyPort protocol is a pointer defaulted only when nil, so protocol: "" is NotSupported', () => {
    const result = parse(docs(clients, webIngressPorts('[{port: 80, protocol: ""}]')));
    expect(result.cluster.policies).toEqual([]);
    expect(result.issues).toContainEqual(expect.objectContaining({ code: 'invalid-protocol', path: 'spec.ingress[0].ports[0].protocol' }));
  });

  it('concepts: "The above rule allows any Pod with label role=db on the namespace default to communicate with any IP within the range 10.0.0.0/24 over TCP, provided that the target port is between the range 32000 and 32768."', () => {
    const cluster = load(
      docs(
        pod('default', 'db', 'role: db'),
        'apiVersion: rehearsal.dev/v1alpha1\nkind: ExternalEndpoint\nmetadata:\n  name: legacy\nspec:\n  ip: 10.0.0.7\n  ports: [{port: 32000}]\n',
        policy('default', 'multi-port-egress', '  podSelector:\n    matchLabels:\n      role: db\n  policyTypes:\n    - Egress\n  egress:\n    - to:\n        - ipBlock:\n            cidr: 10.0.0.0/24\n      ports:\n        - protocol: TCP\n          port: 32000\n          endPort: 32768\n'),
      ),
    );
    const cases: [number, Protocol, boolean][] = [
      [31999, 'TCP', false],
      [32000, 'TCP', true],
      [32400, 'TCP', true],
      [32768, 'TCP', true],
      [32769, 'TCP', false],
      [32000, 'UDP', false],
    ];
    for (const [port, protocol, expected] of cases) expect(allows(cluster, 'default/db', 'external/legacy', port, protocol), `${port}/${protocol}`).toBe(expected);
  });
});

describe('concepts: the example test-network-policy, rule by rule', () => {
  const example = docs(
    namespace('default'),
    namespace('mine', 'project: myproject'),
    namespace('other', 'project: theirs'),
    pod('default', 'db', 'role: db', '[{containerPort: 6379}]'),
    pod('default', 'frontend', 'role: frontend'),
    pod('default', 'backend', 'role: backend'),
    pod('mine', 'anything', 'app: whatever'),
    pod('other', 'frontend', 'role: frontend'),
    ...[
      ['in-first', '172.17.0.9'],
      ['excepted', '172.17.1.9'],
      ['in-rest', '172.17.200.9'],
      ['outside', '172.18.0.9'],
      ['egress-ok', '10.0.0.9'],
      ['egress-no', '10.0.1.9'],
    ].map(([name = '', ip = '']) => `apiVersion: rehearsal.dev/v1alpha1\nkind: ExternalEndpoint\nmetadata:\n  name: ${name}\nspec:\n  ip: ${ip}\n  ports: [{port: 5978}, {port: 6379}]\n`),
    policy(
      'default',
      'test-network-policy',
      `  podSelector:
    matchLabels:
      role: db
  policyTypes:
    - Ingress
    - Egress
  ingress:
    - from:
        - ipBlock:
            cidr: 172.17.0.0/16
            except:
              - 172.17.1.0/24
        - namespaceSelector:
            matchLabels:
              project: myproject
        - podSelector:
            matchLabels:
              role: frontend
      ports:
        - protocol: TCP
          port: 6379
  egress:
    - to:
        - ipBlock:
            cidr: 10.0.0.0/24
      ports:
        - protocol: TCP
          port: 5978
`,
    ),
  );

  it('"allows connections to all pods in the default namespace with the label role=db on TCP port 6379 from: any pod in the default namespace with the label role=frontend"', () => {
    const cluster = load(example);
    expect(allows(cluster, 'default/frontend', 'default/db', 6379)).toBe(true);
    expect(allows(cluster, 'default/frontend', 'default/db', 6380)).toBe(false);
    expect(allows(cluster, 'default/backend', 'default/db', 6379)).toBe(false);
    // role=frontend in another namespace is not "in the default namespace".
    expect(allows(cluster, 'other/frontend', 'default/db', 6379)).toBe(false);
  });

  it('"any pod in a namespace with the label project=myproject"', () => {
    const cluster = load(example);
    expect(allows(cluster, 'mine/anything', 'default/db', 6379)).toBe(true);
    expect(allows(cluster, 'mine/anything', 'default/db', 6379, 'UDP')).toBe(false);
  });

  it('"IP addresses in the ranges 172.17.0.0–172.17.0.255 and 172.17.2.0–172.17.255.255 (ie, all of 172.17.0.0/16 except 172.17.1.0/24)"', () => {
    const cluster = load(example);
    expect(allows(cluster, 'external/in-first', 'default/db', 6379)).toBe(true);
    expect(allows(cluster, 'external/in-rest', 'default/db', 6379)).toBe(true);
    expect(allows(cluster, 'external/excepted', 'default/db', 6379)).toBe(false);
    expect(allows(cluster, 'external/outside', 'default/db', 6379)).toBe(false);
  });

  it('"(Egress rules) allows connections from any pod in the default namespace with the label role=db to CIDR 10.0.0.0/24 on TCP port 5978"', () => {
    const cluster = load(example);
    expect(allows(cluster, 'default/db', 'external/egress-ok', 5978)).toBe(true);
    expect(allows(cluster, 'default/db', 'external/egress-ok', 6379)).toBe(false);
    expect(allows(cluster, 'default/db', 'external/egress-no', 5978)).toBe(false);
    // "isolates role=db pods in the default namespace for both ingress and egress traffic": pods, too, are out of reach.
    expect(allows(cluster, 'default/db', 'default/frontend', 80)).toBe(false);
    // Other pods of the namespace are not selected, so not isolated.
    expect(allows(cluster, 'default/backend', 'default/frontend', 80)).toBe(true);
  });
});

describe('API defaulting of the objects policies select (pkg/apis/core/v1/defaults.go)', () => {
  it('SetDefaults_ContainerPort: "if obj.Protocol == "" { obj.Protocol = v1.ProtocolTCP }"', () => {
    const result = parse(docs(namespace('shop'), pod('shop', 'web', 'app: web', '[{name: http, containerPort: 80, protocol: ""}]')));
    expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(result.cluster.pods[0]?.containers[0]?.ports).toEqual([{ name: 'http', containerPort: 80, protocol: 'TCP' }]);
  });

  it('SetDefaults_Service: an empty protocol is TCP, and "if sp.TargetPort == intstr.FromInt32(0) || sp.TargetPort == intstr.FromString("") { sp.TargetPort = intstr.FromInt32(sp.Port) }"', () => {
    const result = parse(
      docs(
        namespace('shop'),
        pod('shop', 'web', 'app: web'),
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector: {app: web}\n  ports:\n    - {name: a, port: 80, targetPort: 0, protocol: ""}\n    - {name: b, port: 8080, targetPort: ""}\n',
      ),
    );
    expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(result.cluster.services.find((s) => s.name === 'web')?.ports).toEqual([
      { name: 'a', port: 80, targetPort: 80, protocol: 'TCP' },
      { name: 'b', port: 8080, targetPort: 8080, protocol: 'TCP' },
    ]);
  });

  it('sidecar containers: "If an init container is created with its restartPolicy set to Always, it will start and remain running during the entire life of the Pod" (its named ports resolve)', () => {
    const sidecarPod =
      'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec:\n' +
      '  initContainers:\n    - {name: setup, ports: [{name: setup, containerPort: 9000}]}\n    - {name: proxy, restartPolicy: Always, ports: [{name: metrics, containerPort: 9090}]}\n' +
      '  containers:\n    - {name: app, ports: [{name: http, containerPort: 80}]}\n';
    const cluster = load(
      docs(namespace('shop'), sidecarPod, pod('shop', 'scraper', 'role: scraper'), policy('shop', 'metrics', '  podSelector: {matchLabels: {app: web}}\n  ingress:\n    - ports: [{port: metrics}, {port: setup}]\n')),
    );
    expect(cluster.pods.find((p) => p.name === 'web')?.containers.map((c) => c.name)).toEqual(['app', 'proxy']);
    expect(allows(cluster, 'shop/scraper', 'shop/web', 9090)).toBe(true);
    expect(allows(cluster, 'shop/scraper', 'shop/web', 'metrics')).toBe(true);
    // A regular init container has finished before the pod serves: its port name resolves to nothing.
    expect(allows(cluster, 'shop/scraper', 'shop/web', 9000)).toBe(false);
  });

  it('kubectl reads YAML with go-yaml, whose ints are strconv.ParseInt(text, 0, 64): port: 0o120 is port 80, not a port name', () => {
    const cluster = load(docs(clients, policy('shop', 'octal', '  podSelector: {matchLabels: {app: web}}\n  ingress:\n    - ports: [{port: 0o120}, {port: 0X51}]\n')));
    expect(cluster.policies[0]?.ingress[0]?.ports.map((p) => p.port)).toEqual([80, 81]);
    expect(allows(cluster, 'shop/bare', 'shop/web', 80)).toBe(true);
    expect(allows(cluster, 'shop/bare', 'shop/web', 81)).toBe(true);
    expect(allows(cluster, 'shop/bare', 'shop/web', 82)).toBe(false);
    // Quoted, it stays a string: a port name, as the API reads "80" too.
    expect(load(docs(clients, policy('shop', 'quoted', '  podSelector: {}\n  ingress:\n    - ports: [{port: "0o120"}]\n'))).policies[0]?.ingress[0]?.ports[0]?.port).toBe('0o120');
  });
});
