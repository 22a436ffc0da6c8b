// The events channel (/api/ws/events): one reconnecting socket for the whole page. Lifecycle frames go to
// the sandbox store; run, result and policy frames go to whoever shows that sandbox. On every (re)connect
// the store reloads from REST, because frames sent while we were away are not replayed on this channel.
import { eventClientFrameSchema, eventFrameSchema, type EventFrame } from '../../../server/api/protocol/index.ts';
import { ReconnectingSocket, type SocketStatus } from '../api/reconnecting-socket.ts';
import { buildWebSocketUrl, eventsPath } from '../api/ws-url.ts';
import { DisposableStore, type Disposable } from '../lib/disposable.ts';
import { Emitter, type Event } from '../lib/emitter.ts';
import { NoticeKinds, type Notice } from '../sandboxes/sandbox-reducer.ts';
import type { SandboxStore } from './sandbox-store.ts';

// Pings keep proxies from closing an idle channel and reveal a silently dead one.
const heartbeat = { intervalMs: 25_000, timeoutMs: 10_000, ping: { type: 'ping' } } as const;

export class EventHub implements Disposable {
  readonly #store = new DisposableStore();
  readonly #socket: ReconnectingSocket<typeof eventFrameSchema, typeof eventClientFrameSchema>;
  readonly #onFrame = new Emitter<EventFrame>();
  readonly #onNotice = new Emitter<Notice>();

  readonly onFrame: Event<EventFrame> = this.#onFrame.event;
  readonly onNotice: Event<Notice> = this.#onNotice.event;
  readonly onStatus: Event<SocketStatus>;

  constructor(sandboxes: SandboxStore) {
    this.#socket = this.#store.add(
      new ReconnectingSocket({
        url: () => buildWebSocketUrl(window.location, eventsPath),
        serverFrameSchema: eventFrameSchema,
        clientFrameSchema: eventClientFrameSchema,
        heartbeat,
      }),
    );
    this.onStatus = this.#socket.onStatus;
    this.#store.add(this.#onFrame);
    this.#store.add(this.#onNotice);
    this.#store.add(this.#socket.onOpen(() => void sandboxes.refresh()));
    this.#store.add(
      this.#socket.onFrame((frame) => {
        if (frame.type === 'dropped') {
          // We read too slowly and the server dropped frames: the list may be stale, so reload it.
          this.#onNotice.fire({ kind: NoticeKinds.warning, message: `${frame.count} live updates were dropped; reloading.` });
          void sandboxes.refresh();
        }
        sandboxes.applyFrame(frame);
        this.#onFrame.fire(frame);
      }),
    );
    this.#store.add(this.#socket.onInvalidFrame((error) => this.#onNotice.fire({ kind: NoticeKinds.error, message: `Live update refused: ${error}` })));
  }

  get status(): SocketStatus {
    return this.#socket.status;
  }

  reconnectNow(): void {
    this.#socket.reconnectNow();
  }

  dispose(): void {
    this.#store.dispose();
  }
}
