// The upstream e2e model (namespaces x, y, z; pods a, b, c labelled pod=<name>; ports 80/81 TCP+UDP named
// serve-<port>-<proto>), with truth tables written from the API docs the way the e2e suite prints them:
// rows are sources, columns destinations, in the order x/a x/b x/c y/a y/b y/c z/a z/b z/c.
// '.' allowed, 'X' denied, '-' a pod to itself (implementation-defined, kubernetes#95879, not judged).
import { describe, expect, it } from 'vitest';
import { createEvaluator } from '../../../../server/policy/evaluate.ts';
import type { Policy, Protocol } from '../../../../server/policy/model.ts';
import { ipPeer, makePolicy, makeUpstreamModel, podPeer, port, rule, sel } from '../../../helpers/builders.ts';

const podKeys = ['x/a', 'x/b', 'x/c', 'y/a', 'y/b', 'y/c', 'z/a', 'z/b', 'z/c'];

function truthTable(policies: readonly Policy[], portValue: number | string, protocol: Protocol = 'TCP'): string[] {
  const evaluator = createEvaluator(makeUpstreamModel(policies, ['TCP', 'UDP', 'SCTP']));
  return podKeys.map((from) =>
    podKeys
      .map((to) => {
        if (from === to) return '-';
        const [fromNs = '', fromName = ''] = from.split('/');
        const [toNs = '', toName = ''] = to.split('/');
        const result = evaluator.evaluate({
          from: { kind: 'pod', namespace: fromNs, name: fromName },
          to: { kind: 'pod', namespace: toNs, name: toName },
          port: portValue,
          protocol,
        });
        if (!result.ok) throw new Error(result.error.message);
        return result.verdict.isAllowed ? '.' : 'X';
      })
      .join(''),
  );
}

const allAllowed = ['-........', '.-.......', '..-......', '...-.....', '....-....', '.....-...', '......-..', '.......-.', '........-'];
const xaIsolated = ['-........', 'X-.......', 'X.-......', 'X..-.....', 'X...-....', 'X....-...', 'X.....-..', 'X......-.', 'X.......-'];
const podA = sel({ pod: 'a' });

describe('upstream e2e model truth tables', () => {
  it("should support a 'default-deny-ingress' policy", () => {
    expect(truthTable([makePolicy('x', 'deny-ingress')], 80)).toEqual([
      '-XX......',
      'X-X......',
      'XX-......',
      'XXX-.....',
      'XXX.-....',
      'XXX..-...',
      'XXX...-..',
      'XXX....-.',
      'XXX.....-',
    ]);
  });

  it("should support a 'default-deny-all' policy", () => {
    expect(truthTable([makePolicy('x', 'deny-all', { policyTypes: ['Ingress', 'Egress'] })], 80)).toEqual([
      '-XXXXXXXX',
      'X-XXXXXXX',
      'XX-XXXXXX',
      'XXX-.....',
      'XXX.-....',
      'XXX..-...',
      'XXX...-..',
      'XXX....-.',
      'XXX.....-',
    ]);
  });

  it('should enforce policy to allow traffic from pods within server namespace based on PodSelector', () => {
    const policy = makePolicy('x', 'allow-b', { podSelector: podA, ingress: [rule([podPeer(sel({ pod: 'b' }))])] });
    expect(truthTable([policy], 80)).toEqual(['-........', '.-.......', 'X.-......', 'X..-.....', 'X...-....', 'X....-...', 'X.....-..', 'X......-.', 'X.......-']);
  });

  it('should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector', () => {
    const policy = makePolicy('x', 'allow-ns-y', { ingress: [rule([podPeer(undefined, sel({ ns: 'y' }))])] });
    expect(truthTable([policy], 80)).toEqual(['-XX......', 'X-X......', 'XX-......', '...-.....', '....-....', '.....-...', 'XXX...-..', 'XXX....-.', 'XXX.....-']);
  });

  it('should enforce policy based on PodSelector with MatchExpressions', () => {
    const policy = makePolicy('x', 'allow-b-c', {
      podSelector: podA,
      ingress: [rule([podPeer(sel({}, [{ key: 'pod', operator: 'In', values: ['b', 'c'] }]))])],
    });
    expect(truthTable([policy], 80)).toEqual(['-........', '.-.......', '..-......', 'X..-.....', 'X...-....', 'X....-...', 'X.....-..', 'X......-.', 'X.......-']);
  });

  it('should enforce policy based on NamespaceSelector with MatchExpressions', () => {
    const policy = makePolicy('x', 'allow-not-x-y', {
      podSelector: podA,
      ingress: [rule([podPeer(undefined, sel({}, [{ key: 'ns', operator: 'NotIn', values: ['x', 'y'] }]))])],
    });
    expect(truthTable([policy], 80)).toEqual(['-........', 'X-.......', 'X.-......', 'X..-.....', 'X...-....', 'X....-...', '......-..', '.......-.', '........-']);
  });

  it('should enforce policy based on PodSelector or NamespaceSelector', () => {
    const policy = makePolicy('x', 'or', { podSelector: podA, ingress: [rule([podPeer(undefined, sel({ ns: 'y' })), podPeer(sel({ pod: 'b' }))])] });
    expect(truthTable([policy], 80)).toEqual(['-........', '.-.......', 'X.-......', '...-.....', '....-....', '.....-...', 'X.....-..', 'X......-.', 'X.......-']);
  });

  it('should enforce policy based on PodSelector and NamespaceSelector', () => {
    const policy = makePolicy('x', 'and', { podSelector: podA, ingress: [rule([podPeer(sel({ pod: 'b' }), sel({ ns: 'y' }))])] });
    expect(truthTable([policy], 80)).toEqual(['-........', 'X-.......', 'X.-......', 'X..-.....', '....-....', 'X....-...', 'X.....-..', 'X......-.', 'X.......-']);
  });

  it('should enforce policy based on Ports', () => {
    const policy = makePolicy('x', 'port-81', { podSelector: podA, ingress: [rule(undefined, [port('TCP', 81)])] });
    expect(truthTable([policy], 80)).toEqual(xaIsolated);
    expect(truthTable([policy], 81)).toEqual(allAllowed);
  });

  it('should allow ingress access on one named port', () => {
    const policy = makePolicy('x', 'named-81', { ingress: [rule(undefined, [port('TCP', 'serve-81-tcp')])] });
    expect(truthTable([policy], 81)).toEqual(allAllowed);
    expect(truthTable([policy], 80)).toEqual(['-XX......', 'X-X......', 'XX-......', 'XXX-.....', 'XXX.-....', 'XXX..-...', 'XXX...-..', 'XXX....-.', 'XXX.....-']);
  });

  it('should allow egress access on one named port', () => {
    const policy = makePolicy('x', 'egress-named-80', { egress: [rule(undefined, [port('TCP', 'serve-80-tcp')])], policyTypes: ['Egress'] });
    expect(truthTable([policy], 80)).toEqual(allAllowed);
    expect(truthTable([policy], 81)).toEqual(['-XXXXXXXX', 'X-XXXXXXX', 'XX-XXXXXX', '...-.....', '....-....', '.....-...', '......-..', '.......-.', '........-']);
  });

  it('should not allow access by TCP when a policy specifies only UDP', () => {
    const policy = makePolicy('x', 'udp-81', { podSelector: podA, ingress: [rule(undefined, [port('UDP', 81)])] });
    expect(truthTable([policy], 81, 'TCP')).toEqual(xaIsolated);
    expect(truthTable([policy], 81, 'UDP')).toEqual(allAllowed);
  });

  it("should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP'", () => {
    const policy = makePolicy('x', 'sctp-80', { podSelector: podA, ingress: [rule(undefined, [port('SCTP', 80)])] });
    expect(truthTable([policy], 80, 'TCP')).toEqual(xaIsolated);
    expect(truthTable([policy], 80, 'SCTP')).toEqual(allAllowed);
  });

  it('should deny egress from pods based on PodSelector (egress-only policyTypes leaves ingress open)', () => {
    const policy = makePolicy('x', 'deny-egress-a', { podSelector: podA, policyTypes: ['Egress'] });
    expect(truthTable([policy], 80)).toEqual(['-XXXXXXXX', '.-.......', '..-......', '...-.....', '....-....', '.....-...', '......-..', '.......-.', '........-']);
  });

  it('should work with Ingress, Egress specified together', () => {
    const policy = makePolicy('x', 'both', {
      podSelector: podA,
      ingress: [rule([podPeer(sel({ pod: 'b' }))])],
      egress: [rule([podPeer(sel({ pod: 'b' }))])],
    });
    expect(truthTable([policy], 80)).toEqual(['-.XXXXXXX', '.-.......', 'X.-......', 'X..-.....', 'X...-....', 'X....-...', 'X.....-..', 'X......-.', 'X.......-']);
  });

  it('should enforce multiple, stacked policies with overlapping podSelectors', () => {
    const fromY = makePolicy('x', 'from-y', { podSelector: podA, ingress: [rule([podPeer(undefined, sel({ ns: 'y' }))])] });
    const fromZ = makePolicy('x', 'from-z', { podSelector: podA, ingress: [rule([podPeer(undefined, sel({ ns: 'z' }))])] });
    expect(truthTable([fromY, fromZ], 80)).toEqual(['-........', 'X-.......', 'X.-......', '...-.....', '....-....', '.....-...', '......-..', '.......-.', '........-']);
  });

  it('should enforce policy to allow ingress traffic from a namespace on a port range (endPort 80-81)', () => {
    const policy = makePolicy('x', 'range', { ingress: [rule([podPeer(undefined, sel({ ns: 'y' }))], [port('TCP', 80, 81)])] });
    const yOnly = ['-XX......', 'X-X......', 'XX-......', '...-.....', '....-....', '.....-...', 'XXX...-..', 'XXX....-.', 'XXX.....-'];
    expect(truthTable([policy], 80)).toEqual(yOnly);
    expect(truthTable([policy], 81)).toEqual(yOnly);
    expect(truthTable([policy], 82)).toEqual(['-XX......', 'X-X......', 'XX-......', 'XXX-.....', 'XXX.-....', 'XXX..-...', 'XXX...-..', 'XXX....-.', 'XXX.....-']);
  });

  it('should enforce egress policy allowing traffic to a server in a different namespace based on PodSelector and NamespaceSelector', () => {
    const policy = makePolicy('x', 'to-y-b', { podSelector: podA, egress: [rule([podPeer(sel({ pod: 'b' }), sel({ ns: 'y' }))])], policyTypes: ['Egress'] });
    expect(truthTable([policy], 80)[0]).toBe('-XXX.XXXX');
  });

  it('should enforce except clause while egress access to server in CIDR block', () => {
    // Model addresses are 10.244.0.10 (x/a) … 10.244.0.18 (z/c); y/b is 10.244.0.14.
    const policy = makePolicy('x', 'cidr-except', { podSelector: podA, egress: [rule([ipPeer('10.244.0.0/24', ['10.244.0.14/32'])])], policyTypes: ['Egress'] });
    expect(truthTable([policy], 80)[0]).toBe('-...X....');
  });

  it('should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed (by another policy)', () => {
    const except = makePolicy('x', 'cidr-except', { podSelector: podA, egress: [rule([ipPeer('10.244.0.0/24', ['10.244.0.14/32'])])], policyTypes: ['Egress'] });
    const exact = makePolicy('x', 'exact', { podSelector: podA, egress: [rule([ipPeer('10.244.0.14/32')])], policyTypes: ['Egress'] });
    expect(truthTable([except, exact], 80)[0]).toBe('-........');
  });

  it('should enforce multiple ingress policies with ingress allow-all policy taking precedence', () => {
    const only80 = makePolicy('x', 'only-80', { podSelector: podA, ingress: [rule(undefined, [port('TCP', 80)])] });
    const allowAll = makePolicy('x', 'allow-all', { podSelector: podA, ingress: [rule()] });
    expect(truthTable([only80], 81)).toEqual(xaIsolated);
    expect(truthTable([only80, allowAll], 81)).toEqual(allAllowed);
  });

  it('should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)', () => {
    const clientDeny = makePolicy('x', 'deny-egress-a', { podSelector: podA, policyTypes: ['Egress'] });
    const serverAllow = makePolicy('y', 'allow-from-x-a', { podSelector: sel({ pod: 'b' }), ingress: [rule([podPeer(podA, sel({ ns: 'x' }))])] });
    const table = truthTable([clientDeny, serverAllow], 80);
    expect(table[0]).toBe('-XXXXXXXX');
    expect(table[1]).toBe('.-..X....');
  });

  it('should enforce ingress policy allowing any port traffic to a server on a specific protocol', () => {
    const policy = makePolicy('x', 'any-udp', { podSelector: podA, ingress: [rule(undefined, [port('UDP')])] });
    expect(truthTable([policy], 80, 'UDP')).toEqual(allAllowed);
    expect(truthTable([policy], 81, 'UDP')).toEqual(allAllowed);
    expect(truthTable([policy], 80, 'TCP')).toEqual(xaIsolated);
  });
});
