// diffPolicies: the flows a policy change flips, with what decided them before and after.
import { describe, expect, it } from 'vitest';
import { diffPolicies, summarizeFlowChanges } from '../../../../server/policy/diff.ts';
import { makePod, makeUpstreamModel, makePolicy, podPeer, port, rule, sel } from '../../../helpers/builders.ts';

const denyAllToXa = makePolicy('x', 'deny-a', { podSelector: sel({ pod: 'a' }) });
const allowFromYToXa = makePolicy('x', 'allow-a-from-y', {
  podSelector: sel({ pod: 'a' }),
  ingress: [rule([podPeer(undefined, sel({ ns: 'y' }))], [port('TCP', 80)])],
});

describe('diffPolicies', () => {
  it('adding a deny on x/a newly denies every other pod reaching it on the chosen port, naming the policy', () => {
    const changes = diffPolicies(makeUpstreamModel(), makeUpstreamModel([denyAllToXa]), { port: 80, protocol: 'TCP' });
    // Loopback (x/a to itself) is isolated too: 9 sources, all now denied.
    expect(changes).toHaveLength(9);
    expect(changes.every((c) => c.change === 'newly-denied' && c.to === 'x/a' && c.port === 80 && c.protocol === 'TCP')).toBe(true);
    const fromYb = changes.find((c) => c.from === 'y/b');
    expect(fromYb?.before.isAllowed).toBe(true);
    expect(fromYb?.before.decidedBy).toEqual([]);
    expect(fromYb?.after.decidedBy).toEqual(['x/deny-a']);
    expect(fromYb?.after.text).toContain('ingress isolated by x/deny-a');
    expect(changes.find((c) => c.from === 'x/a')?.isLoopback).toBe(true);
  });

  it('opening y on top of a deny newly allows exactly those flows, with the admitting rule', () => {
    const changes = diffPolicies(makeUpstreamModel([denyAllToXa]), makeUpstreamModel([denyAllToXa, allowFromYToXa]), { port: 80, protocol: 'TCP' });
    expect(changes.map((c) => c.from).sort()).toEqual(['y/a', 'y/b', 'y/c']);
    expect(changes.every((c) => c.change === 'newly-allowed')).toBe(true);
    expect(changes[0]?.after.decidedBy).toEqual(['x/allow-a-from-y spec.ingress[0]']);
    expect(changes[0]?.before.decidedBy).toEqual(['x/deny-a']);
  });

  it('covers every declared port when no port is given, and lists newly denied before newly allowed', () => {
    const before = makeUpstreamModel([allowFromYToXa]);
    const after = makeUpstreamModel([
      makePolicy('x', 'allow-a-from-y', { podSelector: sel({ pod: 'a' }), ingress: [rule([podPeer(undefined, sel({ ns: 'y' }))], [port('TCP', 81)])] }),
    ]);
    const changes = diffPolicies(before, after);
    expect(changes.filter((c) => c.change === 'newly-denied').map((c) => `${c.from}:${c.port}/${c.protocol}`)).toEqual([
      'y/a:80/TCP',
      'y/b:80/TCP',
      'y/c:80/TCP',
    ]);
    expect(changes.filter((c) => c.change === 'newly-allowed').map((c) => `${c.from}:${c.port}/${c.protocol}`)).toEqual([
      'y/a:81/TCP',
      'y/b:81/TCP',
      'y/c:81/TCP',
    ]);
    expect(changes[0]?.change).toBe('newly-denied');
    expect(changes[0]?.portName).toBe('serve-80-tcp');
  });

  it('when the topology differs too, compares only the flows both sides have', () => {
    const before = makeUpstreamModel();
    const withExtraPod = { ...makeUpstreamModel([denyAllToXa]), pods: [...before.pods, makePod('x', 'd', { labels: { pod: 'd' }, ports: [[80, 'TCP']], ip: '10.244.0.99' })] };
    const changes = diffPolicies(before, withExtraPod, { port: 80, protocol: 'TCP' });
    // x/d is new: its flows have no "before", so only the 9 flows into x/a from the original pods flip.
    expect(changes.map((c) => c.from).sort()).toEqual(['x/a', 'x/b', 'x/c', 'y/a', 'y/b', 'y/c', 'z/a', 'z/b', 'z/c']);
    expect(changes.every((c) => c.to === 'x/a' && c.change === 'newly-denied')).toBe(true);
  });

  it('finds nothing when the policies do not change reachability', () => {
    expect(diffPolicies(makeUpstreamModel([denyAllToXa]), makeUpstreamModel([{ ...denyAllToXa, name: 'renamed' }]))).toEqual([]);
  });

  it('respects the CNI profile: flannel enforces nothing, so no flow changes', () => {
    expect(diffPolicies(makeUpstreamModel(), makeUpstreamModel([denyAllToXa]), { profile: 'flannel', port: 80 })).toEqual([]);
  });
});

describe('summarizeFlowChanges', () => {
  it('says how many flows flip each way', () => {
    const changes = diffPolicies(makeUpstreamModel([allowFromYToXa]), makeUpstreamModel([denyAllToXa]), { port: 80, protocol: 'TCP' });
    expect(summarizeFlowChanges(changes)).toBe('this change newly denies 3 flows');
    const mixed = diffPolicies(
      makeUpstreamModel([allowFromYToXa]),
      makeUpstreamModel([
        makePolicy('x', 'allow-a-from-y', { podSelector: sel({ pod: 'a' }), ingress: [rule([podPeer(sel({ pod: 'b' }), sel({ ns: 'y' }))], [port('TCP', 80)]), rule([podPeer(sel({ pod: 'b' }))], [port('TCP', 80)])] }),
      ]),
      { port: 80, protocol: 'TCP' },
    );
    expect(summarizeFlowChanges(mixed)).toBe('this change newly denies 2 flows and newly allows 1');
    expect(summarizeFlowChanges([])).toBe('this change neither allows nor denies any flow');
  });
});
