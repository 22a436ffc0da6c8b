// Planning the full-matrix probe run from the engine's matrix, and joining observations with predictions.
import { describe, expect, it } from 'vitest';
import { compareProbe, planMatrixProbes, summarizeComparisons } from '../../../../server/probe/run-matrix-probes.ts';
import { makeExternal, makeCluster, makePod, makePolicy, makeUpstreamModel, podPeer, rule, sel } from '../../../helpers/builders.ts';

describe('planMatrixProbes', () => {
  it('plans every source to every declared port of every other pod, skipping pod-to-itself', () => {
    const plan = planMatrixProbes(makeUpstreamModel());
    // 9 sources × 9 targets × (80, 81) × (TCP, UDP), minus the 9 × 4 loopback cells.
    expect(plan.probes).toHaveLength(9 * 9 * 4 - 9 * 4);
    expect(plan.skipped).toHaveLength(9 * 4);
    expect(plan.skipped[0]?.why).toMatch(/loopback/);
    expect(new Set(plan.probes.map((p) => p.request.id)).size).toBe(plan.probes.length);
    expect(plan.probes.every((p) => p.predicted === 'allowed')).toBe(true);
  });

  it('narrows to one port and protocol, and carries the prediction and its reason', () => {
    const deny = makePolicy('x', 'a-from-b', { podSelector: sel({ pod: 'a' }), ingress: [rule([podPeer(sel({ pod: 'b' }))])] });
    const plan = planMatrixProbes(makeUpstreamModel([deny]), { port: 80, protocol: 'TCP', timeoutMs: 500 });
    expect(plan.probes).toHaveLength(9 * 8);
    const denied = plan.probes.find((p) => p.from === 'x/c' && p.to === 'x/a');
    expect(denied?.predicted).toBe('denied');
    expect(denied?.reason).toMatch(/x\/a-from-b/);
    expect(denied?.request).toMatchObject({ from: { kind: 'pod', namespace: 'x', name: 'c' }, to: { kind: 'pod', namespace: 'x', name: 'a' }, port: 80, protocol: 'TCP', timeoutMs: 500 });
  });

  it('includes external endpoints as sources and targets', () => {
    const cluster = makeCluster({
      pods: [makePod('x', 'a', { ports: [[80, 'TCP']] })],
      externals: [makeExternal('api', '203.0.113.10', [{ port: 443, protocol: 'TCP' }])],
    });
    const plan = planMatrixProbes(cluster);
    expect(plan.probes.map((p) => `${p.from}->${p.to}:${p.port}`).sort()).toEqual(['external/api->x/a:80', 'x/a->external/api:443']);
  });
});

describe('compareProbe and summarizeComparisons', () => {
  const plan = planMatrixProbes(makeUpstreamModel(), { port: 80, protocol: 'TCP' });
  const first = plan.probes[0];
  if (first === undefined) throw new Error('empty plan');

  it('matches only when the observation equals the prediction; unsupported never passes', () => {
    expect(compareProbe(first, { id: first.request.id, outcome: 'allowed', latencyMs: 0.3 }).match).toBe(true);
    expect(compareProbe(first, { id: first.request.id, outcome: 'denied', latencyMs: 0.3 }).match).toBe(false);
    expect(compareProbe(first, { id: first.request.id, outcome: 'unsupported', latencyMs: 0 }).match).toBe(false);
  });

  it('counts outcomes and mismatches', () => {
    const results = [
      compareProbe(first, { id: 'a', outcome: 'allowed', latencyMs: 1 }),
      compareProbe(first, { id: 'b', outcome: 'unsupported', latencyMs: 1 }),
      compareProbe(first, { id: 'c', outcome: 'error', latencyMs: 1, detail: 'no answer within 1000 ms' }),
    ];
    const summary = summarizeComparisons({ profile: 'reference', results, skipped: 9, durationMs: 12.4 });
    expect(summary).toEqual({
      profile: 'reference',
      probes: 3,
      matched: 1,
      mismatched: 2,
      observed: { allowed: 1, denied: 0, refused: 0, unsupported: 1, error: 1 },
      skipped: 9,
      durationMs: 12,
    });
  });
});
