// startRun against a fake SandboxHandle: results stream to every subscriber, concurrency stays bounded, a mismatch
// is re-probed once after the settle delay with both attempts kept, flaky results are flagged, and cancelling
// stops at once with nothing left in flight.
import { describe, expect, it } from 'vitest';
import { planRun, startRun } from '../../../../server/probe/index.ts';
import type { RunPlan, RunResult } from '../../../../server/probe/index.ts';
import type { ProbeOutcome } from '../../../../server/sandbox/contract.ts';
import { createFakeHandle, loadFixture } from './fake-sandbox.ts';
import type { ScriptedAnswer } from './fake-sandbox.ts';

const shop = loadFixture('test/fixtures/runs/shop.yaml', 'test/fixtures/runs/shop-policies.yaml');
const matrixPlan = planRun(shop.cluster, shop.scenario, { kind: 'matrix' }, { profile: 'reference' });
const expectationPlan = planRun(shop.cluster, shop.scenario, { kind: 'expectations' }, { profile: 'reference' });

function findPrediction(plan: RunPlan, id: string): ProbeOutcome {
  return plan.probes.find((probe) => probe.request.id === id.replace(/~retry$/, ''))?.predicted ?? 'error';
}

function flipOutcome(outcome: ProbeOutcome): ProbeOutcome {
  return outcome === 'allowed' ? 'denied' : 'allowed';
}

async function collect(iterable: AsyncIterable<RunResult>): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for await (const result of iterable) results.push(result);
  return results;
}

describe('startRun', () => {
  it('streams every result to several subscribers (listeners and iterators, late ones too) and ends passed', async () => {
    const handle = createFakeHandle({ cluster: shop.cluster, script: (request) => ({ outcome: findPrediction(matrixPlan, request.id), delayMs: 1 }) });
    const session = startRun(handle, matrixPlan, { runId: 'run-a' });
    const heardA: string[] = [];
    const heardB: string[] = [];
    session.onResult((result) => heardA.push(result.id));
    const disposable = session.onResult((result) => heardB.push(result.id));
    const early = collect(session.results);
    const outcome = await session.done;
    const late = await collect(session.results);
    disposable.dispose();
    const all = matrixPlan.probes.map((probe) => probe.request.id);
    expect(new Set(heardA)).toEqual(new Set(all));
    expect(heardB).toEqual(heardA);
    expect((await early).map((result) => result.id)).toEqual(heardA);
    expect(new Set(late.map((result) => result.id))).toEqual(new Set(all));
    expect(outcome.view.status).toBe('passed');
    expect(outcome.view.results.map((result) => result.id)).toEqual(all);
    expect(outcome.view.summary).toEqual({ total: 12, passed: 12, policyMismatches: 0, driftMismatches: 0, unsupported: 0, errors: 0, flaky: 0 });
    expect(outcome.view.sandboxId).toBe(handle.id);
    expect(outcome.view.policyDigest).toBe(matrixPlan.policyDigest);
  });

  it('bounds the probes in flight by the concurrency it hands the sandbox', async () => {
    const handle = createFakeHandle({ cluster: shop.cluster, script: (request) => ({ outcome: findPrediction(matrixPlan, request.id), delayMs: 3 }) });
    await startRun(handle, matrixPlan, { runId: 'run-b', concurrency: 3 }).done;
    expect(handle.maxInFlight).toBe(3);
  });

  it('re-probes a mismatch once after the settle delay and records both attempts', async () => {
    const [target] = matrixPlan.probes;
    if (target === undefined) throw new Error('empty plan');
    const handle = createFakeHandle({
      cluster: shop.cluster,
      script: (request): ScriptedAnswer => ({ outcome: /^p0(~retry)?$/.test(request.id) ? flipOutcome(target.predicted) : findPrediction(matrixPlan, request.id) }),
    });
    const settleMs = 40;
    const startedAt = new Map<string, number>();
    const original = handle.probe.bind(handle);
    handle.probe = (requests, options) => {
      for (const request of requests) startedAt.set(request.id, performance.now());
      return original(requests, options);
    };
    const { view } = await startRun(handle, matrixPlan, { runId: 'run-c', settleMs }).done;
    const result = view.results.find((candidate) => candidate.id === target.request.id);
    expect(result?.attempts.map((attempt) => attempt.observed)).toEqual([flipOutcome(target.predicted), flipOutcome(target.predicted)]);
    expect(result?.mismatch).toBe('drift');
    expect(result?.isFlaky).toBe(false);
    expect(handle.probeCalls).toEqual([12, 1]);
    // The re-probe waited for the dataplane to settle (timers may fire up to 1 ms early).
    expect((startedAt.get('p0~retry') ?? 0) - (startedAt.get('p0') ?? 0)).toBeGreaterThanOrEqual(settleMs - 2);
    expect(view.status).toBe('failed');
    expect(view.summary.driftMismatches).toBe(1);
  });

  it('reports a result that changes between attempts as flaky, not hidden', async () => {
    const handle = createFakeHandle({
      cluster: shop.cluster,
      script: (request, attempt) => ({ outcome: request.id.replace(/~retry$/, '') === 'p1' && attempt === 1 ? flipOutcome(findPrediction(matrixPlan, 'p1')) : findPrediction(matrixPlan, request.id) }),
    });
    const { view } = await startRun(handle, matrixPlan, { runId: 'run-d', settleMs: 1 }).done;
    const result = view.results.find((candidate) => candidate.id === 'p1');
    expect(result?.isFlaky).toBe(true);
    expect(result?.mismatch).toBe('none');
    expect(result?.observed).toBe(findPrediction(matrixPlan, 'p1'));
    expect(result?.attempts).toHaveLength(2);
    expect(view.summary.flaky).toBe(1);
    expect(view.status).toBe('passed');
  });

  it('does not re-probe an unsupported protocol and never counts it as passed', async () => {
    const handle = createFakeHandle({ cluster: shop.cluster, script: () => ({ outcome: 'unsupported', detail: 'SCTP not supported by this kernel' }) });
    const { view } = await startRun(handle, matrixPlan, { runId: 'run-e' }).done;
    expect(handle.probeCalls).toEqual([12]);
    expect(view.summary.passed).toBe(0);
    expect(view.summary.unsupported).toBe(12);
  });

  it('classifies intent against prediction: a policy mismatch is not re-probed when the packets agree with the engine', async () => {
    const broken = loadFixture('test/fixtures/runs/shop.yaml', 'test/fixtures/runs/shop-policies-broken.yaml');
    const plan = planRun(broken.cluster, broken.scenario, { kind: 'expectations' }, { profile: 'reference' });
    const handle = createFakeHandle({ cluster: broken.cluster, script: (request) => ({ outcome: findPrediction(plan, request.id) }) });
    const { view } = await startRun(handle, plan, { runId: 'run-f' }).done;
    expect(view.results.filter((result) => result.mismatch === 'policy').map((result) => result.expectationId)).toEqual(['api-to-db', 'api-to-db']);
    expect(handle.probeCalls).toEqual([plan.probes.length]);
    expect(view.status).toBe('failed');
  });

  it('cancel() stops promptly: in-flight probes are aborted and done resolves cancelled', async () => {
    const handle = createFakeHandle({ cluster: shop.cluster, script: (request) => ({ outcome: findPrediction(expectationPlan, request.id), delayMs: request.id === 'p0' ? 0 : 60_000 }) });
    const session = startRun(handle, expectationPlan, { runId: 'run-g', concurrency: 2 });
    session.onResult(() => session.cancel());
    const outcome = await session.done;
    expect(outcome.view.status).toBe('cancelled');
    expect(outcome.view.results.map((result) => result.id)).toEqual(['p0']);
    expect(handle.inFlight).toBe(0);
    expect(handle.aborted).toBeGreaterThan(0);
    expect(outcome.view.finishedAt).toBeDefined();
  });

  it('an aborted caller signal cancels, also while waiting to re-probe (the first attempt is kept)', async () => {
    const controller = new AbortController();
    const handle = createFakeHandle({ cluster: shop.cluster, script: (request) => ({ outcome: flipOutcome(findPrediction(expectationPlan, request.id)) }) });
    const session = startRun(handle, expectationPlan, { runId: 'run-h', settleMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const outcome = await session.done;
    expect(outcome.view.status).toBe('cancelled');
    expect(handle.probeCalls).toEqual([expectationPlan.probes.length]);
    expect(outcome.view.results).toHaveLength(expectationPlan.probes.length);
    expect(outcome.view.results.every((result) => result.attempts.length === 1)).toBe(true);
  });

  it('cancelling while probes are in flight keeps a mismatch already seen, with its one attempt', async () => {
    const handle = createFakeHandle({
      cluster: shop.cluster,
      script: (request) => (request.id === 'p0' ? { outcome: flipOutcome(findPrediction(expectationPlan, request.id)) } : { outcome: findPrediction(expectationPlan, request.id), delayMs: 60_000 }),
    });
    const session = startRun(handle, expectationPlan, { runId: 'run-h2', concurrency: 2 });
    setTimeout(() => session.cancel(), 20);
    const outcome = await session.done;
    expect(outcome.view.status).toBe('cancelled');
    expect(outcome.view.results.map((result) => [result.id, result.attempts.length, result.mismatch])).toEqual([['p0', 1, 'drift']]);
    expect(handle.probeCalls).toEqual([expectationPlan.probes.length]);
  });

  it('ends in error with the provider\'s code when the handle fails mid-run', async () => {
    const handle = createFakeHandle({ cluster: shop.cluster, script: (request) => ({ outcome: findPrediction(matrixPlan, request.id) }) });
    handle.failWith = { error: Object.assign(new Error('sandbox sb-0000000a was destroyed'), { code: 'SANDBOX_NOT_FOUND' }), failAfter: 3 };
    const outcome = await startRun(handle, matrixPlan, { runId: 'run-i' }).done;
    expect(outcome.view.status).toBe('error');
    expect(outcome.failure).toEqual({ code: 'SANDBOX_NOT_FOUND', message: 'sandbox sb-0000000a was destroyed' });
    expect(outcome.view.results).toHaveLength(3);
  });

  it('a subscriber that throws stops the run with an error naming it', async () => {
    const handle = createFakeHandle({ cluster: shop.cluster, script: (request) => ({ outcome: findPrediction(matrixPlan, request.id) }) });
    const session = startRun(handle, matrixPlan, { runId: 'run-j' });
    session.onResult(() => {
      throw new Error('socket closed');
    });
    const outcome = await session.done;
    expect(outcome.view.status).toBe('error');
    expect(outcome.failure?.code).toBe('RUN_LISTENER_FAILED');
    expect(outcome.failure?.message).toContain('socket closed');
  });

  it('snapshot() shows the run while it is running', async () => {
    const handle = createFakeHandle({ cluster: shop.cluster, script: (request) => ({ outcome: findPrediction(matrixPlan, request.id), delayMs: 2 }) });
    const session = startRun(handle, matrixPlan, { runId: 'run-k' });
    expect(session.snapshot().status).toBe('running');
    await session.done;
    expect(session.snapshot().status).toBe('passed');
    expect(session.snapshot().results).toHaveLength(12);
  });
});
