// The matrix's shape: rows, columns per port option, loopback flags, system pods, externals, explainCell.
import { describe, expect, it } from 'vitest';
import { computeMatrix, explainCell, findMatrixCell, getMatrixCell, listMatrixCells } from '../../../../server/policy/matrix.ts';
import type { MatrixResult } from '../../../../server/policy/matrix.ts';
import type { Cluster } from '../../../../server/policy/model.ts';
import { ipPeer, makeCluster, makeExternal, makePod, makePolicy, makeUpstreamModel, podPeer, port, rule, sel } from '../../../helpers/builders.ts';

function cluster(): Cluster {
  return makeCluster({
    pods: [
      makePod('app', 'web', { labels: { app: 'web' }, ports: [[8080, 'TCP', 'http'], [53, 'UDP', 'dns']], ip: '10.244.0.10' }),
      makePod('app', 'api', { labels: { app: 'api' }, ports: [[9090, 'TCP', 'http']], ip: '10.244.0.11' }),
      makePod('kube-system', 'coredns', { labels: { 'k8s-app': 'kube-dns' }, ports: [[53, 'UDP', 'dns']], ip: '10.244.0.2', isSystem: true }),
      makePod('app', 'v6', { labels: { app: 'v6' }, ports: [[80, 'TCP']], ip: 'fd00::5' }),
    ],
    externals: [makeExternal('api', '192.0.2.10', [{ port: 443, protocol: 'TCP' }]), makeExternal('dns', '198.51.100.53', [{ port: 53, protocol: 'UDP' }])],
    policies: [
      makePolicy('app', 'api-in', { podSelector: sel({ app: 'api' }), ingress: [rule([podPeer(sel({ app: 'web' }))], [port('TCP', 'http')])] }),
      makePolicy('app', 'web-in', { podSelector: sel({ app: 'web' }), ingress: [rule([ipPeer('192.0.2.0/24')])] }),
    ],
  });
}

function columnLabels(matrix: MatrixResult): string[] {
  return matrix.columns.map((c) => `${c.targetKey}:${c.port}/${c.protocol}${c.portName === undefined ? '' : `(${c.portName})`}`);
}

describe('computeMatrix', () => {
  it('rows are pods then external endpoints; system pods are left out unless asked for', () => {
    const matrix = computeMatrix(cluster());
    expect(matrix.sources.map((s) => s.key)).toEqual(['app/web', 'app/api', 'app/v6', 'external/api', 'external/dns']);
    const withSystem = computeMatrix(cluster(), { includeSystem: true, includeExternals: false });
    expect(withSystem.sources.map((s) => s.key)).toEqual(['app/web', 'app/api', 'kube-system/coredns', 'app/v6']);
  });

  it('without a port: every declared container port of each target (externals: their declared ports), filtered by protocol', () => {
    expect(columnLabels(computeMatrix(cluster()))).toEqual([
      'app/web:8080/TCP(http)',
      'app/web:53/UDP(dns)',
      'app/api:9090/TCP(http)',
      'app/v6:80/TCP',
      'external/api:443/TCP',
      'external/dns:53/UDP',
    ]);
    expect(columnLabels(computeMatrix(cluster(), { protocol: 'UDP' }))).toEqual(['app/web:53/UDP(dns)', 'external/dns:53/UDP']);
  });

  it('with a numeric port: that port on every target (TCP unless a protocol is given)', () => {
    expect(columnLabels(computeMatrix(cluster(), { port: 8080, includeExternals: false }))).toEqual(['app/web:8080/TCP(http)', 'app/api:8080/TCP', 'app/v6:8080/TCP']);
    expect(computeMatrix(cluster(), { port: 53, protocol: 'UDP' }).columns.every((c) => c.protocol === 'UDP')).toBe(true);
  });

  it('with a port name: resolved per target; targets lacking it (and externals) are skipped', () => {
    expect(columnLabels(computeMatrix(cluster(), { port: 'http' }))).toEqual(['app/web:8080/TCP(http)', 'app/api:9090/TCP(http)']);
  });

  it('cells: isAllowed from the engine, loopback flagged, external to external absent', () => {
    const matrix = computeMatrix(cluster());
    const cell = (from: string, to: string, portNumber: number, protocol: 'TCP' | 'UDP' = 'TCP') => findMatrixCell(matrix, from, to, portNumber, protocol);
    expect(cell('app/web', 'app/api', 9090)?.isAllowed).toBe(true);
    expect(cell('external/dns', 'app/api', 9090)?.isAllowed).toBe(false);
    expect(cell('external/api', 'app/web', 8080)?.isAllowed).toBe(true);
    expect(cell('app/api', 'app/web', 8080)?.isAllowed).toBe(false);
    expect(cell('app/web', 'app/web', 8080)?.isLoopback).toBe(true);
    expect(cell('app/web', 'app/api', 9090)?.isLoopback).toBe(false);
    expect(cell('external/api', 'external/dns', 53, 'UDP')).toBeUndefined();
    expect(cell('app/web', 'external/api', 443)?.deciding.ingress?.outcome).toBe('not-applicable');
  });

  it('deciding names the rules that admitted a flow and the policies that isolated a denial', () => {
    const matrix = computeMatrix(cluster());
    const allowed = findMatrixCell(matrix, 'app/web', 'app/api', 9090, 'TCP');
    expect(allowed?.deciding.ingress?.allowedBy.map((m) => `${m.policy.name} ${m.path}`)).toEqual(['api-in spec.ingress[0]']);
    const denied = findMatrixCell(matrix, 'app/api', 'app/web', 8080, 'TCP');
    expect(denied?.deciding.ingress?.isolatingPolicies).toEqual([{ namespace: 'app', name: 'web-in' }]);
  });

  it('a pair without a common address family is an error cell, not a throw', () => {
    const matrix = computeMatrix(cluster());
    const cell = findMatrixCell(matrix, 'app/web', 'app/v6', 80, 'TCP');
    expect(cell?.isAllowed).toBe(false);
    expect(cell?.deciding.error?.code).toBe('no-address-in-family');
    expect(cell?.deciding.error?.message).toBe('app/web has no IPv6 address');
  });

  it('explainCell recomputes the full verdict with near misses', () => {
    const c = cluster();
    const matrix = computeMatrix(c);
    const cell = findMatrixCell(matrix, 'external/dns', 'app/api', 9090, 'TCP');
    expect(cell?.isAllowed).toBe(false);
    if (cell === undefined) return;
    const result = explainCell(c, matrix, cell);
    expect(result.ok && result.verdict.ingress.nearMisses[0]?.mismatches[0]?.kind).toBe('peer-is-external');
  });

  it('an unknown profile gives error cells naming the known profiles', () => {
    const matrix = computeMatrix(cluster(), { profile: 'nope' });
    const first = getMatrixCell(matrix, 0, 0);
    expect(first?.deciding.error?.code).toBe('unknown-profile');
    expect(first?.deciding.error?.fix).toContain('calico');
  });

  it('the upstream model under deny-all in x: 81 pairs on port 80, loopback included and flagged', () => {
    const matrix = computeMatrix(makeUpstreamModel([makePolicy('x', 'deny-all')]), { port: 80 });
    const cells = [...listMatrixCells(matrix)];
    expect(cells).toHaveLength(81);
    expect(cells.filter((c) => c.isLoopback)).toHaveLength(9);
    expect(cells.filter((c) => !c.isAllowed).map((c) => `${c.from}→${c.to}`)).toHaveLength(27);
    expect(matrix.stats.cells).toBe(81);
  });
});
