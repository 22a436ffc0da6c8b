// The server's database: what is written survives closing and reopening, rows this version cannot read are
// reported, migrations run once and refuse a newer schema, and one data dir serves one server.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../../../../server/api/protocol/schemas.ts';
import type { SandboxRecord } from '../../../../server/sandbox/contract.ts';
import { acquireDataDirLock, openStore, storeFileName, StoreErrorCodes } from '../../../../server/store/index.ts';
import type { RunHeader } from '../../../../server/store/index.ts';

const dirs: string[] = [];
function makeDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rh-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const record: SandboxRecord = {
  id: 'sb-0000abcd',
  provider: 'local',
  cni: 'calico',
  owner: 'qa',
  createdAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-01-01T00:30:00.000Z',
  status: 'ready',
  providerState: { routerNetns: 'rh-0000abcd-r' },
  scenario: 'three-tier',
};

const header: RunHeader = {
  id: 'run-00000000abcd',
  sandboxId: 'sb-0000abcd',
  kind: 'expectations',
  cni: 'calico',
  policyDigest: 'sha256:1',
  status: 'running',
  startedAt: '2026-01-01T00:01:00.000Z',
  summary: { total: 0, passed: 0, policyMismatches: 0, driftMismatches: 0, unsupported: 0, errors: 0, flaky: 0 },
};

const result: RunResult = {
  id: 'p0',
  from: 'x/a',
  to: 'y/b',
  port: 80,
  protocol: 'TCP',
  predicted: 'allowed',
  observed: 'allowed',
  latencyMs: 1,
  reason: 'no policy isolates y/b',
  mismatch: 'none',
  isFlaky: false,
  attempts: [{ observed: 'allowed', latencyMs: 1, at: '2026-01-01T00:01:01.000Z' }],
};

describe('openStore', () => {
  it('keeps sandboxes, progress, runs, results, events and terminal history across a reopen', () => {
    const dataDir = makeDir();
    const first = openStore({ dataDir });
    first.insertSandbox({ record, sources: [{ file: 'scenarios/three-tier.yaml', text: 'kind: Scenario' }] });
    first.appendProgress(record.id, { step: 'pods', message: 'starting 3 pods', fraction: 0.5, at: '2026-01-01T00:00:01.000Z' });
    first.updateSandboxRecord({ ...record, expiresAt: '2026-01-01T01:00:00.000Z' });
    first.putRun(header);
    first.appendResult(header.id, 0, result);
    first.putRun({ ...header, status: 'passed', finishedAt: '2026-01-01T00:02:00.000Z', summary: { ...header.summary, total: 1, passed: 1 } });
    const seq = first.appendEvent({ type: 'ttl-warning', sandboxId: record.id, secondsLeft: 60, at: '2026-01-01T00:59:00.000Z' }, record.id);
    first.saveTerminalHistory(record.id, 'rehearse> pods\r\n');
    first.close();

    const second = openStore({ dataDir });
    const stored = second.getSandbox(record.id);
    expect(stored?.record.expiresAt).toBe('2026-01-01T01:00:00.000Z');
    expect(stored?.record.scenario).toBe('three-tier');
    expect(stored?.sources).toEqual([{ file: 'scenarios/three-tier.yaml', text: 'kind: Scenario' }]);
    expect(stored?.progress).toEqual([{ step: 'pods', message: 'starting 3 pods', fraction: 0.5, at: '2026-01-01T00:00:01.000Z' }]);
    const run = second.getRun(header.id);
    expect(run?.status).toBe('passed');
    expect(run?.results).toEqual([result]);
    expect(second.listRuns({ sandboxId: record.id }).map((row) => row.id)).toEqual([header.id]);
    expect(second.listEvents({ since: seq - 1, limit: 10 })).toEqual([{ seq, frame: { type: 'ttl-warning', sandboxId: record.id, secondsLeft: 60, at: '2026-01-01T00:59:00.000Z' } }]);
    expect(second.loadTerminalHistory(record.id)).toBe('rehearse> pods\r\n');
    second.close();
  });

  it('filters sandboxes by status and runs by status', () => {
    const store = openStore({ dataDir: makeDir() });
    store.insertSandbox({ record, sources: [] });
    store.insertSandbox({ record: { ...record, id: 'sb-0000abce', status: 'destroyed' }, sources: [] });
    store.putRun(header);
    expect(store.listSandboxes({ statuses: ['ready'] }).map((row) => row.record.id)).toEqual(['sb-0000abcd']);
    expect(store.listRuns({ statuses: ['running'] }).map((row) => row.id)).toEqual([header.id]);
    expect(store.listRuns({ statuses: ['passed'] })).toEqual([]);
    store.close();
  });

  it('reports a row it cannot read instead of skipping it silently', () => {
    const dataDir = makeDir();
    const store = openStore({ dataDir });
    store.insertSandbox({ record, sources: [] });
    const raw = new DatabaseSync(join(dataDir, storeFileName));
    raw.prepare("UPDATE sandboxes SET record = '{\"id\":1}' WHERE id = ?").run(record.id);
    raw.close();
    expect(store.listSandboxes()).toEqual([]);
    const unreadable = store.takeUnreadable();
    expect(unreadable).toHaveLength(1);
    expect(unreadable[0]?.key).toBe(record.id);
    expect(() => store.getSandbox(record.id)).toThrow(/does not match/);
    store.close();
  });

  it('prunes old events, keeping the newest', () => {
    const store = openStore({ dataDir: makeDir() });
    for (let i = 0; i < 10; i++) store.appendEvent({ type: 'policies', sandboxId: record.id, count: i, at: 'now' }, record.id);
    store.pruneEvents(3);
    expect(store.listEvents({ limit: 100 }).map((event) => (event.frame.type === 'policies' ? event.frame.count : -1))).toEqual([7, 8, 9]);
    store.close();
  });

  it('prunes finished sandboxes past the retention with their runs, results, events and history; keeps the rest', () => {
    const store = openStore({ dataDir: makeDir() });
    const old = { ...record, id: 'sb-00000001', status: 'destroyed' as const, expiresAt: '2020-01-01T00:00:00.000Z' };
    store.insertSandbox({ record: old, sources: [] });
    store.insertSandbox({ record: { ...record, expiresAt: '2020-01-01T00:00:00.000Z' }, sources: [] });
    store.putRun({ ...header, id: 'run-000000000001', sandboxId: old.id });
    store.appendResult('run-000000000001', 0, result);
    store.appendEvent({ type: 'policies', sandboxId: old.id, count: 1, at: 'now' }, old.id);
    store.saveTerminalHistory(old.id, 'x');
    expect(store.pruneFinishedSandboxes(new Date('2025-01-01T00:00:00.000Z'))).toBe(1);
    expect(store.getSandbox(old.id)).toBeUndefined();
    expect(store.getRun('run-000000000001')).toBeUndefined();
    expect(store.listEvents({ sandboxId: old.id, limit: 10 })).toEqual([]);
    expect(store.loadTerminalHistory(old.id)).toBeUndefined();
    expect(store.getSandbox(record.id)?.record.status).toBe('ready');
    store.deleteTerminalHistory(record.id);
    store.close();
  });

  it('refuses a database written by a newer version and leaves it alone', () => {
    const dataDir = makeDir();
    openStore({ dataDir }).close();
    const raw = new DatabaseSync(join(dataDir, storeFileName));
    raw.exec('PRAGMA user_version = 99');
    raw.close();
    expect(() => openStore({ dataDir })).toThrow(expect.objectContaining({ code: StoreErrorCodes.tooNew }));
  });

  it('rolls a failing migration back', () => {
    const dataDir = makeDir();
    expect(() => openStore({ dataDir, migrations: [{ version: 1, description: 'broken', sql: 'CREATE TABLE a (x); CREATE TABLE a (x);' }] })).toThrow(
      expect.objectContaining({ code: StoreErrorCodes.migrationFailed }),
    );
    const raw = new DatabaseSync(join(dataDir, storeFileName));
    expect(raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'a'").all()).toEqual([]);
    raw.close();
  });
});

describe('acquireDataDirLock', () => {
  it('refuses a second server on the same data dir while the first lives', () => {
    const dataDir = makeDir();
    // A lock naming another live process (pid 1 is always alive) stands for a running server.
    writeFileSync(join(dataDir, 'server.lock'), JSON.stringify({ pid: 1 }));
    expect(() => acquireDataDirLock(dataDir)).toThrow(expect.objectContaining({ code: StoreErrorCodes.locked }));
  });

  it('takes over the lock of a server that was killed', () => {
    const dataDir = makeDir();
    writeFileSync(join(dataDir, 'server.lock'), JSON.stringify({ pid: 2 ** 22 + 12345 }));
    const lock = acquireDataDirLock(dataDir);
    lock.release();
  });
});
