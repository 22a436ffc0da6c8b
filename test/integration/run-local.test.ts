// The run API against the real local provider, in process: generated cases and the full matrix of every canned
// scenario agree with the engine on reference; results carry the dataplane's attribution; a policy change is
// re-planned and classified as a policy mismatch (not drift); cancelling a live run stops it and teardown is clean.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifests } from '../../server/policy/index.ts';
import type { Cluster, Scenario } from '../../server/policy/index.ts';
import { planRun, startRun } from '../../server/probe/index.ts';
import type { RunOutcome } from '../../server/probe/index.ts';
import type { SandboxHandle } from '../../server/sandbox/contract.ts';
import { generateSandboxId } from '../../server/sandbox/local/names.ts';
import { canRunPrivileged } from '../helpers/env.ts';
import { findLeftovers, makeTempHome, makeTestProvider, repoRoot } from './local-helpers.ts';

function load(...files: string[]): { cluster: Cluster; scenario: Scenario | undefined } {
  const parsed = parseManifests(files.map((file) => ({ file, text: readFileSync(join(repoRoot, file), 'utf8') })));
  const errors = parsed.issues.filter((issue) => issue.severity === 'error');
  if (errors.length > 0) throw new Error(`${files.join(', ')} does not parse: ${errors.map((issue) => issue.message).join('; ')}`);
  return { cluster: parsed.cluster, scenario: parsed.scenario };
}

/** Lines for every result that is not a clean pass (empty when the run agrees everywhere). */
function describeFailures(outcome: RunOutcome): string[] {
  return [
    ...(outcome.failure === undefined ? [] : [`run failed: ${outcome.failure.message}`]),
    ...outcome.plan.problems.map((problem) => `plan: ${problem.message}`),
    ...outcome.view.results
      .filter((result) => result.mismatch !== 'none' || result.observed === 'error' || result.observed === 'refused' || result.isFlaky)
      .map((result) => `${result.expectationId ?? ''} ${result.from} -> ${result.to} ${result.port}/${result.protocol}: expected ${result.expected ?? '-'}, predicted ${result.predicted}, observed ${result.observed} ${result.detail ?? ''}`),
  ];
}

const scenarioFiles = readdirSync(join(repoRoot, 'scenarios'))
  .filter((file) => file.endsWith('.yaml'))
  .sort()
  .map((file) => `scenarios/${file}`)
  .filter((file) => load(file).cluster.policies.length > 0);

describe.runIf(canRunPrivileged())('runs on the local provider', () => {
  let home: Awaited<ReturnType<typeof makeTempHome>> | undefined;
  beforeAll(async () => {
    home = await makeTempHome('run-local');
  });
  afterAll(async () => {
    await home?.dispose();
  });
  const create = async (cluster: Cluster): Promise<SandboxHandle> => {
    if (home === undefined) throw new Error('no state home');
    return makeTestProvider(home.dir).create({ id: generateSandboxId(), cni: 'reference', ttlSeconds: 600, owner: 'run-local-test', cluster });
  };

  describe.each(scenarioFiles)('%s on reference', (file) => {
    it('generated cases and the full matrix agree with the engine, and teardown leaves nothing', async () => {
      const { cluster, scenario } = load(file);
      const handle = await create(cluster);
      try {
        for (const kind of ['generated', 'matrix'] as const) {
          const plan = planRun(cluster, scenario, { kind }, { profile: 'reference', timeoutMs: 2000 });
          expect(plan.probes.length).toBeGreaterThan(0);
          const outcome = await startRun(handle, plan, { runId: `run-${kind}` }).done;
          expect(describeFailures(outcome)).toEqual([]);
          expect(outcome.view.status).toBe('passed');
        }
      } finally {
        await handle.destroy();
      }
      expect(await findLeftovers(handle.id)).toEqual([]);
    });
  });

  describe('the shop fixture', () => {
    const correct = load('test/fixtures/runs/shop.yaml', 'test/fixtures/runs/shop-policies.yaml');
    const broken = load('test/fixtures/runs/shop.yaml', 'test/fixtures/runs/shop-policies-broken.yaml');
    let handle: SandboxHandle | undefined;
    beforeAll(async () => {
      handle = await create(correct.cluster);
    });
    afterAll(async () => {
      await handle?.destroy();
    });
    const requireHandle = (): SandboxHandle => {
      if (handle === undefined) throw new Error('sandbox not created');
      return handle;
    };

    it('passes its expectations; each denial is attributed to the isolating policies by the dataplane', async () => {
      const plan = planRun(correct.cluster, correct.scenario, { kind: 'expectations' }, { profile: 'reference' });
      const outcome = await startRun(requireHandle(), plan, { runId: 'run-shop' }).done;
      expect(describeFailures(outcome)).toEqual([]);
      const denial = outcome.view.results.find((result) => result.expectationId === 'db-to-frontend');
      expect(denial?.attribution).toMatchObject({ direction: 'Ingress', subject: 'shop/frontend-0', policies: [{ namespace: 'shop', name: 'default-deny-ingress' }] });
      const viaService = outcome.view.results.find((result) => result.expectationId === 'frontend-to-api');
      expect(viaService?.to).toBe('svc/shop/api');
      expect(viaService?.detail).toMatch(/answered by shop\/api-[01]/);
    });

    it('after applying a broken policy, the re-planned run shows a policy mismatch and no drift', async () => {
      const sandbox = requireHandle();
      await sandbox.apply(broken.cluster);
      const plan = planRun(broken.cluster, broken.scenario, { kind: 'expectations' }, { profile: 'reference' });
      const outcome = await startRun(sandbox, plan, { runId: 'run-broken' }).done;
      expect(outcome.view.status).toBe('failed');
      expect(outcome.view.summary).toMatchObject({ policyMismatches: 2, driftMismatches: 0, errors: 0 });
      expect(outcome.view.results.filter((result) => result.mismatch === 'policy').map((result) => result.expectationId)).toEqual(['api-to-db', 'api-to-db']);
    });

    it('cancel() stops a live run promptly; the sandbox is still usable and then tears down cleanly', async () => {
      const sandbox = requireHandle();
      // Without policies and with nothing serving 9999, every probe is refused and waits out the settle delay for
      // its re-probe: the run is surely live when it is cancelled.
      const open = load('test/fixtures/runs/shop.yaml');
      await sandbox.apply(open.cluster);
      const plan = planRun(open.cluster, undefined, { kind: 'matrix', port: 9999 }, { profile: 'reference' });
      const session = startRun(sandbox, plan, { runId: 'run-cancel', settleMs: 60_000 });
      setTimeout(() => session.cancel(), 200);
      const outcome = await session.done;
      expect(outcome.view.status).toBe('cancelled');
      expect(outcome.view.results.every((result) => result.attempts.length === 1 && result.observed === 'refused')).toBe(true);
      const again = await startRun(sandbox, planRun(open.cluster, undefined, { kind: 'matrix' }, { profile: 'reference' }), { runId: 'run-after' }).done;
      expect(describeFailures(again)).toEqual([]);
      await sandbox.destroy();
      expect(await findLeftovers(sandbox.id)).toEqual([]);
    });
  });
});
