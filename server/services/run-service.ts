// Runs of live traffic tests: planned by server/probe (intent + prediction per probe), sent through the
// sandbox's handle, every result stored and announced the moment it completes. Also the observation side of the
// matrix view (the latest results under the current policy set) and the words for a mismatch.
import { randomBytes } from 'node:crypto';
import type { MatrixView, RunResult, RunView, StartRunRequest } from '../api/protocol/schemas.ts';
import type { Protocol } from '../policy/index.ts';
import type { Logger } from '../log.ts';
import { classifyResult } from '../probe/classify.ts';
import type { Classification } from '../probe/classify.ts';
import { planRun } from '../probe/plan-run.ts';
import { computePolicyDigest } from '../probe/policy-digest.ts';
import { startRun } from '../probe/run-session.ts';
import type { RunSession } from '../probe/run-session.ts';
import type { RunPlan, RunRequest } from '../probe/run-types.ts';
import type { RunHeader, Store } from '../store/index.ts';
import type { Disposable } from './disposable.ts';
import type { EventLog } from './event-log.ts';
import { buildMatrixView, formatFlowKey } from './matrix-view.ts';
import type { Observation } from './matrix-view.ts';
import type { SandboxService } from './sandbox-service.ts';
import { ServiceError, ServiceErrorCodes } from './service-error.ts';

export interface RunServiceOptions {
  readonly store: Store;
  readonly events: EventLog;
  readonly sandboxes: SandboxService;
  readonly log: Logger;
  readonly maxProbesPerRun: number;
  /** Wait before re-probing a mismatch; default the probe runner's. */
  readonly settleMs?: number;
  readonly newRunId?: () => string;
}

export interface StartedRun {
  readonly view: RunView;
  /** Results as they complete (each iteration starts at the first result). */
  readonly session: RunSession;
}

export interface RunService extends Disposable {
  start(sandboxId: string, request: StartRunRequest): StartedRun;
  get(runId: string): RunView;
  list(sandboxId: string): RunHeader[];
  cancel(runId: string): RunView;
  /** Why a result's views disagree, in words (undefined when the run's plan is no longer in memory). */
  classify(runId: string, result: RunResult): Classification | undefined;
  matrix(sandboxId: string, query: { readonly port?: number | string; readonly protocol?: Protocol }): MatrixView;
  /** Cancels every active run and waits (at most `timeoutMs`) for them to record their end. */
  cancelAll(options: { readonly timeoutMs: number }): Promise<void>;
  /** Runs a previous process left `running` (kill -9) are marked `error`: their results so far stay. */
  restore(): void;
  readonly activeCount: number;
}

interface ActiveRun {
  readonly sandboxId: string;
  readonly session: RunSession;
  readonly subscription: Disposable;
}

/** Plans of finished runs kept for classify(); older ones are re-derivable only from stored results. */
const keptPlans = 32;
/** How many recent runs feed the matrix's observation view. */
const observedRunsLimit = 20;

function toHeader(view: RunView): RunHeader {
  const { results: _results, ...header } = view;
  return header;
}

function toRunRequest(request: StartRunRequest): RunRequest {
  return {
    kind: request.kind,
    ...(request.port === undefined ? {} : { port: request.port }),
    ...(request.protocol === undefined ? {} : { protocol: request.protocol }),
    ...(request.probe === undefined ? {} : { probe: request.probe }),
  };
}

export function createRunService(options: RunServiceOptions): RunService {
  const { store, events, log } = options;
  const newRunId = options.newRunId ?? ((): string => `run-${randomBytes(6).toString('hex')}`);
  const active = new Map<string, ActiveRun>();
  const plans = new Map<string, RunPlan>();

  const rememberPlan = (runId: string, plan: RunPlan): void => {
    plans.set(runId, plan);
    while (plans.size > keptPlans) {
      const oldest = plans.keys().next().value;
      if (oldest === undefined || active.has(oldest)) break;
      plans.delete(oldest);
    }
  };

  const goneSubscription = options.sandboxes.onGone((sandboxId) => {
    for (const run of active.values()) if (run.sandboxId === sandboxId) run.session.cancel();
  });

  const get = (runId: string): RunView => {
    const running = active.get(runId);
    if (running !== undefined) return running.session.snapshot();
    const stored = store.getRun(runId);
    if (stored === undefined) throw new ServiceError(ServiceErrorCodes.runNotFound, `there is no run ${runId}`);
    return stored;
  };

  return {
    get activeCount() {
      return active.size;
    },
    start(sandboxId, request) {
      const entry = options.sandboxes.requireLive(sandboxId);
      const cluster = entry.handle.cluster();
      const plan = planRun(cluster, entry.scenario, toRunRequest(request), { profile: entry.profile, maxProbes: options.maxProbesPerRun });
      if (plan.problems.length > 0 && plan.probes.length === 0) {
        throw new ServiceError(ServiceErrorCodes.runPlanInvalid, plan.problems.map((problem) => problem.message).join('; '), {
          issues: plan.problems.map((problem) => ({
            code: problem.code,
            severity: 'error',
            file: 'request',
            line: 0,
            path: problem.path ?? (problem.expectationId === undefined ? '' : `expectations.${problem.expectationId}`),
            message: problem.message,
            fix: problem.fix,
          })),
        });
      }
      const runId = newRunId();
      const session = startRun(entry.handle, plan, {
        runId,
        ...(request.concurrency === undefined ? {} : { concurrency: request.concurrency }),
        ...(options.settleMs === undefined ? {} : { settleMs: options.settleMs }),
      });
      rememberPlan(runId, plan);
      const first = session.snapshot();
      store.putRun(toHeader(first));
      events.publish({ type: 'run', run: toHeader(first) });
      let seq = 0;
      const subscription = session.onResult((result) => {
        // A failing store must not stop the run (a listener that throws ends it): the gap is logged.
        try {
          store.appendResult(runId, seq, result);
        } catch (error) {
          log.error('result not stored', { runId, error });
        }
        seq += 1;
        events.publish({ type: 'result', runId, sandboxId, result });
      });
      active.set(runId, { sandboxId, session, subscription });
      log.info('run started', { runId, sandboxId, kind: request.kind, probes: plan.probes.length });
      void session.done.then(
        (outcome) => {
          subscription.dispose();
          active.delete(runId);
          try {
            store.putRun(toHeader(outcome.view));
          } catch (error) {
            log.error('run end not stored', { runId, error });
          }
          events.publish({ type: 'run', run: toHeader(outcome.view) });
          const level = outcome.failure === undefined ? 'info' : 'error';
          log[level]('run ended', { runId, sandboxId, status: outcome.view.status, ...outcome.view.summary, failure: outcome.failure });
        },
        (error: unknown) => {
          subscription.dispose();
          active.delete(runId);
          log.error('run failed unexpectedly', { runId, error });
        },
      );
      return { view: first, session };
    },
    get,
    list: (sandboxId) => store.listRuns({ sandboxId }),
    cancel(runId) {
      const running = active.get(runId);
      if (running === undefined) return get(runId);
      running.session.cancel();
      return running.session.snapshot();
    },
    classify(runId, result) {
      const plan = plans.get(runId);
      return plan === undefined ? undefined : classifyResult(result, plan);
    },
    matrix(sandboxId, query) {
      const entry = options.sandboxes.requireLive(sandboxId);
      const cluster = entry.handle.cluster();
      const digest = computePolicyDigest(cluster);
      const observations = new Map<string, Observation>();
      const headers = store.listRuns({ sandboxId, limit: observedRunsLimit }).filter((header) => header.policyDigest === digest && header.kind !== 'probe');
      // Oldest first, so a newer observation of a flow replaces an older one.
      for (const header of headers.reverse()) {
        const running = active.get(header.id);
        const results = running === undefined ? (store.getRun(header.id)?.results ?? []) : running.session.snapshot().results;
        for (const result of results) {
          if (result.to.startsWith('svc/')) continue;
          observations.set(formatFlowKey(result), { observed: result.observed, runId: header.id });
        }
      }
      return buildMatrixView({
        sandboxId,
        cluster,
        scenario: entry.scenario,
        profile: entry.profile,
        observations,
        ...(query.port === undefined ? {} : { port: query.port }),
        ...(query.protocol === undefined ? {} : { protocol: query.protocol }),
      });
    },
    async cancelAll(cancelOptions) {
      const runs = [...active.values()];
      for (const run of runs) run.session.cancel();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, cancelOptions.timeoutMs);
      });
      await Promise.race([Promise.allSettled(runs.map((run) => run.session.done)), timeout]);
      clearTimeout(timer);
    },
    restore() {
      for (const header of store.listRuns({ statuses: ['running'], limit: 10_000 })) {
        store.putRun({ ...header, status: 'error', finishedAt: header.finishedAt ?? new Date().toISOString() });
        log.warn('run left running by a previous server marked error', { runId: header.id, sandboxId: header.sandboxId });
      }
    },
    dispose() {
      goneSubscription.dispose();
      for (const run of active.values()) run.session.cancel();
    },
  };
}
