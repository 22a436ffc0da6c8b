// Reading manifests as people keep them: multi-document YAML, JSON, List kinds, unknown kinds and fields, duplicates,
// hostile input, and the upstream e2e model fixture.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../../../server/policy/index.ts';
import type { ParseResult } from '../../../../server/policy/index.ts';

const fixtureDir = new URL('../../../fixtures/', import.meta.url);

function parseText(text: string, file = 'm.yaml'): ParseResult {
  return parseManifests([{ file, text }], { includeClusterDns: false });
}

const pod = (name: string, namespace = 'shop'): string =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n  labels: {app: ${name}}\nspec:\n  containers:\n    - name: app\n      ports: [{containerPort: 80}]\n`;
const namespaceDoc = (name: string): string => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;

describe('the upstream e2e model fixture', () => {
  it('parses with zero issues into 9 pods + coredns and 9 services + kube-dns', () => {
    const text = readFileSync(new URL('upstream-model.yaml', fixtureDir), 'utf8');
    const result = parseManifests([{ file: 'upstream-model.yaml', text }]);
    expect(result.issues).toEqual([]);
    expect(result.ignored).toEqual([]);
    const userPods = result.cluster.pods.filter((p) => !p.isSystem);
    expect(userPods.map((p) => `${p.namespace}/${p.name}`)).toEqual(['x/a', 'x/b', 'x/c', 'y/a', 'y/b', 'y/c', 'z/a', 'z/b', 'z/c']);
    expect(result.cluster.pods.filter((p) => p.isSystem).map((p) => `${p.namespace}/${p.name}`)).toEqual(['kube-system/coredns-0']);
    expect(result.cluster.services.filter((s) => !s.isSystem)).toHaveLength(9);
    expect(result.cluster.services.filter((s) => s.isSystem).map((s) => s.name)).toEqual(['kube-dns']);
    expect(result.cluster.namespaces.map((n) => n.name)).toEqual(['default', 'kube-system', 'x', 'y', 'z']);
    expect(result.cluster.namespaces.find((n) => n.name === 'y')?.labels).toEqual({ ns: 'y', 'kubernetes.io/metadata.name': 'y' });
    const a = userPods[0];
    expect(a?.labels).toEqual({ pod: 'a' });
    expect(a?.containers.map((c) => [c.name, c.ports])).toEqual([
      ['cont-80-tcp', [{ name: 'serve-80-tcp', containerPort: 80, protocol: 'TCP' }]],
      ['cont-80-udp', [{ name: 'serve-80-udp', containerPort: 80, protocol: 'UDP' }]],
      ['cont-81-tcp', [{ name: 'serve-81-tcp', containerPort: 81, protocol: 'TCP' }]],
      ['cont-81-udp', [{ name: 'serve-81-udp', containerPort: 81, protocol: 'UDP' }]],
    ]);
    const service = result.cluster.services.find((s) => s.name === 's-y-b');
    expect(service).toMatchObject({ namespace: 'y', selector: { pod: 'b' } });
    expect(service?.ports.map((p) => `${p.port}/${p.protocol}`)).toEqual(['80/TCP', '80/UDP', '81/TCP', '81/UDP']);
    expect(new Set(result.cluster.pods.map((p) => p.ips[0])).size).toBe(10);
  });

  it('the SCTP variant has pods x/a and x/b with an extra SCTP port 80', () => {
    const text = readFileSync(new URL('upstream-model-sctp.yaml', fixtureDir), 'utf8');
    const result = parseManifests([{ file: 'upstream-model-sctp.yaml', text }], { includeClusterDns: false });
    expect(result.issues).toEqual([]);
    expect(result.cluster.pods.map((p) => p.name)).toEqual(['a', 'b']);
    expect(result.cluster.pods[0]?.containers.flatMap((c) => c.ports.map((p) => `${p.containerPort}/${p.protocol}`))).toEqual(['80/TCP', '80/UDP', '80/SCTP', '81/TCP', '81/UDP']);
  });
});

describe('documents, Lists and JSON', () => {
  it('reads multi-document YAML; skips empty documents; records docIndex and line', () => {
    const result = parseText(`# leading comment\n---\n${namespaceDoc('shop')}---\n---\n${pod('web')}`);
    expect(result.issues).toEqual([]);
    expect(result.cluster.pods[0]?.source).toEqual({ file: 'm.yaml', line: 9, docIndex: 2, path: '' });
    expect(result.cluster.namespaces.find((n) => n.name === 'shop')?.source.line).toBe(3);
  });

  it('reads kind: List with items at items[i], and issues point into the item', () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Namespace\n    metadata: {name: shop}\n  - apiVersion: networking.k8s.io/v1\n    kind: NetworkPolicy\n    metadata: {name: deny, namespace: shop}\n    spec:\n      podSelector: {}\n      policyTypes: [Sideways]\n`;
    const result = parseText(text);
    expect(result.cluster.namespaces.map((n) => n.name)).toContain('shop');
    expect(result.cluster.namespaces.find((n) => n.name === 'shop')?.source.path).toBe('items[0]');
    expect(result.issues).toEqual([expect.objectContaining({ code: 'invalid-policy-type', path: 'items[1].spec.policyTypes[0]', line: 12 })]);
  });

  it('reads typed lists (NetworkPolicyList) whose items leave kind out', () => {
    const text = `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicyList\nitems:\n  - metadata: {name: a, namespace: default}\n    spec: {podSelector: {}}\n  - metadata: {name: b, namespace: default}\n    spec: {podSelector: {}}\n`;
    const result = parseText(text);
    expect(result.issues).toEqual([]);
    expect(result.cluster.policies.map((p) => [p.name, p.source.path])).toEqual([
      ['a', 'items[0]'],
      ['b', 'items[1]'],
    ]);
  });

  it('checks the List apiVersion against its item kind', () => {
    const result = parseText('apiVersion: v1\nkind: NetworkPolicyList\nitems: []\n');
    expect(result.issues).toEqual([expect.objectContaining({ code: 'wrong-api-version', path: 'apiVersion', line: 1 })]);
  });

  it('reads JSON, including a JSON List', () => {
    const json = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p' }, spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] } }] }, null, 2);
    const result = parseText(json, 'policies.json');
    expect(result.issues).toEqual([]);
    expect(result.cluster.policies[0]?.ingress[0]?.peers[0]).toMatchObject({ kind: 'ipBlock', ipBlock: { cidr: '10.0.0.0/8' } });
  });

  it('points JSON issues at the right line', () => {
    const json = '{\n  "apiVersion": "networking.k8s.io/v1",\n  "kind": "NetworkPolicy",\n  "metadata": {"name": "p"},\n  "spec": {\n    "podSelector": {},\n    "ingress": [{"ports": [{"port": 0}]}]\n  }\n}\n';
    expect(parseText(json, 'p.json').issues).toEqual([expect.objectContaining({ code: 'invalid-port', path: 'spec.ingress[0].ports[0].port', line: 7, file: 'p.json' })]);
  });

  it('reports YAML syntax errors with their line and keeps the valid documents', () => {
    const result = parseText(`${namespaceDoc('shop')}---\napiVersion: v1\nkind: Pod\nmetadata: {name: [broken}\n---\n${pod('web')}`);
    expect(result.issues.length).toBeGreaterThan(0);
    expect(result.issues.every((i) => i.code === 'yaml-syntax' && i.line === 8 && i.severity === 'error')).toBe(true);
    expect(result.cluster.pods.map((p) => p.name)).toEqual(['web']);
  });

  it('reports duplicate keys as kubectl does', () => {
    const result = parseText('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n');
    expect(result.issues).toEqual([expect.objectContaining({ code: 'yaml-syntax', line: 5 })]);
  });

  it('a document that is not a map is an error', () => {
    expect(parseText('- a\n- b\n').issues).toEqual([expect.objectContaining({ code: 'not-an-object', line: 1 })]);
    expect(parseText('just text\n').issues).toEqual([expect.objectContaining({ code: 'not-an-object' })]);
  });

  it('YAML 1.1 booleans (kubectl reads yes/no/on/off/y/n as booleans) are rejected where a string is expected', () => {
    const result = parseText('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    enabled: yes\n    ns: y\n');
    expect(result.issues.map((i) => [i.code, i.path, i.line])).toEqual([
      ['invalid-type', 'metadata.labels.enabled', 6],
      ['invalid-type', 'metadata.labels.ns', 7],
    ]);
    expect(result.issues[0]?.fix).toContain('quote');
  });

  it('YAML merge keys and anchors work as in go-yaml', () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Namespace\n    metadata:\n      name: shop\n      labels: &common {team: a, tier: back}\n  - apiVersion: v1\n    kind: Namespace\n    metadata:\n      name: web\n      labels:\n        <<: *common\n        tier: front\n`;
    const result = parseText(text);
    expect(result.issues).toEqual([]);
    expect(result.cluster.namespaces.find((n) => n.name === 'web')?.labels).toEqual({ team: 'a', tier: 'front', 'kubernetes.io/metadata.name': 'web' });
  });
});

describe('kinds, apiVersions and fields', () => {
  it('unknown kinds are a warning and an ignored entry, never silently dropped', () => {
    const result = parseText('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n');
    expect(result.issues).toEqual([expect.objectContaining({ code: 'unknown-kind', severity: 'warning', path: 'kind', line: 2, message: 'kind "ConfigMap" is not used by rehearsal and was ignored' })]);
    expect(result.ignored).toEqual([{ kind: 'ConfigMap', name: 'settings', file: 'm.yaml', line: 1 }]);
  });

  it.each([
    ['NetworkPolicy', 'extensions/v1beta1', 'networking.k8s.io/v1'],
    ['Deployment', 'apps/v1beta1', 'apps/v1'],
    ['Pod', 'apps/v1', 'v1'],
    ['Job', 'batch/v1beta1', 'batch/v1'],
    ['ExternalEndpoint', 'v1', 'rehearsal.dev/v1alpha1'],
  ])('apiVersion must match the kind: %s in %s is an error', (kind, apiVersion, expected) => {
    const result = parseText(`apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: x}\n`);
    expect(result.issues).toEqual([expect.objectContaining({ code: 'wrong-api-version', path: 'apiVersion', line: 1, fix: `set apiVersion: ${expected}` })]);
  });

  it('missing kind and missing apiVersion are errors', () => {
    expect(parseText('apiVersion: v1\nmetadata: {name: x}\n').issues).toEqual([expect.objectContaining({ code: 'missing-kind' })]);
    expect(parseText('kind: Pod\nmetadata: {name: x}\n').issues).toEqual([expect.objectContaining({ code: 'missing-api-version', path: 'apiVersion' })]);
  });

  it('unknown fields in a Pod are errors with did-you-mean, at the key line', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  lables: {app: web}\nspec:\n  containers:\n    - name: app\n      port:\n        - containerPort: 80\n';
    const result = parseText(text);
    expect(result.issues.map((i) => [i.code, i.path, i.line, i.fix])).toEqual([
      ['unknown-field', 'metadata.lables', 5, 'did you mean "labels"?'],
      ['unknown-field', 'spec.containers[0].port', 9, 'did you mean "ports"?'],
    ]);
    expect(result.cluster.pods).toEqual([]);
  });

  it('fields rehearsal does not interpret are accepted as written', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  annotations: {note: x}\nspec:\n  volumes: [{name: data, emptyDir: {}}]\n  containers:\n    - name: app\n      image: nginx\n      resources: {limits: {cpu: 100m}}\n      env: [{name: A, value: b}]\nstatus: {phase: Running}\n';
    expect(parseText(text).issues).toEqual([]);
  });

  it.each([
    ['../x', 'path traversal'],
    ['$(rm -rf /)', 'shell syntax'],
    ['a'.repeat(300), '300 characters'],
    ['wéb', 'unicode'],
    ['Web', 'upper case'],
  ])('hostile or invalid pod name %#: %s gets a clear invalid-name error', (name) => {
    const result = parseText(`apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${JSON.stringify(name)}\nspec:\n  containers: [{name: app}]\n`);
    expect(result.issues).toEqual([expect.objectContaining({ code: 'invalid-name', path: 'metadata.name', line: 4, severity: 'error' })]);
    expect(result.issues[0]?.message).toContain('DNS-1123 subdomain');
    expect(result.cluster.pods).toEqual([]);
  });

  it('namespace names are DNS-1123 labels (no dots); Service names are DNS-1035 labels (start with a letter)', () => {
    expect(parseText(namespaceDoc('shop.prod')).issues).toEqual([expect.objectContaining({ code: 'invalid-name', message: expect.stringContaining('DNS-1123 label') })]);
    const service = parseText('apiVersion: v1\nkind: Service\nmetadata: {name: 1db}\nspec: {ports: [{port: 80}]}\n');
    expect(service.issues).toEqual([expect.objectContaining({ code: 'invalid-name', message: expect.stringContaining('DNS-1035') })]);
  });

  it('label keys are qualified names with an optional DNS prefix', () => {
    const result = parseText('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    app.kubernetes.io/name: shop\n    "Bad_Prefix/x": a\n    "a/b/c": a\n    "": a\n');
    expect(result.issues.map((i) => [i.code, i.path])).toEqual([
      ['invalid-label-key', 'metadata.labels[Bad_Prefix/x]'],
      ['invalid-label-key', 'metadata.labels[a/b/c]'],
      ['invalid-label-key', 'metadata.labels[]'],
    ]);
  });

  it('a duplicate namespace/name across documents is an error naming both places; the later wins', () => {
    const first = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec: {podSelector: {}}\n';
    const second = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec: {podSelector: {}, policyTypes: [Egress]}\n';
    const result = parseManifests([{ file: 'a.yaml', text: namespaceDoc('shop') + '---\n' + first }, { file: 'b.yaml', text: second }], { includeClusterDns: false });
    expect(result.issues).toEqual([expect.objectContaining({ code: 'duplicate-object', file: 'b.yaml', line: 1, message: expect.stringContaining('a.yaml:6 and at b.yaml:1') })]);
    expect(result.cluster.policies.map((p) => p.policyTypes)).toEqual([['Egress']]);
  });

  it('namespaces: default and kube-system always exist; a used but undeclared namespace is created with a warning', () => {
    const result = parseText(pod('web', 'shop'));
    expect(result.cluster.namespaces.map((n) => [n.name, n.isImplicit])).toEqual([
      ['default', true],
      ['kube-system', true],
      ['shop', true],
    ]);
    expect(result.issues).toEqual([expect.objectContaining({ code: 'implicit-namespace', severity: 'warning', path: 'metadata.namespace', line: 5 })]);
    expect(result.cluster.namespaces[2]?.labels).toEqual({ 'kubernetes.io/metadata.name': 'shop' });
  });

  it('the API server overrides a written kubernetes.io/metadata.name label', () => {
    const result = parseText('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {kubernetes.io/metadata.name: other}\n');
    expect(result.cluster.namespaces.find((n) => n.name === 'shop')?.labels['kubernetes.io/metadata.name']).toBe('shop');
    expect(result.issues).toEqual([expect.objectContaining({ code: 'namespace-name-label', severity: 'warning' })]);
  });

  it('output is sorted by namespace then name, whatever the input order', () => {
    const result = parseText([namespaceDoc('b'), namespaceDoc('a'), pod('web', 'b'), pod('db', 'a'), pod('api', 'b')].join('---\n'));
    expect(result.cluster.pods.map((p) => `${p.namespace}/${p.name}`)).toEqual(['a/db', 'b/api', 'b/web']);
    expect(result.cluster.namespaces.map((n) => n.name)).toEqual(['a', 'b', 'default', 'kube-system']);
  });

  it('the same input always gives the same cluster', () => {
    const text = [namespaceDoc('shop'), pod('a'), pod('b')].join('---\n');
    expect(parseText(text)).toEqual(parseText(text));
  });
});

describe('cluster DNS', () => {
  it('adds kube-system/coredns-0 and Service kube-dns at 10.96.0.10 unless a kube-dns pod exists', () => {
    const result = parseManifests([{ file: 'm.yaml', text: namespaceDoc('shop') }]);
    const dnsPod = result.cluster.pods.find((p) => p.name === 'coredns-0');
    expect(dnsPod).toMatchObject({ namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, isSystem: true });
    expect(dnsPod?.containers).toEqual([{ name: 'coredns', ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' }] }]);
    const dns = result.cluster.services.find((s) => s.name === 'kube-dns');
    expect(dns).toMatchObject({ namespace: 'kube-system', clusterIP: '10.96.0.10', selector: { 'k8s-app': 'kube-dns' }, isSystem: true });
    expect(dns?.ports).toEqual([
      { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP' },
    ]);
    expect(result.cluster.dnsServiceIp).toBe('10.96.0.10');
  });

  it('uses the 10th address of a custom service CIDR', () => {
    const result = parseManifests([], { serviceCidr: '172.20.0.0/16' });
    expect(result.cluster.dnsServiceIp).toBe('172.20.0.10');
    expect(result.cluster.serviceCidr).toBe('172.20.0.0/16');
  });

  it('keeps a DNS pod the manifests declare and adds no second one', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: my-dns\n  namespace: kube-system\n  labels: {k8s-app: kube-dns}\nspec:\n  containers: [{name: dns, ports: [{containerPort: 53, protocol: UDP}]}]\n';
    const result = parseManifests([{ file: 'm.yaml', text }]);
    expect(result.cluster.pods.map((p) => p.name)).toEqual(['my-dns']);
    expect(result.cluster.services.map((s) => s.name)).toEqual(['kube-dns']);
  });

  it('includeClusterDns: false adds nothing', () => {
    const result = parseManifests([], { includeClusterDns: false });
    expect(result.cluster.pods).toEqual([]);
    expect(result.cluster.services).toEqual([]);
    expect(result.cluster.dnsServiceIp).toBe('');
  });
});

describe('options and limits', () => {
  it('an invalid podCidr is an issue and the default is used', () => {
    const result = parseManifests([], { podCidr: 'banana', includeClusterDns: false });
    expect(result.issues).toEqual([expect.objectContaining({ code: 'invalid-option', path: 'podCidr' })]);
    expect(result.cluster.podCidr).toBe('10.244.0.0/16');
  });

  it('overlapping pod and service CIDRs are an issue', () => {
    const result = parseManifests([], { podCidr: '10.96.0.0/16', includeClusterDns: false });
    expect(result.issues).toEqual([expect.objectContaining({ code: 'invalid-option', path: 'serviceCidr' })]);
  });

  it('maxObjects stops reading with one issue', () => {
    const text = Array.from({ length: 5 }, (_, i) => namespaceDoc(`n${i}`)).join('---\n');
    const result = parseManifests([{ file: 'm.yaml', text }], { maxObjects: 3, includeClusterDns: false });
    expect(result.issues).toEqual([expect.objectContaining({ code: 'too-many-objects', line: 16 })]);
    expect(result.cluster.namespaces.filter((n) => !n.isImplicit)).toHaveLength(3);
  });

  it('sources over 5 MiB are refused with an issue', () => {
    const result = parseText(`# ${'x'.repeat(5 * 1024 * 1024)}\n`);
    expect(result.issues).toEqual([expect.objectContaining({ code: 'source-too-large' })]);
  });
});

describe('hostile input never throws', () => {
  const cases: [string, string][] = [
    ['binary', '\u0000\u0001\u0002ELF\u0000'],
    ['random bytes', Array.from({ length: 4000 }, (_, i) => String.fromCharCode((i * 7919) % 65536)).join('')],
    ['deep flow nesting', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    ['deep block nesting', Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')],
    ['alias bomb', 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n'],
    ['undefined alias', 'kind: *nothing\n'],
    ['tabs', 'apiVersion: v1\n\tkind: Pod\n'],
    ['many empty documents', '---\n'.repeat(21_000)],
    ['huge key', `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  ${'k'.repeat(100_000)}: 1\n`],
    ['kind is a map', 'apiVersion: v1\nkind: {a: b}\n'],
    ['metadata is a list', 'apiVersion: v1\nkind: Pod\nmetadata: [1, 2]\nspec: 5\n'],
    ['custom tag', 'apiVersion: !!binary aGVsbG8=\nkind: !custom Pod\n'],
    ['__proto__ keys', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels:\n    __proto__: polluted\n    constructor: x\n'],
  ];
  it.each(cases)('%s', (_name, text) => {
    const result = parseText(text);
    expect(Array.isArray(result.issues)).toBe(true);
    for (const issue of result.issues) {
      expect(typeof issue.code).toBe('string');
      expect(issue.fix.length).toBeGreaterThan(0);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('the alias bomb is reported, not expanded', () => {
    const bomb = cases.find(([name]) => name === 'alias bomb')?.[1] ?? '';
    expect(parseText(bomb).issues).toEqual([expect.objectContaining({ code: 'yaml-alias-limit' })]);
  });

  it('deep nesting is reported', () => {
    expect(parseText(`${'['.repeat(5000)}${']'.repeat(5000)}`).issues).toEqual([expect.objectContaining({ code: 'yaml-too-deep' })]);
    expect(parseText(Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')).issues).toEqual([expect.objectContaining({ code: 'yaml-too-deep' })]);
  });
});
