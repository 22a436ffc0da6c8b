// planRun: every probe carries intent, prediction and explanation before any packet; Service targets go through
// the ClusterIP unless the backends disagree; self pairs are skipped with the reason; input problems are data.
import { describe, expect, it } from 'vitest';
import { planRun } from '../../../../server/probe/index.ts';
import type { PlannedRunProbe } from '../../../../server/probe/index.ts';
import { makeCluster, makeExpectation, makePod, makePolicy, makeScenario, makeService, podPeer, port, rule, sel } from '../../../helpers/builders.ts';
import { loadFixture } from './fake-sandbox.ts';

const shop = loadFixture('test/fixtures/runs/shop.yaml', 'test/fixtures/runs/shop-policies.yaml');
const brokenShop = loadFixture('test/fixtures/runs/shop.yaml', 'test/fixtures/runs/shop-policies-broken.yaml');

function byExpectation(probes: readonly PlannedRunProbe[], id: string): PlannedRunProbe[] {
  return probes.filter((probe) => probe.expectationId === id);
}

describe('planRun for a scenario (kind expectations)', () => {
  const plan = planRun(shop.cluster, shop.scenario, { kind: 'expectations' }, { profile: 'reference' });

  it('makes one test case per expectation, named "<from> -> <to> <port>/<proto> expect <allowed|denied>"', () => {
    expect(plan.problems).toEqual([]);
    expect(plan.expectations.map((expectation) => expectation.label)).toEqual([
      'shop/frontend -> svc/shop/api 80/TCP expect allowed',
      'shop/api -> shop/db 5432/TCP expect allowed',
      'shop/frontend -> shop/db postgresql/TCP expect denied',
      'shop/db -> shop/frontend 80/TCP expect denied',
    ]);
    for (const expectation of plan.expectations) expect(expectation.probeIds.length).toBeGreaterThan(0);
  });

  it('sends a Service expectation through the ClusterIP when every backend shares the prediction', () => {
    const [probe, ...others] = byExpectation(plan.probes, 'frontend-to-api');
    expect(others).toEqual([]);
    expect(probe?.request.to).toEqual({ kind: 'service', namespace: 'shop', name: 'api' });
    expect(probe?.to).toBe('svc/shop/api');
    expect(probe?.port).toBe(80);
    expect(probe?.backends?.map((backend) => backend.backend)).toEqual(['shop/api-0', 'shop/api-1']);
    expect(probe?.backends?.every((backend) => backend.predicted === 'allowed')).toBe(true);
  });

  it('expands a workload to one probe per pod, resolving named ports to numbers', () => {
    const probes = byExpectation(plan.probes, 'api-to-db');
    expect(probes.map((probe) => `${probe.from}>${probe.to}`)).toEqual(['shop/api-0>shop/db-0', 'shop/api-1>shop/db-0']);
    const [named] = byExpectation(plan.probes, 'frontend-to-db');
    expect(named?.request.port).toBe(5432);
    expect(named?.portName).toBe('postgresql');
  });

  it('carries intent, prediction, deciding policy, nearest rule and the full explanation', () => {
    const [probe] = byExpectation(plan.probes, 'frontend-to-db');
    expect(probe?.expected).toBe('denied');
    expect(probe?.predicted).toBe('denied');
    expect(probe?.decidedBy).toEqual(['shop/allow-api-to-db', 'shop/default-deny-ingress']);
    expect(probe?.nearestRule).toContain('podSelector app=api does not match pod shop/frontend-0');
    expect(probe?.explanation[0]).toMatch(/^DENIED shop\/frontend-0/);
    expect(probe?.reason).toMatch(/^denied at ingress of shop\/db-0/);
  });

  it('predicts what the policies do even where it contradicts the intent (a broken policy)', () => {
    const broken = planRun(brokenShop.cluster, brokenShop.scenario, { kind: 'expectations' }, { profile: 'reference' });
    const probes = byExpectation(broken.probes, 'api-to-db');
    expect(probes.map((probe) => [probe.expected, probe.predicted])).toEqual([
      ['allowed', 'denied'],
      ['allowed', 'denied'],
    ]);
    expect(probes[0]?.nearestRule).toContain('allows 5433/TCP, not 5432/TCP');
  });

  it('names the policy digest, profile and scenario', () => {
    expect(plan.policyDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(plan.profile).toBe('reference');
    expect(plan.scenarioName).toBe('shop');
    const broken = planRun(brokenShop.cluster, brokenShop.scenario, { kind: 'expectations' }, { profile: 'reference' });
    expect(broken.policyDigest).not.toBe(plan.policyDigest);
  });
});

describe('planRun for Services whose backends disagree, self pairs and problems', () => {
  const pods = [
    makePod('app', 'client', { labels: { role: 'client' } }),
    makePod('app', 'blue', { labels: { svc: 'web', color: 'blue' }, ports: [[8080, 'TCP', 'http']] }),
    makePod('app', 'green', { labels: { svc: 'web', color: 'green' }, ports: [[8080, 'TCP', 'http']] }),
  ];
  const onlyBlue = makePolicy('app', 'only-blue-open', {
    podSelector: sel({ color: 'green' }),
    ingress: [rule([podPeer(sel({ role: 'nobody' }))], [port('TCP', 8080)])],
  });
  const cluster = makeCluster({
    pods,
    services: [makeService('app', 'web', { selector: { svc: 'web' }, clusterIP: '10.96.0.50', ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] })],
    policies: [onlyBlue],
  });

  it('probes each backend directly when the router could pick either verdict', () => {
    const scenario = makeScenario([makeExpectation({ kind: 'pod', namespace: 'app', name: 'client' }, { kind: 'service', namespace: 'app', name: 'web' }, 80, true, { id: 'client-to-web' })]);
    const plan = planRun(cluster, scenario, { kind: 'expectations' }, { profile: 'reference' });
    expect(plan.probes.map((probe) => [probe.to, probe.port, probe.predicted])).toEqual([
      ['app/blue', 8080, 'allowed'],
      ['app/green', 8080, 'denied'],
    ]);
    expect(plan.probes[0]?.reason).toContain('predicted differently');
  });

  it('skips a backend reaching itself through its own Service (hairpin) and says why', () => {
    const scenario = makeScenario([makeExpectation({ kind: 'pod', namespace: 'app', name: 'blue' }, { kind: 'service', namespace: 'app', name: 'web' }, 80, false, { id: 'blue-to-web' })]);
    const plan = planRun(cluster, scenario, { kind: 'expectations' }, { profile: 'reference' });
    expect(plan.skipped.map((flow) => [flow.from, flow.to])).toEqual([['app/blue', 'svc/app/web']]);
    expect(plan.skipped[0]?.why).toContain('hairpin');
    expect(plan.probes.map((probe) => probe.to)).toEqual(['app/green']);
  });

  it('skips a pod to itself (loopback) and says why', () => {
    const scenario = makeScenario([makeExpectation({ kind: 'selector', namespace: 'app', podSelector: sel({ svc: 'web' }) }, { kind: 'selector', namespace: 'app', podSelector: sel({ svc: 'web' }) }, 8080, true, { id: 'web-mesh' })]);
    const plan = planRun(cluster, scenario, { kind: 'expectations' }, { profile: 'reference' });
    expect(plan.skipped.map((flow) => flow.from)).toEqual(['app/blue', 'app/green']);
    expect(plan.skipped[0]?.why).toContain('loopback');
    expect(plan.probes.map((probe) => `${probe.from}>${probe.to}`)).toEqual(['app/blue>app/green', 'app/green>app/blue']);
  });

  it('returns unresolvable expectations as problems with a fix, probing nothing for them', () => {
    const scenario = makeScenario([makeExpectation({ kind: 'pod', namespace: 'app', name: 'clinet' }, { kind: 'pod', namespace: 'app', name: 'blue' }, 8080, true, { id: 'typo' })]);
    const plan = planRun(cluster, scenario, { kind: 'expectations' }, { profile: 'reference' });
    expect(plan.probes).toEqual([]);
    expect(plan.problems).toEqual([expect.objectContaining({ code: 'unknown-pod', expectationId: 'typo', path: 'from' })]);
    expect(plan.problems[0]?.fix).toContain('app/client');
  });

  it('asks for a scenario when there are no expectations to test', () => {
    const plan = planRun(cluster, undefined, { kind: 'expectations' }, { profile: 'reference' });
    expect(plan.problems.map((problem) => problem.code)).toEqual(['no-scenario']);
    expect(plan.problems[0]?.fix).toContain('--scenario');
  });

  it('refuses an unknown CNI profile, naming the known ones', () => {
    const plan = planRun(cluster, undefined, { kind: 'matrix' }, { profile: 'calicoo' });
    expect(plan.problems.map((problem) => problem.code)).toEqual(['unknown-profile']);
    expect(plan.problems[0]?.fix).toContain('calico');
  });

  it('refuses a plan larger than the probe limit', () => {
    const plan = planRun(cluster, undefined, { kind: 'matrix' }, { profile: 'reference', maxProbes: 2 });
    expect(plan.probes).toEqual([]);
    expect(plan.problems.map((problem) => problem.code)).toEqual(['too-many-probes']);
  });
});

describe('planRun for the matrix, generated cases and one probe', () => {
  it('matrix: one probe per cell with its prediction, no intent, loopback skipped', () => {
    const plan = planRun(shop.cluster, shop.scenario, { kind: 'matrix' }, { profile: 'reference' });
    // 4 pods x 4 target columns, minus the 4 pod-to-itself cells.
    expect(plan.probes).toHaveLength(12);
    expect(plan.skipped).toHaveLength(4);
    expect(plan.probes.every((probe) => probe.expected === undefined && probe.explanation.length > 0)).toBe(true);
    expect(plan.expectations).toEqual([]);
  });

  it('matrix: narrows to one port (every target on it, as upstream probes port 80 on every pod)', () => {
    const plan = planRun(shop.cluster, shop.scenario, { kind: 'matrix', port: 5432 }, { profile: 'reference' });
    expect(new Set(plan.probes.map((probe) => `${probe.port}/${probe.protocol}`))).toEqual(new Set(['5432/TCP']));
    expect(plan.probes).toHaveLength(12);
  });

  it('generated: every case expects what the reference predicts, so intent equals prediction on reference', () => {
    const plan = planRun(shop.cluster, undefined, { kind: 'generated' }, { profile: 'reference' });
    expect(plan.expectations.length).toBeGreaterThan(3);
    expect(plan.probes.every((probe) => probe.expected === probe.predicted)).toBe(true);
    expect(plan.probes.some((probe) => probe.expected === 'denied')).toBe(true);
  });

  it('probe: one ad-hoc flow without intent, through a Service', () => {
    const plan = planRun(shop.cluster, undefined, { kind: 'probe', probe: { from: 'shop/frontend-0', to: 'svc/shop/api', port: 80, protocol: 'TCP' } }, { profile: 'reference' });
    expect(plan.problems).toEqual([]);
    expect(plan.probes.map((probe) => [probe.from, probe.to, probe.expected, probe.predicted])).toEqual([['shop/frontend-0', 'svc/shop/api', undefined, 'allowed']]);
  });

  it('probe: a key that is not an endpoint is a problem at its path', () => {
    const plan = planRun(shop.cluster, undefined, { kind: 'probe', probe: { from: 'svc/shop/api', to: 'nope', port: 80, protocol: 'TCP' } }, { profile: 'reference' });
    expect(plan.problems.map((problem) => problem.path)).toEqual(['probe.from', 'probe.to']);
  });
});
