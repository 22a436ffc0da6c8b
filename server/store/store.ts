// Persistence for the server (node:sqlite, one file under the data dir): sandboxes with the manifests they were
// made from, runs and every result, lifecycle events and terminal history. Synchronous on purpose: each call is
// one short statement, and a kill -9 between two calls loses at most the call in flight (WAL, committed per call).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { SQLInputValue, StatementSync } from 'node:sqlite';
import { z } from 'zod';
import { eventFrameSchema, runResultSchema, runViewSchema } from '../api/protocol/schemas.ts';
import type { EventFrame, RunResult, RunView } from '../api/protocol/schemas.ts';
import type { ManifestSource } from '../policy/index.ts';
import type { SandboxRecord, SandboxStatus } from '../sandbox/contract.ts';
import { sandboxRecordSchema, toSandboxRecord } from '../sandbox/sandbox-record.ts';
import { migrations } from './migrations.ts';
import type { Migration } from './migrations.ts';
import { StoreError, StoreErrorCodes } from './store-error.ts';

export const storeFileName = 'server.sqlite';

export interface ProgressEntry {
  readonly step: string;
  readonly message: string;
  readonly fraction?: number;
  readonly at: string;
}

export interface StoredSandbox {
  readonly record: SandboxRecord;
  /** The manifests it was made from (scenario file and extra manifests), to rebuild its Scenario after a restart. */
  readonly sources: readonly ManifestSource[];
  readonly progress: readonly ProgressEntry[];
}

export type RunHeader = Omit<RunView, 'results'>;

export interface StoredEvent {
  readonly seq: number;
  readonly frame: EventFrame;
}

/** A row this version cannot read: reported to the caller (who logs it), never silently skipped. */
export interface UnreadableRow {
  readonly table: string;
  readonly key: string;
  readonly problem: string;
}

export interface Store {
  readonly file: string;
  insertSandbox(entry: { readonly record: SandboxRecord; readonly sources: readonly ManifestSource[] }): void;
  updateSandboxRecord(record: SandboxRecord): void;
  appendProgress(sandboxId: string, entry: ProgressEntry): void;
  getSandbox(id: string): StoredSandbox | undefined;
  /** Newest first. */
  listSandboxes(options?: { readonly statuses?: readonly SandboxStatus[]; readonly limit?: number }): StoredSandbox[];
  /** Insert or update a run's header (status, summary, finishedAt); results are appended separately. */
  putRun(run: RunHeader): void;
  appendResult(runId: string, seq: number, result: RunResult): void;
  getRun(id: string): RunView | undefined;
  /** Newest first, without results. */
  listRuns(options: { readonly sandboxId?: string; readonly statuses?: readonly string[]; readonly limit?: number }): RunHeader[];
  /** Appends an event and returns its sequence number. */
  appendEvent(frame: EventFrame, sandboxId: string | undefined): number;
  /** Events after `since`, oldest first. */
  listEvents(options: { readonly since?: number; readonly sandboxId?: string; readonly limit: number }): StoredEvent[];
  /** Keeps the newest `keep` events. */
  pruneEvents(keep: number): void;
  saveTerminalHistory(sandboxId: string, text: string): void;
  loadTerminalHistory(sandboxId: string): string | undefined;
  deleteTerminalHistory(sandboxId: string): void;
  /** Deletes destroyed and failed sandboxes that expired before `before`, with their runs, results and events. */
  pruneFinishedSandboxes(before: Date): number;
  /** Rows skipped by list calls since the last call, so the caller can log them. */
  takeUnreadable(): UnreadableRow[];
  close(): void;
}

const sourcesSchema = z.array(z.object({ file: z.string(), text: z.string() }));
const progressSchema = z.array(z.object({ step: z.string(), message: z.string(), fraction: z.number().optional(), at: z.string() }));
const runHeaderSchema = runViewSchema.omit({ results: true });

function readText(row: Record<string, unknown>, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw new StoreError(StoreErrorCodes.corrupt, `column ${column} is not text`);
  return value;
}

function readInteger(row: Record<string, unknown>, column: string): number {
  const value = row[column];
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  throw new StoreError(StoreErrorCodes.corrupt, `column ${column} is not an integer`);
}

function parseJson<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StoreError(StoreErrorCodes.corrupt, `${what} is not JSON`, { cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new StoreError(StoreErrorCodes.corrupt, `${what} does not match this version's schema: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  return parsed.data;
}

function runMigrations(db: DatabaseSync, file: string, list: readonly Migration[]): void {
  const row = db.prepare('PRAGMA user_version').get();
  const current = row === undefined ? 0 : readInteger(row, 'user_version');
  const latest = list.length;
  if (current > latest) {
    throw new StoreError(
      StoreErrorCodes.tooNew,
      `${file} has schema version ${current}, newer than this rehearsal knows (${latest}); upgrade rehearsal, or point --data-dir at another directory`,
    );
  }
  for (const migration of list.slice(current)) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(migration.sql);
      db.exec(`PRAGMA user_version = ${migration.version}`);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw new StoreError(StoreErrorCodes.migrationFailed, `migrating ${file} to version ${migration.version} (${migration.description}) failed; the file was left unchanged`, { cause: error });
    }
  }
}

export interface OpenStoreOptions {
  readonly dataDir: string;
  /** For tests of the migration runner; default: every migration of this version. */
  readonly migrations?: readonly Migration[];
}

export function openStore(options: OpenStoreOptions): Store {
  const file = join(options.dataDir, storeFileName);
  let db: DatabaseSync;
  try {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    db = new DatabaseSync(file);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA busy_timeout = 5000');
  } catch (error) {
    throw new StoreError(StoreErrorCodes.openFailed, `cannot open the database ${file}: ${error instanceof Error ? error.message : String(error)}; check that --data-dir is writable`, { cause: error });
  }
  try {
    runMigrations(db, file, options.migrations ?? migrations);
  } catch (error) {
    db.close();
    throw error;
  }

  let isClosed = false;
  const statements = new Map<string, StatementSync>();
  const statement = (sql: string): StatementSync => {
    if (isClosed) throw new StoreError(StoreErrorCodes.closed, 'the store is closed (the server is shutting down)');
    let prepared = statements.get(sql);
    if (prepared === undefined) {
      prepared = db.prepare(sql);
      statements.set(sql, prepared);
    }
    return prepared;
  };
  const run = (sql: string, ...params: SQLInputValue[]): void => {
    statement(sql).run(...params);
  };
  let unreadable: UnreadableRow[] = [];

  const readSandbox = (row: Record<string, unknown>): StoredSandbox => {
    const id = readText(row, 'id');
    return {
      record: toSandboxRecord(parseJson(sandboxRecordSchema, readText(row, 'record'), `sandbox ${id}`)),
      sources: parseJson(sourcesSchema, readText(row, 'sources'), `sources of ${id}`),
      progress: parseJson(progressSchema, readText(row, 'progress'), `progress of ${id}`),
    };
  };

  /** Reads each row; one that fails is recorded in `unreadable` and the rest still come back. */
  const readRows = <T>(rows: readonly Record<string, unknown>[], table: string, read: (row: Record<string, unknown>) => T): T[] => {
    const result: T[] = [];
    for (const row of rows) {
      try {
        result.push(read(row));
      } catch (error) {
        const key = typeof row['id'] === 'string' ? row['id'] : typeof row['seq'] === 'number' ? String(row['seq']) : '?';
        unreadable.push({ table, key, problem: error instanceof Error ? error.message : String(error) });
      }
    }
    return result;
  };

  const placeholders = (count: number): string => Array.from({ length: count }, () => '?').join(', ');

  return {
    file,
    insertSandbox(entry) {
      const now = new Date().toISOString();
      run(
        'INSERT INTO sandboxes (id, record, status, sources, progress, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        entry.record.id,
        JSON.stringify(entry.record),
        entry.record.status,
        JSON.stringify(entry.sources),
        '[]',
        entry.record.createdAt,
        now,
      );
    },
    updateSandboxRecord(record) {
      run('UPDATE sandboxes SET record = ?, status = ?, updated_at = ? WHERE id = ?', JSON.stringify(record), record.status, new Date().toISOString(), record.id);
    },
    appendProgress(sandboxId, entry) {
      run(`UPDATE sandboxes SET progress = json_insert(progress, '$[#]', json(?)) WHERE id = ?`, JSON.stringify(entry), sandboxId);
    },
    getSandbox(id) {
      const row = statement('SELECT id, record, sources, progress FROM sandboxes WHERE id = ?').get(id);
      return row === undefined ? undefined : readSandbox(row);
    },
    listSandboxes(listOptions = {}) {
      const statuses = listOptions.statuses ?? [];
      const where = statuses.length === 0 ? '' : `WHERE status IN (${placeholders(statuses.length)})`;
      const rows = statement(`SELECT id, record, sources, progress FROM sandboxes ${where} ORDER BY created_at DESC, id LIMIT ?`).all(
        ...statuses,
        listOptions.limit ?? 1000,
      );
      return readRows(rows, 'sandboxes', readSandbox);
    },
    putRun(header) {
      run(
        `INSERT INTO runs (id, sandbox_id, kind, status, policy_digest, view, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, view = excluded.view`,
        header.id,
        header.sandboxId,
        header.kind,
        header.status,
        header.policyDigest,
        JSON.stringify(header),
        header.startedAt,
      );
    },
    appendResult(runId, seq, result) {
      run('INSERT OR REPLACE INTO results (run_id, seq, result) VALUES (?, ?, ?)', runId, seq, JSON.stringify(result));
    },
    getRun(id) {
      const row = statement('SELECT id, view FROM runs WHERE id = ?').get(id);
      if (row === undefined) return undefined;
      const header = parseJson(runHeaderSchema, readText(row, 'view'), `run ${id}`);
      const resultRows = statement('SELECT seq, result FROM results WHERE run_id = ? ORDER BY seq').all(id);
      const results = resultRows.map((resultRow) => parseJson(runResultSchema, readText(resultRow, 'result'), `result ${readInteger(resultRow, 'seq')} of run ${id}`));
      return { ...header, results };
    },
    listRuns(listOptions) {
      const conditions: string[] = [];
      const params: SQLInputValue[] = [];
      if (listOptions.sandboxId !== undefined) {
        conditions.push('sandbox_id = ?');
        params.push(listOptions.sandboxId);
      }
      const statuses = listOptions.statuses ?? [];
      if (statuses.length > 0) {
        conditions.push(`status IN (${placeholders(statuses.length)})`);
        params.push(...statuses);
      }
      const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
      const rows = statement(`SELECT id, view FROM runs ${where} ORDER BY started_at DESC, id DESC LIMIT ?`).all(...params, listOptions.limit ?? 100);
      return readRows(rows, 'runs', (row) => parseJson(runHeaderSchema, readText(row, 'view'), `run ${readText(row, 'id')}`));
    },
    appendEvent(frame, sandboxId) {
      const at = new Date().toISOString();
      const result = statement('INSERT INTO events (sandbox_id, type, frame, at) VALUES (?, ?, ?, ?)').run(sandboxId ?? null, frame.type, JSON.stringify(frame), at);
      return Number(result.lastInsertRowid);
    },
    listEvents(listOptions) {
      const params: SQLInputValue[] = [listOptions.since ?? 0];
      let where = 'WHERE seq > ?';
      if (listOptions.sandboxId !== undefined) {
        where += ' AND sandbox_id = ?';
        params.push(listOptions.sandboxId);
      }
      const rows = statement(`SELECT seq, frame FROM events ${where} ORDER BY seq LIMIT ?`).all(...params, listOptions.limit);
      return readRows(rows, 'events', (row) => ({ seq: readInteger(row, 'seq'), frame: parseJson(eventFrameSchema, readText(row, 'frame'), `event ${readInteger(row, 'seq')}`) }));
    },
    pruneEvents(keep) {
      run('DELETE FROM events WHERE seq <= (SELECT MAX(seq) FROM events) - ?', keep);
    },
    saveTerminalHistory(sandboxId, text) {
      run(
        'INSERT INTO terminal_history (sandbox_id, text, updated_at) VALUES (?, ?, ?) ON CONFLICT(sandbox_id) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at',
        sandboxId,
        text,
        new Date().toISOString(),
      );
    },
    loadTerminalHistory(sandboxId) {
      const row = statement('SELECT text FROM terminal_history WHERE sandbox_id = ?').get(sandboxId);
      return row === undefined ? undefined : readText(row, 'text');
    },
    deleteTerminalHistory(sandboxId) {
      run('DELETE FROM terminal_history WHERE sandbox_id = ?', sandboxId);
    },
    pruneFinishedSandboxes(before) {
      const rows = statement("SELECT id FROM sandboxes WHERE status IN ('destroyed', 'failed') AND json_extract(record, '$.expiresAt') < ?").all(before.toISOString());
      const ids = rows.map((row) => readText(row, 'id'));
      for (const id of ids) {
        db.exec('BEGIN');
        try {
          run('DELETE FROM results WHERE run_id IN (SELECT id FROM runs WHERE sandbox_id = ?)', id);
          run('DELETE FROM runs WHERE sandbox_id = ?', id);
          run('DELETE FROM events WHERE sandbox_id = ?', id);
          run('DELETE FROM terminal_history WHERE sandbox_id = ?', id);
          run('DELETE FROM sandboxes WHERE id = ?', id);
          db.exec('COMMIT');
        } catch (error) {
          db.exec('ROLLBACK');
          throw error;
        }
      }
      return ids.length;
    },
    takeUnreadable() {
      const taken = unreadable;
      unreadable = [];
      return taken;
    },
    close() {
      if (isClosed) return;
      isClosed = true;
      statements.clear();
      db.close();
    },
  };
}
