// Intent vs prediction: expectation sides expand to concrete pairs, CNI overrides set the expected value,
// unresolvable sides are error entries (never throws), and the summary counts what CI needs.
import { describe, expect, it } from 'vitest';
import { checkExpectations, summarizeExpectationChecks } from '../../../../server/policy/expectations.ts';
import type { Cluster, Expectation, ExpectationSide } from '../../../../server/policy/model.ts';
import {
  ipPeer,
  makeCluster,
  makeExpectation,
  makeExternal,
  makeNamespace,
  makePod,
  makePolicy,
  makeScenario,
  makeService,
  podPeer,
  port,
  rule,
  sel,
} from '../../../helpers/builders.ts';

const web = { kind: 'Deployment', name: 'web' } as const;

function cluster(): Cluster {
  return makeCluster({
    namespaces: [makeNamespace('shop', { team: 'shop' }), makeNamespace('db')],
    pods: [
      makePod('shop', 'web-1', { labels: { app: 'web' }, ports: [[8080, 'TCP', 'http']], workload: web }),
      makePod('shop', 'web-2', { labels: { app: 'web' }, ports: [[8080, 'TCP', 'http']], workload: web }),
      makePod('shop', 'batch', { labels: { app: 'batch' } }),
      makePod('db', 'postgres', { labels: { app: 'db' }, ports: [[5432, 'TCP', 'pg']] }),
    ],
    services: [makeService('shop', 'web', { selector: { app: 'web' }, clusterIP: '10.96.0.40', ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] })],
    externals: [makeExternal('api', '192.0.2.10', [{ port: 443, protocol: 'TCP' }])],
    policies: [
      makePolicy('db', 'from-web', { ingress: [rule([podPeer(sel({ app: 'web' }), sel({ team: 'shop' }))], [port('TCP', 5432)])] }),
      makePolicy('shop', 'web-in', { podSelector: sel({ app: 'web' }), ingress: [rule([podPeer(sel({ app: 'batch' }))], [port('TCP', 'http')])] }),
      makePolicy('shop', 'egress', { podSelector: sel({ app: 'batch' }), egress: [rule([podPeer(sel({ app: 'web' }))]), rule([ipPeer('192.0.2.0/24')], [port('TCP', 443)])], policyTypes: ['Egress'] }),
    ],
  });
}

const pod = (namespace: string, name: string): ExpectationSide => ({ kind: 'pod', namespace, name });
const workload = (namespace: string, name: string): ExpectationSide => ({ kind: 'workload', namespace, name });
const service = (namespace: string, name: string): ExpectationSide => ({ kind: 'service', namespace, name });
const selector = (labels: Record<string, string>, namespace?: string): ExpectationSide => ({
  kind: 'selector',
  podSelector: sel(labels),
  ...(namespace === undefined ? {} : { namespace }),
});

function check(expectations: readonly Expectation[], profile?: string) {
  return checkExpectations(cluster(), makeScenario(expectations), profile === undefined ? {} : { profile });
}

describe('checkExpectations', () => {
  it('a workload side expands to every pod of the workload', () => {
    const [result] = check([makeExpectation(workload('shop', 'web'), pod('db', 'postgres'), 5432, true)]);
    expect(result?.pairs.map((p) => `${p.from}→${p.to}`)).toEqual(['shop/web-1→db/postgres', 'shop/web-2→db/postgres']);
    expect(result?.isMatch).toBe(true);
  });

  it('a service target goes through the Service to every backend, with the port translated', () => {
    const [result] = check([makeExpectation(pod('shop', 'batch'), service('shop', 'web'), 80, true)]);
    expect(result?.pairs.map((p) => [p.to, p.via, p.result.ok && p.result.verdict.port])).toEqual([
      ['shop/web-1', 'svc/shop/web', 8080],
      ['shop/web-2', 'svc/shop/web', 8080],
    ]);
    expect(result?.isMatch).toBe(true);
  });

  it('a service source means its backend pods; self pairs are skipped', () => {
    const [result] = check([makeExpectation(service('shop', 'web'), workload('shop', 'web'), 8080, false)]);
    expect(result?.pairs.map((p) => `${p.from}→${p.to}`)).toEqual(['shop/web-1→shop/web-2', 'shop/web-2→shop/web-1']);
    expect(result?.isMatch).toBe(true);
  });

  it('a selector side with or without a namespace; externals as targets', () => {
    const checks = check([
      makeExpectation(selector({ app: 'web' }), pod('db', 'postgres'), 5432, true),
      makeExpectation(selector({ app: 'batch' }, 'shop'), { kind: 'external', name: 'api' }, 443, true),
      makeExpectation(selector({ app: 'batch' }, 'shop'), { kind: 'external', name: 'api' }, 80, false),
    ]);
    expect(checks.map((c) => [c.pairs.length, c.isMatch])).toEqual([
      [2, true],
      [1, true],
      [1, true],
    ]);
  });

  it('a mismatch is reported per pair, with the predicted verdict to explain it', () => {
    const [result] = check([makeExpectation(pod('shop', 'batch'), pod('db', 'postgres'), 5432, true)]);
    expect(result?.isMatch).toBe(false);
    const pair = result?.pairs[0];
    expect(pair?.isMatch).toBe(false);
    expect(pair?.result.ok && pair.result.verdict.ingress.outcome).toBe('denied-no-rule');
  });

  it('a CNI override sets the expected value for that profile only', () => {
    const expectation = makeExpectation(pod('shop', 'batch'), pod('db', 'postgres'), 5432, false, {
      overrides: [{ cni: 'flannel', allowed: true, reason: 'flannel enforces no NetworkPolicy [FL1]' }],
    });
    const [asReference] = check([expectation]);
    const [asFlannel] = check([expectation], 'flannel');
    expect([asReference?.expected, asReference?.isMatch]).toEqual([false, true]);
    expect([asFlannel?.expected, asFlannel?.isMatch, asFlannel?.override?.cni]).toEqual([true, true, 'flannel']);
  });

  it('unresolvable sides are error entries with a path and a fix, never throws', () => {
    const checks = check([
      { ...makeExpectation(pod('shop', 'nope'), pod('db', 'postgres'), 5432, true), path: 'expectations[0]' },
      makeExpectation(workload('shop', 'api'), pod('db', 'postgres'), 5432, true),
      makeExpectation(pod('shop', 'batch'), service('shop', 'nope'), 80, true),
      makeExpectation(selector({ app: 'none' }), pod('db', 'postgres'), 5432, true),
      makeExpectation(selector({ app: 'web' }, 'nowhere'), pod('db', 'postgres'), 5432, true),
      makeExpectation({ kind: 'external', name: 'api' }, { kind: 'external', name: 'api' }, 443, true),
      makeExpectation(pod('shop', 'batch'), pod('shop', 'batch'), 80, true),
    ]);
    expect(checks.map((c) => c.errors.map((e) => e.code))).toEqual([
      ['unknown-pod'],
      ['empty-workload'],
      ['unknown-service'],
      ['empty-selector'],
      ['unknown-namespace'],
      ['no-pairs'],
      ['no-pairs'],
    ]);
    expect(checks.every((c) => !c.isMatch)).toBe(true);
    expect(checks[0]?.errors[0]?.path).toBe('expectations[0].from');
    expect(checks[1]?.errors[0]?.fix).toContain('shop/web');
  });

  it('a flow error in a pair (port name the target lacks) fails the pair, not the whole run', () => {
    const [result] = check([makeExpectation(pod('shop', 'batch'), pod('db', 'postgres'), 'http', true)]);
    expect(result?.errors).toEqual([]);
    expect(result?.pairs[0]?.result.ok).toBe(false);
    expect(result?.isMatch).toBe(false);
  });
});

describe('summarizeExpectationChecks', () => {
  it('counts passed, failed, errored and known-broken checks and pairs', () => {
    const expectations = [
      makeExpectation(workload('shop', 'web'), pod('db', 'postgres'), 5432, true, { id: 'ok' }),
      makeExpectation(pod('shop', 'batch'), pod('db', 'postgres'), 5432, true, { id: 'wrong' }),
      makeExpectation(pod('shop', 'batch'), pod('db', 'postgres'), 5432, true, { id: 'broken' }),
      makeExpectation(pod('shop', 'nope'), pod('db', 'postgres'), 5432, true, { id: 'error' }),
    ];
    const checks = checkExpectations(cluster(), makeScenario(expectations, ['broken']));
    expect(checks.map((c) => c.isKnownBroken)).toEqual([false, false, true, false]);
    expect(summarizeExpectationChecks(checks)).toEqual({
      expectations: 4,
      passed: 1,
      failed: 1,
      errored: 1,
      knownBroken: 1,
      pairs: 4,
      pairsPassed: 2,
      pairsFailed: 2,
      isPassing: false,
    });
    expect(summarizeExpectationChecks(checks.slice(0, 1)).isPassing).toBe(true);
  });
});
