// Sandbox records as JSON files under the state dir (`$REHEARSAL_HOME` or `~/.rehearsal`, `sandboxes/<id>.json`),
// written atomically (temp file + rename) so a crash never leaves half a record for the reaper to trip over.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { SandboxRecord } from '../contract.ts';
import { SandboxError, SandboxErrorCodes } from '../contract.ts';
import { isSandboxId } from './names.ts';
import { readSandboxRecord } from '../sandbox-record.ts';


/** The state dir: `$REHEARSAL_HOME` when set, else `~/.rehearsal`. */
export function resolveStateHome(env: Readonly<Record<string, string | undefined>>): string {
  const configured = env.REHEARSAL_HOME;
  return configured !== undefined && configured !== '' ? configured : join(homedir(), '.rehearsal');
}

/** A record file that could not be read or parsed: reported, never silently skipped. */
export interface UnreadableRecord {
  readonly file: string;
  readonly problem: string;
}

export interface StateStore {
  readonly dir: string;
  /** The file a record lives in (the TTL supervisor watches it). */
  fileOf(id: string): string;
  write(record: SandboxRecord): Promise<void>;
  read(id: string): Promise<SandboxRecord | undefined>;
  list(): Promise<{ readonly records: readonly SandboxRecord[]; readonly unreadable: readonly UnreadableRecord[] }>;
  remove(id: string): Promise<void>;
}

function parseRecord(text: string): SandboxRecord | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `not JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
  const read = readSandboxRecord(json);
  return 'record' in read ? read.record : read.problem;
}

export function createStateStore(stateHome: string): StateStore {
  const dir = join(stateHome, 'sandboxes');
  const fileOf = (id: string): string => {
    if (!isSandboxId(id)) throw new SandboxError(SandboxErrorCodes.invalidName, `'${id}' is not a sandbox id (sb- and 8 hex digits)`);
    return join(dir, `${id}.json`);
  };
  return {
    dir,
    fileOf,
    async write(record) {
      const file = fileOf(record.id);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
      await rename(temp, file);
    },
    async read(id) {
      let text: string;
      try {
        text = await readFile(fileOf(id), 'utf8');
      } catch (error) {
        if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
        throw error;
      }
      const parsed = parseRecord(text);
      if (typeof parsed === 'string') {
        throw new SandboxError(SandboxErrorCodes.notFound, `the record of ${id} (${fileOf(id)}) is unreadable: ${parsed}; delete the file after checking 'ip netns list' for rh-* namespaces`);
      }
      return parsed;
    },
    async list() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return { records: [], unreadable: [] };
        throw error;
      }
      const records: SandboxRecord[] = [];
      const unreadable: UnreadableRecord[] = [];
      for (const name of names.sort()) {
        if (!name.endsWith('.json') || !isSandboxId(name.slice(0, -'.json'.length))) continue;
        const file = join(dir, name);
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (error) {
          // Removed between readdir and readFile by a concurrent teardown: not a problem.
          if (error instanceof Error && 'code' in error && error.code === 'ENOENT') continue;
          throw error;
        }
        const parsed = parseRecord(text);
        if (typeof parsed === 'string') unreadable.push({ file, problem: parsed });
        else records.push(parsed);
      }
      return { records, unreadable };
    },
    async remove(id) {
      await rm(fileOf(id), { force: true });
    },
  };
}
