// A websocket that comes back: after a network blip or a server restart it reconnects with jittered
// exponential backoff, validates every frame both ways against the protocol schema, and can watch the line
// with ping/pong so a silently dead connection is noticed and replaced.
import type { z } from 'zod';
import { computeBackoffDelayMs, defaultBackoffPolicy, type BackoffPolicy } from './backoff.ts';
import { parseJsonFrame, serializeFrame } from './frames.ts';
import { openWebSocket, type SocketConnection, type SocketOpener } from './socket-opener.ts';
import { MutableDisposable, setTimeoutDisposable, type Disposable } from '../lib/disposable.ts';
import { Emitter, type Event } from '../lib/emitter.ts';

export const SocketStates = {
  connecting: 'connecting',
  open: 'open',
  /** Lost; a retry is scheduled. */
  waiting: 'waiting',
  /** Given up for good (disposed, or the server said there is nothing to reconnect to). */
  stopped: 'stopped',
} as const;
export type SocketState = (typeof SocketStates)[keyof typeof SocketStates];

export interface SocketStatus {
  readonly state: SocketState;
  /** Consecutive failed attempts since the last successful open. */
  readonly attempt: number;
  /** When state is `waiting`: how long until the next attempt. */
  readonly retryInMs?: number;
  /** Why the last connection ended, when known. */
  readonly reason?: string;
}

/** Any frame counts as a sign of life, so the pong needs no special handling. Keep timeoutMs <= intervalMs. */
export interface Heartbeat<TClient> {
  readonly intervalMs: number;
  /** No frame at all within this long after a ping: the connection is dead. */
  readonly timeoutMs: number;
  readonly ping: TClient;
}

export interface ReconnectingSocketOptions<SServer extends z.ZodType, SClient extends z.ZodType> {
  /** Called before every attempt, so a token or a changed location is picked up. */
  readonly url: () => string;
  readonly serverFrameSchema: SServer;
  readonly clientFrameSchema: SClient;
  readonly backoff?: BackoffPolicy;
  readonly random?: () => number;
  readonly openSocket?: SocketOpener;
  /** Close codes after which a retry cannot help (refused token, unknown sandbox). */
  readonly isFinalClose?: (code: number, reason: string) => boolean;
  readonly heartbeat?: Heartbeat<z.input<SClient>>;
}

/** Close codes that mean "do not come back": policy violation (1008: refused session) and application refusals. */
export const finalCloseCodes: ReadonlySet<number> = new Set([1008, 4401, 4403, 4404, 4410]);

// Our own close code when the heartbeat finds a dead line; it is not final, so we reconnect.
const heartbeatCloseCode = 4000;

export class ReconnectingSocket<SServer extends z.ZodType, SClient extends z.ZodType> implements Disposable {
  readonly #options: ReconnectingSocketOptions<SServer, SClient>;
  readonly #onFrame = new Emitter<z.output<SServer>>();
  readonly #onStatus = new Emitter<SocketStatus>();
  readonly #onOpen = new Emitter<{ readonly isReconnect: boolean }>();
  readonly #onInvalidFrame = new Emitter<string>();
  readonly #retryTimer = new MutableDisposable<Disposable>();
  readonly #pingTimer = new MutableDisposable<Disposable>();
  readonly #pongTimer = new MutableDisposable<Disposable>();
  #connection: SocketConnection | undefined;
  #status: SocketStatus = { state: SocketStates.connecting, attempt: 0 };
  #hasEverOpened = false;

  readonly onFrame: Event<z.output<SServer>> = this.#onFrame.event;
  readonly onStatus: Event<SocketStatus> = this.#onStatus.event;
  readonly onOpen: Event<{ readonly isReconnect: boolean }> = this.#onOpen.event;
  /** A frame the protocol schema refused: a server/UI version mismatch worth showing, never silently dropped. */
  readonly onInvalidFrame: Event<string> = this.#onInvalidFrame.event;

  constructor(options: ReconnectingSocketOptions<SServer, SClient>) {
    this.#options = options;
    this.#connect();
  }

  get status(): SocketStatus {
    return this.#status;
  }

  /** Sends when open; returns false (and sends nothing) when closed or when the frame is invalid. */
  send(frame: z.input<SClient>): boolean {
    const connection = this.#connection;
    if (connection === undefined || !connection.isOpen) return false;
    const serialized = serializeFrame(frame, this.#options.clientFrameSchema);
    if (!serialized.ok) {
      this.#onInvalidFrame.fire(`refused to send an invalid frame: ${serialized.error}`);
      return false;
    }
    connection.send(serialized.frame);
    return true;
  }

  /** Skips the remaining backoff (the browser came back online, the user asked). */
  reconnectNow(): void {
    if (this.#status.state !== SocketStates.waiting) return;
    this.#retryTimer.value = undefined;
    this.#connect();
  }

  /** Stops for good, e.g. when the server said the session is over. */
  stop(reason: string): void {
    if (this.#status.state === SocketStates.stopped) return;
    this.#retryTimer.dispose();
    this.#stopHeartbeat();
    const connection = this.#connection;
    this.#connection = undefined;
    connection?.close(1000, 'client stopped');
    this.#setStatus({ state: SocketStates.stopped, attempt: this.#status.attempt, reason });
  }

  dispose(): void {
    this.stop('disposed');
    this.#onFrame.dispose();
    this.#onStatus.dispose();
    this.#onOpen.dispose();
    this.#onInvalidFrame.dispose();
  }

  #setStatus(status: SocketStatus): void {
    this.#status = status;
    this.#onStatus.fire(status);
  }

  #connect(): void {
    const attempt = this.#status.attempt;
    this.#setStatus({ state: SocketStates.connecting, attempt });
    const open = this.#options.openSocket ?? openWebSocket;
    // Each connection's handlers check they still belong to the current connection, so a late close
    // event of a replaced socket cannot schedule a second reconnect.
    const connection: SocketConnection = open(this.#options.url(), {
      onOpen: () => {
        if (this.#connection !== connection) return;
        const isReconnect = this.#hasEverOpened;
        this.#hasEverOpened = true;
        this.#setStatus({ state: SocketStates.open, attempt: 0 });
        this.#startHeartbeat();
        this.#onOpen.fire({ isReconnect });
      },
      onMessage: (data) => {
        if (this.#connection !== connection) return;
        this.#pongTimer.value = undefined;
        const parsed = parseJsonFrame(data, this.#options.serverFrameSchema);
        if (!parsed.ok) {
          this.#onInvalidFrame.fire(parsed.error);
          return;
        }
        this.#onFrame.fire(parsed.frame);
      },
      onClose: (code, reason) => {
        if (this.#connection !== connection) return;
        this.#connection = undefined;
        this.#handleClose(code, reason);
      },
    });
    this.#connection = connection;
  }

  #handleClose(code: number, reason: string): void {
    this.#stopHeartbeat();
    const text = reason === '' ? `closed (code ${code})` : `${reason} (code ${code})`;
    const isFinal = this.#options.isFinalClose?.(code, reason) ?? finalCloseCodes.has(code);
    if (isFinal) {
      this.#setStatus({ state: SocketStates.stopped, attempt: this.#status.attempt, reason: text });
      return;
    }
    const attempt = this.#status.attempt;
    const delayMs = computeBackoffDelayMs(attempt, (this.#options.random ?? Math.random)(), this.#options.backoff ?? defaultBackoffPolicy);
    this.#setStatus({ state: SocketStates.waiting, attempt: attempt + 1, retryInMs: delayMs, reason: text });
    this.#retryTimer.value = setTimeoutDisposable(() => {
      this.#retryTimer.value = undefined;
      this.#connect();
    }, delayMs);
  }

  #startHeartbeat(): void {
    const heartbeat = this.#options.heartbeat;
    if (heartbeat === undefined) return;
    const beat = (): void => {
      this.#pingTimer.value = setTimeoutDisposable(() => {
        if (!this.send(heartbeat.ping)) return;
        this.#pongTimer.value = setTimeoutDisposable(() => {
          const connection = this.#connection;
          this.#connection = undefined;
          connection?.close(heartbeatCloseCode, 'no answer to ping');
          this.#handleClose(heartbeatCloseCode, 'no answer to ping');
        }, heartbeat.timeoutMs);
        beat();
      }, heartbeat.intervalMs);
    };
    beat();
  }

  #stopHeartbeat(): void {
    this.#pingTimer.value = undefined;
    this.#pongTimer.value = undefined;
  }
}
