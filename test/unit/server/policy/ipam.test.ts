// Deterministic pod and Service addresses: hashing, probing, reserved ranges, and the Calico ipAddrs pin.

import { describe, expect, it } from 'vitest';
import { allocateAddresses, countAssignableAddresses, hashFnv1a64, parseCidr, parseIp, parseIpAddrsAnnotation, parseManifests } from '../../../../server/policy/index.ts';
import type { ParsedCidr, ParseResult } from '../../../../server/policy/index.ts';

function cidr(text: string): ParsedCidr {
  const parsed = parseCidr(text);
  if (!parsed) throw new Error(`bad test CIDR ${text}`);
  return parsed;
}

const pod = (name: string, annotation?: string): string =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: shop\n${annotation === undefined ? '' : `  annotations:\n    cni.projectcalico.org/ipAddrs: '${annotation}'\n`}spec: {containers: [{name: a}]}\n`;

function parsePods(docs: string[], podCidr?: string): ParseResult {
  const text = ['apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n', ...docs].join('---\n');
  return parseManifests([{ file: 'p.yaml', text }], { includeClusterDns: false, ...(podCidr === undefined ? {} : { podCidr }) });
}

describe('FNV-1a 64', () => {
  it.each([
    ['', 0xcbf29ce484222325n],
    ['a', 0xaf63dc4c8601ec8cn],
    ['foobar', 0x85944171f73967e8n],
  ])('hash of %j matches the reference vectors', (text, expected) => {
    expect(hashFnv1a64(text)).toBe(expected);
  });
});

describe('allocateAddresses', () => {
  it('skips the network address and the first 16 after it, and the IPv4 broadcast', () => {
    const small = cidr('10.0.0.0/27');
    expect(countAssignableAddresses(small)).toBe(14n);
    const keys = Array.from({ length: 14 }, (_, i) => ({ key: `k${i}` }));
    const result = allocateAddresses({ cidr: small, pinned: [], requests: keys });
    const offsets = [...result.assigned.values()].map((ip) => Number(ip.split('.')[3])).sort((a, b) => a - b);
    expect(offsets).toEqual(Array.from({ length: 14 }, (_, i) => 17 + i));
    expect(result.exhausted).toEqual([]);
  });

  it('probes linearly past taken addresses and reports exhaustion', () => {
    const small = cidr('10.0.0.0/27');
    const result = allocateAddresses({ cidr: small, pinned: [], requests: Array.from({ length: 16 }, (_, i) => ({ key: `k${i}` })) });
    expect(result.assigned.size).toBe(14);
    expect(result.exhausted).toHaveLength(2);
    expect(new Set(result.assigned.values()).size).toBe(14);
  });

  it('reserves pins first; a second pin of the same address is a conflict naming the holder', () => {
    const ip = parseIp('10.244.7.7');
    if (!ip) throw new Error('bad test IP');
    const result = allocateAddresses({ cidr: cidr('10.244.0.0/16'), pinned: [{ key: 'a', ip }, { key: 'b', ip }], requests: [{ key: 'c' }] });
    expect(result.conflicts).toEqual([{ key: 'b', ip: '10.244.7.7', heldBy: 'a' }]);
    expect(result.assigned.get('c')).not.toBe('10.244.7.7');
  });

  it('works in IPv6 CIDRs', () => {
    const result = allocateAddresses({ cidr: cidr('fd00:10:244::/64'), pinned: [], requests: [{ key: 'shop/web' }] });
    expect(result.assigned.get('shop/web')).toMatch(/^fd00:10:244:0?:/);
  });
});

describe('pod addresses', () => {
  it('are deterministic and independent of document order', () => {
    const a = parsePods([pod('web'), pod('api'), pod('db')]);
    const b = parsePods([pod('db'), pod('web'), pod('api')]);
    expect(a.cluster.pods.map((p) => [p.name, p.ips])).toEqual(b.cluster.pods.map((p) => [p.name, p.ips]));
    for (const p of a.cluster.pods) expect(p.ips[0]).toMatch(/^10\.244\.\d+\.\d+$/);
  });

  it('adding a pod does not move the others (hash placement)', () => {
    const names = Array.from({ length: 30 }, (_, i) => `pod-${i}`);
    const before = parsePods(names.map((n) => pod(n)));
    const after = parsePods([...names, 'newcomer'].map((n) => pod(n)));
    const moved = before.cluster.pods.filter((p) => after.cluster.pods.find((q) => q.name === p.name)?.ips[0] !== p.ips[0]);
    expect(moved).toEqual([]);
  });

  it('follow a custom pod CIDR', () => {
    const result = parsePods([pod('web')], '192.168.0.0/24');
    expect(result.cluster.podCidr).toBe('192.168.0.0/24');
    const last = Number(result.cluster.pods[0]?.ips[0]?.split('.')[3]);
    expect(last).toBeGreaterThanOrEqual(17);
    expect(last).toBeLessThanOrEqual(254);
  });
});

describe('the Calico ipAddrs annotation', () => {
  it('pins the address (and an IPv6 second address), reserved before hashing the rest', () => {
    const result = parsePods([pod('web', '["10.244.7.7", "fd00::7"]'), pod('api')]);
    expect(result.issues).toEqual([]);
    expect(result.cluster.pods.find((p) => p.name === 'web')?.ips).toEqual(['10.244.7.7', 'fd00::7']);
    expect(result.cluster.pods.find((p) => p.name === 'api')?.ips[0]).not.toBe('10.244.7.7');
  });

  it('an IPv6 address first makes IPv6 the primary', () => {
    expect(parsePods([pod('web', '["fd00::7", "10.244.7.7"]')]).cluster.pods[0]?.ips).toEqual(['fd00::7', '10.244.7.7']);
  });

  it.each([
    ['not JSON', '10.244.7.7', 'is not JSON'],
    ['not a list', '"10.244.7.7"', 'non-empty JSON list'],
    ['empty list', '[]', 'non-empty JSON list'],
    ['not an address', '["10.244.7.300"]', 'not a valid IPv4 or IPv6 address'],
    ['outside the pod CIDR (Calico needs an IP pool)', '["10.245.0.1"]', 'outside 10.244.0.0/16'],
    ['the network address', '["10.244.0.0"]', 'network address'],
    ['reserved for the router', '["10.244.0.1"]', 'first 17 addresses'],
    ['two IPv4 addresses', '["10.244.7.7", "10.244.7.8"]', 'more than one IPv4'],
  ])('is rejected when %s', (_rule, value, message) => {
    const result = parsePods([pod('web', value)]);
    expect(result.issues).toEqual([expect.objectContaining({ code: 'invalid-ip-annotation', path: 'metadata.annotations[cni.projectcalico.org/ipAddrs]', line: 11, message: expect.stringContaining(message) })]);
    expect(result.cluster.pods).toEqual([]);
  });

  it('two pods pinning one address: the later in name order is an error and left out', () => {
    const result = parsePods([pod('web', '["10.244.7.7"]'), pod('api', '["10.244.7.7"]')]);
    expect(result.issues).toEqual([expect.objectContaining({ code: 'ip-conflict', object: 'Pod shop/web', message: expect.stringContaining('shop/api already holds') })]);
    expect(result.cluster.pods.map((p) => p.name)).toEqual(['api']);
  });

  it('is not allowed on a template with more than one replica', () => {
    const deployment = `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata:\n      labels: {app: web}\n      annotations:\n        cni.projectcalico.org/ipAddrs: '["10.244.7.7"]'\n    spec: {containers: [{name: a}]}\n`;
    const result = parsePods([deployment]);
    expect(result.issues).toEqual([expect.objectContaining({ code: 'invalid-ip-annotation', line: 15, path: 'spec.template.metadata.annotations[cni.projectcalico.org/ipAddrs]' })]);
    const single = parsePods([deployment.replace('replicas: 2', 'replicas: 1')]);
    expect(single.issues).toEqual([]);
    expect(single.cluster.pods[0]?.ips).toEqual(['10.244.7.7']);
  });

  it('parseIpAddrsAnnotation reads the JSON list', () => {
    const parsed = parseIpAddrsAnnotation('["10.0.0.1"]');
    expect(parsed.ok && parsed.ips.map((ip) => ip.family)).toEqual(['IPv4']);
  });
});
