// Which view is wrong, in words: intent vs prediction is a policy bug (explanation + nearest rule), prediction vs
// observation is drift (profile + the documented difference that explains it), errors and unsupported never pass.
import { describe, expect, it } from 'vitest';
import { classifyResult, computeMismatch, driftMismatchHeadline, isFailingResult, planRun, policyMismatchHeadline } from '../../../../server/probe/index.ts';
import type { FailOnMode, PlannedRunProbe, RunPlan, RunResult } from '../../../../server/probe/index.ts';
import type { ProbeOutcome } from '../../../../server/sandbox/contract.ts';
import { loadFixture } from './fake-sandbox.ts';

function makeResult(probe: PlannedRunProbe, observed: ProbeOutcome, extra: Partial<RunResult> = {}): RunResult {
  return {
    id: probe.request.id,
    from: probe.from,
    to: probe.to,
    port: probe.port,
    protocol: probe.protocol,
    ...(probe.expectationId === undefined ? {} : { expectationId: probe.expectationId }),
    ...(probe.expected === undefined ? {} : { expected: probe.expected }),
    predicted: probe.predicted,
    observed,
    latencyMs: 0.1,
    reason: probe.reason,
    mismatch: computeMismatch({ expected: probe.expected, predicted: probe.predicted, observed }),
    isFlaky: false,
    attempts: [{ observed, latencyMs: 0.1, at: '2026-01-01T00:00:00.000Z' }],
    ...extra,
  };
}

function findProbe(plan: RunPlan, expectationId: string): PlannedRunProbe {
  const probe = plan.probes.find((candidate) => candidate.expectationId === expectationId);
  if (probe === undefined) throw new Error(`no probe for ${expectationId}`);
  return probe;
}

describe('computeMismatch', () => {
  it.each([
    ['allowed', 'allowed', 'allowed', 'none'],
    ['denied', 'allowed', 'allowed', 'policy'],
    ['allowed', 'allowed', 'denied', 'drift'],
    ['denied', 'allowed', 'denied', 'both'],
    [undefined, 'denied', 'allowed', 'drift'],
    [undefined, 'denied', 'refused', 'drift'],
    [undefined, 'allowed', 'refused', 'none'],
    ['allowed', 'allowed', 'error', 'none'],
    ['denied', 'allowed', 'unsupported', 'policy'],
  ] as const)('intent %s, prediction %s, observation %s → %s', (expected, predicted, observed, mismatch) => {
    expect(computeMismatch({ expected, predicted, observed })).toBe(mismatch);
  });
});

describe('isFailingResult under --fail-on', () => {
  const shop = loadFixture('test/fixtures/runs/shop.yaml', 'test/fixtures/runs/shop-policies-broken.yaml');
  const plan = planRun(shop.cluster, shop.scenario, { kind: 'expectations' }, { profile: 'reference' });
  const policy = makeResult(findProbe(plan, 'api-to-db'), 'denied');
  const drift = makeResult(findProbe(plan, 'frontend-to-db'), 'allowed');
  const error = makeResult(findProbe(plan, 'frontend-to-db'), 'error');
  const unsupported = makeResult(findProbe(plan, 'frontend-to-db'), 'unsupported');
  const flaky = makeResult(findProbe(plan, 'frontend-to-db'), 'denied', { isFlaky: true });
  it.each<[string, RunResult, Record<FailOnMode, boolean>]>([
    ['a policy mismatch', policy, { mismatch: true, drift: false, any: true }],
    ['drift', drift, { mismatch: true, drift: true, any: true }],
    ['a probe error', error, { mismatch: true, drift: true, any: true }],
    ['an unsupported protocol', unsupported, { mismatch: false, drift: false, any: true }],
    ['a flaky pass', flaky, { mismatch: false, drift: false, any: true }],
  ])('%s', (_name, result, modes) => {
    for (const mode of ['mismatch', 'drift', 'any'] as const) expect(isFailingResult(result, mode)).toBe(modes[mode]);
  });
});

describe('classifyResult', () => {
  it('policy: "your policies do not do what the scenario expects", with the deciding policy, nearest rule and explanation', () => {
    const shop = loadFixture('test/fixtures/runs/shop.yaml', 'test/fixtures/runs/shop-policies-broken.yaml');
    const plan = planRun(shop.cluster, shop.scenario, { kind: 'expectations' }, { profile: 'reference' });
    const classification = classifyResult(makeResult(findProbe(plan, 'api-to-db'), 'denied'), plan);
    expect(classification.mismatch).toBe('policy');
    expect(classification.headline).toBe(policyMismatchHeadline);
    expect(classification.lines).toContain('expected allowed, but the policies deny it');
    expect(classification.lines).toContain('decided by: shop/allow-api-to-db, shop/default-deny-ingress');
    expect(classification.lines.join('\n')).toContain('nearest rule: shop/allow-api-to-db spec.ingress[0] matches peer shop/api-0 but port spec.ingress[0].ports[0] allows 5433/TCP, not 5432/TCP');
    expect(classification.lines.join('\n')).toContain('engine explanation:');
  });

  it('drift on cilium: the profile documents ipBlock ignoring pod IPs, and the packets behaved as the reference', () => {
    const drift = loadFixture('scenarios/cni-drift.yaml');
    const plan = planRun(drift.cluster, drift.scenario, { kind: 'expectations' }, { profile: 'cilium' });
    const probe = findProbe(plan, 'db-replication');
    expect(probe.predicted).toBe('denied');
    const classification = classifyResult(makeResult(probe, 'allowed'), plan);
    expect(classification.mismatch).toBe('drift');
    expect(classification.headline).toBe(driftMismatchHeadline);
    expect(classification.lines[0]).toBe('predicted denied under profile cilium (Cilium 1.16+), observed allowed');
    expect(classification.lines.join('\n')).toContain('profile cilium documents a difference on this flow');
    expect(classification.lines.join('\n')).toMatch(/the observation is what these profiles predict: reference, /);
    expect(classification.documented.map((item) => `${item.profile}:${item.difference}`)).toContain('cilium:ipblock-ignores-pod-ips');
  });

  it('drift on reference where the packets went through: flannel documents no enforcement', () => {
    const drift = loadFixture('scenarios/cni-drift.yaml');
    const plan = planRun(drift.cluster, drift.scenario, { kind: 'expectations' }, { profile: 'reference' });
    const classification = classifyResult(makeResult(findProbe(plan, 'db-to-exporter'), 'allowed'), plan);
    expect(classification.mismatch).toBe('drift');
    expect(classification.documented.find((item) => item.profile === 'flannel')).toEqual(expect.objectContaining({ difference: 'no-enforcement', source: expect.stringContaining('flannel-io') }));
  });

  it('both: intent, prediction and observation all disagree in two ways', () => {
    const shop = loadFixture('test/fixtures/runs/shop.yaml', 'test/fixtures/runs/shop-policies-broken.yaml');
    const plan = planRun(shop.cluster, shop.scenario, { kind: 'expectations' }, { profile: 'reference' });
    const classification = classifyResult(makeResult(findProbe(plan, 'api-to-db'), 'allowed'), plan);
    expect(classification.mismatch).toBe('both');
    expect(classification.headline).toBe(`${policyMismatchHeadline}; and ${driftMismatchHeadline}`);
  });

  it('errors and unsupported results say they proved nothing', () => {
    const shop = loadFixture('test/fixtures/runs/shop.yaml', 'test/fixtures/runs/shop-policies.yaml');
    const plan = planRun(shop.cluster, shop.scenario, { kind: 'expectations' }, { profile: 'reference' });
    const refused = classifyResult(makeResult(findProbe(plan, 'api-to-db'), 'refused', { detail: 'nothing listening (ECONNREFUSED)' }), plan);
    expect(refused.isError).toBe(true);
    expect(refused.headline).toBe('nothing listens on shop/db-0 5432/TCP: the probe proved nothing');
    const unsupported = classifyResult(makeResult(findProbe(plan, 'api-to-db'), 'unsupported', { detail: 'SCTP not supported by this kernel' }), plan);
    expect(unsupported.isUnsupported).toBe(true);
    expect(unsupported.headline).toBe('not tested: SCTP not supported by this kernel (unsupported is never a pass)');
  });

  it('a flaky pass names both attempts', () => {
    const shop = loadFixture('test/fixtures/runs/shop.yaml', 'test/fixtures/runs/shop-policies.yaml');
    const plan = planRun(shop.cluster, shop.scenario, { kind: 'expectations' }, { profile: 'reference' });
    const probe = findProbe(plan, 'api-to-db');
    const result = makeResult(probe, 'allowed', {
      isFlaky: true,
      attempts: [
        { observed: 'denied', latencyMs: 0.1, at: '2026-01-01T00:00:00.000Z' },
        { observed: 'allowed', latencyMs: 0.1, at: '2026-01-01T00:00:00.300Z' },
      ],
    });
    const classification = classifyResult(result, plan);
    expect(classification.headline).toBe('intent, prediction and observation agree: allowed (flaky)');
    expect(classification.lines).toEqual(['flaky: the attempts observed denied, then allowed (re-probed once after the settle delay)']);
  });
});
