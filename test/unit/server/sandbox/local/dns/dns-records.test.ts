// Which names the sandbox resolves, built from a Cluster as the Kubernetes DNS specification says, and the records
// file the kube-dns agent (dns-server.c) serves them from.
import { describe, expect, it } from 'vitest';
import { buildDnsRecords, dnsRecordFileFormat, formatDnsRecordFile, formatPodIpLabel } from '../../../../../../server/sandbox/local/dns/dns-records.ts';
import { makeCluster, makeExternal, makePod, makeService } from '../../../../../helpers/builders.ts';

const cluster = makeCluster({
  pods: [
    makePod('x', 'a', { labels: { app: 'web' }, ip: '10.244.0.10' }),
    makePod('x', 'b', { labels: { app: 'web' }, ips: ['10.244.0.11', 'fd00::b'] }),
    makePod('x', 'c', { labels: { app: 'db' }, ip: '10.244.0.12' }),
    makePod('y', 'a', { labels: { app: 'web' }, ip: '10.244.0.13' }),
  ],
  services: [
    makeService('x', 'web', { selector: { app: 'web' }, clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] }),
    makeService('x', 'web-headless', { selector: { app: 'web' }, clusterIP: 'None', ports: [{ name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' }] }),
    makeService('x', 'empty', { selector: { app: 'nothing' }, clusterIP: 'None', ports: [] }),
    makeService('x', 'manual', { selector: null, clusterIP: '10.96.0.30', ports: [{ port: 5432, targetPort: 5432, protocol: 'TCP' }] }),
  ],
  externals: [makeExternal('api', '192.0.2.10', [], ['API.Example.com.', 'api.internal']), makeExternal('v6', '2001:db8::10', [], ['v6.example.com'])],
});

describe('buildDnsRecords', () => {
  const records = buildDnsRecords(cluster);

  it('gives a ClusterIP service its ClusterIP: "<service>.<ns>.svc.<zone> IN A <cluster-ip>"', () => {
    expect(records.names['web.x.svc.cluster.local']).toEqual({ a: ['10.96.0.20'], aaaa: [], srv: [] });
    expect(records.names['manual.x.svc.cluster.local']).toEqual({ a: ['10.96.0.30'], aaaa: [], srv: [] });
  });

  it('gives a headless service the addresses of its ready endpoints, only pods of its namespace', () => {
    expect(records.names['web-headless.x.svc.cluster.local']).toEqual({ a: ['10.244.0.10', '10.244.0.11'], aaaa: ['fd00::b'], srv: [] });
  });

  it('names each pod behind a headless service: <pod>.<service>.<ns>.svc.<zone>', () => {
    expect(records.names['a.web-headless.x.svc.cluster.local']).toEqual({ a: ['10.244.0.10'], aaaa: [], srv: [] });
    expect(records.names['b.web-headless.x.svc.cluster.local']).toEqual({ a: ['10.244.0.11'], aaaa: ['fd00::b'], srv: [] });
    expect(records.names['c.web-headless.x.svc.cluster.local']).toBeUndefined();
    expect(records.names['a.web.x.svc.cluster.local']).toBeUndefined();
  });

  it('keeps a headless service without endpoints as a name with no addresses (NODATA, not NXDOMAIN)', () => {
    expect(records.names['empty.x.svc.cluster.local']).toEqual({ a: [], aaaa: [], srv: [] });
  });

  it('adds SRV records for named ports: _<port>._<proto>.<service>.<ns>.svc.<zone>', () => {
    expect(records.names['_http._tcp.web.x.svc.cluster.local']?.srv).toEqual([{ priority: 0, weight: 100, port: 80, target: 'web.x.svc.cluster.local' }]);
    expect(records.names['_dns._udp.web-headless.x.svc.cluster.local']?.srv).toEqual([
      { priority: 0, weight: 100, port: 53, target: 'a.web-headless.x.svc.cluster.local' },
      { priority: 0, weight: 100, port: 53, target: 'b.web-headless.x.svc.cluster.local' },
    ]);
  });

  it('names every pod address: <a-b-c-d>.<ns>.pod.<zone>', () => {
    expect(records.names['10-244-0-10.x.pod.cluster.local']).toEqual({ a: ['10.244.0.10'], aaaa: [], srv: [] });
    expect(records.names['10-244-0-13.y.pod.cluster.local']).toEqual({ a: ['10.244.0.13'], aaaa: [], srv: [] });
    expect(records.names['fd00--b.x.pod.cluster.local']).toEqual({ a: [], aaaa: ['fd00::b'], srv: [] });
    expect(formatPodIpLabel('fd00::b')).toBe('fd00--b');
  });

  it('maps every external hostname to its address, lowercase and without the trailing dot', () => {
    expect(records.names['api.example.com']).toEqual({ a: ['192.0.2.10'], aaaa: [], srv: [] });
    expect(records.names['api.internal']).toEqual({ a: ['192.0.2.10'], aaaa: [], srv: [] });
    expect(records.names['v6.example.com']).toEqual({ a: [], aaaa: ['2001:db8::10'], srv: [] });
  });

  it('lists the names DNS cannot carry instead of dropping them silently', () => {
    const long = buildDnsRecords(makeCluster({ externals: [makeExternal('long', '192.0.2.1', [], [`${'a'.repeat(64)}.example.com`])] }));
    expect(long.names).toEqual({});
    expect(long.skipped).toEqual([`${'a'.repeat(64)}.example.com: label "${'a'.repeat(64)}" is not a DNS label`]);
  });

  it('is deterministic: the same cluster gives the same file', () => {
    expect(formatDnsRecordFile(buildDnsRecords(cluster))).toBe(formatDnsRecordFile(records));
  });

  it('honours another zone and TTL', () => {
    const other = buildDnsRecords(cluster, { zone: 'Corp.Example', ttlSeconds: 30 });
    expect(other.zone).toBe('corp.example');
    expect(other.ttlSeconds).toBe(30);
    expect(other.names['web.x.svc.corp.example']?.a).toEqual(['10.96.0.20']);
  });
});

describe('formatDnsRecordFile', () => {
  const lines = formatDnsRecordFile(buildDnsRecords(cluster)).split('\n');

  it('starts with the format line the server checks, then the zone and TTL', () => {
    expect(lines.slice(0, 1)).toEqual([dnsRecordFileFormat]);
    expect(lines).toContain('ZONE cluster.local');
    expect(lines).toContain('TTL 5');
    expect(lines.indexOf('ZONE cluster.local')).toBeLessThan(lines.findIndex((line) => line.startsWith('A ')));
  });

  it('writes one line per record: A, AAAA and SRV (priority, weight, port, target)', () => {
    expect(lines).toContain('A web.x.svc.cluster.local 10.96.0.20');
    expect(lines).toContain('AAAA b.web-headless.x.svc.cluster.local fd00::b');
    expect(lines).toContain('SRV _http._tcp.web.x.svc.cluster.local 0 100 80 web.x.svc.cluster.local');
    expect(lines.filter((line) => line.startsWith('A web-headless.x.svc.cluster.local '))).toEqual([
      'A web-headless.x.svc.cluster.local 10.244.0.10',
      'A web-headless.x.svc.cluster.local 10.244.0.11',
    ]);
  });

  it('declares a name with no records with NAME, so it answers NOERROR and no data instead of NXDOMAIN', () => {
    expect(lines).toContain('NAME empty.x.svc.cluster.local');
    expect(lines.some((line) => line.startsWith('NAME web.'))).toBe(false);
  });

  it('keeps skipped names as short comment lines (the server reads lines of at most 1024 bytes)', () => {
    const hostname = `${'a'.repeat(64)}.${'b'.repeat(2000)}.example.com`;
    const text = formatDnsRecordFile(buildDnsRecords(makeCluster({ externals: [makeExternal('long', '192.0.2.1', [], [hostname])] })));
    const comment = text.split('\n').find((line) => line.startsWith('# skipped '));
    expect(comment).toBeDefined();
    expect(comment?.length).toBeLessThanOrEqual(210);
    expect(text.split('\n').every((line) => line.length <= 1024)).toBe(true);
  });
});
