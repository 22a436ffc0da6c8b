// The composition root of `rehearse serve`: the ONLY place that constructs concrete providers and the services.
// Start: lock the data dir, open the store, build providers and services, reattach live sandboxes (reaping those
// that expired while the server was down), then listen. Stop: refuse new work, cancel runs, close sockets, and
// leave sandboxes to their own TTL supervisors unless asked to tear them down.
import { userInfo } from 'node:os';
import { Limits } from './api/protocol/limits.ts';
import { createApiApp } from './api/app.ts';
import type { ApiApp } from './api/app.ts';
import type { ApiServices, ServerInfo } from './api/api-services.ts';
import { renderError } from './api/errors.ts';
import { startHttpServer } from './api/http-server.ts';
import { isLoopbackHost } from './config.ts';
import type { ServerConfig } from './config.ts';
import type { Logger } from './log.ts';
import type { ProviderName, SandboxProvider } from './sandbox/contract.ts';
import { createLocalProvider } from './sandbox/local/local-provider.ts';
import { createProviderByName, realClusterProviderNames } from './sandbox/providers.ts';
import {
  connectTerminalNotices,
  createEventBus,
  createEventLog,
  createProviderRegistry,
  createRunService,
  createSandboxService,
  createScenarioCatalog,
  createTerminalBackend,
} from './services/index.ts';
import type { EventBus, EventLog, RunService, SandboxService } from './services/index.ts';
import { acquireDataDirLock, openStore } from './store/index.ts';
import { createTerminalHub } from './terminal/index.ts';

export const serverVersion = '0.1.0';
/** Destroyed and failed sandboxes (with their runs, results and events) are kept this long, then pruned at start. */
const finishedRetentionMs = 7 * 24 * 60 * 60 * 1000;

export interface StartServerOptions {
  readonly config: ServerConfig;
  readonly log: Logger;
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * The providers to serve. Default: the local provider plus kind, cloud and cluster through
   * sandbox/providers.ts. Tests pass a provider test double here (and say so).
   */
  readonly providers?: readonly SandboxProvider[];
  /** Default: the repository's scenarios/ library. */
  readonly scenarioDir?: string;
  readonly isResponseValidated?: boolean;
  readonly maxWsBufferedBytes?: number;
  /** Wait before re-probing a mismatch (the probe runner's default otherwise). */
  readonly settleMs?: number;
}

export interface RunningServer {
  readonly origin: string;
  readonly port: number;
  /** What to open in a browser: the origin, with `?token=` when a token is required. */
  readonly openUrl: string;
  readonly api: ApiApp;
  readonly sandboxes: SandboxService;
  readonly runs: RunService;
  /** The event bus, for benchmarks and tests that need synthetic load on the websockets. */
  readonly bus: EventBus;
  /** Where services publish (validated, stored, then fanned out): the path result frames take. */
  readonly events: EventLog;
  /** Graceful stop; idempotent. */
  stop(options?: { readonly teardown?: boolean }): Promise<void>;
}

async function buildProviders(options: StartServerOptions): Promise<{ providers: SandboxProvider[]; missing: Partial<Record<ProviderName, string>> }> {
  const { config, log } = options;
  const local = createLocalProvider({ stateHome: config.dataDir, maxPods: config.maxPodsPerSandbox });
  const providers: SandboxProvider[] = [local];
  const missing: Partial<Record<ProviderName, string>> = {};
  for (const name of realClusterProviderNames) {
    try {
      providers.push(await createProviderByName(name, { home: config.dataDir, env: options.env, createLocalProvider: () => local, logger: log.child({ component: `sandbox-${name}` }) }));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      missing[name] = `${name}: ${message}`;
      log.warn('provider not available', { provider: name, error });
    }
  }
  return { providers, missing };
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config, log } = options;
  const lock = acquireDataDirLock(config.dataDir);
  let store;
  try {
    store = openStore({ dataDir: config.dataDir });
  } catch (error) {
    lock.release();
    throw error;
  }
  const openedStore = store;
  try {
    const built = options.providers === undefined ? await buildProviders(options) : { providers: [...options.providers], missing: {} };
    const registry = createProviderRegistry({ providers: built.providers, missingReasons: built.missing });
    const bus = createEventBus({ onListenerError: (error) => log.error('event listener failed', { error }) });
    const events = createEventLog({ store: openedStore, bus, log });
    const scenarios = createScenarioCatalog(options.scenarioDir === undefined ? {} : { dir: options.scenarioDir });
    const sandboxes = createSandboxService({
      store: openedStore,
      providers: registry,
      events,
      scenarios,
      log: log.child({ component: 'sandboxes' }),
      limits: {
        defaultTtlSeconds: config.defaultTtlSeconds,
        maxTtlSeconds: config.maxTtlSeconds,
        maxLiveSandboxes: config.maxLiveSandboxes,
        maxProvisioning: config.maxProvisioning,
        maxPodsPerSandbox: config.maxPodsPerSandbox,
      },
      ttlWarningSeconds: config.ttlWarningSeconds,
      owner: readOwner(options.env),
    });
    const runs = createRunService({
      store: openedStore,
      events,
      sandboxes,
      log: log.child({ component: 'runs' }),
      maxProbesPerRun: config.maxProbesPerRun,
      ...(options.settleMs === undefined ? {} : { settleMs: options.settleMs }),
    });
    const terminals = createTerminalHub({
      createBackend: (sandboxId) => createTerminalBackend(sandboxId, { sandboxes, runs, bus }),
      historyBytes: Limits.terminalHistoryBytes,
      historyStore: {
        load: (id) => openedStore.loadTerminalHistory(id),
        save: (id, text) => openedStore.saveTerminalHistory(id, text),
        remove: (id) => openedStore.deleteTerminalHistory(id),
      },
      onInternalError: (error, sandboxId) => log.error('terminal command failed', { sandboxId, error }),
      describeError: (error) => {
        const rendered = renderError(error, { requestId: 'terminal' });
        return rendered.isInternal ? undefined : { code: rendered.body.error.code, message: rendered.body.error.message, issues: rendered.body.error.issues ?? [] };
      },
    });
    const notices = connectTerminalNotices({ bus, sandboxes, terminals });

    const pruned = openedStore.pruneFinishedSandboxes(new Date(Date.now() - finishedRetentionMs));
    if (pruned > 0) log.info('old sandboxes pruned', { count: pruned, retentionDays: finishedRetentionMs / 86_400_000 });
    runs.restore();
    await sandboxes.restore();

    const info: ServerInfo = {
      version: serverVersion,
      defaultTtlSeconds: config.defaultTtlSeconds,
      maxTtlSeconds: config.maxTtlSeconds,
      maxLiveSandboxes: config.maxLiveSandboxes,
      maxProvisioning: config.maxProvisioning,
      maxPodsPerSandbox: config.maxPodsPerSandbox,
      maxProbesPerRun: config.maxProbesPerRun,
      ttlWarningSeconds: [...config.ttlWarningSeconds],
      isTokenRequired: config.token !== undefined,
    };
    const services: ApiServices = {
      sandboxes,
      runs,
      scenarios,
      providers: registry,
      bus,
      terminals,
      listEvents: (query) => openedStore.listEvents(query),
      info,
      startedAtMs: Date.now(),
    };
    const api = createApiApp({
      services,
      log: log.child({ component: 'api' }),
      auth: { token: config.token, isLoopbackBind: isLoopbackHost(config.host), allowedOrigins: config.allowedOrigins },
      webDistDir: config.webDistDir,
      ...(options.isResponseValidated === undefined ? {} : { isResponseValidated: options.isResponseValidated }),
      ...(options.maxWsBufferedBytes === undefined ? {} : { maxWsBufferedBytes: options.maxWsBufferedBytes }),
    });
    const http = await startHttpServer({ api, host: config.host, port: config.port });
    log.info('server listening', { origin: http.origin, dataDir: config.dataDir, providers: built.providers.map((provider) => provider.name) });

    let stopping: Promise<void> | undefined;
    return {
      origin: http.origin,
      port: http.port,
      openUrl: config.token === undefined ? `${http.origin}/` : `${http.origin}/?token=${encodeURIComponent(config.token)}`,
      api,
      sandboxes,
      runs,
      bus,
      events,
      stop(stopOptions = {}) {
        stopping ??= (async () => {
          const teardown = stopOptions.teardown ?? config.isTeardownOnExit;
          log.info('server stopping', { teardown });
          await http.close({ graceMs: 5000, reason: 'the server is shutting down' });
          await runs.cancelAll({ timeoutMs: 10_000 });
          notices.dispose();
          terminals.dispose();
          await sandboxes.shutdown({ teardown });
          runs.dispose();
          openedStore.close();
          lock.release();
          log.info('server stopped', {});
        })();
        return stopping;
      },
    };
  } catch (error) {
    openedStore.close();
    lock.release();
    throw error;
  }
}

function readOwner(env: Readonly<Record<string, string | undefined>>): string {
  try {
    return env['SUDO_USER'] ?? userInfo().username;
  } catch {
    return env['USER'] ?? 'unknown';
  }
}
