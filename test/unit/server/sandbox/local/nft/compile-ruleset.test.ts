// What the compiler promises beyond per-flow verdicts: Services translated before policy, conntrack per
// profile, ICMP and hairpin exemptions, selectors stored once, chains that name their policies, clear failures.

import { describe, expect, it } from 'vitest';
import { compileRuleset } from '../../../../../../server/sandbox/local/nft/compile-ruleset.ts';
import { evaluateIrPacket } from '../../../../../../server/sandbox/local/nft/evaluate-ir.ts';
import type { IrPacket } from '../../../../../../server/sandbox/local/nft/evaluate-ir.ts';
import { makeCluster, makePod, makePolicy, makeService, makeUpstreamModel, podPeer, port, rule, sel } from '../../../../../helpers/builders.ts';
import { compileFor, requireProfile } from './differential-harness.ts';
import { makeSmallCluster, smallClusterInterfaces } from './small-cluster.ts';

function compileSmall(profile: string) {
  return compileRuleset({ cluster: makeSmallCluster(), profile: requireProfile(profile), interfaces: { pods: smallClusterInterfaces, external: 'ext0' } });
}

const frontend = { iif: 'p1', saddr: '10.244.0.10' } as const;
const backendIp = '10.244.0.11';

describe('Services', () => {
  it('translate a ClusterIP port to a backend, resolving a named targetPort on that backend, before policy', () => {
    const decision = evaluateIrPacket(compileSmall('reference').ir, { ...frontend, daddr: '10.96.0.20', protocol: 'tcp', dport: 80 });
    expect(decision).toMatchObject({ verdict: 'accept', oif: 'p2', daddr: backendIp, dport: 8080 });
  });

  it('refuse a Service without ready endpoints, and a port the ClusterIP does not have (kube-proxy rejects)', () => {
    const ir = compileSmall('reference').ir;
    expect(evaluateIrPacket(ir, { ...frontend, daddr: '10.96.0.21', protocol: 'tcp', dport: 5432 }).verdict).toBe('refused');
    expect(evaluateIrPacket(ir, { ...frontend, daddr: '10.96.0.20', protocol: 'tcp', dport: 81 }).verdict).toBe('refused');
  });

  it('spread connections over every backend (round robin) with each backend\'s own port', () => {
    const cluster = {
      ...makeUpstreamModel(),
      services: [makeService('x', 'all', { selector: { pod: 'b' }, clusterIP: '10.96.0.30', ports: [{ port: 80, targetPort: 'serve-81-tcp', protocol: 'TCP' }] })],
    };
    const { ir, text } = compileFor(cluster, 'reference');
    const backends = ir.services[0]?.backends ?? [];
    expect(backends.map((b) => `${b.pod}=${b.address}:${b.port}`)).toEqual(['x/b=10.244.0.11:81']);
    expect(text).toContain('ip daddr 10.96.0.30 tcp dport 80 dnat ip to 10.244.0.11:81');
    const wide = { ...cluster, services: [makeService('y', 'ab', { selector: {}, clusterIP: '10.96.0.31', ports: [] })] };
    expect(compileFor(wide, 'reference').ir.services).toEqual([]);
    const two = {
      ...cluster,
      services: [makeService('x', 'ab', { selector: { pod: 'a' }, clusterIP: '10.96.0.32', ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] })],
      pods: cluster.pods.map((p) => (p.namespace === 'x' && p.name === 'b' ? { ...p, labels: { pod: 'a' } } : p)),
    };
    const compiled = compileFor(two, 'reference');
    expect(compiled.text).toContain('dnat ip to numgen inc mod 2 map { 0 : 10.244.0.10 . 80, 1 : 10.244.0.11 . 80 }');
    const packet: IrPacket = { iif: 'p4', saddr: '10.244.0.14', daddr: '10.96.0.32', protocol: 'tcp', dport: 80 };
    const picked = [0, 1, 2].map((backendIndex) => evaluateIrPacket(compiled.ir, { ...packet, backendIndex }));
    expect(picked.map((d) => (d.verdict === 'accept' ? d.daddr : d.verdict))).toEqual(['10.244.0.10', '10.244.0.11', '10.244.0.10']);
  });

  it('translate a pod reaching itself through its Service back to it (hairpin), policed unless the profile exempts it', () => {
    const self = { iif: 'p2', saddr: backendIp, daddr: '10.96.0.20', protocol: 'tcp', dport: 80 } as const;
    // shop/backend's ingress admits only the frontend (and an external range): a hairpin is denied at ingress...
    expect(evaluateIrPacket(compileSmall('reference').ir, self)).toMatchObject({ verdict: 'reject-ingress', chain: 'ingress/shop/backend' });
    // ...except where the profile lets hairpin skip policy.
    expect(evaluateIrPacket(compileSmall('cilium').ir, self)).toMatchObject({ verdict: 'accept', oif: 'p2' });
    expect(compileSmall('reference').text).toContain('ct status dnat ip saddr . ip daddr { 10.244.0.11 . 10.244.0.11 } snat ip to 169.254.1.1');
  });
});

describe('conntrack per profile', () => {
  const established = { iif: 'p3', saddr: '10.244.0.12', daddr: backendIp, protocol: 'tcp', dport: 8080 } as const;

  it('spares established connections where the profile says they survive a new deny (calico)', () => {
    const ir = compileSmall('calico').ir;
    expect(evaluateIrPacket(ir, established).verdict).toBe('reject-ingress');
    expect(evaluateIrPacket(ir, { ...established, ct: 'established' }).verdict).toBe('accept');
    expect(compileSmall('calico').text).toContain('ct state established,related accept');
  });

  it('re-evaluates every original-direction packet where a new deny cuts flows (cilium), replies still pass', () => {
    const ir = compileSmall('cilium').ir;
    expect(evaluateIrPacket(ir, { ...established, ct: 'established' }).verdict).toBe('reject-ingress');
    expect(evaluateIrPacket(ir, { ...established, ct: 'reply' }).verdict).toBe('accept');
    expect(compileSmall('cilium').text).not.toContain('ct state established');
  });
});

describe('ICMP per profile', () => {
  const ping = { iif: 'p3', saddr: '10.244.0.12', daddr: backendIp, protocol: 'icmp', icmpType: 'echo-request' } as const;

  it('lets ping through a default deny only where the profile documents it (kube-router)', () => {
    expect(evaluateIrPacket(compileSmall('kube-router').ir, ping).verdict).toBe('accept');
    expect(evaluateIrPacket(compileSmall('reference').ir, ping).verdict).toBe('reject-ingress');
    expect(compileSmall('kube-router').text).toContain('icmp type { echo-request, destination-unreachable, time-exceeded } accept');
  });

  it('lets only "fragmentation needed" through under cilium', () => {
    const ir = compileSmall('cilium').ir;
    expect(evaluateIrPacket(ir, ping).verdict).toBe('reject-ingress');
    expect(evaluateIrPacket(ir, { ...ping, icmpType: 'destination-unreachable', isFragNeeded: true }).verdict).toBe('accept');
  });
});

describe('chains and sets', () => {
  it('give each isolated pod one chain per direction that names its isolating policies', () => {
    const { chains } = compileSmall('reference');
    expect(chains).toEqual([
      { chain: 'egress/shop/frontend', direction: 'Egress', subject: 'shop/frontend', ifname: 'p1', policies: [{ namespace: 'shop', name: 'frontend-egress' }] },
      { chain: 'ingress/shop/backend', direction: 'Ingress', subject: 'shop/backend', ifname: 'p2', policies: [{ namespace: 'shop', name: 'backend-ingress' }] },
      { chain: 'ingress/data/db', direction: 'Ingress', subject: 'data/db', ifname: 'p3', policies: [{ namespace: 'data', name: 'db-ingress' }] },
    ]);
  });

  it('store a peer selected the same way by many policies once', () => {
    const peer = () => rule([podPeer(sel({ pod: 'b' }))], [port('TCP', 80)]);
    const policies = ['one', 'two', 'three'].map((name) => makePolicy('x', name, { podSelector: sel({ pod: 'a' }), ingress: [peer()] }));
    const compiled = compileFor(makeUpstreamModel([...policies, makePolicy('x', 'all', { ingress: [peer()] })]), 'reference');
    expect(compiled.ir.sets.map((s) => s.elements)).toEqual([['10.244.0.11']]);
    expect(compiled.stats).toEqual({ chains: 3, rules: 5 + 2 + 2, setElements: 1 });
  });

  it('add no chain for a pod no policy isolates, and none at all under a profile that enforces nothing', () => {
    const deny = [makePolicy('x', 'deny', { podSelector: sel({ pod: 'a' }), ingress: [] })];
    expect(compileFor(makeUpstreamModel(deny), 'reference').chains.map((c) => c.subject)).toEqual(['x/a']);
    const flannel = compileFor(makeUpstreamModel(deny), 'flannel');
    expect(flannel.chains).toEqual([]);
    expect(flannel.text).not.toContain('jump');
  });

  it('drop a policy the profile ignores (weave, named port) and say so in the script', () => {
    const named = [makePolicy('x', 'named', { ingress: [rule(undefined, [port('TCP', 'serve-80-tcp')])] })];
    const compiled = compileFor(makeUpstreamModel(named), 'weave');
    expect(compiled.chains).toEqual([]);
    expect(compiled.text).toContain('# ignored by this profile (isolates nothing): x/named; weave named-port-policy-ignored [WV2]');
  });
});

describe('failures', () => {
  it('refuse to compile when a pod has no router interface, naming the pod', () => {
    const cluster = makeCluster({ pods: [makePod('x', 'a'), makePod('x', 'b')] });
    expect(() => compileRuleset({ cluster, profile: requireProfile('reference'), interfaces: { pods: new Map([['x/a', 'p0']]) } })).toThrow(
      expect.objectContaining({ code: 'SANDBOX_APPLY_FAILED', message: expect.stringContaining('pod x/b has no router interface') }),
    );
  });

  it('refuse two pods on one interface', () => {
    const cluster = makeCluster({ pods: [makePod('x', 'a'), makePod('x', 'b')] });
    const pods = new Map([['x/a', 'p0'], ['x/b', 'p0']]);
    expect(() => compileRuleset({ cluster, profile: requireProfile('reference'), interfaces: { pods } })).toThrow(/share router interface p0/);
  });
});
