// Where pods live in a local sandbox: stable slots across apply, listeners from declared ports, the DNS pod, limits.
import { describe, expect, it } from 'vitest';
import { isDnsPod, planLayout } from '../../../../../server/sandbox/local/sandbox-layout.ts';
import { makeCluster, makeExternal, makePod, makeUpstreamModel } from '../../../../helpers/builders.ts';

const sandboxId = 'sb-0123abcd';

describe('planLayout', () => {
  it('gives each pod a namespace and router interface named from its slot, and keeps the engine addresses', () => {
    const layout = planLayout({ sandboxId, cluster: makeUpstreamModel(), maxPods: 500 });
    expect(layout.pods).toHaveLength(9);
    expect(layout.pods[0]).toMatchObject({ key: 'x/a', index: 0, netns: 'rh-0123abcd-p0', routerInterface: 'rp0', ips: ['10.244.0.10'], role: 'agent' });
    expect(layout.pods[0]?.listeners).toEqual([
      { protocol: 'tcp', port: 80 },
      { protocol: 'udp', port: 80 },
      { protocol: 'tcp', port: 81 },
      { protocol: 'udp', port: 81 },
    ]);
    expect(layout.nextPodIndex).toBe(9);
  });

  it('keeps slots of surviving pods and never reuses a removed slot', () => {
    const first = planLayout({ sandboxId, cluster: makeUpstreamModel(), maxPods: 500 });
    const withoutXa = makeUpstreamModel();
    const next = planLayout({
      sandboxId,
      cluster: { ...withoutXa, pods: [...withoutXa.pods.filter((pod) => pod.name !== 'a' || pod.namespace !== 'x'), makePod('w', 'new', { ip: '10.244.0.99' })] },
      maxPods: 500,
      previous: { pods: first.pods, nextPodIndex: first.nextPodIndex },
    });
    expect(next.pods.find((pod) => pod.key === 'x/b')?.index).toBe(1);
    expect(next.pods.find((pod) => pod.key === 'w/new')?.index).toBe(9);
    expect(next.nextPodIndex).toBe(10);
  });

  it('runs the DNS server in the kube-system kube-dns pod and leaves its port 53 to it', () => {
    const dns = makePod('kube-system', 'coredns-0', { labels: { 'k8s-app': 'kube-dns' }, ports: [[53, 'UDP'], [53, 'TCP'], [9153, 'TCP']], ip: '10.244.0.2', isSystem: true });
    expect(isDnsPod(dns)).toBe(true);
    const layout = planLayout({ sandboxId, cluster: makeCluster({ pods: [dns] }), maxPods: 500 });
    expect(layout.pods[0]?.role).toBe('dns');
    expect(layout.pods[0]?.listeners).toEqual([{ protocol: 'tcp', port: 9153 }]);
  });

  it('serves each external endpoint port on that endpoint address only', () => {
    const cluster = makeCluster({ externals: [makeExternal('api', '203.0.113.10', [{ port: 443, protocol: 'TCP' }])] });
    const layout = planLayout({ sandboxId, cluster, maxPods: 500 });
    expect(layout.outsideListeners).toEqual([{ protocol: 'tcp', port: 443, ip: '203.0.113.10' }]);
    expect(layout.externalIps).toEqual(['203.0.113.10']);
  });

  it('refuses more pods than the limit, saying how to raise it', () => {
    expect(() => planLayout({ sandboxId, cluster: makeUpstreamModel(), maxPods: 5 })).toThrow(/at most 5 .*REHEARSAL_MAX_PODS/);
  });

  it('refuses pod names that are not Kubernetes names before they reach a command line', () => {
    const cluster = makeCluster({ pods: [makePod('x', '--control=/etc/passwd', { ip: '10.244.0.5' })] });
    expect(() => planLayout({ sandboxId, cluster, maxPods: 500 })).toThrow(/DNS-1123/);
  });
});
