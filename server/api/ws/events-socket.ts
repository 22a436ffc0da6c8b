// One client of the events channel. Frames come from a bounded bus subscription and go out only while the
// socket's own buffer is under Limits.maxWsBufferedBytes; past that, the subscription drops its oldest frames
// and the client gets a `dropped` notice once it reads again. Memory per client: two bounded buffers, no more.
import type { WebSocket } from 'ws';
import type { EventBus, EventSubscription } from '../../services/index.ts';
import type { Logger } from '../../log.ts';
import { eventClientFrameSchema } from '../protocol/schemas.ts';
import type { EventFrame } from '../protocol/schemas.ts';
import { ApiErrorCodes } from '../errors.ts';

export interface EventsSocketOptions {
  readonly bus: EventBus;
  readonly log: Logger;
  readonly maxBufferedBytes: number;
  readonly serverVersion: string;
  /** Only this sandbox's events. */
  readonly sandboxId?: string;
}

export interface EventsSocketStats {
  readonly bufferedBytes: number;
  readonly queuedBytes: number;
  readonly droppedTotal: number;
}

const maxInvalidFrames = 5;

function belongsTo(frame: EventFrame, sandboxId: string): boolean {
  switch (frame.type) {
    case 'sandbox':
      return frame.sandbox.id === sandboxId;
    case 'run':
      return frame.run.sandboxId === sandboxId;
    case 'progress':
    case 'ttl-warning':
    case 'result':
    case 'policies':
      return frame.sandboxId === sandboxId;
    default:
      return true;
  }
}

export class EventsSocket {
  readonly #ws: WebSocket;
  readonly #subscription: EventSubscription;
  readonly #maxBufferedBytes: number;
  #isWaitingForDrain = false;
  #droppedTotal = 0;
  #invalidFrames = 0;
  #isClosed = false;

  constructor(ws: WebSocket, options: EventsSocketOptions) {
    this.#ws = ws;
    this.#maxBufferedBytes = options.maxBufferedBytes;
    const sandboxId = options.sandboxId;
    this.#subscription = options.bus.subscribe({
      maxQueuedBytes: options.maxBufferedBytes,
      ...(sandboxId === undefined ? {} : { filter: (frame: EventFrame) => belongsTo(frame, sandboxId) }),
    });
    const available = this.#subscription.onAvailable(() => this.#pump());
    ws.on('message', (data, isBinary) => this.#receive(isBinary ? undefined : data.toString()));
    ws.on('close', () => {
      this.#isClosed = true;
      available.dispose();
      this.#subscription.dispose();
    });
    ws.on('error', (error) => options.log.debug('events socket error', { error }));
    this.#send({ type: 'hello', serverVersion: options.serverVersion, at: new Date().toISOString() });
  }

  get stats(): EventsSocketStats {
    return { bufferedBytes: this.#ws.bufferedAmount, queuedBytes: this.#subscription.queuedBytes, droppedTotal: this.#droppedTotal };
  }

  #send(frame: EventFrame): void {
    this.#sendText(JSON.stringify(frame));
  }

  #sendText(text: string): void {
    // The callback fires once the frame is handed to the kernel: the moment to look at the queue again.
    this.#ws.send(text, () => {
      if (this.#isWaitingForDrain) {
        this.#isWaitingForDrain = false;
        this.#pump();
      }
    });
  }

  #pump(): void {
    if (this.#isClosed || this.#ws.readyState !== this.#ws.OPEN) return;
    while (this.#ws.bufferedAmount < this.#maxBufferedBytes) {
      const dropped = this.#subscription.takeDroppedCount();
      if (dropped > 0) {
        this.#droppedTotal += dropped;
        this.#send({ type: 'dropped', count: dropped });
      }
      const next = this.#subscription.take();
      if (next === undefined) return;
      this.#sendText(next.json);
    }
    this.#isWaitingForDrain = true;
  }

  #receive(text: string | undefined): void {
    const parsed = text === undefined ? undefined : eventClientFrameSchema.safeParse(safeJson(text));
    if (parsed?.success === true) {
      this.#send({ type: 'pong', at: new Date().toISOString() });
      return;
    }
    this.#invalidFrames += 1;
    this.#send({ type: 'error', code: ApiErrorCodes.invalidFrame, message: 'the events channel accepts only {"type":"ping"} frames' });
    if (this.#invalidFrames >= maxInvalidFrames) this.#ws.close(1008, 'too many invalid frames');
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
