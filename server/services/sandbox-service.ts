// Sandboxes over their whole life: created on request (202, provisioning in the background with progress
// events), reattached after a restart, changed (policies, labels), extended within bounds, and torn down at
// expiry or on request. The only owner of live SandboxHandles; every state change is stored, then announced.
import { randomBytes } from 'node:crypto';
import type { ApplyPoliciesResponse, CreateSandboxRequest, LabelPodResponse, SandboxDetail, SandboxView } from '../api/protocol/schemas.ts';
import { formatDurationSeconds } from '../api/protocol/duration.ts';
import { Limits } from '../api/protocol/limits.ts';
import { getCniProfile, parseManifests } from '../policy/index.ts';
import type { Cluster, ManifestSource, Protocol, Scenario } from '../policy/index.ts';
import type { Logger } from '../log.ts';
import type { ProgressEvent, SandboxHandle, SandboxProvider, SandboxRecord } from '../sandbox/contract.ts';
import { SandboxStatuses } from '../sandbox/contract.ts';
import type { ProgressEntry, Store, StoredSandbox } from '../store/index.ts';
import type { Disposable } from './disposable.ts';
import { toDisposable } from './disposable.ts';
import type { EventLog } from './event-log.ts';
import { explainFlow } from './explain-flow.ts';
import type { ExplainView } from './explain-flow.ts';
import { describeChange, planPolicyEdit, planPolicyRemoval } from './policy-edit.ts';
import type { PolicyEdit, PolicyEditMode } from './policy-edit.ts';
import type { ProviderRegistry } from './provider-registry.ts';
import type { ScenarioCatalog } from './scenario-catalog.ts';
import { makeRequestIssue, ServiceError, ServiceErrorCodes } from './service-error.ts';
import { toPodView, toPolicyView, toSandboxDetail, toSandboxView } from './sandbox-views.ts';
import { createTtlManager } from './ttl-manager.ts';

export interface SandboxLimits {
  readonly defaultTtlSeconds: number;
  readonly maxTtlSeconds: number;
  readonly maxLiveSandboxes: number;
  readonly maxProvisioning: number;
  readonly maxPodsPerSandbox: number;
}

/** A ready sandbox this server holds a handle to. */
export interface LiveSandbox {
  readonly id: string;
  readonly handle: SandboxHandle;
  /** The scenario it was made from (its expectations are the intent), when there was one. */
  readonly scenario: Scenario | undefined;
  /** The CNI profile predictions use: the sandbox's CNI when the engine knows it, else the API reference. */
  readonly profile: string;
}

export interface SandboxServiceOptions {
  readonly store: Store;
  readonly providers: ProviderRegistry;
  readonly events: EventLog;
  readonly scenarios: ScenarioCatalog;
  readonly log: Logger;
  readonly limits: SandboxLimits;
  readonly ttlWarningSeconds: readonly number[];
  /** Who owns sandboxes created through this server. */
  readonly owner: string;
  readonly newSandboxId?: () => string;
}

export interface SandboxService {
  create(request: CreateSandboxRequest): Promise<SandboxView>;
  list(): SandboxView[];
  view(id: string): SandboxView;
  get(id: string): SandboxDetail;
  /** The live sandbox, or SANDBOX_NOT_FOUND / SANDBOX_NOT_READY / SANDBOX_GONE. */
  requireLive(id: string): LiveSandbox;
  findLive(id: string): LiveSandbox | undefined;
  extend(id: string, bySeconds: number): Promise<SandboxView>;
  destroy(id: string, options?: { readonly reason?: string }): Promise<SandboxView>;
  applyPolicies(id: string, request: { readonly yaml: string; readonly mode: PolicyEditMode; readonly dryRun: boolean }): Promise<ApplyPoliciesResponse>;
  deletePolicy(id: string, ref: { readonly namespace: string; readonly name: string }, options?: { readonly dryRun?: boolean }): Promise<ApplyPoliciesResponse>;
  labelPod(id: string, ref: { readonly namespace: string; readonly name: string }, labels: Readonly<Record<string, string | null>>): Promise<LabelPodResponse>;
  explain(id: string, flow: { readonly from: string; readonly to: string; readonly port: number | string; readonly protocol: Protocol }): ExplainView;
  rules(id: string): Promise<string>;
  /** Called when a sandbox stops being live (destroyed, expired, failed), before its handle is released. */
  onGone(listener: (sandboxId: string, reason: string) => void): Disposable;
  /** Reattach to live sandboxes after a (re)start; reap those whose time passed while the server was down. */
  restore(): Promise<void>;
  /** Stop: abort provisioning, stop clocks, detach (or destroy, with `teardown`) every live sandbox. */
  shutdown(options: { readonly teardown: boolean }): Promise<void>;
}

const liveStatuses = [SandboxStatuses.provisioning, SandboxStatuses.ready, SandboxStatuses.expiring] as const;

export function profileForCni(cni: string): string {
  return getCniProfile(cni) === undefined ? 'reference' : cni;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The Scenario of stored sources, when they hold one (re-parsed after a restart; the cluster comes from the handle). */
function parseScenario(sources: readonly ManifestSource[]): Scenario | undefined {
  return sources.length === 0 ? undefined : parseManifests(sources).scenario;
}

export function createSandboxService(options: SandboxServiceOptions): SandboxService {
  const { store, events, log, limits } = options;
  const newSandboxId = options.newSandboxId ?? ((): string => `sb-${randomBytes(4).toString('hex')}`);
  const live = new Map<string, LiveSandbox>();
  const provisioning = new Map<string, { readonly controller: AbortController; readonly done: Promise<void> }>();
  const destroying = new Map<string, Promise<SandboxView>>();
  const locks = new Map<string, Promise<unknown>>();
  const goneListeners = new Set<(sandboxId: string, reason: string) => void>();
  let isShuttingDown = false;

  const ttl = createTtlManager({
    warningSeconds: options.ttlWarningSeconds,
    onWarning: (sandboxId, secondsLeft) => {
      events.publish({ type: 'ttl-warning', sandboxId, secondsLeft, at: new Date().toISOString() });
    },
    onExpired: (sandboxId) => {
      const stored = store.getSandbox(sandboxId);
      const lifetimeSeconds = stored === undefined ? 0 : (Date.parse(stored.record.expiresAt) - Date.parse(stored.record.createdAt)) / 1000;
      destroy(sandboxId, { reason: `expired after ${formatDurationSeconds(lifetimeSeconds)}` }).catch((error: unknown) => {
        log.error('teardown at expiry failed', { sandboxId, error });
      });
    },
  });

  /** Serializes read-modify-apply of one sandbox's desired state. */
  const withLock = <T>(id: string, work: () => Promise<T>): Promise<T> => {
    const previous = locks.get(id) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    locks.set(id, settled);
    void settled.then(() => {
      if (locks.get(id) === settled) locks.delete(id);
    });
    return next;
  };

  const readStored = (id: string): StoredSandbox => {
    const stored = store.getSandbox(id);
    if (stored === undefined) throw new ServiceError(ServiceErrorCodes.sandboxNotFound, `there is no sandbox ${id}; GET /api/sandboxes lists them`);
    return stored;
  };

  const announce = (record: SandboxRecord, reason?: string): SandboxView => {
    const stored = store.getSandbox(record.id);
    const view = toSandboxView(record, stored?.progress ?? []);
    events.publish({ type: 'sandbox', sandbox: view, ...(reason === undefined ? {} : { reason }) });
    return view;
  };

  const saveAndAnnounce = (record: SandboxRecord, reason?: string): SandboxView => {
    store.updateSandboxRecord(record);
    return announce(record, reason);
  };

  const notifyGone = (sandboxId: string, reason: string): void => {
    for (const listener of [...goneListeners]) {
      try {
        listener(sandboxId, reason);
      } catch (error) {
        log.error('sandbox-gone listener failed', { sandboxId, error });
      }
    }
  };

  const requireProvider = (record: SandboxRecord): SandboxProvider => {
    const provider = options.providers.get(record.provider);
    if (provider === undefined) throw new ServiceError(ServiceErrorCodes.providerUnknown, `this server has no ${record.provider} provider`);
    return provider;
  };

  const countByStatus = (): { live: number; provisioning: number } => {
    const rows = store.listSandboxes({ statuses: [...liveStatuses] });
    return { live: rows.length, provisioning: rows.filter((row) => row.record.status === SandboxStatuses.provisioning).length };
  };

  const requireLive = (id: string): LiveSandbox => {
    const found = live.get(id);
    if (found !== undefined) return found;
    const stored = readStored(id);
    switch (stored.record.status) {
      case SandboxStatuses.provisioning:
        throw new ServiceError(ServiceErrorCodes.sandboxNotReady, `sandbox ${id} is still provisioning; wait for its ready event`);
      case SandboxStatuses.expiring:
        throw new ServiceError(ServiceErrorCodes.sandboxGone, `sandbox ${id} is being torn down; create a new one`);
      default:
        throw new ServiceError(
          ServiceErrorCodes.sandboxGone,
          `sandbox ${id} is ${stored.record.status}${stored.record.failure === undefined ? '' : ` (${stored.record.failure})`}; create a new one`,
        );
    }
  };

  const provision = async (input: { record: SandboxRecord; cluster: Cluster; scenario: Scenario | undefined; ttlSeconds: number; controller: AbortController }): Promise<void> => {
    const { record, controller } = input;
    const provider = requireProvider(record);
    const onProgress = (event: ProgressEvent): void => {
      const entry: ProgressEntry = { step: event.step, message: event.message, ...(event.fraction === undefined ? {} : { fraction: event.fraction }), at: event.at };
      try {
        store.appendProgress(record.id, entry);
      } catch (error) {
        log.error('progress not stored', { sandboxId: record.id, error });
      }
      events.publish({ type: 'progress', sandboxId: record.id, ...entry });
    };
    const started = performance.now();
    try {
      const handle = await provider.create({
        id: record.id,
        ...(record.name === undefined ? {} : { name: record.name }),
        cni: record.cni,
        ttlSeconds: input.ttlSeconds,
        owner: record.owner,
        ...(record.scenario === undefined ? {} : { scenario: record.scenario }),
        cluster: input.cluster,
        signal: controller.signal,
        onProgress,
      });
      const ready = handle.record();
      if (controller.signal.aborted) {
        // Destroyed (or shut down) in the instant between the provider finishing and here: do not keep it.
        await handle.destroy();
        const reason = controller.signal.reason instanceof Error ? controller.signal.reason.message : 'aborted';
        saveAndAnnounce({ ...ready, status: SandboxStatuses.destroyed }, reason);
        notifyGone(record.id, reason);
        return;
      }
      live.set(record.id, { id: record.id, handle, scenario: input.scenario, profile: profileForCni(record.cni) });
      ttl.schedule(record.id, new Date(ready.expiresAt));
      saveAndAnnounce({ ...ready, ...(record.scenario === undefined ? {} : { scenario: record.scenario }) }, `ready in ${Math.round(performance.now() - started)} ms`);
      log.info('sandbox ready', { sandboxId: record.id, provider: record.provider, cni: record.cni, durationMs: Math.round(performance.now() - started) });
    } catch (error) {
      ttl.cancel(record.id);
      const isAborted = controller.signal.aborted;
      const reason = isAborted ? (controller.signal.reason instanceof Error ? controller.signal.reason.message : 'aborted') : describeError(error);
      log[isAborted ? 'info' : 'error']('sandbox provisioning ended', { sandboxId: record.id, isAborted, error });
      const status = isAborted ? SandboxStatuses.destroyed : SandboxStatuses.failed;
      saveAndAnnounce({ ...record, status, ...(isAborted ? {} : { failure: reason }) }, isAborted ? reason : `provisioning failed: ${reason}`);
      notifyGone(record.id, reason);
    }
  };

  const create = async (request: CreateSandboxRequest): Promise<SandboxView> => {
    if (isShuttingDown) throw new ServiceError(ServiceErrorCodes.shuttingDown, 'the server is shutting down; try again once it is back');
    const provider = options.providers.get(request.provider);
    if (provider === undefined) {
      throw new ServiceError(ServiceErrorCodes.providerUnknown, `this server has no ${request.provider} provider; GET /api/providers lists what it offers`);
    }
    if (request.kubeconfig !== undefined) {
      throw new ServiceError(ServiceErrorCodes.invalidInput, 'a kubeconfig is not accepted over the API; configure the cluster provider when starting the server (rehearse serve --help)', {
        issues: [makeRequestIssue({ path: 'kubeconfig', message: 'not accepted over the API', fix: 'leave it out' })],
      });
    }
    const ttlSeconds = request.ttlSeconds ?? limits.defaultTtlSeconds;
    if (ttlSeconds > limits.maxTtlSeconds) {
      throw new ServiceError(ServiceErrorCodes.ttlLimit, `a TTL of ${formatDurationSeconds(ttlSeconds)} is longer than this server allows (${formatDurationSeconds(limits.maxTtlSeconds)})`, {
        issues: [makeRequestIssue({ path: 'ttlSeconds', message: `at most ${limits.maxTtlSeconds}`, fix: `ask for ${limits.maxTtlSeconds} seconds or less; extend later if needed` })],
      });
    }
    const counts = countByStatus();
    if (counts.live >= limits.maxLiveSandboxes) {
      throw new ServiceError(ServiceErrorCodes.sandboxQuota, `this server already runs ${counts.live} sandboxes, its limit; destroy one (DELETE /api/sandboxes/{id}) or wait for one to expire`);
    }
    if (counts.provisioning >= limits.maxProvisioning) {
      throw new ServiceError(ServiceErrorCodes.provisioningQuota, `${counts.provisioning} sandboxes are being created right now, the most this server does at once; retry in a few seconds`);
    }
    if (request.name !== undefined) {
      const holder = store.listSandboxes({ statuses: [...liveStatuses] }).find((row) => row.record.name === request.name);
      if (holder !== undefined) throw new ServiceError(ServiceErrorCodes.nameTaken, `the name ${request.name} is taken by ${holder.record.id}; pick another or destroy it first`);
    }
    const sources: ManifestSource[] = [];
    if (request.scenario !== undefined) sources.push(await options.scenarios.load(request.scenario));
    if (request.manifests !== undefined) sources.push({ file: 'manifests.yaml', text: request.manifests });
    if (sources.length === 0) {
      throw new ServiceError(ServiceErrorCodes.invalidInput, 'a sandbox needs a scenario or manifests', {
        issues: [makeRequestIssue({ path: 'scenario', message: 'neither scenario nor manifests was given', fix: 'name a scenario (GET /api/scenarios) or send manifests' })],
      });
    }
    const parsed = parseManifests(sources);
    const errors = parsed.issues.filter((issue) => issue.severity === 'error');
    if (errors.length > 0) throw new ServiceError(ServiceErrorCodes.manifestsInvalid, `the manifests have ${errors.length} error(s); nothing was created`, { issues: parsed.issues });
    if (parsed.cluster.pods.length > limits.maxPodsPerSandbox) {
      throw new ServiceError(ServiceErrorCodes.podLimit, `the manifests make ${parsed.cluster.pods.length} pods, more than this server allows per sandbox (${limits.maxPodsPerSandbox}); lower the replicas`);
    }
    if (parsed.cluster.policies.length > Limits.maxPoliciesPerSet) {
      throw new ServiceError(ServiceErrorCodes.policyLimit, `the manifests hold ${parsed.cluster.policies.length} policies, more than ${Limits.maxPoliciesPerSet}; split them`);
    }
    const availability = await provider.checkHost();
    if (!availability.isAvailable) {
      throw new ServiceError(ServiceErrorCodes.providerUnavailable, availability.problems.map((problem) => `${problem.message} (fix: ${problem.fix})`).join('; ') || `${provider.name} is not available on this host`);
    }
    if (!availability.cnis.includes(request.cni)) {
      throw new ServiceError(ServiceErrorCodes.cniUnsupported, `the ${provider.name} provider cannot give CNI "${request.cni}" here; it offers: ${availability.cnis.join(', ')}`, {
        issues: [makeRequestIssue({ path: 'cni', message: `unknown CNI "${request.cni}"`, fix: `use one of: ${availability.cnis.join(', ')}` })],
      });
    }
    // Counted again after the awaits above: two requests racing past the first check must not both start.
    const recount = countByStatus();
    if (recount.live >= limits.maxLiveSandboxes || recount.provisioning >= limits.maxProvisioning) {
      throw new ServiceError(recount.live >= limits.maxLiveSandboxes ? ServiceErrorCodes.sandboxQuota : ServiceErrorCodes.provisioningQuota, 'the server filled up while this request was checked; retry in a few seconds');
    }
    const createdAt = new Date();
    const record: SandboxRecord = {
      id: newSandboxId(),
      ...(request.name === undefined ? {} : { name: request.name }),
      provider: provider.name,
      cni: request.cni,
      owner: options.owner,
      createdAt: createdAt.toISOString(),
      expiresAt: new Date(createdAt.getTime() + ttlSeconds * 1000).toISOString(),
      status: SandboxStatuses.provisioning,
      providerState: {},
      ...(request.scenario === undefined ? {} : { scenario: request.scenario }),
    };
    store.insertSandbox({ record, sources });
    const view = announce(record, 'created');
    const controller = new AbortController();
    // Provisioning longer than the TTL ends like any expiry: aborted and announced.
    ttl.schedule(record.id, new Date(record.expiresAt));
    const done = provision({ record, cluster: parsed.cluster, scenario: parsed.scenario, ttlSeconds, controller }).finally(() => provisioning.delete(record.id));
    provisioning.set(record.id, { controller, done });
    log.info('sandbox provisioning', { sandboxId: record.id, provider: record.provider, cni: record.cni, scenario: record.scenario, pods: parsed.cluster.pods.length });
    return view;
  };

  const destroyNow = async (id: string, reason: string): Promise<SandboxView> => {
    const stored = readStored(id);
    const pending = provisioning.get(id);
    if (pending !== undefined) {
      pending.controller.abort(new Error(reason));
      await pending.done;
      return toSandboxView(readStored(id).record, readStored(id).progress);
    }
    if (stored.record.status === SandboxStatuses.destroyed || stored.record.status === SandboxStatuses.failed) return toSandboxView(stored.record, stored.progress);
    const entry = live.get(id);
    ttl.cancel(id);
    const expiring = { ...(entry?.handle.record() ?? stored.record), status: SandboxStatuses.expiring };
    saveAndAnnounce(expiring, reason);
    notifyGone(id, reason);
    const started = performance.now();
    let failure: string | undefined;
    try {
      if (entry !== undefined) await entry.handle.destroy();
      else await requireProvider(stored.record).reap(stored.record);
    } catch (error) {
      log.error('teardown failed', { sandboxId: id, error });
      failure = `teardown failed: ${describeError(error)}`;
      try {
        await requireProvider(stored.record).reap(stored.record);
        failure = undefined;
      } catch (reapError) {
        log.error('reap after failed teardown failed', { sandboxId: id, error: reapError });
      }
    } finally {
      live.delete(id);
    }
    const { failure: _previous, ...rest } = expiring;
    const final: SandboxRecord = failure === undefined ? { ...rest, status: SandboxStatuses.destroyed } : { ...rest, status: SandboxStatuses.failed, failure };
    log.info('sandbox destroyed', { sandboxId: id, reason, durationMs: Math.round(performance.now() - started), failure });
    return saveAndAnnounce(final, failure === undefined ? reason : failure);
  };

  const destroy = (id: string, destroyOptions: { readonly reason?: string } = {}): Promise<SandboxView> => {
    const existing = destroying.get(id);
    if (existing !== undefined) return existing;
    const running = destroyNow(id, destroyOptions.reason ?? 'destroyed on request').finally(() => destroying.delete(id));
    destroying.set(id, running);
    return running;
  };

  const toResponse = (edit: PolicyEdit, extra: { readonly isApplied: boolean; readonly enforcedAfterMs?: number; readonly cluster: Cluster }): ApplyPoliciesResponse => ({
    isApplied: extra.isApplied,
    issues: [...edit.issues],
    lint: [...edit.lint],
    ...(extra.enforcedAfterMs === undefined ? {} : { enforcedAfterMs: extra.enforcedAfterMs }),
    changes: { ...edit.changes },
    summary: edit.summary,
    flows: [...edit.flows],
    policies: extra.cluster.policies.map(toPolicyView),
  });

  const commitEdit = async (entry: LiveSandbox, edit: PolicyEdit, change: string): Promise<ApplyPoliciesResponse> => {
    const result = await entry.handle.apply(edit.next);
    store.updateSandboxRecord(entry.handle.record());
    events.publish({ type: 'policies', sandboxId: entry.id, count: edit.next.policies.length, at: new Date().toISOString(), change: `${change}: ${edit.summary}` });
    log.info('policies applied', { sandboxId: entry.id, policies: edit.next.policies.length, enforcedAfterMs: Math.round(result.enforcedAfterMs) });
    return toResponse(edit, { isApplied: true, enforcedAfterMs: result.enforcedAfterMs, cluster: entry.handle.cluster() });
  };

  const restoreOne = async (stored: StoredSandbox, discovered: ReadonlyMap<string, SandboxRecord>): Promise<void> => {
    const id = stored.record.id;
    const provider = options.providers.get(stored.record.provider);
    if (provider === undefined) {
      saveAndAnnounce({ ...stored.record, status: SandboxStatuses.failed, failure: `this server was restarted without the ${stored.record.provider} provider` });
      return;
    }
    const current = discovered.get(id) ?? stored.record;
    const record: SandboxRecord = { ...current, ...(stored.record.scenario === undefined ? {} : { scenario: stored.record.scenario }) };
    if (record.status === SandboxStatuses.destroyed) {
      saveAndAnnounce(record, 'torn down by its own supervisor while the server was down');
      return;
    }
    if (Date.parse(record.expiresAt) <= Date.now()) {
      await provider.reap(record);
      saveAndAnnounce({ ...record, status: SandboxStatuses.destroyed }, `expired at ${record.expiresAt} while the server was down; reaped at start`);
      return;
    }
    if (record.status === SandboxStatuses.provisioning) {
      await provider.reap(record);
      saveAndAnnounce({ ...record, status: SandboxStatuses.failed, failure: 'the server stopped while it was being created; reaped at start' });
      return;
    }
    const handle = await provider.attach(record);
    if (handle === undefined) {
      await provider.reap(record);
      saveAndAnnounce({ ...record, status: SandboxStatuses.destroyed }, 'it no longer exists on this host');
      return;
    }
    live.set(id, { id, handle, scenario: parseScenario(stored.sources), profile: profileForCni(record.cni) });
    const attached = { ...handle.record(), ...(stored.record.scenario === undefined ? {} : { scenario: stored.record.scenario }) };
    ttl.schedule(id, new Date(attached.expiresAt));
    saveAndAnnounce(attached, 'reattached after a server restart');
    log.info('sandbox reattached', { sandboxId: id, expiresAt: attached.expiresAt });
  };

  return {
    create,
    list: () => store.listSandboxes().map((row) => toSandboxView(row.record, row.progress)),
    view: (id) => {
      const stored = readStored(id);
      return toSandboxView(stored.record, stored.progress);
    },
    get: (id) => {
      const stored = readStored(id);
      return toSandboxDetail(toSandboxView(stored.record, stored.progress), live.get(id)?.handle.cluster());
    },
    requireLive,
    findLive: (id) => live.get(id),
    async extend(id, bySeconds) {
      const entry = requireLive(id);
      return withLock(id, async () => {
        const record = entry.handle.record();
        const expiresAt = new Date(Date.parse(record.expiresAt) + bySeconds * 1000);
        const leftSeconds = (expiresAt.getTime() - Date.now()) / 1000;
        if (leftSeconds > limits.maxTtlSeconds) {
          const allowed = Math.max(0, Math.floor(limits.maxTtlSeconds - (Date.parse(record.expiresAt) - Date.now()) / 1000));
          throw new ServiceError(
            ServiceErrorCodes.ttlLimit,
            `extending by ${formatDurationSeconds(bySeconds)} would leave ${formatDurationSeconds(leftSeconds)}; a sandbox may have at most ${formatDurationSeconds(limits.maxTtlSeconds)} left, so extend by at most ${formatDurationSeconds(allowed)}`,
            { issues: [makeRequestIssue({ path: 'bySeconds', message: `at most ${allowed} now`, fix: `extend by ${allowed} seconds or less` })] },
          );
        }
        const extended = await entry.handle.extend(expiresAt);
        ttl.schedule(id, new Date(extended.expiresAt));
        const stored = readStored(id);
        return saveAndAnnounce({ ...extended, ...(stored.record.scenario === undefined ? {} : { scenario: stored.record.scenario }) }, `extended by ${formatDurationSeconds(bySeconds)}`);
      });
    },
    destroy,
    async applyPolicies(id, request) {
      const entry = requireLive(id);
      return withLock(id, async () => {
        const current = entry.handle.cluster();
        const edit = planPolicyEdit(current, { yaml: request.yaml, mode: request.mode, profile: entry.profile });
        if (!edit.hasErrors && edit.next.policies.length > Limits.maxPoliciesPerSet) {
          throw new ServiceError(ServiceErrorCodes.policyLimit, `the policy set would hold ${edit.next.policies.length} policies, more than ${Limits.maxPoliciesPerSet}; split the scenario`);
        }
        if (edit.hasErrors || request.dryRun) return toResponse(edit, { isApplied: false, cluster: edit.hasErrors ? current : edit.next });
        const count = edit.next.policies.length;
        return commitEdit(entry, edit, `${request.mode === 'replace' ? 'replaced the policy set' : 'applied policies'} (${count} now)`);
      });
    },
    async deletePolicy(id, ref, deleteOptions = {}) {
      const entry = requireLive(id);
      return withLock(id, async () => {
        const current = entry.handle.cluster();
        const edit = planPolicyRemoval(current, { ...ref, profile: entry.profile });
        if (edit === undefined) {
          const known = current.policies.map((policy) => `${policy.namespace}/${policy.name}`);
          throw new ServiceError(ServiceErrorCodes.policyNotFound, `sandbox ${id} has no policy ${ref.namespace}/${ref.name}; it has: ${known.join(', ') || 'none'}`);
        }
        if (deleteOptions.dryRun === true) return toResponse(edit, { isApplied: false, cluster: edit.next });
        return commitEdit(entry, edit, `deleted ${ref.namespace}/${ref.name}`);
      });
    },
    async labelPod(id, ref, labels) {
      const entry = requireLive(id);
      return withLock(id, async () => {
        const current = entry.handle.cluster();
        const pod = current.pods.find((candidate) => candidate.namespace === ref.namespace && candidate.name === ref.name);
        if (pod === undefined) {
          throw new ServiceError(ServiceErrorCodes.podNotFound, `sandbox ${id} has no pod ${ref.namespace}/${ref.name}; GET /api/sandboxes/${id} lists its pods`);
        }
        const nextLabels: Record<string, string> = { ...pod.labels };
        for (const [key, value] of Object.entries(labels)) {
          if (value === null) delete nextLabels[key];
          else nextLabels[key] = value;
        }
        const relabelled = { ...pod, labels: nextLabels };
        const next: Cluster = { ...current, pods: current.pods.map((candidate) => (candidate === pod ? relabelled : candidate)) };
        const describeLabels = Object.entries(labels).map(([key, value]) => (value === null ? `${key}-` : `${key}=${value}`)).join(' ');
        const edit: PolicyEdit = { issues: [], hasErrors: false, next, ...describeChange(current, next, entry.profile) };
        await commitEdit(entry, edit, `labelled pod ${ref.namespace}/${ref.name} ${describeLabels}`);
        return { pod: toPodView(relabelled), summary: edit.summary };
      });
    },
    explain(id, flow) {
      const entry = requireLive(id);
      return explainFlow(entry.handle.cluster(), { ...flow, profile: entry.profile });
    },
    async rules(id) {
      return requireLive(id).handle.describeRules();
    },
    onGone(listener) {
      goneListeners.add(listener);
      return toDisposable(() => goneListeners.delete(listener));
    },
    async restore() {
      const discovered = new Map<string, SandboxRecord>();
      for (const provider of options.providers.list()) {
        try {
          for (const record of await provider.discover()) discovered.set(record.id, record);
        } catch (error) {
          log.warn('provider discovery failed', { provider: provider.name, error });
        }
      }
      const stored = store.listSandboxes({ statuses: [...liveStatuses] });
      const known = new Set(store.listSandboxes().map((row) => row.record.id));
      for (const row of stored) {
        try {
          await restoreOne(row, discovered);
        } catch (error) {
          log.error('sandbox not restored', { sandboxId: row.record.id, error });
          saveAndAnnounce({ ...row.record, status: SandboxStatuses.failed, failure: `could not be reattached after a restart: ${describeError(error)}` });
        }
      }
      // Sandboxes made outside this server (rehearse up) in the same data dir are adopted, so the UI shows them.
      for (const record of discovered.values()) {
        if (known.has(record.id) || record.status !== SandboxStatuses.ready) continue;
        try {
          store.insertSandbox({ record, sources: [] });
          await restoreOne({ record, sources: [], progress: [] }, discovered);
        } catch (error) {
          log.warn('discovered sandbox not adopted', { sandboxId: record.id, error });
        }
      }
      for (const unreadable of store.takeUnreadable()) log.error('unreadable row in the store', { ...unreadable });
    },
    async shutdown(shutdownOptions) {
      isShuttingDown = true;
      ttl.dispose();
      for (const pending of provisioning.values()) pending.controller.abort(new Error('the server shut down while it was being created'));
      await Promise.allSettled([...provisioning.values()].map((pending) => pending.done));
      await Promise.allSettled([...destroying.values()]);
      const entries = [...live.values()];
      await Promise.allSettled(
        entries.map(async (entry) => {
          if (shutdownOptions.teardown) {
            await destroy(entry.id, { reason: 'the server shut down (--teardown-on-exit)' });
            return;
          }
          try {
            await entry.handle.detach();
          } catch (error) {
            log.warn('detach failed', { sandboxId: entry.id, error });
          }
          live.delete(entry.id);
        }),
      );
      for (const unreadable of store.takeUnreadable()) log.error('unreadable row in the store', { ...unreadable });
    },
  };
}
