// NetworkPolicy validation and defaulting, one row per API server rule, each checked at its exact path and line.

import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../../../server/policy/index.ts';
import type { Issue, Policy } from '../../../../server/policy/index.ts';

const header = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: shop\n';

/** Parses one policy; `# <-` marks the line the issue must point at. */
function parsePolicy(body: string): { issues: Issue[]; policies: readonly Policy[]; markedLine: number } {
  const text = header + body;
  const markedLine = text.split('\n').findIndex((line) => line.includes('# <-')) + 1;
  const result = parseManifests([{ file: 'p.yaml', text }], { includeClusterDns: false });
  return { issues: result.issues.filter((i) => i.code !== 'implicit-namespace'), policies: result.cluster.policies, markedLine };
}

const rejected: { rule: string; body: string; code: string; path: string; fixContains?: string }[] = [
  {
    rule: 'In needs values: "values: Required value: must be specified when `operator` is \'In\' or \'NotIn\'"',
    body: 'spec:\n  podSelector:\n    matchExpressions:\n      - key: app   # <-\n        operator: In\n',
    code: 'invalid-selector',
    path: 'spec.podSelector.matchExpressions[0].values',
  },
  {
    rule: 'NotIn needs values',
    body: 'spec:\n  podSelector:\n    matchExpressions:\n      - {key: app, operator: NotIn, values: []}   # <-\n',
    code: 'invalid-selector',
    path: 'spec.podSelector.matchExpressions[0].values',
  },
  {
    rule: "Exists takes no values: \"may not be specified when `operator` is 'Exists' or 'DoesNotExist'\"",
    body: 'spec:\n  podSelector:\n    matchExpressions:\n      - key: app\n        operator: Exists\n        values: [web]   # <-\n',
    code: 'invalid-selector',
    path: 'spec.podSelector.matchExpressions[0].values',
  },
  {
    rule: 'operators are case-sensitive (did-you-mean In)',
    body: 'spec:\n  podSelector:\n    matchExpressions:\n      - key: app\n        operator: in   # <-\n        values: [web]\n',
    code: 'invalid-selector',
    path: 'spec.podSelector.matchExpressions[0].operator',
    fixContains: '"In"',
  },
  {
    rule: 'selector keys are qualified names',
    body: 'spec:\n  podSelector:\n    matchLabels:\n      "bad key": web   # <-\n',
    code: 'invalid-label-key',
    path: 'spec.podSelector.matchLabels[bad key]',
  },
  {
    rule: 'selector values are label values (<= 63 characters)',
    body: `spec:\n  podSelector:\n    matchLabels:\n      app: ${'a'.repeat(64)}   # <-\n`,
    code: 'invalid-label-value',
    path: 'spec.podSelector.matchLabels.app',
  },
  {
    rule: 'matchExpressions values are label values',
    body: 'spec:\n  podSelector:\n    matchExpressions:\n      - key: app\n        operator: In\n        values:\n          - "-web"   # <-\n',
    code: 'invalid-label-value',
    path: 'spec.podSelector.matchExpressions[0].values[0]',
  },
  {
    rule: 'port numbers are 1..65535 (0)',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - ports:\n        - port: 0   # <-\n',
    code: 'invalid-port',
    path: 'spec.ingress[0].ports[0].port',
  },
  {
    rule: 'port numbers are 1..65535 (65536)',
    body: 'spec:\n  podSelector: {}\n  egress:\n    - ports:\n        - port: 65536   # <-\n',
    code: 'invalid-port',
    path: 'spec.egress[0].ports[0].port',
  },
  {
    rule: 'named ports are IANA_SVC_NAME: lower case only',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - ports:\n        - port: HTTP   # <-\n',
    code: 'invalid-port-name',
    path: 'spec.ingress[0].ports[0].port',
  },
  {
    rule: 'named ports are at most 15 characters',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - ports:\n        - port: metrics-and-health   # <-\n',
    code: 'invalid-port-name',
    path: 'spec.ingress[0].ports[0].port',
  },
  {
    rule: 'named ports need at least one letter (a quoted "80" is a name)',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - ports:\n        - port: "80"   # <-\n',
    code: 'invalid-port-name',
    path: 'spec.ingress[0].ports[0].port',
    fixContains: 'quotes',
  },
  {
    rule: 'named ports have no consecutive hyphens',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - ports:\n        - port: web--http   # <-\n',
    code: 'invalid-port-name',
    path: 'spec.ingress[0].ports[0].port',
  },
  {
    rule: 'named ports do not start or end with a hyphen',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - ports:\n        - port: http-   # <-\n',
    code: 'invalid-port-name',
    path: 'spec.ingress[0].ports[0].port',
  },
  {
    rule: 'endPort "may not be specified when `port` is non-numeric"',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - ports:\n        - port: http\n          endPort: 90   # <-\n',
    code: 'invalid-end-port',
    path: 'spec.ingress[0].ports[0].endPort',
  },
  {
    rule: 'endPort "must be greater than or equal to `port`"',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - ports:\n        - port: 9000\n          endPort: 8000   # <-\n',
    code: 'invalid-end-port',
    path: 'spec.ingress[0].ports[0].endPort',
  },
  {
    rule: 'endPort "may not be specified when `port` is not specified"',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - ports:\n        - endPort: 8000   # <-\n',
    code: 'invalid-end-port',
    path: 'spec.ingress[0].ports[0].endPort',
  },
  {
    rule: 'endPort is a valid port number',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - ports:\n        - port: 80\n          endPort: 70000   # <-\n',
    code: 'invalid-end-port',
    path: 'spec.ingress[0].ports[0].endPort',
  },
  {
    rule: 'protocol is TCP, UDP or SCTP (case-sensitive, did-you-mean)',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - ports:\n        - protocol: tcp   # <-\n',
    code: 'invalid-protocol',
    path: 'spec.ingress[0].ports[0].protocol',
    fixContains: '"TCP"',
  },
  {
    rule: 'protocol ICMP is not supported',
    body: 'spec:\n  podSelector: {}\n  egress:\n    - ports:\n        - protocol: ICMP   # <-\n',
    code: 'invalid-protocol',
    path: 'spec.egress[0].ports[0].protocol',
  },
  {
    rule: 'a peer "must specify a peer"',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - from:\n        - {}   # <-\n',
    code: 'invalid-peer',
    path: 'spec.ingress[0].from[0]',
  },
  {
    rule: 'a peer "may not specify both ipBlock and another peer"',
    body: 'spec:\n  podSelector: {}\n  egress:\n    - to:\n        - podSelector: {}\n          ipBlock:   # <-\n            cidr: 10.0.0.0/8\n',
    code: 'invalid-peer',
    path: 'spec.egress[0].to[0]',
  },
  {
    rule: 'ipBlock.cidr is required',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - from:\n        - ipBlock:   # <-\n            except: [10.0.0.0/24]\n',
    code: 'required',
    path: 'spec.ingress[0].from[0].ipBlock.cidr',
  },
  {
    rule: 'ipBlock.cidr is a valid CIDR (prefix too long)',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - from:\n        - ipBlock:\n            cidr: 10.0.0.0/33   # <-\n',
    code: 'invalid-cidr',
    path: 'spec.ingress[0].from[0].ipBlock.cidr',
  },
  {
    rule: 'ipBlock.cidr needs a prefix length',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - from:\n        - ipBlock:\n            cidr: 10.1.2.3   # <-\n',
    code: 'invalid-cidr',
    path: 'spec.ingress[0].from[0].ipBlock.cidr',
    fixContains: '10.1.2.3/32',
  },
  {
    rule: 'ipBlock.cidr: IPv6 is validated too',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - from:\n        - ipBlock:\n            cidr: "2001:db8::/129"   # <-\n',
    code: 'invalid-cidr',
    path: 'spec.ingress[0].from[0].ipBlock.cidr',
  },
  {
    rule: 'except "must be a strict subset of `cidr`" (outside)',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - from:\n        - ipBlock:\n            cidr: 10.0.0.0/16\n            except:\n              - 10.1.0.0/24   # <-\n',
    code: 'invalid-except',
    path: 'spec.ingress[0].from[0].ipBlock.except[0]',
  },
  {
    rule: 'except "must be a strict subset of `cidr`" (equal)',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - from:\n        - ipBlock:\n            cidr: 10.0.0.0/16\n            except: [10.0.0.0/24, 10.0.0.0/16]   # <-\n',
    code: 'invalid-except',
    path: 'spec.ingress[0].from[0].ipBlock.except[1]',
  },
  {
    rule: 'except must be the same family as cidr',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - from:\n        - ipBlock:\n            cidr: 0.0.0.0/0\n            except:\n              - "2001:db8::/64"   # <-\n',
    code: 'invalid-except',
    path: 'spec.ingress[0].from[0].ipBlock.except[0]',
    fixContains: 'IPv6',
  },
  {
    rule: 'every except is a valid CIDR',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - from:\n        - ipBlock:\n            cidr: 10.0.0.0/8\n            except:\n              - 10.0.0.256/24   # <-\n',
    code: 'invalid-cidr',
    path: 'spec.ingress[0].from[0].ipBlock.except[0]',
  },
  {
    rule: 'policyTypes are Ingress or Egress (did-you-mean)',
    body: 'spec:\n  podSelector: {}\n  policyTypes:\n    - ingress   # <-\n',
    code: 'invalid-policy-type',
    path: 'spec.policyTypes[0]',
    fixContains: '"Ingress"',
  },
  {
    rule: 'policyTypes "may not specify more than two policyTypes"',
    body: 'spec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress, Ingress]   # <-\n',
    code: 'invalid-policy-type',
    path: 'spec.policyTypes',
  },
  {
    rule: 'unknown fields are errors (kubectl --validate=strict) with a did-you-mean',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - from:\n        - namspaceSelector: {}   # <-\n',
    code: 'unknown-field',
    path: 'spec.ingress[0].from[0].namspaceSelector',
    fixContains: '"namespaceSelector"',
  },
  {
    rule: 'unknown top-level spec fields are errors',
    body: 'spec:\n  podSelector: {}\n  ingres:   # <-\n    - {}\n',
    code: 'unknown-field',
    path: 'spec.ingres',
    fixContains: '"ingress"',
  },
  {
    rule: 'ports are integers or strings, not lists',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - ports:\n        - port: [80]   # <-\n',
    code: 'invalid-type',
    path: 'spec.ingress[0].ports[0].port',
  },
  {
    rule: '80.5 is not an integer port',
    body: 'spec:\n  podSelector: {}\n  ingress:\n    - ports:\n        - port: 80\n          endPort: 80.5   # <-\n',
    code: 'invalid-type',
    path: 'spec.ingress[0].ports[0].endPort',
  },
];

describe('NetworkPolicy validation (pkg/apis/networking/validation)', () => {
  it.each(rejected)('$rule', ({ body, code, path, fixContains }) => {
    const { issues, policies, markedLine } = parsePolicy(body);
    expect(markedLine).toBeGreaterThan(0);
    const errors = issues.filter((i) => i.severity === 'error');
    expect(errors.map((i) => [i.code, i.path])).toContainEqual([code, path]);
    const issue = errors.find((i) => i.code === code && i.path === path);
    expect(issue?.line).toBe(markedLine);
    expect(issue?.file).toBe('p.yaml');
    expect(issue?.object).toBe('NetworkPolicy shop/p');
    expect(issue?.fix.length).toBeGreaterThan(0);
    if (fixContains !== undefined) expect(issue?.fix).toContain(fixContains);
    // An invalid policy is left out of the cluster.
    expect(policies).toHaveLength(0);
  });

  it('reports every problem of a policy, not only the first', () => {
    const { issues } = parsePolicy(
      'spec:\n  podSelector: {}\n  ingress:\n    - from:\n        - {}\n      ports:\n        - port: 0\n        - protocol: icmp\n  policyTypes: [Sideways]\n',
    );
    expect(issues.map((i) => i.path).sort()).toEqual(['spec.ingress[0].from[0]', 'spec.ingress[0].ports[0].port', 'spec.ingress[0].ports[1].protocol', 'spec.policyTypes[0]']);
  });

  it('rejects invalid names: metadata.name must be a DNS-1123 subdomain', () => {
    const result = parseManifests([{ file: 'p.yaml', text: 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: Allow_Web\nspec: {podSelector: {}}\n' }]);
    expect(result.issues).toContainEqual(expect.objectContaining({ code: 'invalid-name', path: 'metadata.name', line: 4 }));
    expect(result.issues.find((i) => i.code === 'invalid-name')?.fix).toContain('allow-web');
  });

  it('accepts a repeated policy type with a warning, as the API server does', () => {
    const { issues, policies } = parsePolicy('spec:\n  podSelector: {}\n  policyTypes: [Egress, Egress]\n');
    expect(issues).toEqual([expect.objectContaining({ code: 'duplicate-policy-type', severity: 'warning', path: 'spec.policyTypes[1]' })]);
    expect(policies[0]?.policyTypes).toEqual(['Egress']);
  });
});

describe('NetworkPolicy defaulting and normalization', () => {
  const single = (body: string): Policy => {
    const { issues, policies } = parsePolicy(body);
    expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
    const policy = policies[0];
    if (!policy) throw new Error('policy missing');
    return policy;
  };

  it('"all policies (whether or not they contain an ingress section) are assumed to affect ingress"', () => {
    const policy = single('spec:\n  podSelector: {}\n');
    expect(policy.policyTypes).toEqual(['Ingress']);
    expect(policy.hasExplicitPolicyTypes).toBe(false);
  });

  it('"policies that contain an egress section are assumed to affect egress"', () => {
    const policy = single('spec:\n  podSelector: {}\n  egress:\n    - {}\n');
    expect(policy.policyTypes).toEqual(['Ingress', 'Egress']);
  });

  it('an empty egress list does not add Egress (SetDefaults tests len(spec.egress) != 0)', () => {
    expect(single('spec:\n  podSelector: {}\n  egress: []\n').policyTypes).toEqual(['Ingress']);
  });

  it('explicit policyTypes are kept and marked explicit', () => {
    const policy = single('spec:\n  podSelector: {}\n  policyTypes: [Egress]\n  ingress:\n    - {}\n');
    expect(policy.policyTypes).toEqual(['Egress']);
    expect(policy.hasExplicitPolicyTypes).toBe(true);
  });

  it('missing or empty from/to and ports match everything', () => {
    const policy = single('spec:\n  podSelector: {}\n  ingress:\n    - {}\n    - from: []\n      ports: []\n  egress:\n    - to:\n        - podSelector: {}\n');
    expect(policy.ingress.map((r) => [r.matchesAllPeers, r.matchesAllPorts])).toEqual([
      [true, true],
      [true, true],
    ]);
    expect(policy.egress[0]?.matchesAllPeers).toBe(false);
    expect(policy.egress[0]?.matchesAllPorts).toBe(true);
  });

  it('a podSelector-only peer means the policy namespace; namespaceSelector {} means all namespaces', () => {
    const policy = single('spec:\n  podSelector: {}\n  ingress:\n    - from:\n        - podSelector: {matchLabels: {app: web}}\n        - namespaceSelector: {}\n');
    const [podOnly, allNamespaces] = policy.ingress[0]?.peers ?? [];
    expect(podOnly).toEqual({ kind: 'selector', podSelector: { matchLabels: { app: 'web' }, matchExpressions: [] }, path: 'spec.ingress[0].from[0]' });
    expect(allNamespaces).toEqual({ kind: 'selector', namespaceSelector: { matchLabels: {}, matchExpressions: [] }, path: 'spec.ingress[0].from[1]' });
  });

  it('protocol defaults to TCP; ports keep numbers, names and endPort', () => {
    const policy = single('spec:\n  podSelector: {}\n  ingress:\n    - ports:\n        - port: 8000\n          endPort: 8100\n        - port: dns\n          protocol: UDP\n        - protocol: SCTP\n');
    expect(policy.ingress[0]?.ports).toEqual([
      { protocol: 'TCP', port: 8000, endPort: 8100, path: 'spec.ingress[0].ports[0]' },
      { protocol: 'UDP', port: 'dns', path: 'spec.ingress[0].ports[1]' },
      { protocol: 'SCTP', path: 'spec.ingress[0].ports[2]' },
    ]);
  });

  it('ipBlock peers keep cidr and except; IPv6 works', () => {
    const policy = single('spec:\n  podSelector: {}\n  egress:\n    - to:\n        - ipBlock: {cidr: "2001:db8::/32", except: ["2001:db8:1::/48"]}\n');
    expect(policy.egress[0]?.peers[0]).toEqual({ kind: 'ipBlock', ipBlock: { cidr: '2001:db8::/32', except: ['2001:db8:1::/48'] }, path: 'spec.egress[0].to[0]' });
  });

  it('a missing podSelector selects every pod, with a warning', () => {
    const { issues, policies } = parsePolicy('spec:\n  policyTypes: [Ingress]\n');
    expect(issues).toEqual([expect.objectContaining({ code: 'missing-pod-selector', severity: 'warning' })]);
    expect(policies[0]?.podSelector).toEqual({ matchLabels: {}, matchExpressions: [] });
  });

  it('a policy without namespace lands in default; labels are kept; source points at the document', () => {
    const result = parseManifests([{ file: 'x.yaml', text: '---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  labels: {team: a}\nspec: {podSelector: {}}\n' }]);
    expect(result.cluster.policies[0]).toMatchObject({ namespace: 'default', name: 'p', labels: { team: 'a' }, source: { file: 'x.yaml', line: 2, docIndex: 0, path: '' } });
  });
});

describe('every problem is reported, not just the first', () => {
  const text = [
    'apiVersion: networking.k8s.io/v1',
    'kind: NetworkPolicy',
    'metadata: {name: "bad;rm -rf", namespace: x}',
    'spec:',
    '  podSelector: {matchLabels: {app: web}}',
    '  ingress:',
    '  - from:',
    '    - ipBlock: {cidr: 10.0.0.0/33}',
    '      podSelector: {}',
    '    ports: [{port: 70000}]',
    '',
  ].join('\n');

  it('an invalid name does not hide the problems of the spec, and the policy is left out', () => {
    const result = parseManifests([{ file: 'bad.yaml', text }]);
    const found = result.issues.filter((issue) => issue.severity === 'error').map((issue) => `${issue.line} ${issue.path} ${issue.code}`);
    expect(found).toEqual([
      '3 metadata.name invalid-name',
      '8 spec.ingress[0].from[0] invalid-peer',
      '8 spec.ingress[0].from[0].ipBlock.cidr invalid-cidr',
      '10 spec.ingress[0].ports[0].port invalid-port',
    ]);
    expect(result.cluster.policies).toEqual([]);
  });
});
