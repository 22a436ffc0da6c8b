// One server per data dir: a lock file holding the owner's pid. A lock left by a killed server (kill -9) is taken
// over, because its pid is gone; a live owner is an error naming it.
import { openSync, readFileSync, rmSync, writeFileSync, closeSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError, StoreErrorCodes } from './store-error.ts';

export const lockFileName = 'server.lock';

export interface DataDirLock {
  readonly file: string;
  release(): void;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return error instanceof Error && Reflect.get(error, 'code') === 'EPERM';
  }
}

function readOwnerPid(file: string): number | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    const match = /"pid":\s*(\d{1,10})/.exec(text);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

export function acquireDataDirLock(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, lockFileName);
  const content = JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeFileSync(fd, content);
      closeSync(fd);
      let isReleased = false;
      return {
        file,
        release() {
          if (isReleased) return;
          isReleased = true;
          if (readOwnerPid(file) === process.pid) rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if (!(error instanceof Error) || Reflect.get(error, 'code') !== 'EEXIST') {
        throw new StoreError(StoreErrorCodes.openFailed, `cannot create ${file}: ${error instanceof Error ? error.message : String(error)}; check that --data-dir is writable`, { cause: error });
      }
      const owner = readOwnerPid(file);
      if (owner !== undefined && owner !== process.pid && isProcessAlive(owner)) {
        throw new StoreError(StoreErrorCodes.locked, `another rehearse serve (pid ${owner}) uses the data dir ${dataDir}; stop it, or start this one with --data-dir pointing elsewhere`);
      }
      // The owner is gone (killed): its lock is stale.
      rmSync(file, { force: true });
    }
  }
  throw new StoreError(StoreErrorCodes.locked, `could not take the lock ${file}; another server is starting at the same moment`);
}
