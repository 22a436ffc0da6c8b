// Pods from bare Pods and from controllers: expansion, selectors, replica counts, container ports, name collisions.

import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../../../server/policy/index.ts';
import type { ParseResult } from '../../../../server/policy/index.ts';

function parseText(text: string): ParseResult {
  return parseManifests([{ file: 'w.yaml', text: `apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n${text}` }], { includeClusterDns: false });
}

/** A controller manifest; line 5 of `text` (after the 4-line namespace) is its first line. */
function workload(input: { kind: string; apiVersion?: string; name?: string; spec: string }): string {
  return `apiVersion: ${input.apiVersion ?? 'apps/v1'}\nkind: ${input.kind}\nmetadata:\n  name: ${input.name ?? 'web'}\n  namespace: shop\nspec:\n${input.spec}`;
}

const template = (labels = '{app: web}', extra = ''): string =>
  `  template:\n    metadata:\n      labels: ${labels}\n    spec:\n${extra}      containers:\n        - name: app\n          ports:\n            - {name: http, containerPort: 8080}\n            - {containerPort: 53, protocol: UDP}\n`;

describe('workload expansion', () => {
  it.each([
    ['Deployment', '  replicas: 3\n  selector: {matchLabels: {app: web}}\n', 3],
    ['StatefulSet', '  replicas: 2\n  serviceName: web\n  selector: {matchLabels: {app: web}}\n', 2],
    ['ReplicaSet', '  selector: {matchLabels: {app: web}}\n', 1],
    ['DaemonSet', '  selector: {matchLabels: {app: web}}\n', 1],
  ])('%s makes <name>-<i> pods from its template (replicas default 1; DaemonSet one per node)', (kind, spec, count) => {
    const result = parseText(workload({ kind, spec: spec + template() }));
    expect(result.issues).toEqual([]);
    expect(result.cluster.pods.map((p) => p.name)).toEqual(Array.from({ length: count }, (_, i) => `web-${i}`));
    const first = result.cluster.pods[0];
    expect(first?.workload).toEqual({ kind, name: 'web' });
    expect(first?.labels).toEqual({ app: 'web' });
    expect(first?.containers).toEqual([{ name: 'app', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { containerPort: 53, protocol: 'UDP' }] }]);
    expect(first?.source).toMatchObject({ file: 'w.yaml', line: 5 });
  });

  it('Job runs parallelism pods (default 1), never more than completions', () => {
    const job = (spec: string): string => workload({ kind: 'Job', apiVersion: 'batch/v1', spec: spec + template('{app: web}', '      restartPolicy: Never\n') });
    expect(parseText(job('')).cluster.pods.map((p) => p.name)).toEqual(['web-0']);
    expect(parseText(job('  parallelism: 3\n')).cluster.pods).toHaveLength(3);
    expect(parseText(job('  parallelism: 3\n  completions: 2\n')).cluster.pods).toHaveLength(2);
  });

  it('replicas: 0 makes no pods', () => {
    expect(parseText(workload({ kind: 'Deployment', spec: '  replicas: 0\n  selector: {matchLabels: {app: web}}\n' + template() })).cluster.pods).toEqual([]);
  });

  it('initContainers are validated but not part of the network model', () => {
    const spec = '  selector: {matchLabels: {app: web}}\n' + template('{app: web}', '      initContainers:\n        - name: init\n          ports: [{containerPort: 9999}]\n');
    const result = parseText(workload({ kind: 'Deployment', spec }));
    expect(result.issues).toEqual([]);
    expect(result.cluster.pods[0]?.containers.map((c) => c.name)).toEqual(['app']);
  });
});

describe('controller validation', () => {
  const cases: { rule: string; manifest: string; code: string; path: string; line: number }[] = [
    {
      rule: '"`selector` does not match template `labels`"',
      manifest: workload({ kind: 'Deployment', spec: '  selector: {matchLabels: {app: api}}\n' + template() }),
      code: 'selector-mismatch',
      path: 'spec.template.metadata.labels',
      line: 14,
    },
    {
      rule: 'apps/v1 controllers need spec.selector',
      manifest: workload({ kind: 'StatefulSet', spec: template() }),
      code: 'required',
      path: 'spec.selector',
      line: 10,
    },
    {
      rule: '"empty selector is invalid for deployment"',
      manifest: workload({ kind: 'Deployment', spec: '  selector: {}\n' + template() }),
      code: 'invalid-selector',
      path: 'spec.selector',
      line: 11,
    },
    {
      rule: 'replicas must be >= 0',
      manifest: workload({ kind: 'Deployment', spec: '  replicas: -1\n  selector: {matchLabels: {app: web}}\n' + template() }),
      code: 'invalid-value',
      path: 'spec.replicas',
      line: 11,
    },
    {
      rule: 'a Job needs restartPolicy OnFailure or Never',
      manifest: workload({ kind: 'Job', apiVersion: 'batch/v1', spec: template() }),
      code: 'invalid-restart-policy',
      path: 'spec.template.spec.restartPolicy',
      line: 14,
    },
    {
      rule: 'a Deployment template allows only restartPolicy Always',
      manifest: workload({ kind: 'Deployment', spec: '  selector: {matchLabels: {app: web}}\n' + template('{app: web}', '      restartPolicy: Never\n') }),
      code: 'invalid-restart-policy',
      path: 'spec.template.spec.restartPolicy',
      line: 16,
    },
    {
      rule: 'a Job selector is generated unless manualSelector is true',
      manifest: workload({ kind: 'Job', apiVersion: 'batch/v1', spec: '  selector: {matchLabels: {app: web}}\n' + template('{app: web}', '      restartPolicy: Never\n') }),
      code: 'invalid-selector',
      path: 'spec.selector',
      line: 11,
    },
    {
      rule: 'a controller needs spec.template',
      manifest: workload({ kind: 'Deployment', spec: '  selector: {matchLabels: {app: web}}\n' }),
      code: 'required',
      path: 'spec.template',
      line: 10,
    },
    {
      rule: 'template labels are validated',
      manifest: workload({ kind: 'Deployment', spec: '  selector: {matchLabels: {app: web}}\n' + template('{app: web, "tier!": x}') }),
      code: 'invalid-label-key',
      path: 'spec.template.metadata.labels[tier!]',
      line: 14,
    },
    {
      rule: 'a pod needs containers',
      manifest: 'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers: []\n',
      code: 'required',
      path: 'spec.containers',
      line: 9,
    },
    {
      rule: 'container names are unique',
      manifest: 'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers:\n    - name: app\n    - name: app\n',
      code: 'duplicate-name',
      path: 'spec.containers[1].name',
      line: 11,
    },
    {
      rule: 'container names are DNS-1123 labels',
      manifest: 'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers:\n    - name: App_1\n',
      code: 'invalid-name',
      path: 'spec.containers[0].name',
      line: 10,
    },
    {
      rule: 'containerPort is required',
      manifest: 'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers:\n    - name: app\n      ports:\n        - name: http\n',
      code: 'required',
      path: 'spec.containers[0].ports[0].containerPort',
      line: 12,
    },
    {
      rule: 'containerPort is 1..65535',
      manifest: 'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers:\n    - name: app\n      ports:\n        - containerPort: 99999\n',
      code: 'invalid-port',
      path: 'spec.containers[0].ports[0].containerPort',
      line: 12,
    },
    {
      rule: 'port names are unique within a pod, across containers',
      manifest: 'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers:\n    - name: a\n      ports: [{name: http, containerPort: 80}]\n    - name: b\n      ports:\n        - {name: http, containerPort: 81}\n',
      code: 'duplicate-name',
      path: 'spec.containers[1].ports[0].name',
      line: 14,
    },
    {
      rule: 'container port names are IANA_SVC_NAME',
      manifest: 'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers:\n    - name: a\n      ports:\n        - {name: http_alt, containerPort: 80}\n',
      code: 'invalid-port-name',
      path: 'spec.containers[0].ports[0].name',
      line: 12,
    },
    {
      rule: 'containerPort "8080" (a string) is a type error',
      manifest: 'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers:\n    - name: a\n      ports:\n        - containerPort: "8080"\n',
      code: 'invalid-type',
      path: 'spec.containers[0].ports[0].containerPort',
      line: 12,
    },
  ];

  it.each(cases)('$rule', ({ manifest, code, path, line }) => {
    const result = parseText(manifest);
    const issue = result.issues.find((i) => i.code === code && i.path === path);
    expect(issue, JSON.stringify(result.issues, null, 1)).toBeDefined();
    expect(issue?.line).toBe(line);
    expect(issue?.severity).toBe('error');
    expect(result.cluster.pods).toEqual([]);
  });

  it('a generated pod name that collides with a bare pod is an error; the first one read stays', () => {
    const bare = 'apiVersion: v1\nkind: Pod\nmetadata: {name: web-1, namespace: shop, labels: {app: bare}}\nspec: {containers: [{name: a}]}\n';
    const result = parseText(`${bare}---\n${workload({ kind: 'Deployment', spec: '  replicas: 2\n  selector: {matchLabels: {app: web}}\n' + template() })}`);
    expect(result.issues).toEqual([expect.objectContaining({ code: 'name-collision', object: 'Deployment shop/web', line: 10, message: expect.stringContaining('Pod shop/web-1 (w.yaml:5)') })]);
    expect(result.cluster.pods.map((p) => [p.name, p.labels['app']])).toEqual([
      ['web-0', 'web'],
      ['web-1', 'bare'],
    ]);
  });

  it('two controllers of different kinds with one name collide on their pods', () => {
    const deployment = workload({ kind: 'Deployment', spec: '  selector: {matchLabels: {app: web}}\n' + template() });
    const statefulSet = workload({ kind: 'StatefulSet', spec: '  selector: {matchLabels: {app: web}}\n' + template() });
    const result = parseText(`${deployment}---\n${statefulSet}`);
    expect(result.issues.map((i) => i.code)).toEqual(['name-collision']);
    expect(result.cluster.pods.map((p) => p.workload.kind)).toEqual(['Deployment']);
  });

  it('replicas above maxPods are refused', () => {
    const result = parseManifests([{ file: 'w.yaml', text: workload({ kind: 'Deployment', spec: '  replicas: 1000000\n  selector: {matchLabels: {app: web}}\n' + template() }) }], { maxPods: 50, includeClusterDns: false });
    expect(result.issues).toContainEqual(expect.objectContaining({ code: 'too-many-pods', path: 'spec.replicas' }));
    expect(result.cluster.pods).toEqual([]);
  });

  it('pods past maxPods across workloads are left out with one issue', () => {
    const one = (name: string): string => workload({ kind: 'Deployment', name, spec: `  replicas: 3\n  selector: {matchLabels: {app: ${name}}}\n` + template(`{app: ${name}}`) });
    const result = parseManifests([{ file: 'w.yaml', text: `${one('a')}---\n${one('b')}` }], { maxPods: 4, includeClusterDns: false });
    expect(result.cluster.pods.map((p) => p.name)).toEqual(['a-0', 'a-1', 'a-2', 'b-0']);
    expect(result.issues.filter((i) => i.code === 'too-many-pods')).toHaveLength(1);
  });

  it('hostNetwork pods are kept with a warning', () => {
    const result = parseText('apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  hostNetwork: true\n  containers: [{name: a}]\n');
    expect(result.issues).toEqual([expect.objectContaining({ code: 'host-network', severity: 'warning', line: 9 })]);
    expect(result.cluster.pods).toHaveLength(1);
  });
});
