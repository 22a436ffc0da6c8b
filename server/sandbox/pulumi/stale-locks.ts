// Stale stack locks on the file ("diy") backend: a lock is `<backend>/.pulumi/locks/<org>/<project>/<stack>/<id>.json`
// holding `{pid, username, hostname, timestamp}` (pulumi pkg/backend/diy/lock.go). A process killed mid-update
// leaves it behind and every later operation fails with "the stack is currently locked". A lock from THIS host
// whose pid is gone is provably stale and is removed; any other lock is reported, never stolen.
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

const lockSchema = z.object({ pid: z.number().int(), username: z.string().optional(), hostname: z.string(), timestamp: z.string().optional() });

export interface StackLock {
  readonly file: string;
  readonly pid: number;
  readonly hostname: string;
  readonly timestamp?: string;
}

export interface LockSweep {
  readonly removed: readonly StackLock[];
  /** Locks held by live processes or other hosts (left alone). */
  readonly held: readonly StackLock[];
  /** Lock files that could not be parsed (left alone, reported). */
  readonly unreadable: readonly string[];
}

async function listDirectories(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    return [];
  }
}

/** Every `<locks>/<org...>/<project>/<stack>/` directory, whatever the org segment looks like. */
async function findStackLockDirectories(locksRoot: string, projectName: string, stackName: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (directory: string, depth: number): Promise<void> => {
    if (depth > 3) return;
    for (const name of await listDirectories(directory)) {
      const path = join(directory, name);
      if (name === projectName && (await listDirectories(path)).includes(stackName)) found.push(join(path, stackName));
      await walk(path, depth + 1);
    }
  };
  await walk(locksRoot, 0);
  return found;
}

export async function sweepStaleLocks(options: {
  readonly backendDirectory: string;
  readonly projectName: string;
  readonly stackName: string;
  readonly hostname: string;
  readonly isProcessAlive: (pid: number) => boolean;
}): Promise<LockSweep> {
  const removed: StackLock[] = [];
  const held: StackLock[] = [];
  const unreadable: string[] = [];
  const directories = await findStackLockDirectories(join(options.backendDirectory, '.pulumi', 'locks'), options.projectName, options.stackName);
  for (const directory of directories) {
    let entries: string[] = [];
    try {
      entries = (await readdir(directory)).filter((name) => name.endsWith('.json'));
    } catch {
      continue;
    }
    for (const entry of entries) {
      const file = join(directory, entry);
      let parsed: z.infer<typeof lockSchema>;
      try {
        const result = lockSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
        if (!result.success) {
          unreadable.push(file);
          continue;
        }
        parsed = result.data;
      } catch {
        unreadable.push(file);
        continue;
      }
      const lock: StackLock = { file, pid: parsed.pid, hostname: parsed.hostname, ...(parsed.timestamp === undefined ? {} : { timestamp: parsed.timestamp }) };
      if (parsed.hostname === options.hostname && !options.isProcessAlive(parsed.pid)) {
        await rm(file, { force: true });
        removed.push(lock);
      } else {
        held.push(lock);
      }
    }
  }
  return { removed, held, unreadable };
}

/** Signal 0 probes existence without touching the process: EPERM still proves it exists. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}
