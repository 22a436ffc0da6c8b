// Services (ports, targetPorts, types, clusterIP) and ExternalEndpoints, validated at their exact paths and lines.

import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../../../server/policy/index.ts';
import type { ParseResult } from '../../../../server/policy/index.ts';

const prefix = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n';

function parseText(text: string): ParseResult {
  return parseManifests([{ file: 's.yaml', text: prefix + text }], { includeClusterDns: false });
}

/** A Service whose spec starts on line 9 of the file. */
const service = (spec: string, name = 'web'): string => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: shop}\nspec:\n${spec}`;

describe('Service', () => {
  it('targetPort defaults to port, protocol to TCP; named targetPorts stay names', () => {
    const result = parseText(service('  selector: {app: web}\n  ports:\n    - {name: http, port: 80, targetPort: http}\n    - {name: metrics, port: 9090}\n    - {name: dns, port: 53, protocol: UDP, targetPort: 5353}\n'));
    expect(result.issues).toEqual([]);
    expect(result.cluster.services[0]?.ports).toEqual([
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' },
      { name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP' },
    ]);
    expect(result.cluster.services[0]?.selector).toEqual({ app: 'web' });
  });

  it('a single port needs no name', () => {
    const result = parseText(service('  ports: [{port: 80}]\n'));
    expect(result.issues).toEqual([]);
    expect(result.cluster.services[0]?.ports).toEqual([{ port: 80, targetPort: 80, protocol: 'TCP' }]);
  });

  it('no selector (or an empty one) means no endpoints: selector null', () => {
    expect(parseText(service('  ports: [{port: 80}]\n')).cluster.services[0]?.selector).toBeNull();
    expect(parseText(service('  selector: {}\n  ports: [{port: 80}]\n')).cluster.services[0]?.selector).toBeNull();
  });

  it('ClusterIP is deterministic from the service CIDR; a valid clusterIP inside it is honoured; None is headless', () => {
    const text = [service('  ports: [{port: 80}]\n', 'a'), service('  clusterIP: 10.96.5.5\n  ports: [{port: 80}]\n', 'b'), service('  clusterIP: None\n', 'c')].join('---\n');
    const first = parseText(text);
    expect(first.issues).toEqual([]);
    const ips = first.cluster.services.map((s) => s.clusterIP);
    expect(ips[1]).toBe('10.96.5.5');
    expect(ips[2]).toBe('None');
    expect(ips[0]).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    expect(parseText(text).cluster.services.map((s) => s.clusterIP)).toEqual(ips);
  });

  it.each([
    ['NodePort'],
    ['LoadBalancer'],
  ])('type %s is accepted and treated as ClusterIP (info)', (type) => {
    const result = parseText(service(`  type: ${type}\n  ports: [{port: 80}]\n`));
    expect(result.issues).toEqual([expect.objectContaining({ code: 'service-type-as-cluster-ip', severity: 'info', path: 'spec.type', line: 9 })]);
    expect(result.cluster.services).toHaveLength(1);
  });

  it('ExternalName Services are ignored with a warning and listed as ignored', () => {
    const result = parseText(service('  type: ExternalName\n  externalName: db.example.com\n'));
    expect(result.issues).toEqual([expect.objectContaining({ code: 'external-name-ignored', severity: 'warning' })]);
    expect(result.ignored).toEqual([{ kind: 'Service', name: 'web', file: 's.yaml', line: 5 }]);
    expect(result.cluster.services).toEqual([]);
  });

  const rejected: { rule: string; spec: string; code: string; path: string; line: number }[] = [
    { rule: 'port names are required when there are several ports', spec: '  ports:\n    - {name: http, port: 80}\n    - {port: 81}\n', code: 'required', path: 'spec.ports[1].name', line: 11 },
    { rule: 'port names are unique', spec: '  ports:\n    - {name: http, port: 80}\n    - {name: http, port: 81}\n', code: 'duplicate-name', path: 'spec.ports[1].name', line: 11 },
    { rule: 'port/protocol pairs are unique', spec: '  ports:\n    - {name: a, port: 80}\n    - {name: b, port: 80}\n', code: 'duplicate-port', path: 'spec.ports[1]', line: 11 },
    { rule: 'Service port names are DNS-1123 labels', spec: '  ports:\n    - {name: Http, port: 80}\n', code: 'invalid-port-name', path: 'spec.ports[0].name', line: 10 },
    { rule: 'port is required', spec: '  ports:\n    - {name: http}\n', code: 'required', path: 'spec.ports[0].port', line: 10 },
    { rule: 'port is 1..65535', spec: '  ports:\n    - port: 0\n', code: 'invalid-port', path: 'spec.ports[0].port', line: 10 },
    { rule: 'targetPort numbers are 1..65535', spec: '  ports:\n    - port: 80\n      targetPort: 70000\n', code: 'invalid-port', path: 'spec.ports[0].targetPort', line: 11 },
    { rule: 'targetPort names are IANA_SVC_NAME', spec: '  ports:\n    - port: 80\n      targetPort: "8080"\n', code: 'invalid-port-name', path: 'spec.ports[0].targetPort', line: 11 },
    { rule: 'ports are required unless headless', spec: '  selector: {app: web}\n', code: 'required', path: 'spec.ports', line: 8 },
    { rule: 'clusterIP must be a valid IP', spec: '  clusterIP: 10.96.0.300\n  ports: [{port: 80}]\n', code: 'invalid-cluster-ip', path: 'spec.clusterIP', line: 9 },
    { rule: 'clusterIP must be inside the service CIDR ("provided IP is not in the valid range")', spec: '  clusterIP: 10.244.0.5\n  ports: [{port: 80}]\n', code: 'invalid-cluster-ip', path: 'spec.clusterIP', line: 9 },
    { rule: 'type is ClusterIP, NodePort, LoadBalancer or ExternalName', spec: '  type: Internal\n  ports: [{port: 80}]\n', code: 'invalid-value', path: 'spec.type', line: 9 },
    { rule: 'protocol is validated', spec: '  ports:\n    - port: 80\n      protocol: HTTP\n', code: 'invalid-protocol', path: 'spec.ports[0].protocol', line: 11 },
    { rule: 'selector labels are validated', spec: '  selector: {app: "bad value!"}\n  ports: [{port: 80}]\n', code: 'invalid-label-value', path: 'spec.selector.app', line: 9 },
  ];
  it.each(rejected)('$rule', ({ spec, code, path, line }) => {
    const result = parseText(service(spec));
    const issue = result.issues.find((i) => i.code === code && i.path === path);
    expect(issue, JSON.stringify(result.issues, null, 1)).toBeDefined();
    expect(issue?.line).toBe(line);
    expect(result.cluster.services).toEqual([]);
  });

  it('two Services asking for one clusterIP: the second (in name order) is an error', () => {
    const text = [service('  clusterIP: 10.96.7.7\n  ports: [{port: 80}]\n', 'a'), service('  clusterIP: 10.96.7.7\n  ports: [{port: 80}]\n', 'b')].join('---\n');
    const result = parseText(text);
    expect(result.issues).toEqual([expect.objectContaining({ code: 'cluster-ip-conflict', object: 'Service shop/b', path: 'spec.clusterIP' })]);
    expect(result.cluster.services.map((s) => s.name)).toEqual(['a']);
  });

  it('a Service cannot take the cluster DNS address', () => {
    const result = parseManifests([{ file: 's.yaml', text: prefix + service('  clusterIP: 10.96.0.10\n  ports: [{port: 80}]\n') }]);
    expect(result.issues).toEqual([expect.objectContaining({ code: 'cluster-ip-conflict', message: expect.stringContaining('kube-system/kube-dns') })]);
  });
});

describe('ExternalEndpoint', () => {
  const external = (spec: string, name = 'payments'): string => `apiVersion: rehearsal.dev/v1alpha1\nkind: ExternalEndpoint\nmetadata: {name: ${name}}\nspec:\n${spec}`;

  it('reads ip, ports (protocol default TCP) and hostnames', () => {
    const result = parseText(external('  ip: 203.0.113.10\n  ports: [{port: 443}, {port: 53, protocol: UDP}]\n  hostnames: [api.payments.example]\n'));
    expect(result.issues).toEqual([]);
    expect(result.cluster.externals).toEqual([
      { name: 'payments', ip: '203.0.113.10', ports: [{ port: 443, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }], hostnames: ['api.payments.example'], source: { file: 's.yaml', line: 5, docIndex: 1, path: '' } },
    ]);
  });

  it('IPv6 addresses work', () => {
    expect(parseText(external('  ip: "2001:db8::10"\n  ports: [{port: 443}]\n')).cluster.externals[0]?.ip).toBe('2001:db8::10');
  });

  const rejected: { rule: string; text: string; code: string; path: string; line: number }[] = [
    { rule: 'the ip must not be inside the pod CIDR', text: external('  ip: 10.244.3.3\n  ports: [{port: 80}]\n'), code: 'invalid-external-ip', path: 'spec.ip', line: 9 },
    { rule: 'the ip must not be inside the service CIDR', text: external('  ip: 10.100.0.1\n  ports: [{port: 80}]\n'), code: 'invalid-external-ip', path: 'spec.ip', line: 9 },
    { rule: 'the ip must be valid', text: external('  ip: 203.0.113\n  ports: [{port: 80}]\n'), code: 'invalid-ip', path: 'spec.ip', line: 9 },
    { rule: 'the ip is required', text: external('  ports: [{port: 80}]\n'), code: 'required', path: 'spec.ip', line: 8 },
    { rule: 'the name is a DNS-1123 label', text: external('  ip: 203.0.113.1\n', 'api.example'), code: 'invalid-name', path: 'metadata.name', line: 7 },
    { rule: 'hostnames are DNS names', text: external('  ip: 203.0.113.1\n  ports: [{port: 80}]\n  hostnames: [Bad_Host]\n'), code: 'invalid-hostname', path: 'spec.hostnames[0]', line: 11 },
    { rule: 'ports are 1..65535', text: external('  ip: 203.0.113.1\n  ports: [{port: 0}]\n'), code: 'invalid-port', path: 'spec.ports[0].port', line: 10 },
  ];
  it.each(rejected)('$rule', ({ text, code, path, line }) => {
    const result = parseText(text);
    const issue = result.issues.find((i) => i.code === code && i.path === path);
    expect(issue, JSON.stringify(result.issues, null, 1)).toBeDefined();
    expect(issue?.line).toBe(line);
    expect(result.cluster.externals).toEqual([]);
  });

  it('two endpoints cannot share an address', () => {
    const result = parseText([external('  ip: 203.0.113.1\n  ports: [{port: 80}]\n', 'a'), external('  ip: 203.0.113.1\n  ports: [{port: 80}]\n', 'b')].join('---\n'));
    expect(result.issues).toEqual([expect.objectContaining({ code: 'ip-conflict', object: 'ExternalEndpoint b' })]);
    expect(result.cluster.externals.map((e) => e.name)).toEqual(['a']);
  });
});
