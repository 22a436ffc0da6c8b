// Traffic to a Service is judged on the pod behind it, after port → targetPort translation per backend.
import { describe, expect, it } from 'vitest';
import { evaluateServiceFlow } from '../../../../server/policy/service-flow.ts';
import type { Cluster, Policy } from '../../../../server/policy/model.ts';
import { makeCluster, makePod, makePolicy, makeService, podPeer, port, rule, sel } from '../../../helpers/builders.ts';

function cluster(policies: readonly Policy[]): Cluster {
  return makeCluster({
    pods: [
      makePod('app', 'client', { labels: { app: 'client' } }),
      makePod('app', 'web-1', { labels: { app: 'web' }, ports: [[8080, 'TCP', 'http']] }),
      makePod('app', 'web-2', { labels: { app: 'web' }, ports: [[9090, 'TCP', 'http']] }),
      makePod('app', 'web-3', { labels: { app: 'web' }, ports: [[8080, 'TCP', 'admin']] }),
    ],
    services: [
      makeService('app', 'web', {
        selector: { app: 'web' },
        clusterIP: '10.96.0.30',
        ports: [
          { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
          { name: 'fixed', port: 81, targetPort: 8080, protocol: 'TCP' },
        ],
      }),
      makeService('app', 'nobody', { selector: { app: 'none' }, clusterIP: '10.96.0.31', ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] }),
    ],
    policies,
  });
}

const from = { kind: 'pod', namespace: 'app', name: 'client' } as const;

describe('evaluateServiceFlow', () => {
  it('translates the Service port to each backend targetPort; a named targetPort resolves per backend', () => {
    const only8080 = makePolicy('app', 'only-8080', { podSelector: sel({ app: 'web' }), ingress: [rule([podPeer(sel({ app: 'client' }))], [port('TCP', 8080)])] });
    const result = evaluateServiceFlow(cluster([only8080]), { from, service: { namespace: 'app', name: 'web' }, port: 80, protocol: 'TCP' });
    if (!result.ok) throw new Error(result.error.message);
    expect(result.service).toBe('svc/app/web');
    expect(result.backends.map((b) => [b.backend, b.targetPort, b.result.ok ? b.result.verdict.isAllowed : b.result.error.code])).toEqual([
      ['app/web-1', 8080, true],
      ['app/web-2', 9090, false],
      ['app/web-3', undefined, 'unknown-port-name'],
    ]);
    const first = result.backends[0]?.result;
    expect(first?.ok && first.verdict.portName).toBe('http');
  });

  it('accepts the Service port by name, and a numeric targetPort is the same on every backend', () => {
    const result = evaluateServiceFlow(cluster([]), { from, service: { namespace: 'app', name: 'web' }, port: 'fixed', protocol: 'TCP' });
    if (!result.ok) throw new Error(result.error.message);
    expect(result.backends.map((b) => b.targetPort)).toEqual([8080, 8080, 8080]);
  });

  it('unknown services and ports are errors; a Service selecting nothing has no backends', () => {
    const c = cluster([]);
    const unknown = evaluateServiceFlow(c, { from, service: { namespace: 'app', name: 'nope' }, port: 80, protocol: 'TCP' });
    expect(unknown.ok ? 'ok' : unknown.error.code).toBe('unknown-endpoint');
    const badPort = evaluateServiceFlow(c, { from, service: { namespace: 'app', name: 'web' }, port: 443, protocol: 'TCP' });
    expect(badPort.ok ? 'ok' : badPort.error.code).toBe('invalid-port');
    const badName = evaluateServiceFlow(c, { from, service: { namespace: 'app', name: 'web' }, port: 'grpc', protocol: 'TCP' });
    expect(badName.ok ? 'ok' : badName.error.fix).toContain('80/TCP (http)');
    const udp = evaluateServiceFlow(c, { from, service: { namespace: 'app', name: 'web' }, port: 80, protocol: 'UDP' });
    expect(udp.ok).toBe(false);
    const empty = evaluateServiceFlow(c, { from, service: { namespace: 'app', name: 'nobody' }, port: 80, protocol: 'TCP' });
    expect(empty.ok && empty.backends).toEqual([]);
  });
});
