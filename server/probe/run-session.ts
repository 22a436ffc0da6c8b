// A live run: sends a plan's probes through a SandboxHandle with bounded concurrency, streams each result as it
// completes to any number of subscribers, re-probes a mismatch once after a settle delay (as the upstream suite
// tolerates CNI convergence) keeping both attempts, and can be cancelled at any moment, leaving nothing running.
import type { ProbeRequest, ProbeResult, SandboxHandle } from '../sandbox/contract.ts';
import { findPlannedProbe } from './classify.ts';
import { computeMismatch, isFailingResult, summarizeResults } from './judge-result.ts';
import type { CompletedRun, PlannedRunProbe, RunAttempt, RunPlan, RunResult, RunStatus, RunView } from './run-types.ts';

/** Long enough for a dataplane to converge after a change (nft loads are atomic); short enough to keep CI fast. */
export const defaultSettleMs = 300;

export interface StartRunOptions {
  readonly runId: string;
  /** Probes in flight at once; default: the handle's own limit. */
  readonly concurrency?: number;
  /** Wait before re-probing a mismatch. Default 300 ms. */
  readonly settleMs?: number;
  /** Aborting it cancels the run (as `cancel()` does). */
  readonly signal?: AbortSignal;
}

export interface Disposable {
  dispose(): void;
}

/** Why a run ended in status `error`: the handle failed (sandbox gone, agent crashed), not a finding. */
export interface RunFailure {
  readonly code: string;
  readonly message: string;
}

export interface RunOutcome extends CompletedRun {
  readonly failure?: RunFailure;
}

export interface RunSession {
  readonly id: string;
  readonly plan: RunPlan;
  /** Every result as it completes; each iteration starts from the first result, so late subscribers miss nothing. */
  readonly results: AsyncIterable<RunResult>;
  /** Called for each result as it completes; dispose to stop listening. */
  onResult(listener: (result: RunResult) => void): Disposable;
  /** The run so far (status `running` until it ends). */
  snapshot(): RunView;
  /** Stop now: no new probe starts, in-flight probes are aborted, `done` resolves with status `cancelled`. */
  cancel(): void;
  readonly done: Promise<RunOutcome>;
}

interface PendingRetry {
  readonly probe: PlannedRunProbe;
  readonly first: ProbeResult;
  readonly attempt: RunAttempt;
  readonly settledAtMs: number;
}

function readErrorCode(error: unknown): string {
  if (error instanceof Error) {
    const code: unknown = Reflect.get(error, 'code');
    if (typeof code === 'string') return code;
  }
  return 'RUN_FAILED';
}

/** An unsupported protocol does not change between attempts, and a matching result needs no second look. */
function needsRetry(probe: PlannedRunProbe, result: ProbeResult): boolean {
  return result.outcome !== 'unsupported' && result.outcome !== probe.predicted;
}

function buildResult(probe: PlannedRunProbe, attempts: RunAttempt[], last: ProbeResult): RunResult {
  const observed = last.outcome;
  const backend = last.backend === undefined ? undefined : probe.backends?.find((candidate) => candidate.backend === last.backend);
  const details = [last.detail, last.backend === undefined ? undefined : `answered by ${last.backend}`].filter((part): part is string => part !== undefined);
  const isFlaky = attempts.some((attempt) => attempt.observed !== attempts[0]?.observed);
  return {
    id: probe.request.id,
    from: probe.from,
    to: probe.to,
    port: probe.port,
    ...(probe.portName === undefined ? {} : { portName: probe.portName }),
    protocol: probe.protocol,
    ...(probe.expectationId === undefined ? {} : { expectationId: probe.expectationId }),
    ...(probe.expected === undefined ? {} : { expected: probe.expected }),
    predicted: probe.predicted,
    observed,
    latencyMs: last.latencyMs,
    reason: backend?.reason ?? probe.reason,
    ...(last.attribution === undefined
      ? {}
      : {
          attribution: {
            direction: last.attribution.direction,
            subject: last.attribution.subject,
            policies: last.attribution.policies.map((policy) => ({ namespace: policy.namespace, name: policy.name })),
            evidence: last.attribution.evidence,
          },
        }),
    ...(details.length === 0 ? {} : { detail: details.join('; ') }),
    mismatch: computeMismatch({ expected: probe.expected, predicted: probe.predicted, observed }),
    isFlaky,
    attempts,
  };
}

/** Resolves after `ms`, or at once when the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(finish, ms);
    function finish(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      resolve();
    }
    signal.addEventListener('abort', finish, { once: true });
  });
}

export function startRun(handle: SandboxHandle, plan: RunPlan, options: StartRunOptions): RunSession {
  const controller = new AbortController();
  const settleMs = options.settleMs ?? defaultSettleMs;
  const startedAt = new Date().toISOString();
  const results: RunResult[] = [];
  const listeners = new Set<(result: RunResult) => void>();
  const planOrder = new Map(plan.probes.map((probe, index) => [probe.request.id, index]));
  let status: RunStatus = 'running';
  let finishedAt: string | undefined;
  let notify: () => void = () => undefined;
  let changed = new Promise<void>((resolve) => {
    notify = resolve;
  });
  const signalChange = (): void => {
    const resolve = notify;
    changed = new Promise<void>((next) => {
      notify = next;
    });
    resolve();
  };

  const onExternalAbort = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted === true) controller.abort(options.signal.reason);
  else options.signal?.addEventListener('abort', onExternalAbort, { once: true });

  // A subscriber that throws must not take the run down silently: the run stops and ends in `error`, naming it.
  let listenerFailure: RunFailure | undefined;
  const publish = (result: RunResult): void => {
    results.push(result);
    for (const listener of [...listeners]) {
      try {
        listener(result);
      } catch (error) {
        listenerFailure ??= { code: 'RUN_LISTENER_FAILED', message: `a result subscriber failed: ${error instanceof Error ? error.message : String(error)}` };
        controller.abort(new Error(listenerFailure.message));
      }
    }
    signalChange();
  };

  const probeOptions = (): { signal: AbortSignal; concurrency?: number } => ({
    signal: controller.signal,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  });

  const snapshot = (): RunView => {
    const ordered = status === 'running' ? [...results] : [...results].sort((a, b) => (planOrder.get(a.id) ?? 0) - (planOrder.get(b.id) ?? 0));
    return {
      id: options.runId,
      sandboxId: handle.id,
      kind: plan.kind,
      cni: plan.profile,
      policyDigest: plan.policyDigest,
      status,
      startedAt,
      ...(finishedAt === undefined ? {} : { finishedAt }),
      summary: summarizeResults(ordered),
      results: ordered,
    };
  };

  const execute = async (): Promise<RunFailure | undefined> => {
    const retries: PendingRetry[] = [];
    const requests: ProbeRequest[] = plan.probes.map((probe) => probe.request);
    try {
      if (requests.length > 0 && !controller.signal.aborted) {
        for await (const result of handle.probe(requests, probeOptions())) {
          const probe = findPlannedProbe(plan, result.id);
          if (probe === undefined) continue;
          const attempt: RunAttempt = { observed: result.outcome, latencyMs: result.latencyMs, at: new Date().toISOString() };
          if (needsRetry(probe, result)) retries.push({ probe, first: result, attempt, settledAtMs: performance.now() + settleMs });
          else publish(buildResult(probe, [attempt], result));
          if (controller.signal.aborted) break;
        }
      }
      // Keyed by the retry's request id; what is left here after the second pass got no second attempt.
      const pending = new Map(retries.map((retry) => [`${retry.probe.request.id}~retry`, retry]));
      if (pending.size > 0 && !controller.signal.aborted) {
        const lastSettle = retries.reduce((latest, retry) => Math.max(latest, retry.settledAtMs), 0);
        await sleep(lastSettle - performance.now(), controller.signal);
        const retryRequests = retries.map((retry) => ({ ...retry.probe.request, id: `${retry.probe.request.id}~retry` }));
        if (!controller.signal.aborted) {
          for await (const result of handle.probe(retryRequests, probeOptions())) {
            const retry = pending.get(result.id);
            if (retry === undefined) continue;
            pending.delete(result.id);
            const second: RunAttempt = { observed: result.outcome, latencyMs: result.latencyMs, at: new Date().toISOString() };
            publish(buildResult(retry.probe, [retry.attempt, second], { ...result, id: retry.probe.request.id }));
            if (controller.signal.aborted) break;
          }
        }
      }
      // Cancelled before the second attempt: the first one is still a result, recorded as such.
      for (const retry of pending.values()) publish(buildResult(retry.probe, [retry.attempt], retry.first));
      return undefined;
    } catch (error) {
      const published = new Set(results.map((result) => result.id));
      for (const retry of retries) {
        if (!published.has(retry.probe.request.id)) publish(buildResult(retry.probe, [retry.attempt], retry.first));
      }
      return { code: readErrorCode(error), message: error instanceof Error ? error.message : String(error) };
    }
  };

  const done = execute().then((executeFailure): RunOutcome => {
    let failure = executeFailure;
    options.signal?.removeEventListener('abort', onExternalAbort);
    finishedAt = new Date().toISOString();
    failure ??= listenerFailure;
    if (failure !== undefined) status = 'error';
    else if (controller.signal.aborted) status = 'cancelled';
    else status = results.some((result) => isFailingResult(result, 'mismatch')) ? 'failed' : 'passed';
    listeners.clear();
    signalChange();
    const view = snapshot();
    return failure === undefined ? { view, plan } : { view, plan, failure };
  });

  const results$: AsyncIterable<RunResult> = {
    [Symbol.asyncIterator](): AsyncIterator<RunResult> {
      let cursor = 0;
      let isClosed = false;
      return {
        async next(): Promise<IteratorResult<RunResult>> {
          for (;;) {
            if (isClosed) return { done: true, value: undefined };
            const result = results[cursor];
            if (result !== undefined) {
              cursor += 1;
              return { done: false, value: result };
            }
            if (status !== 'running') return { done: true, value: undefined };
            await changed;
          }
        },
        async return(): Promise<IteratorResult<RunResult>> {
          isClosed = true;
          return { done: true, value: undefined };
        },
      };
    },
  };

  return {
    id: options.runId,
    plan,
    results: results$,
    onResult(listener) {
      listeners.add(listener);
      return { dispose: () => listeners.delete(listener) };
    },
    snapshot,
    cancel() {
      controller.abort(new Error('run cancelled'));
    },
    done,
  };
}
