// Tears a local sandbox down from its id alone: kill its processes (found by runtime-dir argv or by living in
// its namespaces), delete its namespaces (veths and the nft table go with them), remove its runtime dir, and
// verify that nothing is left. Idempotent: a second run finds nothing and succeeds.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SandboxError, SandboxErrorCodes } from '../contract.ts';
import { getRuntimePaths, parseNetnsName } from './names.ts';
import { deleteNamespaces, listNetns, netnsDir } from './netns-plumbing.ts';
import { findSandboxProcesses, readNetnsInode, signalProcesses, waitForExit } from './processes.ts';

/** The supervisor's entry file name: with the sandbox id in the same argv, it marks the sandbox's supervisor. */
export const supervisorScriptName = 'supervisor-main.ts';

export interface TeardownTarget {
  readonly sandboxId: string;
  /** Root of runtime dirs (`/run/rehearsal`); the sandbox's dir is `<runRoot>/<id>`. */
  readonly runRoot: string;
  /** Processes never to kill (the caller itself is always excluded). */
  readonly excludePids?: readonly number[];
}

export interface TeardownReport {
  readonly killedPids: readonly number[];
  readonly deletedNetns: readonly string[];
}

export async function listSandboxNetns(sandboxId: string): Promise<readonly string[]> {
  return (await listNetns()).filter((name) => parseNetnsName(name)?.sandboxId === sandboxId);
}

/** The processes a teardown of this sandbox would kill, without killing them (leak checks use this too). */
export async function findProcessesOfSandbox(target: TeardownTarget, netns: readonly string[]): Promise<readonly number[]> {
  const runDir = getRuntimePaths(target.runRoot, target.sandboxId).dir;
  const inodes = (await Promise.all(netns.map((name) => readNetnsInode(join(netnsDir, name))))).filter((inode): inode is string => inode !== undefined);
  return findSandboxProcesses({
    argvMarkers: [`${runDir}/`],
    argvAllOf: [[supervisorScriptName, target.sandboxId]],
    netnsInodes: inodes,
    excludePids: [process.pid, ...(target.excludePids ?? [])],
  });
}

export async function tearDownSandbox(target: TeardownTarget): Promise<TeardownReport> {
  const netns = await listSandboxNetns(target.sandboxId);
  const pids = await findProcessesOfSandbox(target, netns);
  // SIGKILL: agents and the DNS server hold nothing that needs a clean shutdown, and a supervisor being
  // replaced by this teardown must not race it.
  signalProcesses(pids, 'SIGKILL');
  const survivors = await waitForExit(pids, 5_000);
  await deleteNamespaces(netns);
  await rm(getRuntimePaths(target.runRoot, target.sandboxId).dir, { recursive: true, force: true });

  const leftNetns = await listSandboxNetns(target.sandboxId);
  if (leftNetns.length > 0 || survivors.length > 0) {
    const parts = [
      ...(leftNetns.length > 0 ? [`namespaces ${leftNetns.join(', ')}`] : []),
      ...(survivors.length > 0 ? [`processes ${survivors.join(', ')}`] : []),
    ];
    throw new SandboxError(
      SandboxErrorCodes.teardownFailed,
      `teardown of ${target.sandboxId} left ${parts.join(' and ')}; run 'rehearse down ${target.sandboxId}' again, or remove them by hand (ip netns del <name>; kill -9 <pid>)`,
    );
  }
  return { killedPids: pids, deletedNetns: netns };
}
