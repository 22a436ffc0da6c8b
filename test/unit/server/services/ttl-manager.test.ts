// Every sandbox's clock: warnings before expiry, the expiry call at expiry, rescheduling on extend.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTtlManager } from '../../../../server/services/ttl-manager.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('createTtlManager', () => {
  it('warns at each threshold still ahead and expires at the deadline', () => {
    vi.useFakeTimers({ now: 0 });
    const calls: string[] = [];
    const ttl = createTtlManager({
      warningSeconds: [300, 60],
      onWarning: (id, seconds) => calls.push(`${id} warn ${seconds}`),
      onExpired: (id) => calls.push(`${id} expired`),
    });
    ttl.schedule('sb-1', new Date(10 * 60 * 1000));
    vi.advanceTimersByTime(5 * 60 * 1000);
    expect(calls).toEqual(['sb-1 warn 300']);
    vi.advanceTimersByTime(4 * 60 * 1000);
    expect(calls).toEqual(['sb-1 warn 300', 'sb-1 warn 60']);
    vi.advanceTimersByTime(60 * 1000);
    expect(calls).toEqual(['sb-1 warn 300', 'sb-1 warn 60', 'sb-1 expired']);
    expect(ttl.scheduledCount).toBe(0);
  });

  it('skips warnings whose moment has passed (a 90 s sandbox gets only the 60 s one)', () => {
    vi.useFakeTimers({ now: 0 });
    const calls: string[] = [];
    const ttl = createTtlManager({ warningSeconds: [300, 60], onWarning: (_id, seconds) => calls.push(`warn ${seconds}`), onExpired: () => calls.push('expired') });
    ttl.schedule('sb-1', new Date(90 * 1000));
    vi.advanceTimersByTime(90 * 1000);
    expect(calls).toEqual(['warn 60', 'expired']);
  });

  it('moves the clock on a second schedule (extend) and stops on cancel', () => {
    vi.useFakeTimers({ now: 0 });
    const calls: string[] = [];
    const ttl = createTtlManager({ warningSeconds: [], onWarning: () => undefined, onExpired: (id) => calls.push(id) });
    ttl.schedule('sb-1', new Date(1000));
    ttl.schedule('sb-1', new Date(5000));
    ttl.schedule('sb-2', new Date(2000));
    ttl.cancel('sb-2');
    vi.advanceTimersByTime(4000);
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(1000);
    expect(calls).toEqual(['sb-1']);
  });

  it('expires at once a sandbox whose deadline already passed', () => {
    vi.useFakeTimers({ now: 10_000 });
    const calls: string[] = [];
    const ttl = createTtlManager({ warningSeconds: [60], onWarning: () => calls.push('warn'), onExpired: (id) => calls.push(id) });
    ttl.schedule('sb-1', new Date(5000));
    vi.advanceTimersByTime(0);
    expect(calls).toEqual(['sb-1']);
  });

  it('leaves nothing scheduled once disposed', () => {
    vi.useFakeTimers({ now: 0 });
    const calls: string[] = [];
    const ttl = createTtlManager({ warningSeconds: [1], onWarning: () => calls.push('warn'), onExpired: () => calls.push('expired') });
    ttl.schedule('sb-1', new Date(5000));
    ttl.dispose();
    vi.advanceTimersByTime(10_000);
    expect(calls).toEqual([]);
    expect(ttl.scheduledCount).toBe(0);
  });
});
