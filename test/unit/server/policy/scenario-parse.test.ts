// The Scenario document: expectation sides resolved against the topology, ids, broken expectations and variants,
// each problem at its path and line with a did-you-mean where one helps.

import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../../../server/policy/index.ts';
import type { ParseResult } from '../../../../server/policy/index.ts';

const topology = `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, ports: [{name: postgres, containerPort: 5432}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: idle, namespace: shop}
spec:
  replicas: 0
  selector: {matchLabels: {app: idle}}
  template:
    metadata: {labels: {app: idle}}
    spec: {containers: [{name: idle}]}
---
apiVersion: v1
kind: Pod
metadata: {name: toolbox, namespace: shop, labels: {app: toolbox}}
spec: {containers: [{name: sh}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec:
  selector: {app: db}
  ports: [{name: sql, port: 5432, targetPort: postgres}]
---
apiVersion: rehearsal.dev/v1alpha1
kind: ExternalEndpoint
metadata: {name: payments}
spec: {ip: 203.0.113.10, ports: [{port: 443}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web, namespace: shop}
spec: {podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]}
---
`;

const scenarioHeader = `apiVersion: rehearsal.dev/v1alpha1
kind: Scenario
metadata: {name: shop}
spec:
  title: Shop
`;

function parseScenario(spec: string, file = 'shop.yaml'): ParseResult & { markedLine: number } {
  const text = topology + scenarioHeader + spec;
  const markedLine = text.split('\n').findIndex((line) => line.includes('# <-')) + 1;
  return { ...parseManifests([{ file, text }], { includeClusterDns: false }), markedLine };
}

const scenarioStartLine = topology.split('\n').length;

describe('a valid scenario', () => {
  const spec = `  description: |
    Two tiers.
  teaches: [Default deny is the start.]
  expectations:
    - id: web-to-db
      description: the web tier reads the database
      from: shop/web
      to: {service: shop/db}
      port: 5432
      allowed: true
      overrides:
        - {cni: flannel, allowed: true, reason: flannel enforces nothing}
    - from: {namespace: shop, podSelector: {matchLabels: {app: toolbox}}}
      to: shop/db
      port: postgres
      protocol: TCP
      allowed: false
    - from: external/payments
      to: {pod: shop/web-1}
      port: http
      allowed: false
    - from: shop/toolbox
      to: {external: payments}
      port: 443
      protocol: UDP
      allowed: true
    - from: {workload: shop/db}
      to: {podSelector: {matchExpressions: [{key: app, operator: Exists}]}}
      port: 80
      allowed: false
  brokenExpectations: [web-to-db]
  variants:
    - name: fixed
      description: Opens the database to web.
      policies:
        - apiVersion: networking.k8s.io/v1
          kind: NetworkPolicy
          metadata: {name: allow-web, namespace: shop}
          spec: {podSelector: {}}
      removes: []
    - name: open
      removes: [shop/allow-web]
`;
  const result = parseScenario(spec);

  it('parses with no issues', () => {
    expect(result.issues).toEqual([]);
  });

  it('keeps the text fields and the source', () => {
    expect(result.scenario).toMatchObject({ name: 'shop', title: 'Shop', description: 'Two tiers.\n', teaches: ['Default deny is the start.'], brokenExpectations: ['web-to-db'] });
    expect(result.scenario?.source).toEqual({ file: 'shop.yaml', line: scenarioStartLine, docIndex: 8, path: '' });
  });

  it('resolves every side form: workload, service, selector, bare pod, generated pod, external', () => {
    const sides = result.scenario?.expectations.map((e) => [e.from, e.to]);
    expect(sides).toEqual([
      [{ kind: 'workload', namespace: 'shop', name: 'web' }, { kind: 'service', namespace: 'shop', name: 'db' }],
      [{ kind: 'selector', namespace: 'shop', podSelector: { matchLabels: { app: 'toolbox' }, matchExpressions: [] } }, { kind: 'workload', namespace: 'shop', name: 'db' }],
      [{ kind: 'external', name: 'payments' }, { kind: 'pod', namespace: 'shop', name: 'web-1' }],
      [{ kind: 'pod', namespace: 'shop', name: 'toolbox' }, { kind: 'external', name: 'payments' }],
      [{ kind: 'workload', namespace: 'shop', name: 'db' }, { kind: 'selector', podSelector: { matchLabels: {}, matchExpressions: [{ key: 'app', operator: 'Exists', values: [] }] } }],
    ]);
  });

  it('defaults ids to expectations[i] and protocol to TCP; keeps port names, overrides, path and line', () => {
    const [first, second, third] = result.scenario?.expectations ?? [];
    expect(first).toMatchObject({ id: 'web-to-db', description: 'the web tier reads the database', port: 5432, protocol: 'TCP', allowed: true, path: 'spec.expectations[0]', line: scenarioStartLine + 9 });
    expect(first?.overrides).toEqual([{ cni: 'flannel', allowed: true, reason: 'flannel enforces nothing' }]);
    expect(second).toMatchObject({ id: 'expectations[1]', port: 'postgres', allowed: false });
    expect(third?.port).toBe('http');
  });

  it('reads variants: replacement policies and removals', () => {
    const [fixed, open] = result.scenario?.variants ?? [];
    expect(fixed?.name).toBe('fixed');
    expect(fixed?.description).toBe('Opens the database to web.');
    expect(fixed?.policies.map((p) => [p.namespace, p.name, p.source.path])).toEqual([['shop', 'allow-web', 'spec.variants[0].policies[0]']]);
    expect(open?.removes).toEqual([{ namespace: 'shop', name: 'allow-web' }]);
    expect(open?.description).toBe('');
  });
});

const expectation = (body: string): string => `  expectations:\n${body}`;

const rejected: { rule: string; spec: string; code: string; path: string; fixContains?: string }[] = [
  {
    rule: 'an unknown workload is an error with a did-you-mean',
    spec: expectation('    - from: shop/wbe   # <-\n      to: shop/db\n      port: 5432\n      allowed: true\n'),
    code: 'unknown-reference',
    path: 'spec.expectations[0].from',
    fixContains: '"shop/web"',
  },
  {
    rule: 'an unknown Service is an error',
    spec: expectation('    - from: shop/web\n      to: {service: shop/dbb}   # <-\n      port: 5432\n      allowed: true\n'),
    code: 'unknown-reference',
    path: 'spec.expectations[0].to.service',
    fixContains: '"shop/db"',
  },
  {
    rule: 'an unknown external endpoint is an error',
    spec: expectation('    - from: {external: payment}   # <-\n      to: shop/web\n      port: 80\n      allowed: false\n'),
    code: 'unknown-reference',
    path: 'spec.expectations[0].from.external',
    fixContains: '"payments"',
  },
  {
    rule: 'an unknown pod is an error',
    spec: expectation('    - from: {pod: shop/web-7}   # <-\n      to: shop/db\n      port: 5432\n      allowed: true\n'),
    code: 'unknown-reference',
    path: 'spec.expectations[0].from.pod',
  },
  {
    rule: 'a side names exactly one form',
    spec: expectation('    - from: {pod: shop/toolbox, workload: shop/web}   # <-\n      to: shop/db\n      port: 5432\n      allowed: true\n'),
    code: 'invalid-reference',
    path: 'spec.expectations[0].from',
  },
  {
    rule: 'namespace goes only with podSelector',
    spec: expectation('    - from:\n        workload: shop/web\n        namespace: shop   # <-\n      to: shop/db\n      port: 5432\n      allowed: true\n'),
    code: 'invalid-reference',
    path: 'spec.expectations[0].from.namespace',
  },
  {
    rule: 'unknown fields of a side are errors with a did-you-mean',
    spec: expectation('    - from: shop/web\n      to:\n        servce: shop/db   # <-\n      port: 5432\n      allowed: true\n'),
    code: 'unknown-field',
    path: 'spec.expectations[0].to.servce',
    fixContains: '"service"',
  },
  {
    rule: 'an unknown namespace in a selector side is an error',
    spec: expectation('    - from: {namespace: shopp, podSelector: {}}   # <-\n      to: shop/db\n      port: 5432\n      allowed: true\n'),
    code: 'unknown-reference',
    path: 'spec.expectations[0].from.namespace',
    fixContains: '"shop"',
  },
  {
    rule: 'a side selecting no pod is an error (the expectation could never fail)',
    spec: expectation('    - from: shop/idle   # <-\n      to: shop/db\n      port: 5432\n      allowed: true\n'),
    code: 'selects-nothing',
    path: 'spec.expectations[0].from',
  },
  {
    rule: 'port is required',
    spec: expectation('    - from: shop/web   # <-\n      to: shop/db\n      allowed: true\n'),
    code: 'required',
    path: 'spec.expectations[0].port',
  },
  {
    rule: 'allowed is required',
    spec: expectation('    - from: shop/web   # <-\n      to: shop/db\n      port: 5432\n'),
    code: 'required',
    path: 'spec.expectations[0].allowed',
  },
  {
    rule: 'a named port must be a container port of the destination',
    spec: expectation('    - from: shop/web\n      to: shop/db\n      port: postgress   # <-\n      allowed: true\n'),
    code: 'unknown-port-name',
    path: 'spec.expectations[0].port',
    fixContains: '"postgres"',
  },
  {
    rule: 'external endpoints have only numbered ports',
    spec: expectation('    - from: shop/web\n      to: external/payments\n      port: https   # <-\n      allowed: true\n'),
    code: 'unknown-port-name',
    path: 'spec.expectations[0].port',
  },
  {
    rule: 'ports are 1..65535',
    spec: expectation('    - from: shop/web\n      to: shop/db\n      port: 0   # <-\n      allowed: true\n'),
    code: 'invalid-port',
    path: 'spec.expectations[0].port',
  },
  {
    rule: 'protocol is TCP, UDP or SCTP',
    spec: expectation('    - from: shop/web\n      to: shop/db\n      port: 5432\n      protocol: Tcp   # <-\n      allowed: true\n'),
    code: 'invalid-protocol',
    path: 'spec.expectations[0].protocol',
  },
  {
    rule: 'both ends outside the cluster is an error',
    spec: expectation('    - from: external/payments   # <-\n      to: {external: payments}\n      port: 443\n      allowed: true\n'),
    code: 'invalid-expectation',
    path: 'spec.expectations[0]',
  },
  {
    rule: 'ids are unique',
    spec: expectation('    - {id: a, from: shop/web, to: shop/db, port: 5432, allowed: true}\n    - {id: a, from: shop/web, to: shop/db, port: 5433, allowed: true}   # <-\n'),
    code: 'duplicate-id',
    path: 'spec.expectations[1].id',
  },
  {
    rule: 'ids are simple names',
    spec: expectation('    - id: "web to db"   # <-\n      from: shop/web\n      to: shop/db\n      port: 5432\n      allowed: true\n'),
    code: 'invalid-id',
    path: 'spec.expectations[0].id',
  },
  {
    rule: 'an override needs a reason',
    spec: expectation('    - from: shop/web\n      to: shop/db\n      port: 5432\n      allowed: true\n      overrides:\n        - {cni: flannel, allowed: false}   # <-\n'),
    code: 'required',
    path: 'spec.expectations[0].overrides[0].reason',
  },
  {
    rule: 'brokenExpectations name existing ids',
    spec: expectation('    - {id: web-db, from: shop/web, to: shop/db, port: 5432, allowed: true}\n') + '  brokenExpectations:\n    - web-bd   # <-\n',
    code: 'unknown-reference',
    path: 'spec.brokenExpectations[0]',
    fixContains: '"web-db"',
  },
  {
    rule: 'variant names are unique',
    spec: '  variants:\n    - name: fixed\n    - name: fixed   # <-\n',
    code: 'duplicate-name',
    path: 'spec.variants[1].name',
  },
  {
    rule: 'variant policies are validated as NetworkPolicies at spec.variants[i].policies[j]',
    spec: '  variants:\n    - name: fixed\n      policies:\n        - apiVersion: networking.k8s.io/v1\n          kind: NetworkPolicy\n          metadata: {name: p, namespace: shop}\n          spec:\n            podSelector: {}\n            policyTypes: [ingress]   # <-\n',
    code: 'invalid-policy-type',
    path: 'spec.variants[0].policies[0].spec.policyTypes[0]',
  },
  {
    rule: 'variant policies are NetworkPolicies',
    spec: '  variants:\n    - name: fixed\n      policies:\n        - apiVersion: v1\n          kind: Pod   # <-\n          metadata: {name: p}\n',
    code: 'invalid-value',
    path: 'spec.variants[0].policies[0].kind',
  },
  {
    rule: 'variant policies need the right apiVersion',
    spec: '  variants:\n    - name: fixed\n      policies:\n        - apiVersion: extensions/v1beta1   # <-\n          kind: NetworkPolicy\n          metadata: {name: p}\n',
    code: 'wrong-api-version',
    path: 'spec.variants[0].policies[0].apiVersion',
  },
  {
    rule: 'removes names existing base policies',
    spec: '  variants:\n    - name: open\n      removes:\n        - shop/allow-wbe   # <-\n',
    code: 'unknown-reference',
    path: 'spec.variants[0].removes[0]',
    fixContains: '"shop/allow-web"',
  },
  {
    rule: 'removes are namespace/name',
    spec: '  variants:\n    - name: open\n      removes: [allow-web]   # <-\n',
    code: 'invalid-reference',
    path: 'spec.variants[0].removes[0]',
  },
];

describe('scenario validation', () => {
  it.each(rejected)('$rule', ({ spec, code, path, fixContains }) => {
    const result = parseScenario(spec);
    expect(result.markedLine).toBeGreaterThan(0);
    const issue = result.issues.find((i) => i.code === code && i.path === path);
    expect(issue, JSON.stringify(result.issues, null, 1)).toBeDefined();
    expect(issue?.line).toBe(result.markedLine);
    expect(issue?.object).toBe('Scenario shop');
    if (fixContains !== undefined) expect(issue?.fix).toContain(fixContains);
  });

  it('an invalid expectation is left out; the valid ones stay', () => {
    const result = parseScenario(expectation('    - {from: shop/web, to: shop/db, port: 5432, allowed: true}\n    - {from: shop/nobody, to: shop/db, port: 5432, allowed: true}\n'));
    expect(result.scenario?.expectations.map((e) => e.id)).toEqual(['expectations[0]']);
  });

  it('a title is required', () => {
    const text = topology + 'apiVersion: rehearsal.dev/v1alpha1\nkind: Scenario\nmetadata: {name: shop}\nspec:\n  description: x\n';
    const result = parseManifests([{ file: 'shop.yaml', text }], { includeClusterDns: false });
    expect(result.issues).toEqual([expect.objectContaining({ code: 'required', path: 'spec.title' })]);
  });

  it('exactly one Scenario per bundle: a second one is an error', () => {
    const text = topology + scenarioHeader + '---\n' + scenarioHeader;
    const result = parseManifests([{ file: 'shop.yaml', text }], { includeClusterDns: false });
    expect(result.issues).toEqual([expect.objectContaining({ code: 'duplicate-scenario', line: scenarioStartLine + 6 })]);
    expect(result.scenario?.name).toBe('shop');
  });

  it('the Scenario name should match its file name', () => {
    const result = parseScenario('', 'scenarios/other.yaml');
    expect(result.issues).toEqual([expect.objectContaining({ code: 'scenario-name-mismatch', severity: 'warning', path: 'metadata.name' })]);
  });

  it('"external/<name>" is ambiguous when a namespace external holds a pod of that name', () => {
    const extra = 'apiVersion: v1\nkind: Pod\nmetadata: {name: payments, namespace: external}\nspec: {containers: [{name: a}]}\n---\n';
    const text = topology + extra + scenarioHeader + expectation('    - {from: external/payments, to: shop/web, port: 8080, allowed: false}\n');
    const result = parseManifests([{ file: 'shop.yaml', text }], { includeClusterDns: false });
    expect(result.issues.map((i) => i.code)).toContain('ambiguous-reference');
  });

  it('a string naming only a Service points at the service form', () => {
    const extra = 'apiVersion: v1\nkind: Service\nmetadata: {name: cache, namespace: shop}\nspec: {selector: {app: web}, ports: [{port: 6379}]}\n---\n';
    const text = topology + extra + scenarioHeader + expectation('    - {from: shop/toolbox, to: shop/cache, port: 6379, allowed: true}\n');
    const result = parseManifests([{ file: 'shop.yaml', text }], { includeClusterDns: false });
    expect(result.issues).toEqual([expect.objectContaining({ code: 'unknown-reference', path: 'spec.expectations[0].to', fix: 'write {service: shop/cache} to mean traffic through the Service' })]);
  });

  it('a workload and a bare pod of the same name make the string form ambiguous', () => {
    const extra = 'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec: {containers: [{name: a}]}\n---\n';
    const text = topology + extra + scenarioHeader + expectation('    - {from: shop/web, to: shop/db, port: 5432, allowed: true}\n');
    const result = parseManifests([{ file: 'shop.yaml', text }], { includeClusterDns: false });
    expect(result.issues).toEqual([expect.objectContaining({ code: 'ambiguous-reference', fix: expect.stringContaining('{workload: ns/name}') })]);
  });
});
