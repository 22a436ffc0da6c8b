// Sandbox records on disk: atomic writes, schema-checked reads, unreadable files reported rather than skipped.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SandboxRecord } from '../../../../../server/sandbox/contract.ts';
import { createStateStore, resolveStateHome } from '../../../../../server/sandbox/local/state-store.ts';

const record: SandboxRecord = {
  id: 'sb-0123abcd',
  name: 'review',
  provider: 'local',
  cni: 'calico',
  owner: 'qa',
  createdAt: '2026-01-01T11:50:00.000Z',
  expiresAt: '2026-01-01T12:20:00.000Z',
  status: 'provisioning',
  providerState: { creatorPid: 42 },
};

describe('state store', () => {
  let home = '';
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'rehearsal-store-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('writes a record and reads back the same record', async () => {
    const store = createStateStore(home);
    await store.write(record);
    expect(await store.read(record.id)).toEqual(record);
    expect((await store.list()).records).toEqual([record]);
  });

  it('replaces records atomically, leaving no temp files', async () => {
    const store = createStateStore(home);
    await store.write(record);
    await store.write({ ...record, status: 'ready' });
    expect((await store.read(record.id))?.status).toBe('ready');
    expect(await readdir(store.dir)).toEqual(['sb-0123abcd.json']);
  });

  it('reports a corrupt record file instead of skipping it, and keeps listing the others', async () => {
    const store = createStateStore(home);
    await store.write(record);
    await writeFile(join(store.dir, 'sb-ffffffff.json'), '{"id": "sb-ffffffff"');
    const listing = await store.list();
    expect(listing.records.map((r) => r.id)).toEqual(['sb-0123abcd']);
    expect(listing.unreadable).toHaveLength(1);
    expect(listing.unreadable[0]?.problem).toMatch(/not JSON/);
    await expect(store.read('sb-ffffffff')).rejects.toThrow(/unreadable/);
  });

  it('returns undefined for an unknown id and refuses a malformed one', async () => {
    const store = createStateStore(home);
    expect(await store.read('sb-00000000')).toBeUndefined();
    await expect(store.read('../../etc/passwd')).rejects.toThrow(/not a sandbox id/);
  });

  it('uses $REHEARSAL_HOME, else ~/.rehearsal', () => {
    expect(resolveStateHome({ REHEARSAL_HOME: '/srv/rh' })).toBe('/srv/rh');
    expect(resolveStateHome({})).toMatch(/\.rehearsal$/);
  });
});
