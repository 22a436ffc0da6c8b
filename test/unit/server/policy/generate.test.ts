// generateExpectations: cases just inside and just outside every rule, default-deny checks, each agreeing with
// the engine's prediction for every pod its sides name.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkExpectations } from '../../../../server/policy/expectations.ts';
import { parseManifests } from '../../../../server/policy/parse-manifests.ts';
import { createEvaluator } from '../../../../server/policy/evaluate.ts';
import { generateExpectations } from '../../../../server/policy/generate.ts';
import { renderExpectationsYaml } from '../../../../server/policy/render-expectations.ts';
import type { Cluster, EndpointRef, Expectation, ExpectationSide, Scenario } from '../../../../server/policy/model.ts';
import {
  ipPeer,
  makeCluster,
  makeExternal,
  makeNamespace,
  makePod,
  makePolicy,
  makeUpstreamModel,
  podPeer,
  port,
  rule,
  sel,
} from '../../../helpers/builders.ts';

function endpointsOf(cluster: Cluster, side: ExpectationSide): EndpointRef[] {
  switch (side.kind) {
    case 'pod':
      return [{ kind: 'pod', namespace: side.namespace, name: side.name }];
    case 'workload':
      return cluster.pods
        .filter((p) => p.namespace === side.namespace && p.workload.kind !== 'Pod' && p.workload.name === side.name)
        .map((p) => ({ kind: 'pod', namespace: p.namespace, name: p.name }));
    case 'external':
      return [{ kind: 'external', name: side.name }];
    case 'service':
    case 'selector':
      throw new Error(`generate does not emit ${side.kind} sides`);
  }
}

/** Every (from, to) pod pair of every expectation evaluates to its `allowed`, and nothing is a loopback. */
function expectAllHold(cluster: Cluster, expectations: readonly Expectation[]): void {
  const evaluator = createEvaluator(cluster);
  for (const expectation of expectations) {
    for (const from of endpointsOf(cluster, expectation.from)) {
      for (const to of endpointsOf(cluster, expectation.to)) {
        expect(JSON.stringify(from) === JSON.stringify(to), `${expectation.id} is a loopback`).toBe(false);
        const result = evaluator.evaluate({ from, to, port: expectation.port, protocol: expectation.protocol });
        expect(result.ok && result.verdict.isAllowed, expectation.id).toBe(expectation.allowed);
      }
    }
  }
}

const repoRoot = resolve(import.meta.dirname, '..', '..', '..', '..');

const scenarioShell: Scenario = {
  name: 'generated',
  title: 'Generated',
  description: '',
  teaches: [],
  expectations: [],
  brokenExpectations: [],
  variants: [],
  source: { file: 'generated', line: 0, docIndex: 0, path: '' },
};

const allowFromY = makePolicy('x', 'allow-from-y', {
  podSelector: sel({ pod: 'a' }),
  ingress: [rule([podPeer(undefined, sel({ ns: 'y' }))], [port('TCP', 80)])],
});

describe('generateExpectations', () => {
  it('probes a rule just inside, on a neighbouring port and protocol, from a near peer, and in reverse', () => {
    const cluster = makeUpstreamModel([allowFromY]);
    const expectations = generateExpectations(cluster);
    const byId = new Map(expectations.map((e) => [e.id, e]));
    expect(byId.get('gen-x-allow-from-y-ingress-0-inside')).toMatchObject({
      from: { kind: 'pod', namespace: 'y', name: 'a' },
      to: { kind: 'pod', namespace: 'x', name: 'a' },
      port: 80,
      protocol: 'TCP',
      allowed: true,
    });
    expect(byId.get('gen-x-allow-from-y-ingress-0-outside-port')).toMatchObject({ port: 81, protocol: 'TCP', allowed: false });
    expect(byId.get('gen-x-allow-from-y-ingress-0-outside-protocol')).toMatchObject({ port: 80, protocol: 'UDP', allowed: false });
    expect(byId.get('gen-x-allow-from-y-ingress-0-outside-peer')).toMatchObject({ from: { namespace: 'x' }, allowed: false });
    expect(byId.get('gen-x-allow-from-y-ingress-0-outside-peer')?.description).toContain('its namespace x does not match namespaceSelector ns=y');
    expect(byId.get('gen-x-allow-from-y-ingress-0-reverse')).toMatchObject({ from: { name: 'a', namespace: 'x' }, to: { namespace: 'y' } });
    expect(byId.get('gen-x-allow-from-y-ingress-0-inside')?.description).toContain('x/allow-from-y spec.ingress[0]');
    expectAllHold(cluster, expectations);
  });

  it('adds a default-deny check per isolated pod and direction', () => {
    const cluster = makeUpstreamModel([makePolicy('y', 'deny-all', { podSelector: sel(), policyTypes: ['Ingress', 'Egress'] })]);
    const expectations = generateExpectations(cluster);
    const isolated = expectations.filter((e) => e.id.startsWith('gen-isolated-'));
    expect(isolated.map((e) => e.id).sort()).toEqual([
      'gen-isolated-y-a-egress',
      'gen-isolated-y-a-ingress',
      'gen-isolated-y-b-egress',
      'gen-isolated-y-b-ingress',
      'gen-isolated-y-c-egress',
      'gen-isolated-y-c-ingress',
    ]);
    expect(isolated.every((e) => !e.allowed)).toBe(true);
    expect(isolated[0]?.description).toContain('y/deny-all');
    expectAllHold(cluster, expectations);
  });

  it('is stable: the same input gives the same ids in the same order', () => {
    const cluster = makeUpstreamModel([allowFromY, makePolicy('z', 'deny', { podSelector: sel({ pod: 'c' }) })]);
    expect(generateExpectations(cluster).map((e) => e.id)).toEqual(generateExpectations(cluster).map((e) => e.id));
  });

  it('probes ipBlock rules with external endpoints, including one in an except', () => {
    const cluster = makeCluster({
      pods: [makePod('app', 'web', { labels: { app: 'web' }, ports: [[8080, 'TCP', 'http']] })],
      externals: [makeExternal('partner', '192.0.2.10', [{ port: 443, protocol: 'TCP' }]), makeExternal('blocked', '192.0.2.200', [{ port: 443, protocol: 'TCP' }])],
      policies: [
        makePolicy('app', 'egress-partner', {
          podSelector: sel({ app: 'web' }),
          egress: [rule([ipPeer('192.0.2.0/24', ['192.0.2.128/25'])], [port('TCP', 443)])],
        }),
      ],
    });
    const expectations = generateExpectations(cluster);
    const inside = expectations.find((e) => e.id === 'gen-app-egress-partner-egress-0-inside');
    expect(inside).toMatchObject({ to: { kind: 'external', name: 'partner' }, allowed: true });
    const outside = expectations.find((e) => e.id === 'gen-app-egress-partner-egress-0-outside-peer');
    expect(outside).toMatchObject({ to: { kind: 'external', name: 'blocked' }, allowed: false });
    expect(outside?.description).toContain('except');
    expectAllHold(cluster, expectations);
  });

  it('names a workload when all its replicas agree, and never expects "allowed" on a port nothing serves', () => {
    const replicas = ['web-0', 'web-1'].map((name) => ({
      ...makePod('shop', name, { labels: { app: 'web' }, ports: [[8080, 'TCP', 'http']] }),
      workload: { kind: 'StatefulSet' as const, name: 'web' },
    }));
    const client = makePod('shop', 'client', { labels: { app: 'client' }, ports: [[9000, 'TCP']] });
    const cluster = makeCluster({
      namespaces: [makeNamespace('shop')],
      pods: [...replicas, client],
      policies: [makePolicy('shop', 'web-from-client', { podSelector: sel({ app: 'web' }), ingress: [rule([podPeer(sel({ app: 'client' }))], [port('TCP', 'http')])] })],
    });
    const expectations = generateExpectations(cluster);
    const inside = expectations.find((e) => e.id === 'gen-shop-web-from-client-ingress-0-inside');
    expect(inside).toMatchObject({ from: { kind: 'pod', name: 'client' }, to: { kind: 'workload', name: 'web' }, port: 8080, allowed: true });
    for (const expectation of expectations.filter((e) => e.allowed)) {
      for (const to of endpointsOf(cluster, expectation.to)) {
        const pod = cluster.pods.find((p) => to.kind === 'pod' && p.name === to.name && p.namespace === to.namespace);
        const serves = pod?.containers.some((c) => c.ports.some((p) => p.containerPort === expectation.port && p.protocol === expectation.protocol));
        expect(serves, expectation.id).toBe(true);
      }
    }
    expectAllHold(cluster, expectations);
  });

  it('renders a pasteable expectations block that reads back with the same values', () => {
    const expectations = generateExpectations(makeUpstreamModel([allowFromY]));
    const text = renderExpectationsYaml(expectations);
    expect(text.startsWith('expectations:\n')).toBe(true);
    expect(text).toContain('from: { pod: y/a }');
    const parsed: unknown = parse(text);
    expect(parsed).toMatchObject({
      expectations: expectations.map((e) => ({ id: e.id, port: e.port, protocol: e.protocol, allowed: e.allowed })),
    });
  });

  it('round-trips through the scenario parser, and every generated expectation holds on the reference', () => {
    const topology = readFileSync(resolve(repoRoot, 'test/fixtures/upstream-model.yaml'), 'utf8');
    const policy = readFileSync(resolve(repoRoot, 'test/fixtures/policies/allow-from-y.yaml'), 'utf8');
    const first = parseManifests([{ file: 'model.yaml', text: topology }, { file: 'policy.yaml', text: policy }]);
    const generated = generateExpectations(first.cluster);
    expect(generated.length).toBeGreaterThan(4);
    const scenario = `apiVersion: rehearsal.dev/v1alpha1
kind: Scenario
metadata:
  name: generated
spec:
  title: Generated
  description: Generated by rehearse generate.
${renderExpectationsYaml(generated).replace(/^/gm, '  ').trimEnd()}
`;
    const second = parseManifests([
      { file: 'model.yaml', text: topology },
      { file: 'policy.yaml', text: policy },
      { file: 'scenario.yaml', text: scenario },
    ]);
    expect(second.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(second.scenario?.expectations.map((e) => e.id)).toEqual(generated.map((e) => e.id));
    const checks = second.scenario === undefined ? [] : checkExpectations(second.cluster, second.scenario);
    expect(checks.filter((c) => !c.isMatch).map((c) => c.id)).toEqual([]);
    expect(checks).toHaveLength(generated.length);
  });

  it('holds on every scenario of the library (reference profile)', () => {
    const dir = resolve(repoRoot, 'scenarios');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      const parsed = parseManifests([{ file, text: readFileSync(join(dir, file), 'utf8') }]);
      const generated = generateExpectations(parsed.cluster);
      const checks = checkExpectations(parsed.cluster, { ...scenarioShell, expectations: generated });
      expect(checks.filter((c) => !c.isMatch).map((c) => `${file}: ${c.id}`)).toEqual([]);
      expectAllHold(parsed.cluster, generated);
    }
  });
});
