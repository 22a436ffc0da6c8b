// runSuite across CNIs with a fake provider: one sandbox per CNI, every one destroyed after its runs, also when a
// run is cancelled or the provider fails; planSuite reports input problems before anything boots.
import { describe, expect, it } from 'vitest';
import { planSuite, runSuite } from '../../../../server/probe/index.ts';
import type { SuiteEvent } from '../../../../server/probe/index.ts';
import { createFakeProvider, loadFixture } from './fake-sandbox.ts';
import type { ProbeScript } from './fake-sandbox.ts';

const shop = loadFixture('test/fixtures/runs/shop.yaml', 'test/fixtures/runs/shop-policies.yaml');
let nextId = 0;
const createSandboxId = (): string => `sb-${(nextId++).toString(16).padStart(8, '0')}`;

/** Every probe denied at once: what these tests check does not depend on the outcomes. */
function denyingScript(): (cni: string) => ProbeScript {
  return () => () => ({ outcome: 'denied' });
}

describe('planSuite', () => {
  it('plans every requested kind per CNI before anything boots', () => {
    const plan = planSuite({ cluster: shop.cluster, ...(shop.scenario === undefined ? {} : { scenario: shop.scenario }), cnis: ['reference', 'cilium'], requests: [{ kind: 'expectations' }, { kind: 'matrix' }] });
    expect([...plan.byCni.keys()]).toEqual(['reference', 'cilium']);
    expect(plan.byCni.get('cilium')?.map((runPlan) => [runPlan.kind, runPlan.profile])).toEqual([
      ['expectations', 'cilium'],
      ['matrix', 'cilium'],
    ]);
  });
});

describe('runSuite', () => {
  const suitePlan = planSuite({ cluster: shop.cluster, ...(shop.scenario === undefined ? {} : { scenario: shop.scenario }), cnis: ['reference', 'calico'], requests: [{ kind: 'expectations' }, { kind: 'matrix' }] });

  it('runs each kind in a sandbox per CNI and destroys each sandbox', async () => {
    const provider = createFakeProvider({ script: denyingScript() });
    const events: SuiteEvent['type'][] = [];
    const outcome = await runSuite(suitePlan, { provider, ttlSeconds: 60, owner: 'test', createSandboxId, onEvent: (event) => events.push(event.type) });
    expect(outcome.runs.map((run) => `${run.view.cni}/${run.view.kind}`)).toEqual(['reference/expectations', 'reference/matrix', 'calico/expectations', 'calico/matrix']);
    expect(provider.created.map((created) => [created.cni, created.scenario])).toEqual([
      ['reference', 'shop'],
      ['calico', 'shop'],
    ]);
    expect(provider.handles.every((handle) => handle.isDestroyed)).toBe(true);
    expect(events.filter((type) => type === 'sandbox-destroyed')).toHaveLength(2);
    expect(events.filter((type) => type === 'result')).toHaveLength(outcome.runs.reduce((sum, run) => sum + run.view.results.length, 0));
    expect(outcome.isCancelled).toBe(false);
  });

  it('on abort: cancels the run, destroys the sandbox and boots no further CNI', async () => {
    const provider = createFakeProvider({ script: () => () => ({ outcome: 'denied', delayMs: 60_000 }) });
    const controller = new AbortController();
    const outcome = await runSuite(suitePlan, {
      provider,
      ttlSeconds: 60,
      owner: 'test',
      createSandboxId,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'run-started') controller.abort();
      },
    });
    expect(outcome.isCancelled).toBe(true);
    expect(provider.created.map((created) => created.cni)).toEqual(['reference']);
    expect(provider.handles[0]?.isDestroyed).toBe(true);
    expect(provider.handles[0]?.inFlight).toBe(0);
    expect(outcome.runs.map((run) => run.view.status)).toEqual(['cancelled']);
  });

  it('when the provider fails: stops, keeps the runs so far, destroys what it created and returns the failure', async () => {
    const provider = createFakeProvider({ script: denyingScript(), failCreateFor: 'calico' });
    const outcome = await runSuite(suitePlan, { provider, ttlSeconds: 60, owner: 'test', createSandboxId });
    expect(outcome.failure?.code).toBe('SANDBOX_PROVISION_FAILED');
    expect(outcome.runs.map((run) => run.view.cni)).toEqual(['reference', 'reference']);
    expect(provider.handles.every((handle) => handle.isDestroyed)).toBe(true);
  });
});
