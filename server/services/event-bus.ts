// In-process fan-out of event frames to subscribers (websocket sessions, terminals), each with its own bounded
// queue: a subscriber that stops reading loses its oldest frames (counted, so it can be told), never the
// server's memory. A frame is serialized once, however many subscribers it reaches.
import type { EventFrame } from '../api/protocol/schemas.ts';
import type { Disposable } from './disposable.ts';
import { toDisposable } from './disposable.ts';

export interface QueuedFrame {
  readonly frame: EventFrame;
  /** The frame as JSON text, shared by every subscriber. */
  readonly json: string;
}

export interface EventSubscription extends Disposable {
  /** The oldest waiting frame, removed from the queue. */
  take(): QueuedFrame | undefined;
  /** Frames dropped since the last call (the queue was full), and resets the count. */
  takeDroppedCount(): number;
  readonly queuedFrames: number;
  readonly queuedBytes: number;
  /** Called (once per burst, in a microtask) when frames are waiting. */
  onAvailable(listener: () => void): Disposable;
}

export interface SubscribeOptions {
  /** Queue bound in bytes of JSON; older frames are dropped past it. */
  readonly maxQueuedBytes: number;
  readonly filter?: (frame: EventFrame) => boolean;
}

export interface EventBus {
  publish(frame: EventFrame): void;
  subscribe(options: SubscribeOptions): EventSubscription;
  readonly subscriberCount: number;
}

interface Subscriber {
  readonly options: SubscribeOptions;
  readonly queue: QueuedFrame[];
  /** Index of the first live entry: shifting a long array per frame is O(n), so the head moves instead. */
  head: number;
  queuedBytes: number;
  dropped: number;
  isNotifyScheduled: boolean;
  readonly listeners: Set<() => void>;
}

export function createEventBus(options: { readonly onListenerError?: (error: unknown) => void } = {}): EventBus {
  const subscribers = new Set<Subscriber>();

  const compact = (subscriber: Subscriber): void => {
    if (subscriber.head > 1024 && subscriber.head * 2 > subscriber.queue.length) {
      subscriber.queue.splice(0, subscriber.head);
      subscriber.head = 0;
    }
  };

  const notify = (subscriber: Subscriber): void => {
    if (subscriber.isNotifyScheduled || subscriber.listeners.size === 0) return;
    subscriber.isNotifyScheduled = true;
    queueMicrotask(() => {
      subscriber.isNotifyScheduled = false;
      if (!subscribers.has(subscriber)) return;
      for (const listener of [...subscriber.listeners]) {
        try {
          listener();
        } catch (error) {
          options.onListenerError?.(error);
        }
      }
    });
  };

  return {
    get subscriberCount() {
      return subscribers.size;
    },
    publish(frame) {
      let queued: QueuedFrame | undefined;
      for (const subscriber of subscribers) {
        if (subscriber.options.filter !== undefined && !subscriber.options.filter(frame)) continue;
        queued ??= { frame, json: JSON.stringify(frame) };
        subscriber.queue.push(queued);
        subscriber.queuedBytes += queued.json.length;
        while (subscriber.queuedBytes > subscriber.options.maxQueuedBytes && subscriber.head < subscriber.queue.length) {
          const oldest = subscriber.queue[subscriber.head];
          subscriber.head += 1;
          subscriber.queuedBytes -= oldest?.json.length ?? 0;
          subscriber.dropped += 1;
        }
        compact(subscriber);
        notify(subscriber);
      }
    },
    subscribe(subscribeOptions) {
      const subscriber: Subscriber = { options: subscribeOptions, queue: [], head: 0, queuedBytes: 0, dropped: 0, isNotifyScheduled: false, listeners: new Set() };
      subscribers.add(subscriber);
      return {
        take() {
          if (subscriber.head >= subscriber.queue.length) return undefined;
          const next = subscriber.queue[subscriber.head];
          subscriber.head += 1;
          subscriber.queuedBytes -= next?.json.length ?? 0;
          if (subscriber.head === subscriber.queue.length) {
            subscriber.queue.length = 0;
            subscriber.head = 0;
          } else {
            compact(subscriber);
          }
          return next;
        },
        takeDroppedCount() {
          const count = subscriber.dropped;
          subscriber.dropped = 0;
          return count;
        },
        get queuedFrames() {
          return subscriber.queue.length - subscriber.head;
        },
        get queuedBytes() {
          return subscriber.queuedBytes;
        },
        onAvailable(listener) {
          subscriber.listeners.add(listener);
          if (subscriber.head < subscriber.queue.length) notify(subscriber);
          return toDisposable(() => subscriber.listeners.delete(listener));
        },
        dispose() {
          subscribers.delete(subscriber);
          subscriber.listeners.clear();
          subscriber.queue.length = 0;
          subscriber.head = 0;
          subscriber.queuedBytes = 0;
        },
      };
    },
  };
}
