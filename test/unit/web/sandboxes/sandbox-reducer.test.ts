// The sandbox list follows the server: full lists and event frames in, the next list and notices out.
import { describe, expect, it } from 'vitest';
import type { SandboxView } from '../../../../server/api/protocol/index.ts';
import { applyEventFrame, mergeSandboxList, nameSandbox, sortSandboxes } from '../../../../web/src/sandboxes/sandbox-reducer.ts';

function makeSandbox(id: string, overrides: Partial<SandboxView> = {}): SandboxView {
  return {
    id,
    provider: 'local',
    cni: 'reference',
    owner: 'tester',
    scenario: 'three-tier',
    status: 'ready',
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-01T00:30:00.000Z',
    progress: [],
    ...overrides,
  };
}

const a = makeSandbox('sb-0000000a');
const b = makeSandbox('sb-0000000b', { createdAt: '2026-01-01T00:05:00.000Z', cni: 'calico' });

describe('mergeSandboxList', () => {
  it('takes the live sandboxes of the list and leaves destroyed ones out', () => {
    const result = mergeSandboxList(new Map(), [a, makeSandbox('sb-0000000c', { status: 'destroyed' })], true);
    expect([...result.sandboxes.keys()]).toEqual(['sb-0000000a']);
    expect(result.notices).toEqual([]);
  });

  it('says so when a sandbox went away while the page was not connected', () => {
    const result = mergeSandboxList(new Map([[a.id, a], [b.id, b]]), [b], false);
    expect([...result.sandboxes.keys()]).toEqual([b.id]);
    expect(result.notices).toEqual([{ kind: 'info', message: 'sb-0000000a (three-tier, reference) was torn down while the connection was down.', sandboxId: a.id }]);
  });
});

describe('applyEventFrame', () => {
  it('adds and updates sandboxes from lifecycle frames', () => {
    const added = applyEventFrame(new Map(), { type: 'sandbox', sandbox: a });
    expect(added.sandboxes.get(a.id)).toBe(a);
    const extended = makeSandbox(a.id, { expiresAt: '2026-01-01T00:45:00.000Z' });
    expect(applyEventFrame(added.sandboxes, { type: 'sandbox', sandbox: extended }).sandboxes.get(a.id)?.expiresAt).toBe('2026-01-01T00:45:00.000Z');
  });

  it('removes an expired sandbox and says why', () => {
    const result = applyEventFrame(new Map([[a.id, a]]), { type: 'sandbox', sandbox: makeSandbox(a.id, { status: 'destroyed' }), reason: 'expired after 30m' });
    expect(result.sandboxes.has(a.id)).toBe(false);
    expect(result.notices).toEqual([{ kind: 'info', message: 'sb-0000000a (three-tier, reference) was torn down: expired after 30m.', sandboxId: a.id }]);
  });

  it('announces a teardown once, whether the REST answer or the event comes second', () => {
    const first = applyEventFrame(new Map([[a.id, a]]), { type: 'sandbox', sandbox: makeSandbox(a.id, { status: 'destroyed' }) });
    const second = applyEventFrame(first.sandboxes, { type: 'sandbox', sandbox: makeSandbox(a.id, { status: 'destroyed' }) });
    expect(first.notices).toHaveLength(1);
    expect(second.notices).toEqual([]);
    expect(second.sandboxes).toBe(first.sandboxes);
  });

  it('reports a failure with the reason, once', () => {
    const failed = makeSandbox(a.id, { status: 'failed', failure: 'nft not found; apt-get install nftables' });
    const once = applyEventFrame(new Map([[a.id, makeSandbox(a.id, { status: 'provisioning' })]]), { type: 'sandbox', sandbox: failed });
    expect(once.notices).toEqual([{ kind: 'error', message: 'sb-0000000a (three-tier, reference) failed: nft not found; apt-get install nftables', sandboxId: a.id }]);
    expect(applyEventFrame(once.sandboxes, { type: 'sandbox', sandbox: failed }).notices).toEqual([]);
  });

  it('appends progress to the sandbox, ignoring a frame seen twice', () => {
    const provisioning = makeSandbox(a.id, { status: 'provisioning' });
    const frame = { type: 'progress', sandboxId: a.id, step: 'pods', message: '3 of 9', fraction: 0.4, at: '2026-01-01T00:00:02.000Z' } as const;
    const once = applyEventFrame(new Map([[a.id, provisioning]]), frame);
    expect(once.sandboxes.get(a.id)?.progress).toEqual([{ step: 'pods', message: '3 of 9', fraction: 0.4, at: frame.at }]);
    const twice = applyEventFrame(once.sandboxes, frame);
    expect(twice.sandboxes).toBe(once.sandboxes);
  });

  it('ignores progress for a sandbox it does not know', () => {
    const empty = new Map<string, SandboxView>();
    expect(applyEventFrame(empty, { type: 'progress', sandboxId: a.id, step: 'x', message: 'y', at: 'z' }).sandboxes).toBe(empty);
  });

  it('turns a TTL warning into a notice in minutes or seconds', () => {
    const map = new Map([[a.id, a]]);
    expect(applyEventFrame(map, { type: 'ttl-warning', sandboxId: a.id, secondsLeft: 300, at: '' }).notices[0]?.message).toBe(
      'sb-0000000a (three-tier, reference) will be torn down in 5 minutes; extend it to keep working.',
    );
    expect(applyEventFrame(map, { type: 'ttl-warning', sandboxId: a.id, secondsLeft: 60, at: '' }).notices[0]?.message).toContain('in 60 seconds');
  });

  it('leaves the list alone for run, result, policy and keep-alive frames', () => {
    const map = new Map([[a.id, a]]);
    expect(applyEventFrame(map, { type: 'policies', sandboxId: a.id, count: 2, at: '' }).sandboxes).toBe(map);
    expect(applyEventFrame(map, { type: 'pong', at: '' }).sandboxes).toBe(map);
  });
});

describe('sortSandboxes and nameSandbox', () => {
  it('puts the newest first and names a sandbox by name, scenario and CNI', () => {
    expect(sortSandboxes(new Map([[a.id, a], [b.id, b]])).map((s) => s.id)).toEqual([b.id, a.id]);
    expect(nameSandbox(makeSandbox(a.id, { name: 'demo', scenario: undefined }))).toBe('demo (reference)');
  });
});
