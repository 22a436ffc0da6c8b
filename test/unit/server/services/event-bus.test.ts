// The in-process event fan-out: every subscriber gets every frame it filters for, and a subscriber that does not
// read holds at most its byte bound, losing its oldest frames with a count.
import { describe, expect, it } from 'vitest';
import type { EventFrame } from '../../../../server/api/protocol/schemas.ts';
import { createEventBus } from '../../../../server/services/event-bus.ts';

const frame = (count: number, sandboxId = 'sb-0000abcd'): EventFrame => ({ type: 'policies', sandboxId, count, at: '2026-01-01T00:00:00.000Z' });

function drain(take: () => { frame: EventFrame } | undefined): EventFrame[] {
  const frames: EventFrame[] = [];
  for (let next = take(); next !== undefined; next = take()) frames.push(next.frame);
  return frames;
}

describe('createEventBus', () => {
  it('delivers every frame to every subscriber, in order', () => {
    const bus = createEventBus();
    const a = bus.subscribe({ maxQueuedBytes: 1_000_000 });
    const b = bus.subscribe({ maxQueuedBytes: 1_000_000 });
    bus.publish(frame(1));
    bus.publish(frame(2));
    expect(drain(() => a.take())).toEqual([frame(1), frame(2)]);
    expect(drain(() => b.take())).toEqual([frame(1), frame(2)]);
  });

  it('applies each subscriber its own filter', () => {
    const bus = createEventBus();
    const only = bus.subscribe({ maxQueuedBytes: 1_000_000, filter: (event) => event.type === 'policies' && event.sandboxId === 'sb-0000abce' });
    bus.publish(frame(1));
    bus.publish(frame(2, 'sb-0000abce'));
    expect(drain(() => only.take())).toEqual([frame(2, 'sb-0000abce')]);
  });

  it('bounds a subscriber that never reads: oldest frames go, the count says how many', () => {
    const bus = createEventBus();
    const slow = bus.subscribe({ maxQueuedBytes: 2000 });
    for (let i = 0; i < 10_000; i++) bus.publish(frame(i));
    expect(slow.queuedBytes).toBeLessThanOrEqual(2000);
    const kept = drain(() => slow.take());
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.at(-1)).toEqual(frame(9999));
    expect(slow.takeDroppedCount()).toBe(10_000 - kept.length);
    expect(slow.takeDroppedCount()).toBe(0);
  });

  it('tells a listener once per burst that frames wait', async () => {
    const bus = createEventBus();
    const subscription = bus.subscribe({ maxQueuedBytes: 1_000_000 });
    let calls = 0;
    subscription.onAvailable(() => {
      calls += 1;
    });
    bus.publish(frame(1));
    bus.publish(frame(2));
    await Promise.resolve();
    expect(calls).toBe(1);
  });

  it('forgets a disposed subscriber', () => {
    const bus = createEventBus();
    const subscription = bus.subscribe({ maxQueuedBytes: 1_000_000 });
    subscription.dispose();
    bus.publish(frame(1));
    expect(bus.subscriberCount).toBe(0);
    expect(subscription.take()).toBeUndefined();
  });
});
