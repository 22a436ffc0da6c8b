// The provider registry reuses one round of host checks for a while, because each round spawns tools.
import { describe, expect, it } from 'vitest';
import { createProviderRegistry } from '../../../../server/services/provider-registry.ts';
import type { ProviderAvailability, SandboxProvider } from '../../../../server/sandbox/contract.ts';

function makeCountingProvider(): { provider: SandboxProvider; calls: () => number } {
  let calls = 0;
  const availability: ProviderAvailability = { provider: 'local', isAvailable: true, cnis: ['reference'], problems: [] };
  const provider: SandboxProvider = {
    name: 'local',
    checkHost: async () => {
      calls += 1;
      return availability;
    },
    create: () => Promise.reject(new Error('not used')),
    attach: () => Promise.resolve(undefined),
    reap: () => Promise.resolve(),
    discover: () => Promise.resolve([]),
  };
  return { provider, calls: () => calls };
}

describe('provider registry host checks', () => {
  it('shares one round of checks between callers within the cache time, and checks again after it', async () => {
    const { provider, calls } = makeCountingProvider();
    let clock = 1_000;
    const registry = createProviderRegistry({ providers: [provider], cacheTtlMs: 30_000, now: () => clock });
    const [first, second] = await Promise.all([registry.checkAll(), registry.checkAll()]);
    expect(calls()).toBe(1);
    expect(second).toEqual(first);
    expect(first.find((a) => a.provider === 'local')?.isAvailable).toBe(true);
    expect(first.find((a) => a.provider === 'kind')?.isAvailable).toBe(false);
    clock += 29_999;
    await registry.checkAll();
    expect(calls()).toBe(1);
    clock += 2;
    await registry.checkAll();
    expect(calls()).toBe(2);
  });

  it('checks every time when the cache is off', async () => {
    const { provider, calls } = makeCountingProvider();
    const registry = createProviderRegistry({ providers: [provider], cacheTtlMs: 0 });
    await registry.checkAll();
    await registry.checkAll();
    expect(calls()).toBe(2);
  });
});
