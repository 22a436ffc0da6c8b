// The stack driver's small parts: engine events as progress lines, stale lock sweeping on the file backend.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toStackEvent } from '../../../../../server/sandbox/pulumi/local-workspace-automation.ts';
import { describeStackEvent } from '../../../../../server/sandbox/pulumi/stack-driver.ts';
import { isProcessAlive, sweepStaleLocks } from '../../../../../server/sandbox/pulumi/stale-locks.ts';

const urn = 'urn:pulumi:sb-0a1b2c3d::rehearsal::rehearsal:sandbox:KindCluster$command:local:Command::sb-0a1b2c3d-kind';

describe('progress lines from engine events', () => {
  it('turns EngineEvents into the seam events, ignoring those progress does not show', () => {
    expect(toStackEvent({ sequence: 1, timestamp: 0, resourcePreEvent: { metadata: { op: 'create', urn, type: 'command:local:Command', provider: '' } } })).toEqual({
      kind: 'resource-start',
      op: 'create',
      type: 'command:local:Command',
      urn,
    });
    expect(toStackEvent({ sequence: 2, timestamp: 0, diagnosticEvent: { message: 'boom\n', color: 'never', severity: 'error' } })).toEqual({ kind: 'diagnostic', severity: 'error', message: 'boom\n' });
    expect(toStackEvent({ sequence: 2, timestamp: 0, diagnosticEvent: { message: 'chatter', color: 'never', severity: 'info#err' } })).toEqual({ kind: 'diagnostic', severity: 'info', message: 'chatter' });
    expect(toStackEvent({ sequence: 3, timestamp: 0, cancelEvent: {} })).toBeUndefined();
  });

  it('says what is being made and skips unchanged resources, the stack and providers', () => {
    expect(describeStackEvent({ kind: 'resource-start', op: 'create', type: 'command:local:Command', urn })).toBe('creating command:local:Command sb-0a1b2c3d-kind');
    expect(describeStackEvent({ kind: 'resource-done', op: 'create', type: 'command:local:Command', urn })).toBe('created sb-0a1b2c3d-kind');
    expect(describeStackEvent({ kind: 'resource-done', op: 'delete', type: 'command:local:Command', urn })).toBe('deleted sb-0a1b2c3d-kind');
    expect(describeStackEvent({ kind: 'resource-start', op: 'same', type: 'command:local:Command', urn })).toBeUndefined();
    expect(describeStackEvent({ kind: 'resource-start', op: 'create', type: 'pulumi:pulumi:Stack', urn })).toBeUndefined();
    expect(describeStackEvent({ kind: 'resource-start', op: 'create', type: 'pulumi:providers:kubernetes', urn })).toBeUndefined();
    expect(describeStackEvent({ kind: 'diagnostic', severity: 'warning', message: '\n  helm: chart deprecated\nmore' })).toBe('warning: helm: chart deprecated');
    expect(describeStackEvent({ kind: 'diagnostic', severity: 'info', message: 'chatter' })).toBeUndefined();
  });
});

describe('stale stack locks', () => {
  async function makeLock(root: string, name: string, content: unknown): Promise<string> {
    const directory = join(root, '.pulumi', 'locks', 'organization', 'rehearsal', 'sb-0a1b2c3d');
    await mkdir(directory, { recursive: true });
    const file = join(directory, name);
    await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  }

  it('removes locks of dead processes on this host, keeps live ones, other hosts and unreadable files', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rehearsal-locks-'));
    const dead = await makeLock(root, 'dead.json', { pid: 4_000_000, hostname: 'here', username: 'root', timestamp: '2026-01-01T00:00:00Z' });
    const live = await makeLock(root, 'live.json', { pid: process.pid, hostname: 'here' });
    const remote = await makeLock(root, 'remote.json', { pid: 4_000_000, hostname: 'elsewhere' });
    const garbage = await makeLock(root, 'garbage.json', '{not json');
    const sweep = await sweepStaleLocks({ backendDirectory: root, projectName: 'rehearsal', stackName: 'sb-0a1b2c3d', hostname: 'here', isProcessAlive });
    expect(sweep.removed.map((lock) => lock.file)).toEqual([dead]);
    expect(sweep.held.map((lock) => lock.file).sort()).toEqual([live, remote].sort());
    expect(sweep.unreadable).toEqual([garbage]);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it('finds nothing when the backend has no locks directory', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rehearsal-locks-'));
    expect(await sweepStaleLocks({ backendDirectory: root, projectName: 'rehearsal', stackName: 'sb-0a1b2c3d', hostname: 'here', isProcessAlive })).toEqual({ removed: [], held: [], unreadable: [] });
  });
});
