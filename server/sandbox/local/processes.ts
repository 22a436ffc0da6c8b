// Finding and stopping a sandbox's processes from /proc alone, so a reaper that knows nothing but the sandbox id
// (after kill -9 of its creator) still finds every agent, DNS server and supervisor, and never kills a stranger.
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';

const procRoot = '/proc';

/** The argv of a process, or undefined when it is gone (or a kernel thread). */
export async function readCmdline(pid: number): Promise<readonly string[] | undefined> {
  try {
    const raw = await readFile(join(procRoot, String(pid), 'cmdline'), 'utf8');
    if (raw === '') return undefined;
    return raw.split('\0').filter((part) => part !== '');
  } catch {
    return undefined;
  }
}

interface ProcStat {
  readonly state: string;
  /** Field 22: start time in clock ticks after boot; with the pid it names one process for the life of the host. */
  readonly startTicks: string;
}

async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  let text: string;
  try {
    text = await readFile(join(procRoot, String(pid), 'stat'), 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses; fields after the last ')' are fixed.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTicks = fields[19];
  if (state === undefined || startTicks === undefined) return undefined;
  return { state, startTicks };
}

/** Start time of a process (opaque), to tell a live creator from a new process that reused its pid. */
export async function readStartTicks(pid: number): Promise<string | undefined> {
  return (await readProcStat(pid))?.startTicks;
}

/** True when the process exists and is not a zombie (a zombie holds no namespace and no socket). */
export async function isProcessAlive(pid: number, startTicks?: string): Promise<boolean> {
  const procStat = await readProcStat(pid);
  if (procStat === undefined || procStat.state === 'Z' || procStat.state === 'X') return false;
  return startTicks === undefined || procStat.startTicks === startTicks;
}

/** The nsfs inode of a network namespace file (`/run/netns/<name>`), as /proc/<pid>/ns/net shows it. */
export async function readNetnsInode(netnsFile: string): Promise<string | undefined> {
  try {
    return String((await stat(netnsFile)).ino);
  } catch {
    return undefined;
  }
}

export interface ProcessMatchOptions {
  /** Any argv element containing one of these strings marks the process as the sandbox's (its runtime dir). */
  readonly argvMarkers: readonly string[];
  /** Marks a process only when every string appears in its argv (the supervisor: script name and sandbox id). */
  readonly argvAllOf?: readonly (readonly string[])[];
  /** Processes living in any of these network namespaces (nsfs inode numbers) are the sandbox's. */
  readonly netnsInodes: readonly string[];
  /** Never matched (the reaper itself). */
  readonly excludePids: readonly number[];
}

/** Every live process that belongs to the sandbox by argv marker or by network namespace. */
export async function findSandboxProcesses(options: ProcessMatchOptions): Promise<readonly number[]> {
  const entries = await readdir(procRoot);
  const inodes = new Set(options.netnsInodes.map((inode) => `net:[${inode}]`));
  const found: number[] = [];
  await Promise.all(
    entries.map(async (entry) => {
      if (!/^[0-9]+$/.test(entry)) return;
      const pid = Number(entry);
      if (options.excludePids.includes(pid)) return;
      if (inodes.size > 0) {
        try {
          const link = await readlink(join(procRoot, entry, 'ns', 'net'));
          if (inodes.has(link)) {
            found.push(pid);
            return;
          }
        } catch {
          // Gone, or a kernel thread: neither is ours.
        }
      }
      const argv = await readCmdline(pid);
      if (argv === undefined) return;
      const isMarked =
        argv.some((part) => options.argvMarkers.some((marker) => part.includes(marker))) ||
        (options.argvAllOf ?? []).some((required) => required.every((needle) => argv.some((part) => part.includes(needle))));
      if (isMarked) found.push(pid);
    }),
  );
  return found.sort((a, b) => a - b);
}

/** Sends `signal` to each pid; a pid that is already gone is not an error. */
export function signalProcesses(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'ESRCH')) throw error;
    }
  }
}

/** Waits until none of `pids` is alive (zombies count as gone); returns those still alive after `timeoutMs`. */
export async function waitForExit(pids: readonly number[], timeoutMs: number): Promise<readonly number[]> {
  const deadline = Date.now() + timeoutMs;
  let remaining = [...pids];
  for (;;) {
    const alive = await Promise.all(remaining.map(async (pid) => ((await isProcessAlive(pid)) ? pid : undefined)));
    remaining = alive.filter((pid): pid is number => pid !== undefined);
    if (remaining.length === 0 || Date.now() >= deadline) return remaining;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
