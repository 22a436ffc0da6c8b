// Everything the workspace knows about the one sandbox on screen: its detail (pods, services, policies),
// reloaded when its policies or status change, and the live run and result frames that concern it.
import type { EventFrame } from '../../../server/api/protocol/index.ts';
import { ApiError, describeError } from '../api/api-error.ts';
import type { RestClient, RunResult, RunSummaryView, RunView, SandboxDetail } from '../api/rest-client.ts';
import { DisposableStore, setTimeoutDisposable, toDisposable, type Disposable } from '../lib/disposable.ts';
import { Emitter, type Event } from '../lib/emitter.ts';
import type { EventHub } from './event-hub.ts';

export interface ResultEvent {
  readonly runId: string;
  readonly result: RunResult;
}

export class SandboxSession implements Disposable {
  readonly sandboxId: string;
  readonly client: RestClient;
  readonly #store = new DisposableStore();
  readonly #onDetail = new Emitter<SandboxDetail>();
  readonly #onDetailError = new Emitter<string>();
  readonly #onRun = new Emitter<RunSummaryView>();
  readonly #onResult = new Emitter<ResultEvent>();
  readonly #onPolicies = new Emitter<void>();
  #detail: SandboxDetail | undefined;
  #loading: AbortController | undefined;

  readonly onDetail: Event<SandboxDetail> = this.#onDetail.event;
  readonly onDetailError: Event<string> = this.#onDetailError.event;
  readonly onRun: Event<RunSummaryView> = this.#onRun.event;
  readonly onResult: Event<ResultEvent> = this.#onResult.event;
  /** The applied policy set changed (from this page, another tab, or the terminal's `apply`). */
  readonly onPolicies: Event<void> = this.#onPolicies.event;

  constructor(options: { readonly sandboxId: string; readonly client: RestClient; readonly events: EventHub }) {
    this.sandboxId = options.sandboxId;
    this.client = options.client;
    for (const emitter of [this.#onDetail, this.#onDetailError, this.#onRun, this.#onResult, this.#onPolicies]) this.#store.add(emitter);
    this.#store.add(options.events.onFrame((frame) => this.#handleFrame(frame)));
    this.#store.add(toDisposable(() => this.#loading?.abort()));
  }

  get detail(): SandboxDetail | undefined {
    return this.#detail;
  }

  reload(): void {
    this.#loading?.abort();
    const controller = new AbortController();
    this.#loading = controller;
    this.client
      .getSandbox(this.sandboxId, controller.signal)
      .then((detail) => {
        this.#detail = detail;
        this.#onDetail.fire(detail);
      })
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.isAborted) return;
        this.#onDetailError.fire(describeError(error));
      });
  }

  /**
   * Resolves with the finished run. Finishing is announced on the events channel; the run is fetched then,
   * and also on a slow poll, so a missed frame (reconnect in between) cannot leave the caller waiting.
   */
  waitForRun(runId: string, options: { readonly timeoutMs: number }): Promise<RunView> {
    return new Promise<RunView>((resolve, reject) => {
      const waiter = new DisposableStore();
      this.#store.add(waiter);
      let isSettled = false;
      const settle = (action: () => void): void => {
        if (isSettled) return;
        isSettled = true;
        this.#store.release(waiter);
        action();
      };
      const check = (): void => {
        this.client
          .getRun(runId)
          .then((run) => {
            if (run.status !== 'running') settle(() => resolve(run));
          })
          .catch((error: unknown) => settle(() => reject(error instanceof Error ? error : new Error(String(error)))));
      };
      waiter.add(
        this.onRun((run) => {
          if (run.id === runId && run.status !== 'running') check();
        }),
      );
      let pollMs = 250;
      const poll = (): void => {
        waiter.add(
          setTimeoutDisposable(() => {
            check();
            pollMs = Math.min(pollMs * 2, 4000);
            if (!isSettled) poll();
          }, pollMs),
        );
      };
      poll();
      waiter.add(setTimeoutDisposable(() => settle(() => reject(new Error(`run ${runId} did not finish within ${Math.round(options.timeoutMs / 1000)} s`))), options.timeoutMs));
    });
  }

  dispose(): void {
    this.#store.dispose();
  }

  #handleFrame(frame: EventFrame): void {
    switch (frame.type) {
      case 'run':
        if (frame.run.sandboxId === this.sandboxId) this.#onRun.fire(frame.run);
        return;
      case 'result':
        if (frame.sandboxId === this.sandboxId) this.#onResult.fire({ runId: frame.runId, result: frame.result });
        return;
      case 'policies':
        if (frame.sandboxId !== this.sandboxId) return;
        this.#onPolicies.fire();
        this.reload();
        return;
      case 'sandbox':
        // Pods exist once provisioning is done; fetch them the moment it is.
        if (frame.sandbox.id === this.sandboxId && frame.sandbox.status === 'ready' && this.#detail?.status !== 'ready') this.reload();
        return;
      default:
        return;
    }
  }
}
