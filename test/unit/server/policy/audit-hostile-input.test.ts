// Bad input never crashes the engine: seeded fuzzing of parseManifests (random bytes, mutated manifests, type
// confusion on every field), the resource bombs YAML allows, prototype-named keys and invisible characters, and the
// rehearse CLI on the hostile fixtures in test/fixtures/audit. "Bad input gets a clear error naming the file, the
// YAML path and the fix" (DESIGN.md); parse "return[s] every issue with a code, a path into the YAML ... and a fix
// hint" (STYLE.md).
import { readFileSync } from 'node:fs';
import { Alias } from 'yaml';
import { describe, expect, it, vi } from 'vitest';
import { computeMatrix, evaluateFlow, generateExpectations, lintPolicies, parseManifests } from '../../../../server/policy/index.ts';
import type { Issue, ManifestSource } from '../../../../server/policy/index.ts';
import { runRehearse } from '../cli/run-rehearse.ts';

const model = readFileSync(new URL('../../../fixtures/upstream-model.yaml', import.meta.url), 'utf8');
const auditFixture = (name: string): string => readFileSync(new URL(`../../../fixtures/audit/${name}`, import.meta.url), 'utf8');

function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Issues about a whole file or document have no path inside an object; every other issue points into one. */
const documentLevelCodes = /^(yaml-|source-|too-many-|not-an-object$|duplicate-scenario$)/;
const invisible = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

function expectWellFormed(issues: readonly Issue[], files: readonly string[]): void {
  for (const issue of issues) {
    const where = `${issue.code} at ${issue.file}:${issue.line} ${issue.path}`;
    expect(['error', 'warning', 'info'], where).toContain(issue.severity);
    expect(files, where).toContain(issue.file);
    expect(Number.isInteger(issue.line) && issue.line >= 0, where).toBe(true);
    expect(issue.code, where).toMatch(/^[a-z0-9-]+$/);
    expect(issue.message.length, where).toBeGreaterThan(0);
    expect(issue.fix.length, where).toBeGreaterThan(0);
    if (!documentLevelCodes.test(issue.code)) expect(issue.path, where).not.toBe('');
    // Hostile names are quoted and escaped: nothing in a message or path can hide or reorder text on a terminal.
    expect(invisible.test(issue.message) || invisible.test(issue.path), where).toBe(false);
  }
}

/** Parse, then use whatever came out the way the CLI and the server do: none of it may throw. */
function exercise(sources: readonly ManifestSource[]): ReturnType<typeof parseManifests> {
  const result = parseManifests(sources);
  expectWellFormed(result.issues, sources.map((s) => s.file));
  const cluster = result.cluster;
  computeMatrix(cluster);
  lintPolicies(cluster);
  generateExpectations(cluster);
  const pods = cluster.pods.slice(0, 3);
  for (const from of pods) {
    for (const to of pods) {
      for (const port of [80, 'serve-80-tcp', 'no-such-port']) {
        evaluateFlow(cluster, { from: { kind: 'pod', namespace: from.namespace, name: from.name }, to: { kind: 'pod', namespace: to.namespace, name: to.name }, port, protocol: 'TCP' });
      }
    }
  }
  return result;
}

const fieldNames = [
  'apiVersion', 'kind', 'metadata', 'name', 'namespace', 'labels', 'annotations', 'spec', 'podSelector', 'policyTypes', 'ingress', 'egress',
  'from', 'to', 'ports', 'port', 'endPort', 'protocol', 'ipBlock', 'cidr', 'except', 'namespaceSelector', 'matchLabels', 'matchExpressions',
  'key', 'operator', 'values', 'containers', 'containerPort', 'selector', 'template', 'replicas', 'items', 'targetPort', 'clusterIP', 'ip',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '<<',
] as const;
const scalars: readonly unknown[] = [
  '', 'x', 'TCP', 'udp', 'SCTP', 'Ingress', 'Egress', 'In', 'NotIn', 'Exists', 'v1', 'networking.k8s.io/v1', 'NetworkPolicy', 'Pod', 'List',
  '10.0.0.0/8', '0.0.0.0/0', '::/0', '1.2.3.4/33', '::ffff:10.0.0.1/128', 'serve-80-tcp', '80', 'ünïcødé', '😀', 'a\u202eb', 'a\u0085b', 'x'.repeat(300),
  0, -1, 80, 65536, 1e21, 3.5, Number.MAX_SAFE_INTEGER, true, false, null,
];

function randomValue(random: () => number, depth: number): unknown {
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const roll = random();
  if (depth > 4 || roll < 0.4) return pick(scalars);
  if (roll < 0.65) return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1));
  const entries: [string, unknown][] = Array.from({ length: Math.floor(random() * 5) }, () => [pick(fieldNames), randomValue(random, depth + 1)]);
  return new Map(entries);
}

/** YAML text for a generated value; Maps keep any key, including __proto__, as a YAML key. */
function toYaml(value: unknown, indent: string): string {
  if (value instanceof Map) {
    if (value.size === 0) return '{}';
    return [...value.entries()].map(([k, v]) => `\n${indent}${JSON.stringify(k)}: ${toYaml(v, `${indent}  `)}`).join('');
  }
  if (Array.isArray(value)) return value.length === 0 ? '[]' : value.map((v) => `\n${indent}- ${toYaml(v, `${indent}  `)}`).join('');
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

const validPolicy = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: "x"}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - namespaceSelector: {matchLabels: {ns: "y"}}
          podSelector: {matchExpressions: [{key: pod, operator: In, values: [b]}]}
        - ipBlock: {cidr: 10.0.0.0/8, except: [10.244.0.0/16]}
      ports: [{port: 80}, {port: serve-81-tcp, protocol: TCP}, {port: 1000, endPort: 2000, protocol: UDP}]
  egress:
    - to: [{podSelector: {}}]
`;

function mutate(random: () => number, text: string): string {
  const inserts = ['-', ':', '{', '[', '&a ', '*a', '!!str ', '\t', '\n', ' ', '"', "'", '#', '---\n', '<<: ', '|', '?', '%YAML 1.2\n', '\u2028', '\ud800'];
  let out = text;
  const count = 1 + Math.floor(random() * 4);
  for (let i = 0; i < count; i++) {
    const at = Math.floor(random() * out.length);
    const how = random();
    if (how < 0.25) out = out.slice(0, at);
    else if (how < 0.5) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(random() * 20));
    else if (how < 0.8) out = out.slice(0, at) + (inserts[Math.floor(random() * inserts.length)] ?? '') + out.slice(at);
    else {
      const lines = out.split('\n');
      const line = Math.floor(random() * lines.length);
      lines[line] = (lines[line] ?? '').replace(/: .*/, `: ${toYaml(randomValue(random, 3), '      ')}`);
      out = lines.join('\n');
    }
  }
  return out;
}

describe('fuzzing parseManifests (seeded): it never throws, and every issue has a code, a line, a path and a fix', () => {
  it('random UTF-16 text, including lone surrogates and control characters', () => {
    const random = createRandom(1);
    for (let i = 0; i < 150; i++) {
      const text = Array.from({ length: Math.floor(random() * 600) }, () => String.fromCharCode(Math.floor(random() * 0x10000))).join('');
      exercise([{ file: `random-${i}.yaml`, text }]);
    }
  });

  it('the upstream model and a policy, truncated, spliced and mutated', () => {
    const random = createRandom(2);
    for (let i = 0; i < 80; i++) {
      exercise([
        { file: 'model.yaml', text: random() < 0.5 ? model : mutate(random, model) },
        { file: 'policy.yaml', text: mutate(random, validPolicy) },
      ]);
    }
  });

  it('type confusion: every field of every kind with values of every type, prototype-named keys among them', () => {
    const random = createRandom(3);
    const kinds = ['NetworkPolicy', 'Pod', 'Namespace', 'Service', 'Deployment', 'List', 'NetworkPolicyList', 'ExternalEndpoint', 'Scenario'];
    const apiVersions = ['v1', 'networking.k8s.io/v1', 'apps/v1', 'rehearsal.dev/v1alpha1'];
    for (let i = 0; i < 100; i++) {
      const docs = Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
        const body = randomValue(random, 0);
        const head = new Map<string, unknown>([
          ['apiVersion', apiVersions[Math.floor(random() * apiVersions.length)]],
          ['kind', kinds[Math.floor(random() * kinds.length)]],
        ]);
        return toYaml(body instanceof Map ? new Map([...head, ...body]) : body, '');
      });
      exercise([
        { file: 'model.yaml', text: model },
        { file: 'confused.yaml', text: docs.join('\n---\n') },
      ]);
    }
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.keys(Object.prototype)).toEqual([]);
  });
});

describe('resource bombs and giant input', () => {
  it('block nesting deeper than the YAML reader can follow is one yaml-too-deep issue, with no engine internals in it', () => {
    const nestedMaps = Array.from({ length: 1200 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' x\n';
    const nestedSeqs = Array.from({ length: 1200 }, (_, i) => `${' '.repeat(i)}- `).join('\n') + 'x\n';
    for (const text of [nestedMaps, nestedSeqs]) {
      const result = exercise([{ file: 'deep.yaml', text }]);
      expect(result.issues).toEqual([expect.objectContaining({ code: 'yaml-too-deep', severity: 'error' })]);
      expect(result.issues[0]?.message).not.toMatch(/call stack|stack overflow|regular expression/i);
      expect(result.issues[0]?.line).toBeGreaterThan(0);
    }
  });

  it('an alias bomb and a merge-key bomb are reported, not expanded', () => {
    const levels = ['a: &a {k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8}'];
    for (let i = 1; i < 9; i++) levels.push(`l${i}: &l${i} [${Array.from({ length: 9 }, () => (i === 1 ? '*a' : `*l${i - 1}`)).join(', ')}]`);
    const mergeBomb = `base: &b {a: 1}\n${Array.from({ length: 400 }, (_, i) => `m${i}: {<<: [*b, *b, *b, *b, *b]}`).join('\n')}\n`;
    for (const text of [`${levels.join('\n')}\n`, mergeBomb, auditFixture('alias-bomb.yaml')]) {
      expect(exercise([{ file: 'bomb.yaml', text }]).issues).toEqual([expect.objectContaining({ code: 'yaml-alias-limit' })]);
    }
  });

  it('a map with 50,000 keys and 999 aliases is read without a walk of the whole document per alias, and a duplicate key at its end is still found', () => {
    const resolve = vi.spyOn(Alias.prototype, 'resolve');
    const keys = Array.from({ length: 50_000 }, (_, i) => `k${i}: v`).join('\n');
    const text = `a: &a x\n${keys}\nrefs: [${Array.from({ length: 999 }, () => '*a').join(', ')}]\nk17: again\n`;
    const result = exercise([{ file: 'wide.yaml', text }]);
    expect(resolve).not.toHaveBeenCalled();
    resolve.mockRestore();
    expect(result.issues).toEqual([expect.objectContaining({ code: 'yaml-syntax', line: 50_003, message: 'YAML syntax error in document 1: Map keys must be unique' })]);
  });

  it('duplicate keys are reported once per key, also inside a map that aliases repeat; "1" and 1 are different keys; merge keys may repeat', () => {
    const result = exercise([{ file: 'dup.yaml', text: 'x: &m {a: 1, a: 2}\ny: *m\nz: *m\n' }]);
    expect(result.issues).toEqual([expect.objectContaining({ code: 'yaml-syntax', line: 1 })]);
    const merges = exercise([{ file: 'merge.yaml', text: 'a: &a {name: ns1}\nb: &b {labels: {x: y}}\napiVersion: v1\nkind: Namespace\nmetadata:\n  <<: *a\n  <<: *b\n' }]);
    expect(merges.issues.filter((i) => i.code === 'yaml-syntax')).toEqual([]);
    expect(exercise([{ file: 'keys.yaml', text: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns1\n  labels: {1: a, "1": b}\n' }]).issues.map((i) => i.code)).not.toContain('yaml-syntax');
  });

  it('a truncated flow map is one issue at its line, not two', () => {
    const result = exercise([{ file: 'truncated.yaml', text: auditFixture('truncated.yaml') }]);
    expect(result.issues).toEqual([expect.objectContaining({ code: 'yaml-syntax', line: 9 })]);
  });

  it('a 100,000-document stream stops at the document limit with an issue at the line where it stopped', () => {
    const result = exercise([{ file: 'stream.yaml', text: '---\nkind: X\n'.repeat(100_000) }]);
    expect(result.issues).toContainEqual(expect.objectContaining({ code: 'too-many-documents', line: 40_001 }));
    expect(result.issues).toContainEqual(expect.objectContaining({ code: 'too-many-objects' }));
  });

  it('giant strings are reported with a bounded message', () => {
    const name = 'a'.repeat(3_000_000);
    const result = exercise([{ file: 'giant.yaml', text: `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n  labels: {app: "${'b'.repeat(500_000)}"}\n` }]);
    expect(result.issues.map((i) => i.code)).toEqual(['invalid-name', 'invalid-label-value']);
    for (const issue of result.issues) expect(issue.message.length).toBeLessThan(600);
  });

  it('NUL bytes are refused as binary, with the line of the first one', () => {
    expect(exercise([{ file: 'bin.yaml', text: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\u0000b\n' }]).issues).toEqual([
      expect.objectContaining({ code: 'source-binary', line: 4 }),
    ]);
  });
});

describe('prototype-named keys and invisible characters', () => {
  it('labels named constructor and toString select as any label does, and __proto__ pollutes nothing', () => {
    const text = auditFixture('prototype-keys.yaml').replace(/ {4}__proto__: polluted\n/, '') // the invalid key is checked below
      .replace('  __proto__: {isAdmin: true}\n', '')
      .replace('matchLabels: {constructor: web, toString: x}', 'matchLabels: {constructor: web}')
      .replace('{matchLabels: {prototype: a}}', '{matchLabels: {toString: client}}');
    const pods =
      'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {constructor: web}}\nspec: {containers: [{name: c, ports: [{containerPort: 80}]}]}\n---\n' +
      'apiVersion: v1\nkind: Pod\nmetadata: {name: client, namespace: shop, labels: {toString: client}}\nspec: {containers: [{name: c}]}\n---\n' +
      'apiVersion: v1\nkind: Pod\nmetadata: {name: bare, namespace: shop}\nspec: {containers: [{name: c}]}\n';
    const result = parseManifests([{ file: 'p.yaml', text: `${text}---\n${pods}` }], { includeClusterDns: false });
    expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
    const flow = (from: string) => evaluateFlow(result.cluster, { from: { kind: 'pod', namespace: 'shop', name: from }, to: { kind: 'pod', namespace: 'shop', name: 'web' }, port: 80, protocol: 'TCP' });
    const client = flow('client');
    const bare = flow('bare');
    expect(client.ok && client.verdict.isAllowed).toBe(true);
    expect(bare.ok && bare.verdict.isAllowed).toBe(false);

    const hostile = exercise([{ file: 'prototype-keys.yaml', text: auditFixture('prototype-keys.yaml') }]);
    expect(hostile.issues).toContainEqual(expect.objectContaining({ code: 'invalid-label-key', path: 'metadata.labels.__proto__' }));
    expect(hostile.issues).toContainEqual(expect.objectContaining({ code: 'unknown-field', path: 'spec.__proto__' }));
    expect(({} as Record<string, unknown>)['isAdmin']).toBeUndefined();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('a name that is not valid still has its labels checked, and a bidi override in a label is escaped in the message and path', () => {
    const result = exercise([{ file: 'unicode-labels.yaml', text: auditFixture('unicode-labels.yaml') }]);
    expect(result.issues.map((i) => `${i.code} ${i.path}`)).toEqual([
      'invalid-name metadata.name',
      'invalid-label-value metadata.labels.app',
      'invalid-label-key metadata.labels[ü]',
      'invalid-label-value metadata.labels.tier',
      'invalid-label-value spec.podSelector.matchLabels.app',
    ]);
    expect(result.issues.find((i) => i.path === 'metadata.labels.tier')?.message).toContain('"a\\u202eb"');
    const keyed = exercise([{ file: 'k.yaml', text: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns1\n  labels: {"x\u2067y": v}\n' }]);
    expect(keyed.issues).toContainEqual(expect.objectContaining({ code: 'invalid-label-key', path: 'metadata.labels[x\\u2067y]' }));
  });
});

describe('the CLI on hostile files: no stack trace, file:line in every finding, exit 2 from matrix (1 from lint)', () => {
  const fixtures: [string, number | undefined][] = [
    ['truncated.yaml', 9],
    ['alias-bomb.yaml', 4],
    ['prototype-keys.yaml', 7],
    ['unicode-labels.yaml', 5],
    ['wrong-types.yaml', 5],
    // Not UTF-8: the CLI refuses it before the engine sees any line.
    ['binary.yaml', undefined],
  ];

  it.each(fixtures)('%s', async (name, firstLine) => {
    const file = `test/fixtures/audit/${name}`;
    const matrix = await runRehearse(['matrix', '-f', file]);
    const lint = await runRehearse(['lint', '-f', file]);
    expect(matrix.code).toBe(2);
    expect(lint.code).toBe(1);
    for (const output of [matrix.stdout, matrix.stderr, lint.stdout, lint.stderr]) {
      expect(output).not.toMatch(/^\s+at .+[:(]\d+/m);
      expect(output).not.toMatch(/(TypeError|RangeError|ReferenceError|SyntaxError)\b/);
    }
    const place = firstLine === undefined ? `${file}:` : `${file}:${firstLine}:`;
    expect(matrix.stderr).toContain(place);
    expect(lint.stdout).toContain(place);
  }, 60_000);
});
