// The `ip -batch` scripts that build a sandbox network: exact lines, so a change to the topology is a visible diff.
import { describe, expect, it } from 'vitest';
import {
  getRouterSysctls,
  renderCreateNamespacesBatch,
  renderEndpointBatch,
  renderRouterBatch,
} from '../../../../../server/sandbox/local/netns-plumbing.ts';

const plan = {
  routerNetns: 'rh-0123abcd-r',
  outsideNetns: 'rh-0123abcd-x',
  pods: [
    { key: 'x/a', netns: 'rh-0123abcd-p0', routerInterface: 'rp0', ips: ['10.244.0.10'] },
    { key: 'x/b', netns: 'rh-0123abcd-p1', routerInterface: 'rp1', ips: ['10.244.0.11', 'fd00:10:244::b'] },
  ],
  externalIps: ['203.0.113.10'],
};

describe('netns plumbing scripts', () => {
  it('creates namespaces first, then each veth directly inside its two namespaces (nothing in the host namespace)', () => {
    const script = renderCreateNamespacesBatch({
      netns: ['rh-0123abcd-r', 'rh-0123abcd-p0'],
      veths: [{ routerNetns: 'rh-0123abcd-r', routerInterface: 'rp0', peerNetns: 'rh-0123abcd-p0', peerInterface: 'eth0' }],
    });
    expect(script.split('\n')).toEqual([
      'netns add rh-0123abcd-r',
      'netns add rh-0123abcd-p0',
      'link add name rp0 netns rh-0123abcd-r type veth peer name eth0 netns rh-0123abcd-p0',
      '',
    ]);
  });

  it('gives the router the gateway address, a host route per pod and per external address, and fe80::1 where IPv6 is used', () => {
    expect(renderRouterBatch(plan).trim().split('\n')).toEqual([
      'link set lo up',
      'addr add 169.254.1.1/32 dev lo',
      'link set rp0 up',
      'route replace 10.244.0.10/32 dev rp0',
      'link set rp1 up',
      'addr add fe80::1/64 dev rp1 nodad',
      'route replace 10.244.0.11/32 dev rp1',
      'route replace fd00:10:244::b/128 dev rp1',
      'link set rx0 up',
      'route replace 203.0.113.10/32 dev rx0',
    ]);
  });

  it("configures a pod with exactly the engine's addresses and a default route via 169.254.1.1", () => {
    expect(renderEndpointBatch(['10.244.0.11', 'fd00:10:244::b']).trim().split('\n')).toEqual([
      'link set lo up',
      'addr add 10.244.0.11/32 dev eth0',
      'addr add fd00:10:244::b/128 dev eth0 nodad',
      'link set eth0 up',
      'route add 169.254.1.1 dev eth0 scope link',
      'route add default via 169.254.1.1 dev eth0',
      'route add default via fe80::1 dev eth0',
    ]);
  });

  it('turns on forwarding in the router only (IPv6 forwarding only when a pod has an IPv6 address)', () => {
    expect(getRouterSysctls({ hasIpv6: false })).not.toContain('net.ipv6.conf.all.forwarding=1');
    expect(getRouterSysctls({ hasIpv6: true })).toContain('net.ipv6.conf.all.forwarding=1');
    expect(getRouterSysctls({ hasIpv6: false })).toContain('net.ipv4.ip_forward=1');
  });
});
