// From what the agent saw to a ProbeResult: the errno names the side (ENETUNREACH egress, EHOSTUNREACH ingress),
// the loaded ruleset's chains name the pod and policies, and anything that is not a policy decision says so.
import { describe, expect, it } from 'vitest';
import type { ProbeRequest } from '../../../../../server/sandbox/contract.ts';
import type { AgentResult, AgentStatus } from '../../../../../server/sandbox/local/agent/agent-protocol.ts';
import type { ChainAttribution } from '../../../../../server/sandbox/local/nft/compile-ruleset.ts';
import { getChainKey, mapAgentResult } from '../../../../../server/sandbox/local/probe-mapping.ts';
import type { ProbeContext } from '../../../../../server/sandbox/local/probe-mapping.ts';

const request: ProbeRequest = { id: 'p1', from: { kind: 'pod', namespace: 'x', name: 'a' }, to: { kind: 'pod', namespace: 'y', name: 'b' }, port: 80, protocol: 'TCP', timeoutMs: 1000 };

function chain(direction: 'Egress' | 'Ingress', subject: string, policy: string): ChainAttribution {
  const [namespace = '', name = ''] = policy.split('/');
  return { chain: `${direction.toLowerCase()}/${subject}`, direction, subject, ifname: 'rp0', policies: [{ namespace, name }] };
}

const chains = new Map(
  [chain('Egress', 'x/a', 'x/egress-only'), chain('Ingress', 'y/b', 'y/deny'), chain('Ingress', 'y/c', 'y/deny-c'), chain('Ingress', 'kube-system/coredns-0', 'kube-system/dns-closed')].map(
    (c) => [getChainKey(c.direction, c.subject), c],
  ),
);

const context: ProbeContext = { request, sourcePod: 'x/a', destinationPods: ['y/b'], isTargetInSandbox: true, chains, dnsPods: ['kube-system/coredns-0'] };

function result(status: AgentStatus, detail = '-', resolvedIp?: string): AgentResult {
  return { kind: 'result', id: 'r1', status, latencyUs: 1234, detail, ...(resolvedIp === undefined ? {} : { resolvedIp }) };
}

describe('mapAgentResult', () => {
  it('maps connected to allowed, keeps the request id and converts latency to ms', () => {
    expect(mapAgentResult(result('connected', 'y/b'), context)).toEqual({ id: 'p1', outcome: 'allowed', latencyMs: 1.23 });
  });

  it('names the backend that answered when the target is a Service', () => {
    const mapped = mapAgentResult(result('connected', 'y/b'), { ...context, service: 'svc/y/s-b' });
    expect(mapped.backend).toBe('y/b');
  });

  it("maps ENETUNREACH to a denial at the source's egress, with its chain's policies", () => {
    const mapped = mapAgentResult(result('net-unreachable', 'ENETUNREACH'), context);
    expect(mapped.outcome).toBe('denied');
    expect(mapped.attribution).toEqual({ direction: 'Egress', subject: 'x/a', policies: [{ namespace: 'x', name: 'egress-only' }], evidence: expect.stringContaining('egress/x/a') });
  });

  it("maps EHOSTUNREACH to a denial at the destination's ingress", () => {
    const mapped = mapAgentResult(result('host-unreachable', 'EHOSTUNREACH'), context);
    expect(mapped.attribution).toMatchObject({ direction: 'Ingress', subject: 'y/b', policies: [{ namespace: 'y', name: 'deny' }] });
  });

  it('for a Service with several backends, says the one it was translated to is not known', () => {
    const mapped = mapAgentResult(result('host-unreachable'), { ...context, destinationPods: ['y/b', 'y/c'], service: 'svc/y/web' });
    expect(mapped.outcome).toBe('denied');
    expect(mapped.attribution?.subject).toBe('svc/y/web');
    expect(mapped.attribution?.policies).toEqual([
      { namespace: 'y', name: 'deny' },
      { namespace: 'y', name: 'deny-c' },
    ]);
    expect(mapped.detail).toMatch(/2 backends .* not known/);
  });

  it('never calls an unreachable address outside the sandbox a policy denial', () => {
    const mapped = mapAgentResult(result('net-unreachable'), { ...context, request: { ...request, to: { kind: 'ip', ip: '8.8.8.8' } }, destinationPods: [], isTargetInSandbox: false });
    expect(mapped.outcome).toBe('error');
    expect(mapped.detail).toMatch(/8\.8\.8\.8: it is outside the sandbox/);
  });

  it('reports a drop the loaded ruleset cannot explain as an error, not a denial', () => {
    const mapped = mapAgentResult(result('host-unreachable'), { ...context, destinationPods: ['z/none'] });
    expect(mapped.outcome).toBe('error');
  });

  it('maps refused, unsupported and timeout to their own outcomes', () => {
    expect(mapAgentResult(result('refused', 'ECONNREFUSED'), context).outcome).toBe('refused');
    expect(mapAgentResult(result('unsupported', 'SCTP not supported by this kernel'), context).outcome).toBe('unsupported');
    const timeout = mapAgentResult(result('timeout', 'no answer within 1000 ms'), context);
    expect(timeout.outcome).toBe('error');
    expect(timeout.detail).toMatch(/no answer within 1000 ms/);
  });

  it('reports a blocked DNS lookup as a denial, egress at the source or ingress at the DNS pod', () => {
    const egress = mapAgentResult(result('dns-net-unreachable'), context);
    expect(egress).toMatchObject({ outcome: 'denied', detail: 'DNS lookup blocked by egress policy', attribution: { direction: 'Egress', subject: 'x/a' } });
    const ingress = mapAgentResult(result('dns-host-unreachable'), context);
    expect(ingress).toMatchObject({ outcome: 'denied', detail: 'DNS lookup blocked by ingress policy', attribution: { direction: 'Ingress', subject: 'kube-system/coredns-0' } });
    expect(mapAgentResult(result('dns-nxdomain', 'no A record'), context).outcome).toBe('error');
  });

  it('attributes a name probe by the address the name resolved to', () => {
    const mapped = mapAgentResult(result('host-unreachable', 'EHOSTUNREACH', '10.96.0.20'), {
      ...context,
      destinationPods: [],
      describeAddress: (ip) => (ip === '10.96.0.20' ? { destinationPods: ['y/c'], service: 'svc/y/c', isTargetInSandbox: true } : { destinationPods: [], isTargetInSandbox: false }),
    });
    expect(mapped.attribution?.subject).toBe('y/c');
    expect(mapped.resolvedIp).toBe('10.96.0.20');
  });
});
