// Pure parts of the sandbox handle and its saved state: policy change counting and the cluster file round trip.
import { describe, expect, it } from 'vitest';
import { parseClusterJson } from '../../../../../server/sandbox/cluster-file.ts';
import { countPolicyChanges } from '../../../../../server/sandbox/local/local-sandbox.ts';
import { makeExternal, makeCluster, makePolicy, makeService, makeUpstreamModel, port, podPeer, ipPeer, rule, sel } from '../../../../helpers/builders.ts';

const allowB = makePolicy('x', 'allow-b', { podSelector: sel({ pod: 'a' }), ingress: [rule([podPeer(sel({ pod: 'b' }))], [port('TCP', 80)])] });

describe('countPolicyChanges', () => {
  it('counts added, removed and changed policies, not ones that only moved in their file', () => {
    const moved = { ...allowB, source: { ...allowB.source, line: 40 } };
    const changed = makePolicy('x', 'allow-b', { podSelector: sel({ pod: 'a' }), ingress: [rule([podPeer(sel({ pod: 'c' }))])] });
    const added = makePolicy('y', 'deny', {});
    expect(countPolicyChanges([allowB], [moved])).toBe(0);
    expect(countPolicyChanges([allowB], [changed])).toBe(1);
    expect(countPolicyChanges([allowB], [moved, added])).toBe(1);
    expect(countPolicyChanges([allowB, added], [])).toBe(2);
  });
});

describe('cluster file', () => {
  it('round-trips a cluster with every kind of object', () => {
    const cluster = makeCluster({
      ...makeUpstreamModel([allowB, makePolicy('y', 'cidr', { egress: [rule([ipPeer('10.0.0.0/8', ['10.1.0.0/16'])], [port('UDP', 53, 60)])] })]),
      services: [makeService('x', 's', { selector: { pod: 'a' }, clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 'serve-80-tcp', protocol: 'TCP' }] })],
      externals: [makeExternal('api', '203.0.113.10', [{ port: 443, protocol: 'TCP' }], ['api.example.com'])],
    });
    expect(parseClusterJson(JSON.stringify(cluster))).toEqual(cluster);
  });

  it('says what is wrong with a damaged file instead of trusting it', () => {
    expect(parseClusterJson('{"pods": 3}')).toMatch(/pods/);
    expect(parseClusterJson('not json')).toMatch(/not JSON/);
  });
});
