// The terminal's view of one sandbox, built from the services: what `pods`, `apply`, `run`, `watch` and the other
// commands call. `watch` is a bounded bus subscription, so a terminal cannot hold more than one buffer of events.
import { Limits } from '../api/protocol/limits.ts';
import type { TerminalBackend, WatchEvent } from '../terminal/index.ts';
import type { EventBus } from './event-bus.ts';
import type { RunService } from './run-service.ts';
import type { SandboxService } from './sandbox-service.ts';

export interface TerminalBackendDependencies {
  readonly sandboxes: SandboxService;
  readonly runs: RunService;
  readonly bus: EventBus;
}

export function createTerminalBackend(sandboxId: string, dependencies: TerminalBackendDependencies): TerminalBackend {
  const { sandboxes, runs, bus } = dependencies;
  sandboxes.requireLive(sandboxId);
  return {
    sandboxId,
    snapshot: () => sandboxes.get(sandboxId),
    applyPolicies: (yaml) => sandboxes.applyPolicies(sandboxId, { yaml, mode: 'merge', dryRun: false }),
    deletePolicy: (ref) => sandboxes.deletePolicy(sandboxId, ref),
    labelPod: (ref, labels) => sandboxes.labelPod(sandboxId, ref, labels),
    explain: (flow) => sandboxes.explain(sandboxId, flow),
    matrix: (query) => runs.matrix(sandboxId, query),
    startRun(request) {
      const started = runs.start(sandboxId, request);
      return {
        runId: started.view.id,
        probeCount: started.session.plan.probes.length,
        results: started.session.results,
        cancel: () => started.session.cancel(),
        done: started.session.done.then((outcome) => {
          const { results: _results, ...header } = outcome.view;
          return header;
        }),
      };
    },
    describeMismatch(runId, result) {
      const classification = runs.classify(runId, result);
      return classification === undefined ? undefined : { headline: classification.headline, lines: classification.lines };
    },
    async extend(seconds) {
      const view = await sandboxes.extend(sandboxId, seconds);
      return { expiresAt: view.expiresAt };
    },
    rules: () => sandboxes.rules(sandboxId),
    watch(listener) {
      const subscription = bus.subscribe({
        maxQueuedBytes: Limits.maxWsBufferedBytes,
        filter: (frame) =>
          (frame.type === 'result' && frame.sandboxId === sandboxId) ||
          (frame.type === 'run' && frame.run.sandboxId === sandboxId) ||
          (frame.type === 'policies' && frame.sandboxId === sandboxId) ||
          (frame.type === 'sandbox' && frame.sandbox.id === sandboxId),
      });
      const drain = (): void => {
        const dropped = subscription.takeDroppedCount();
        if (dropped > 0) listener({ kind: 'policies', count: 0, change: `(${dropped} events skipped: the terminal fell behind)` });
        for (let next = subscription.take(); next !== undefined; next = subscription.take()) {
          const frame = next.frame;
          let event: WatchEvent | undefined;
          if (frame.type === 'result') event = { kind: 'result', runId: frame.runId, result: frame.result };
          else if (frame.type === 'run') event = { kind: 'run', runId: frame.run.id, status: frame.run.status, kindName: frame.run.kind, summary: frame.run.summary };
          else if (frame.type === 'policies') event = { kind: 'policies', count: frame.count, change: frame.change ?? `${frame.count} policies` };
          else if (frame.type === 'sandbox') event = { kind: 'sandbox', status: frame.sandbox.status, reason: frame.reason ?? '' };
          if (event !== undefined) listener(event);
        }
      };
      const available = subscription.onAvailable(drain);
      return {
        dispose() {
          available.dispose();
          subscription.dispose();
        },
      };
    },
  };
}
