// The sandbox's DNS data, derived from a Cluster as the Kubernetes DNS specification defines it: the single source
// of every name the sandbox resolves. The kube-dns pod's agent (dns-server.c) serves it from the line format
// formatDnsRecordFile writes, and reloads it on every `apply`.

import { isIP } from 'node:net';
import type { Cluster, Pod, Protocol, Service } from '../../../policy/model.ts';
import { indexCluster, serviceBackends } from '../../../policy/select.ts';

export const defaultClusterZone = 'cluster.local';
/** CoreDNS's kubernetes plugin answers with a 5 s TTL by default; short, so a re-applied scenario shows at once. */
export const defaultDnsTtlSeconds = 5;

export interface DnsSrvTarget {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly target: string;
}

export interface DnsNameRecords {
  readonly a: readonly string[];
  readonly aaaa: readonly string[];
  readonly srv: readonly DnsSrvTarget[];
}

/** Names are lowercase, without the trailing dot. Sorted and deduplicated, so equal clusters give equal JSON. */
export interface DnsRecords {
  readonly version: 1;
  readonly zone: string;
  readonly ttlSeconds: number;
  readonly names: Readonly<Record<string, DnsNameRecords>>;
  /** Names the cluster implies but DNS cannot carry (a label over 63 bytes, a name over 253), with why. */
  readonly skipped: readonly string[];
}

export interface BuildDnsRecordsOptions {
  readonly zone?: string;
  readonly ttlSeconds?: number;
}

interface MutableNameRecords {
  readonly a: Set<string>;
  readonly aaaa: Set<string>;
  readonly srv: Map<string, DnsSrvTarget>;
}

const dnsLabel = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Why a name cannot be a DNS name, or undefined. */
function checkDnsName(name: string): string | undefined {
  if (name.length > 253) return 'longer than 253 characters';
  for (const label of name.split('.')) {
    if (!dnsLabel.test(label)) return `label "${label}" is not a DNS label`;
  }
  return undefined;
}

function formatProtocolLabel(protocol: Protocol): string {
  return `_${protocol.toLowerCase()}`;
}

/** `10-244-0-5` for 10.244.0.5 and `fd00--5` for fd00::5, the form of `<ip>.<ns>.pod.<zone>` names. */
export function formatPodIpLabel(ip: string): string {
  return isIP(ip) === 6 ? ip.toLowerCase().replaceAll(':', '-') : ip.replaceAll('.', '-');
}

class RecordsBuilder {
  readonly names = new Map<string, MutableNameRecords>();
  readonly skipped: string[] = [];

  private entry(name: string): MutableNameRecords | undefined {
    const key = name.toLowerCase();
    const problem = checkDnsName(key);
    if (problem !== undefined) {
      if (!this.skipped.some((line) => line.startsWith(`${key}:`))) this.skipped.push(`${key}: ${problem}`);
      return undefined;
    }
    let entry = this.names.get(key);
    if (entry === undefined) {
      entry = { a: new Set(), aaaa: new Set(), srv: new Map() };
      this.names.set(key, entry);
    }
    return entry;
  }

  /** Declares that a name exists even with no address (a headless Service without backends answers NODATA). */
  declare(name: string): void {
    this.entry(name);
  }

  address(name: string, ip: string): void {
    const family = isIP(ip);
    if (family === 0) return;
    const entry = this.entry(name);
    if (entry === undefined) return;
    (family === 4 ? entry.a : entry.aaaa).add(family === 6 ? ip.toLowerCase() : ip);
  }

  srv(name: string, target: DnsSrvTarget): void {
    const entry = this.entry(name);
    if (entry === undefined || checkDnsName(target.target) !== undefined) return;
    entry.srv.set(`${target.port} ${target.target}`, target);
  }

  result(zone: string, ttlSeconds: number): DnsRecords {
    const names: Record<string, DnsNameRecords> = {};
    for (const key of [...this.names.keys()].sort()) {
      const entry = this.names.get(key);
      if (entry === undefined) continue;
      names[key] = {
        a: [...entry.a].sort(),
        aaaa: [...entry.aaaa].sort(),
        srv: [...entry.srv.values()].sort((x, y) => x.target.localeCompare(y.target) || x.port - y.port),
      };
    }
    return { version: 1, zone, ttlSeconds, names, skipped: [...this.skipped].sort() };
  }
}

/**
 * Every name the sandbox's resolver answers (Kubernetes DNS-Based Service Discovery specification, plus pod A records
 * and the scenario's external hostnames). Pure: the same cluster always gives the same records.
 */
export function buildDnsRecords(cluster: Cluster, options: BuildDnsRecordsOptions = {}): DnsRecords {
  const zone = (options.zone ?? defaultClusterZone).toLowerCase();
  const ttlSeconds = options.ttlSeconds ?? defaultDnsTtlSeconds;
  const builder = new RecordsBuilder();
  const index = indexCluster(cluster);

  for (const service of cluster.services) addService(builder, zone, service, serviceBackends(index, service));

  // "pod-ipv4-address.my-namespace.pod.cluster-domain.example" (DNS for Services and Pods).
  for (const pod of cluster.pods) {
    for (const ip of pod.ips) builder.address(`${formatPodIpLabel(ip)}.${pod.namespace}.pod.${zone}`, ip);
  }

  for (const external of cluster.externals) {
    for (const hostname of external.hostnames) {
      const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
      builder.address(name, external.ip);
    }
  }
  return builder.result(zone, ttlSeconds);
}

function addService(builder: RecordsBuilder, zone: string, service: Service, backends: readonly Pod[]): void {
  const serviceName = `${service.name}.${service.namespace}.svc.${zone}`;
  const isHeadless = service.clusterIP === 'None';
  builder.declare(serviceName);
  if (!isHeadless) {
    // "an A/AAAA record ... <service>.<ns>.svc.<zone>. <ttl> IN A <cluster-ip>" (ClusterIP services).
    builder.address(serviceName, service.clusterIP);
  } else {
    // Headless: "one A/AAAA record per ready endpoint ... <service>.<ns>.svc.<zone>. <ttl> IN A <endpoint-ip>",
    // and one name per endpoint: <hostname>.<service>.<ns>.svc.<zone> (pod names as hostnames, as CoreDNS's
    // endpoint_pod_names option does).
    for (const pod of backends) {
      for (const ip of pod.ips) {
        builder.address(serviceName, ip);
        builder.address(`${pod.name}.${serviceName}`, ip);
      }
    }
  }
  // "_<port>._<proto>.<service>.<ns>.svc.<zone>. <ttl> IN SRV <weight> <priority> <port-number> <target>" for named ports.
  for (const port of service.ports) {
    if (port.name === undefined || port.name === '') continue;
    const srvName = `_${port.name}.${formatProtocolLabel(port.protocol)}.${serviceName}`;
    if (!isHeadless) {
      builder.srv(srvName, { priority: 0, weight: 100, port: port.port, target: serviceName });
      continue;
    }
    for (const pod of backends) {
      if (pod.ips.length > 0) builder.srv(srvName, { priority: 0, weight: 100, port: port.port, target: `${pod.name}.${serviceName}` });
    }
  }
}

// ---- the file the DNS server reads (its grammar is at the top of dns-server.c) ----

/** The first line of every records file: dns-server.c refuses a file without it. */
export const dnsRecordFileFormat = 'FORMAT rehearsal-dns 1';

/**
 * The records as dns-server.c reads them: one directive per line (`ZONE`, `TTL`, `NAME`, `A`, `AAAA`, `SRV`), in the
 * deterministic order of DnsRecords, so equal clusters give equal files. Names with no records get a `NAME` line
 * (they exist: NOERROR with no data); skipped names are kept as comments, so the file says what it left out.
 */
export function formatDnsRecordFile(records: DnsRecords): string {
  const lines = [
    dnsRecordFileFormat,
    "# written by dns-records.ts from the sandbox's cluster; served by the kube-dns pod's agent (dns-server.c)",
    `ZONE ${records.zone}`,
    `TTL ${records.ttlSeconds}`,
  ];
  for (const [name, entry] of Object.entries(records.names)) {
    if (entry.a.length === 0 && entry.aaaa.length === 0 && entry.srv.length === 0) lines.push(`NAME ${name}`);
    for (const address of entry.a) lines.push(`A ${name} ${address}`);
    for (const address of entry.aaaa) lines.push(`AAAA ${name} ${address}`);
    for (const srv of entry.srv) lines.push(`SRV ${name} ${srv.priority} ${srv.weight} ${srv.port} ${srv.target}`);
  }
  // Only the start of a skipped name: a hostname of any length may be skipped, and lines stay short.
  for (const skipped of records.skipped) lines.push(`# skipped ${skipped.replaceAll('\n', ' ').slice(0, 200)}`);
  return `${lines.join('\n')}\n`;
}
