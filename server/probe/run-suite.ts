// A test suite across CNIs: plan every run first (bad input stops before anything boots), then per CNI create a
// sandbox, run each requested kind through it and destroy it, also when a run fails or the signal aborts.
// Knows the provider contract only; the caller chooses the provider.
import { randomBytes } from 'node:crypto';
import type { Cluster, Scenario } from '../policy/index.ts';
import type { SandboxHandle, SandboxProvider } from '../sandbox/contract.ts';
import { planRun } from './plan-run.ts';
import { startRun } from './run-session.ts';
import type { RunFailure, RunOutcome, RunSession } from './run-session.ts';
import type { RunPlan, RunRequest, RunResult } from './run-types.ts';

export interface PlanSuiteInput {
  readonly cluster: Cluster;
  readonly scenario?: Scenario;
  readonly scenarioFile?: string;
  readonly cnis: readonly string[];
  readonly requests: readonly RunRequest[];
  readonly timeoutMs?: number;
}

export interface SuitePlan {
  readonly cluster: Cluster;
  readonly scenario?: Scenario;
  /** Per CNI, one plan per requested run kind. */
  readonly byCni: ReadonlyMap<string, readonly RunPlan[]>;
}

export function planSuite(input: PlanSuiteInput): SuitePlan {
  const byCni = new Map<string, RunPlan[]>();
  for (const cni of input.cnis) {
    byCni.set(
      cni,
      input.requests.map((request) =>
        planRun(input.cluster, input.scenario, request, {
          profile: cni,
          ...(input.timeoutMs === undefined ? {} : { timeoutMs: input.timeoutMs }),
          ...(input.scenarioFile === undefined ? {} : { scenarioFile: input.scenarioFile }),
        }),
      ),
    );
  }
  return { cluster: input.cluster, ...(input.scenario === undefined ? {} : { scenario: input.scenario }), byCni };
}

export type SuiteEvent =
  | { readonly type: 'sandbox-creating'; readonly cni: string; readonly sandboxId: string }
  | { readonly type: 'sandbox-ready'; readonly cni: string; readonly sandboxId: string; readonly readyMs: number }
  | { readonly type: 'run-started'; readonly cni: string; readonly session: RunSession; readonly probes: number }
  | { readonly type: 'result'; readonly cni: string; readonly runId: string; readonly result: RunResult; readonly completed: number; readonly total: number }
  | { readonly type: 'run-finished'; readonly cni: string; readonly outcome: RunOutcome }
  | { readonly type: 'sandbox-destroyed'; readonly cni: string; readonly sandboxId: string };

export interface RunSuiteOptions {
  readonly provider: SandboxProvider;
  readonly ttlSeconds: number;
  readonly owner: string;
  readonly createSandboxId: () => string;
  readonly createRunId?: () => string;
  readonly concurrency?: number;
  readonly settleMs?: number;
  /** Aborting it cancels the current run, destroys the sandbox and ends the suite. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: SuiteEvent) => void;
}

export interface SuiteOutcome {
  readonly runs: readonly RunOutcome[];
  readonly isCancelled: boolean;
  /** The provider failed (create, a probe transport, destroy): the suite stopped there. */
  readonly failure?: RunFailure & { readonly cause: unknown };
}

export function createRunId(): string {
  return `run-${randomBytes(4).toString('hex')}`;
}

function describeFailure(error: unknown): RunFailure & { readonly cause: unknown } {
  const code: unknown = error instanceof Error ? Reflect.get(error, 'code') : undefined;
  return { code: typeof code === 'string' ? code : 'RUN_SUITE_FAILED', message: error instanceof Error ? error.message : String(error), cause: error };
}

export async function runSuite(plan: SuitePlan, options: RunSuiteOptions): Promise<SuiteOutcome> {
  const runs: RunOutcome[] = [];
  const emit = options.onEvent ?? (() => undefined);
  const nextRunId = options.createRunId ?? createRunId;
  let failure: (RunFailure & { readonly cause: unknown }) | undefined;
  // A function, not a property read, so every check sees the signal as it is now.
  const isAborted = (): boolean => options.signal?.aborted === true;
  for (const [cni, plans] of plan.byCni) {
    if (isAborted() || failure !== undefined) break;
    const sandboxId = options.createSandboxId();
    emit({ type: 'sandbox-creating', cni, sandboxId });
    const started = performance.now();
    let handle: SandboxHandle;
    try {
      handle = await options.provider.create({
        id: sandboxId,
        cni,
        ttlSeconds: options.ttlSeconds,
        owner: options.owner,
        ...(plan.scenario === undefined ? {} : { scenario: plan.scenario.name }),
        cluster: plan.cluster,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    } catch (error) {
      if (isAborted()) break;
      failure = describeFailure(error);
      break;
    }
    emit({ type: 'sandbox-ready', cni, sandboxId: handle.id, readyMs: Math.round(performance.now() - started) });
    try {
      for (const runPlan of plans) {
        if (isAborted()) break;
        const session = startRun(handle, runPlan, {
          runId: nextRunId(),
          ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
          ...(options.settleMs === undefined ? {} : { settleMs: options.settleMs }),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
        emit({ type: 'run-started', cni, session, probes: runPlan.probes.length });
        let completed = 0;
        const subscription = session.onResult((result) => {
          completed += 1;
          emit({ type: 'result', cni, runId: session.id, result, completed, total: runPlan.probes.length });
        });
        const outcome = await session.done;
        subscription.dispose();
        runs.push(outcome);
        emit({ type: 'run-finished', cni, outcome });
        if (outcome.failure !== undefined) {
          failure = { ...outcome.failure, cause: undefined };
          break;
        }
      }
    } finally {
      try {
        await handle.destroy();
        emit({ type: 'sandbox-destroyed', cni, sandboxId: handle.id });
      } catch (error) {
        failure ??= describeFailure(error);
      }
    }
  }
  return { runs, isCancelled: isAborted(), ...(failure === undefined ? {} : { failure }) };
}
