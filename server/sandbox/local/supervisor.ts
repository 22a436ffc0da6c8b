// The per-sandbox TTL supervisor, in two stages with one pid. The idle stage is the agent binary in `--supervise`
// mode (supervise.c, well under a megabyte): it sleeps until the record's expiry, re-reading the record when it
// changes (so `extend` moves the deadline), and watches for a creator that died mid-creation. When the sandbox is
// due it execs the Node stage, supervisor-main.ts, which runs superviseSandbox below: it decides again from the
// record, reaps, and exits as soon as the sandbox is gone, whoever removed it.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { SandboxError, SandboxErrorCodes, SandboxStatuses } from '../contract.ts';
import { getRuntimePaths } from './names.ts';
import { findStaleReason, gatherStaleFacts, reapSandbox } from './reconcile.ts';
import { releaseDetached, startDetached } from './run-command.ts';
import type { StateStore } from './state-store.ts';
import { supervisorScriptName } from './teardown.ts';

export interface SuperviseOptions {
  readonly sandboxId: string;
  readonly store: StateStore;
  readonly runRoot: string;
  /** Longest sleep between looks at the record; bounds how late an `extend` or a creator's death is noticed. */
  readonly pollMs: number;
  readonly log: (message: string) => void;
}

export type SuperviseOutcome = 'reaped' | 'gone';

const maxReapAttempts = 10;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs until the sandbox has been reaped here ('reaped') or by someone else ('gone'). */
export async function superviseSandbox(options: SuperviseOptions): Promise<SuperviseOutcome> {
  let failedReaps = 0;
  for (;;) {
    const record = await options.store.read(options.sandboxId);
    if (record === undefined || record.status === SandboxStatuses.destroyed) return 'gone';
    const now = new Date();
    const reason = findStaleReason(record, await gatherStaleFacts(record, { now }));
    if (reason !== undefined) {
      options.log(`reaping ${record.id}: ${reason}`);
      try {
        await reapSandbox(record, { store: options.store, runRoot: options.runRoot, reason });
        return 'reaped';
      } catch (error) {
        // Keep trying: the next rehearsal command would reap it too, but the TTL is this process's promise.
        failedReaps += 1;
        options.log(`reap attempt ${failedReaps} failed: ${error instanceof Error ? error.message : String(error)}`);
        if (failedReaps >= maxReapAttempts) throw error;
        await sleep(options.pollMs);
        continue;
      }
    }
    const untilExpiryMs = Date.parse(record.expiresAt) - now.getTime();
    // Sleep exactly to the deadline when it is near, so a 3 s TTL ends at 3 s, not at the next poll.
    await sleep(Math.max(1, Math.min(untilExpiryMs, options.pollMs)));
  }
}

const supervisorMainPath = fileURLToPath(new URL(`./${supervisorScriptName}`, import.meta.url));

export interface StartSupervisorOptions {
  readonly sandboxId: string;
  readonly stateHome: string;
  readonly runRoot: string;
  /** The compiled agent; its `--supervise` mode is the idle stage. */
  readonly agentBinary: string;
  /** The record file the idle stage watches. */
  readonly recordFile: string;
  readonly routerNetns: string;
  readonly creatorPid: number;
  readonly creatorStartTicks?: string;
}

/** Longest sleep of the idle stage while the sandbox is being created: how late a creator's death is noticed. */
const provisioningPollMs = 2_000;

/** The idle stage's argv: its own options, then (after `--`) the Node stage it execs when the sandbox is due. */
export function formatSupervisorArgs(options: StartSupervisorOptions): string[] {
  return [
    '--supervise',
    '--record',
    options.recordFile,
    '--router-netns',
    options.routerNetns,
    '--creator-pid',
    String(options.creatorPid),
    ...(options.creatorStartTicks === undefined ? [] : ['--creator-start-ticks', options.creatorStartTicks]),
    '--poll-ms',
    String(provisioningPollMs),
    '--',
    process.execPath,
    '--disable-warning=ExperimentalWarning',
    supervisorMainPath,
    options.sandboxId,
    '--state-home',
    options.stateHome,
    '--run-root',
    options.runRoot,
  ];
}

/**
 * Starts the supervisor of a sandbox as a detached process (own session, so Ctrl-C and the creator's exit do not
 * reach it). Returns its pid for the record; the pid stays the same when the idle stage execs the Node stage.
 */
export async function startSupervisor(options: StartSupervisorOptions): Promise<number> {
  const paths = getRuntimePaths(options.runRoot, options.sandboxId);
  await mkdir(paths.logDir, { recursive: true });
  const child = startDetached(options.agentBinary, formatSupervisorArgs(options), { stderrFile: join(paths.logDir, 'supervisor.log') });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) =>
      reject(new SandboxError(SandboxErrorCodes.provisionFailed, `could not start the TTL supervisor (${options.agentBinary} --supervise): ${error.message}`, { cause: error })),
    );
  });
  const pid = child.pid;
  releaseDetached(child);
  if (pid === undefined) throw new SandboxError(SandboxErrorCodes.provisionFailed, `the TTL supervisor of ${options.sandboxId} started without a pid`);
  return pid;
}
