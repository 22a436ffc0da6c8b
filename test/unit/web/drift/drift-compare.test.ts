// Drift: the same policy set observed on several CNIs, compared flow by flow.
import { describe, expect, it } from 'vitest';
import type { RunView } from '../../../../server/api/protocol/index.ts';
import { compareRuns, findComparableGroups } from '../../../../web/src/drift/drift-compare.ts';

type Result = RunView['results'][number];

function makeResult(from: string, to: string, observed: Result['observed'], predicted: Result['predicted'], reason: string): Result {
  return { id: `${from}-${to}`, from, to, port: 80, protocol: 'TCP', predicted, observed, latencyMs: 1, reason, mismatch: 'none', isFlaky: false, attempts: [] };
}

function makeRun(id: string, cni: string, overrides: Partial<RunView> = {}): RunView {
  return {
    id,
    sandboxId: 'sb-0000000a',
    kind: 'expectations',
    cni,
    policyDigest: 'digest-1',
    status: 'passed',
    startedAt: '2026-01-01T00:00:00.000Z',
    summary: { total: 0, passed: 0, policyMismatches: 0, driftMismatches: 0, unsupported: 0, errors: 0, flaky: 0 },
    results: [],
    ...overrides,
  };
}

describe('findComparableGroups', () => {
  it('pairs runs of the same policies and kind on different CNIs, newest run per CNI', () => {
    const groups = findComparableGroups([
      makeRun('run-000000000001', 'reference'),
      makeRun('run-000000000002', 'flannel'),
      makeRun('run-000000000003', 'flannel', { startedAt: '2026-01-01T00:05:00.000Z' }),
      makeRun('run-000000000004', 'calico', { policyDigest: 'digest-2' }),
      makeRun('run-000000000005', 'calico', { status: 'running' }),
    ]);
    expect(groups).toHaveLength(1);
    expect(groups[0]?.runs.map((r) => r.id)).toEqual(['run-000000000003', 'run-000000000001']);
  });

  it('finds nothing to compare when every run used one CNI', () => {
    expect(findComparableGroups([makeRun('run-000000000001', 'reference'), makeRun('run-000000000002', 'reference', { startedAt: '2026-01-02T00:00:00.000Z' })])).toEqual([]);
  });
});

describe('compareRuns', () => {
  const reference = makeRun('run-000000000001', 'reference', {
    results: [makeResult('x/a', 'y/b', 'denied', 'denied', 'denied at ingress of y/b: isolated by y/deny-all'), makeResult('x/a', 'x/c', 'allowed', 'allowed', 'allowed: not isolated')],
  });
  const flannel = makeRun('run-000000000002', 'flannel', {
    results: [makeResult('x/a', 'y/b', 'allowed', 'allowed', 'allowed: profile flannel enforces no NetworkPolicy'), makeResult('x/a', 'x/c', 'allowed', 'allowed', 'allowed: not isolated')],
  });

  it('puts the flows that differ first, with each CNI side and its reason', () => {
    const rows = compareRuns([reference, flannel]);
    expect(rows.map((r) => [r.flow, r.isDrift, r.isPredicted])).toEqual([
      ['x/a → y/b 80/TCP', true, true],
      ['x/a → x/c 80/TCP', false, false],
    ]);
    expect(rows[0]?.sides.map((s) => [s?.cni, s?.observed, s?.reason])).toEqual([
      ['reference', 'denied', 'denied at ingress of y/b: isolated by y/deny-all'],
      ['flannel', 'allowed', 'allowed: profile flannel enforces no NetworkPolicy'],
    ]);
  });

  it('flags a difference the engine did not predict', () => {
    const surprising = makeRun('run-000000000003', 'cilium', { results: [makeResult('x/a', 'y/b', 'allowed', 'denied', 'denied at ingress of y/b')] });
    const rows = compareRuns([reference, surprising]);
    expect(rows.find((r) => r.flow === 'x/a → y/b 80/TCP')).toMatchObject({ isDrift: true, isPredicted: false });
  });

  it('leaves a gap where a run lacks the flow', () => {
    const partial = makeRun('run-000000000004', 'calico', { results: [makeResult('x/a', 'x/c', 'allowed', 'allowed', 'ok')] });
    const rows = compareRuns([reference, partial]);
    expect(rows.find((r) => r.flow === 'x/a → y/b 80/TCP')?.sides[1]).toBeUndefined();
  });
});
