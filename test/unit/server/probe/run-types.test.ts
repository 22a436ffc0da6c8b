// The run's domain types are the wire's: RunResult, RunSummary, RunView and the mismatch kinds must be mutually
// assignable with what zod infers from server/api/protocol/schemas.ts (checked by the compiler), and a real run
// view must parse with the schema (checked at run time).
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { mismatchSchema, runKindSchema, runResultSchema, runStatusSchema, runSummarySchema, runViewSchema } from '../../../../server/api/protocol/schemas.ts';
import { planRun, startRun } from '../../../../server/probe/index.ts';
import type { MismatchKind, RunKind, RunResult, RunStatus, RunSummary, RunView } from '../../../../server/probe/index.ts';
import { createFakeHandle, loadFixture } from './fake-sandbox.ts';

type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

describe('run types and the wire protocol', () => {
  it('are mutually assignable with the zod-inferred wire types', () => {
    expectTypeOf<Mutual<RunResult, z.infer<typeof runResultSchema>>>().toEqualTypeOf<true>();
    expectTypeOf<Mutual<RunSummary, z.infer<typeof runSummarySchema>>>().toEqualTypeOf<true>();
    expectTypeOf<Mutual<RunView, z.infer<typeof runViewSchema>>>().toEqualTypeOf<true>();
    expectTypeOf<Mutual<MismatchKind, z.infer<typeof mismatchSchema>>>().toEqualTypeOf<true>();
    expectTypeOf<Mutual<RunKind, z.infer<typeof runKindSchema>>>().toEqualTypeOf<true>();
    expectTypeOf<Mutual<RunStatus, z.infer<typeof runStatusSchema>>>().toEqualTypeOf<true>();
  });

  it('a finished run view parses with runViewSchema unchanged', async () => {
    const { cluster, scenario } = loadFixture('test/fixtures/runs/shop.yaml', 'test/fixtures/runs/shop-policies.yaml');
    const plan = planRun(cluster, scenario, { kind: 'expectations' }, { profile: 'reference' });
    const predicted = new Map(plan.probes.map((probe) => [probe.request.id, probe.predicted]));
    const handle = createFakeHandle({ id: 'sb-1234abcd', cluster, script: (request) => ({ outcome: predicted.get(request.id) ?? 'error' }) });
    const { view } = await startRun(handle, plan, { runId: 'run-1' }).done;
    expect(view.results.length).toBeGreaterThan(0);
    expect(runViewSchema.parse(view)).toEqual(view);
  });
});
