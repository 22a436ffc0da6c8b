// Where a real-cluster sandbox keeps what a restarted server needs to reattach or reap it: the record and the
// cluster it last applied, one directory per sandbox under <REHEARSAL_HOME>/sandboxes/<provider>/. Files are
// read back through schemas (they are data on disk), written atomically, and removed with the sandbox.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster } from '../../policy/model.ts';
import type { ProviderName, SandboxRecord } from '../contract.ts';
import { parseClusterJson } from '../cluster-file.ts';
import { readSandboxRecord } from '../sandbox-record.ts';

export function parseSandboxRecord(raw: unknown): SandboxRecord | undefined {
  const read = readSandboxRecord(raw);
  return 'record' in read ? read.record : undefined;
}

export interface SandboxFiles {
  save(record: SandboxRecord, cluster?: Cluster): Promise<void>;
  loadRecord(id: string): Promise<SandboxRecord | undefined>;
  loadCluster(id: string): Promise<Cluster | undefined>;
  /** Every readable record; unreadable directories are reported, not skipped silently. */
  list(): Promise<{ readonly records: readonly SandboxRecord[]; readonly unreadable: readonly string[] }>;
  remove(id: string): Promise<void>;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, file);
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw error;
  }
}

export function createSandboxFiles(home: string, provider: ProviderName): SandboxFiles {
  const root = join(home, 'sandboxes', provider);
  const directoryOf = (id: string): string => join(root, id);
  const loadRecord = async (id: string): Promise<SandboxRecord | undefined> => {
    const text = await readText(join(directoryOf(id), 'record.json'));
    if (text === undefined) return undefined;
    try {
      return parseSandboxRecord(JSON.parse(text));
    } catch {
      return undefined;
    }
  };
  return {
    async save(record, cluster) {
      await mkdir(directoryOf(record.id), { recursive: true, mode: 0o700 });
      await writeAtomically(join(directoryOf(record.id), 'record.json'), JSON.stringify(record, null, 2));
      if (cluster !== undefined) await writeAtomically(join(directoryOf(record.id), 'cluster.json'), JSON.stringify(cluster));
    },
    loadRecord,
    async loadCluster(id) {
      const text = await readText(join(directoryOf(id), 'cluster.json'));
      if (text === undefined) return undefined;
      const parsed = parseClusterJson(text);
      return typeof parsed === 'string' ? undefined : parsed;
    },
    async list() {
      let entries: string[];
      try {
        entries = await readdir(root);
      } catch (error) {
        if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return { records: [], unreadable: [] };
        throw error;
      }
      const records: SandboxRecord[] = [];
      const unreadable: string[] = [];
      for (const entry of entries.filter((name) => /^sb-[0-9a-f]{8}$/.test(name)).sort()) {
        const record = await loadRecord(entry);
        if (record === undefined) unreadable.push(join(root, entry));
        else records.push(record);
      }
      return { records, unreadable };
    },
    async remove(id) {
      await rm(directoryOf(id), { recursive: true, force: true });
    },
  };
}
