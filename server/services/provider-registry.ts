// The providers this server was given by the composition root, by name, and what each can do on this host.
// Names without a provider are still listed, with why they are not available, so the UI can say so.
import type { ProviderAvailability, ProviderName, SandboxProvider } from '../sandbox/contract.ts';
import { ProviderNames } from '../sandbox/contract.ts';

export interface ProviderRegistry {
  get(name: ProviderName): SandboxProvider | undefined;
  list(): readonly SandboxProvider[];
  /** Every provider name in a stable order, each with whether it runs here and, if not, what is missing. */
  checkAll(): Promise<ProviderAvailability[]>;
}

export interface ProviderRegistryOptions {
  readonly providers: readonly SandboxProvider[];
  /** Why a provider name has no implementation on this server (shown as its problem). */
  readonly missingReasons?: Partial<Record<ProviderName, string>>;
  /** A host check that takes longer is reported as failed. Default 15 s. */
  readonly checkTimeoutMs?: number;
  /**
   * How long one round of host checks is reused. They spawn tools (docker, kind, pulumi, ip, nft) and take up to
   * a second, while the UI asks on every page load. Default 30 s; 0 disables the cache.
   */
  readonly cacheTtlMs?: number;
  readonly now?: () => number;
}

const allNames: readonly ProviderName[] = Object.values(ProviderNames);

async function checkWithTimeout(provider: SandboxProvider, timeoutMs: number): Promise<ProviderAvailability> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProviderAvailability>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          provider: provider.name,
          isAvailable: false,
          cnis: [],
          problems: [{ check: 'host-check', message: `${provider.name}: checking the host took longer than ${Math.round(timeoutMs / 1000)} s`, fix: 'see the server log; retry in a moment' }],
        }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([
      provider.checkHost().catch(
        (error: unknown): ProviderAvailability => ({
          provider: provider.name,
          isAvailable: false,
          cnis: [],
          problems: [{ check: 'host-check', message: `${provider.name}: the host check failed: ${error instanceof Error ? error.message : String(error)}`, fix: 'see the server log' }],
        }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function createProviderRegistry(options: ProviderRegistryOptions): ProviderRegistry {
  const byName = new Map(options.providers.map((provider) => [provider.name, provider]));
  const timeoutMs = options.checkTimeoutMs ?? 15_000;
  const cacheTtlMs = options.cacheTtlMs ?? 30_000;
  const now = options.now ?? Date.now;
  // One round in flight or fresh at a time: concurrent callers share it instead of spawning the checks again.
  let cached: { readonly at: number; readonly result: Promise<ProviderAvailability[]> } | undefined;
  const runChecks = (): Promise<ProviderAvailability[]> =>
    Promise.all(
      allNames.map(async (name): Promise<ProviderAvailability> => {
        const provider = byName.get(name);
          if (provider !== undefined) return checkWithTimeout(provider, timeoutMs);
          const reason = options.missingReasons?.[name] ?? `${name}: this server was started without the ${name} provider`;
          return { provider: name, isAvailable: false, cnis: [], problems: [{ check: 'configured', message: reason, fix: 'see rehearse serve --help' }] };
        }),
    );
  return {
    get: (name) => byName.get(name),
    list: () => [...byName.values()],
    checkAll() {
      if (cached !== undefined && now() - cached.at < cacheTtlMs) return cached.result;
      const result = runChecks();
      cached = { at: now(), result };
      return result;
    },
  };
}
