// The page's copy of the server's sandbox list. Filled from GET /api/sandboxes at load and after every
// events-channel reconnect (so nothing missed while offline stays stale), then kept current by event frames.
import type { EventFrame, SandboxView } from '../../../server/api/protocol/index.ts';
import { describeError } from '../api/api-error.ts';
import type { RestClient } from '../api/rest-client.ts';
import { Emitter, type Event } from '../lib/emitter.ts';
import type { Disposable } from '../lib/disposable.ts';
import { applyEventFrame, mergeSandboxList, NoticeKinds, sortSandboxes, type Notice, type SandboxMap } from '../sandboxes/sandbox-reducer.ts';

export class SandboxStore implements Disposable {
  readonly #client: RestClient;
  readonly #onChange = new Emitter<void>();
  readonly #onNotice = new Emitter<Notice>();
  readonly #onGone = new Emitter<string>();
  #sandboxes: SandboxMap = new Map();
  #hasLoaded = false;
  #refreshing: Promise<void> | undefined;

  readonly onChange: Event<void> = this.#onChange.event;
  readonly onNotice: Event<Notice> = this.#onNotice.event;
  /** A sandbox left the list (torn down, expired, or missing after a reconnect). */
  readonly onGone: Event<string> = this.#onGone.event;

  constructor(client: RestClient) {
    this.#client = client;
  }

  get hasLoaded(): boolean {
    return this.#hasLoaded;
  }

  list(): SandboxView[] {
    return sortSandboxes(this.#sandboxes);
  }

  get(id: string): SandboxView | undefined {
    return this.#sandboxes.get(id);
  }

  /** Concurrent callers share one request. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#load().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** The server answered a create/extend/destroy with the sandbox: show it before the event arrives. */
  upsert(sandbox: SandboxView): void {
    this.applyFrame({ type: 'sandbox', sandbox });
  }

  applyFrame(frame: EventFrame): void {
    this.#commit(applyEventFrame(this.#sandboxes, frame));
  }

  dispose(): void {
    this.#onChange.dispose();
    this.#onNotice.dispose();
    this.#onGone.dispose();
  }

  async #load(): Promise<void> {
    try {
      const list = await this.#client.listSandboxes();
      const isInitial = !this.#hasLoaded;
      // Loaded before listeners hear of the change, so an empty list reads "none", not "loading".
      this.#hasLoaded = true;
      this.#commit(mergeSandboxList(this.#sandboxes, list, isInitial));
    } catch (error) {
      this.#onNotice.fire({ kind: NoticeKinds.error, message: `Could not load sandboxes: ${describeError(error)}` });
    }
  }

  #commit(reduction: { readonly sandboxes: SandboxMap; readonly notices: readonly Notice[] }): void {
    const previous = this.#sandboxes;
    if (reduction.sandboxes !== previous) {
      this.#sandboxes = reduction.sandboxes;
      for (const id of previous.keys()) {
        if (!reduction.sandboxes.has(id)) this.#onGone.fire(id);
      }
      this.#onChange.fire();
    }
    for (const notice of reduction.notices) this.#onNotice.fire(notice);
  }
}
