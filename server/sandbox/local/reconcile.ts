// Finishes what a crash, a kill -9 or an expired TTL left behind: decides from a record alone whether a sandbox
// is stale, reaps it (teardown from the record) and marks it destroyed. Every local-provider command runs this first.
import type { SandboxRecord } from '../contract.ts';
import { SandboxStatuses } from '../contract.ts';
import { parseLocalState } from './local-state.ts';
import { getRouterNetns } from './names.ts';
import { listNetns } from './netns-plumbing.ts';
import { isProcessAlive } from './processes.ts';
import type { StateStore } from './state-store.ts';
import { tearDownSandbox } from './teardown.ts';

export const StaleReasons = {
  /** Past its expiry: the supervisor should have reaped it and did not (killed, host rebooted). */
  expired: 'expired',
  /** Still provisioning, and the process that was creating it is gone (kill -9, crash). */
  halfBuilt: 'half-built',
  /** Creation failed; whatever it built is removed. */
  failed: 'failed',
  /** Marked ready but its router namespace is gone (host reboot, someone ran `ip netns del`). */
  vanished: 'vanished',
} as const;
export type StaleReason = (typeof StaleReasons)[keyof typeof StaleReasons];

export interface StaleFacts {
  readonly now: Date;
  readonly isCreatorAlive: boolean;
  readonly hasRouterNetns: boolean;
}

/** Why a record's sandbox should be reaped now, or undefined when it is live (or already destroyed). */
export function findStaleReason(record: SandboxRecord, facts: StaleFacts): StaleReason | undefined {
  if (record.status === SandboxStatuses.destroyed) return undefined;
  if (Date.parse(record.expiresAt) <= facts.now.getTime()) return StaleReasons.expired;
  if (record.status === SandboxStatuses.failed) return StaleReasons.failed;
  if (record.status === SandboxStatuses.provisioning && !facts.isCreatorAlive) return StaleReasons.halfBuilt;
  if (record.status === SandboxStatuses.ready && !facts.hasRouterNetns) return StaleReasons.vanished;
  return undefined;
}

export async function gatherStaleFacts(record: SandboxRecord, options: { readonly now: Date; readonly netns?: ReadonlySet<string> }): Promise<StaleFacts> {
  const state = parseLocalState(record.providerState);
  const netns = options.netns ?? new Set(await listNetns());
  // A record without local state was written by a creator that died before its first step: treat it as dead.
  const isCreatorAlive = state === undefined ? false : await isProcessAlive(state.creatorPid, state.creatorStartTicks);
  return { now: options.now, isCreatorAlive, hasRouterNetns: netns.has(getRouterNetns(record.id)) };
}

export interface ReapOptions {
  readonly store: StateStore;
  readonly runRoot: string;
  /** Written into the record's `failure` when the sandbox did not end normally. */
  readonly reason?: StaleReason;
  readonly excludePids?: readonly number[];
}

function describeReason(reason: StaleReason, record: SandboxRecord): string {
  switch (reason) {
    case StaleReasons.expired:
      return `expired at ${record.expiresAt}`;
    case StaleReasons.halfBuilt:
      return 'creation was interrupted (the creating process is gone); reaped';
    case StaleReasons.failed:
      return record.failure ?? 'creation failed';
    case StaleReasons.vanished:
      return 'its network namespaces were gone (host reboot or removed by hand)';
  }
}

/** Tears the sandbox down from its record and marks it destroyed. Idempotent. */
export async function reapSandbox(record: SandboxRecord, options: ReapOptions): Promise<SandboxRecord> {
  const state = parseLocalState(record.providerState);
  if (record.status === SandboxStatuses.ready || record.status === SandboxStatuses.provisioning) {
    if (options.reason === StaleReasons.expired) await options.store.write({ ...record, status: SandboxStatuses.expiring });
  }
  await tearDownSandbox({
    sandboxId: record.id,
    runRoot: state?.runRoot ?? options.runRoot,
    ...(options.excludePids === undefined ? {} : { excludePids: options.excludePids }),
  });
  const failure = options.reason === undefined || options.reason === StaleReasons.expired ? record.failure : describeReason(options.reason, record);
  const { failure: _previous, ...rest } = record;
  const destroyed: SandboxRecord = { ...rest, status: SandboxStatuses.destroyed, ...(failure === undefined ? {} : { failure }) };
  // A record removed meanwhile (a concurrent `down`) stays removed.
  if ((await options.store.read(record.id)) !== undefined) await options.store.write(destroyed);
  return destroyed;
}

export interface ReapedSandbox {
  readonly id: string;
  readonly name?: string;
  readonly reason: StaleReason;
}

/** How long a destroyed record stays listed (`rehearse ls --all`) before it is deleted. */
const destroyedRecordRetentionMs = 24 * 60 * 60 * 1000;

/** Reaps every stale sandbox of the store and prunes old destroyed records. */
export async function reapStaleSandboxes(options: { readonly store: StateStore; readonly runRoot: string; readonly now?: Date }): Promise<readonly ReapedSandbox[]> {
  const now = options.now ?? new Date();
  const { records } = await options.store.list();
  const netns = new Set(await listNetns());
  const reaped: ReapedSandbox[] = [];
  for (const record of records) {
    if (record.provider !== 'local') continue;
    if (record.status === SandboxStatuses.destroyed) {
      if (Date.parse(record.expiresAt) + destroyedRecordRetentionMs < now.getTime()) await options.store.remove(record.id);
      continue;
    }
    const reason = findStaleReason(record, await gatherStaleFacts(record, { now, netns }));
    if (reason === undefined) continue;
    await reapSandbox(record, { store: options.store, runRoot: options.runRoot, reason });
    reaped.push({ id: record.id, ...(record.name === undefined ? {} : { name: record.name }), reason });
  }
  return reaped;
}
