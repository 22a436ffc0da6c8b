// The pod agent in real network namespaces wired as the local provider wires them: pods and an outside world behind a
// router netns (veths, proxy ARP, host routes), denials made visible by nftables reject rules in the router.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../server/sandbox/local/agent/agent-client.ts';
import { formatAgentArgs, parseAgentReadyLine } from '../../server/sandbox/local/agent/agent-protocol.ts';
import type { AgentLaunchOptions, AgentResult } from '../../server/sandbox/local/agent/agent-protocol.ts';
import { ensureAgentBinary } from '../../server/sandbox/local/agent/build-agent.ts';
import { buildDnsRecords, formatDnsRecordFile } from '../../server/sandbox/local/dns/dns-records.ts';
import { makeCluster, makeExternal, makePod, makeService } from '../helpers/builders.ts';
import { canRunPrivileged } from '../helpers/env.ts';

const prefix = 'rh-test-agent-';
const routerNs = `${prefix}r`;

interface PodSpec {
  readonly key: string;
  readonly ips: readonly string[];
}
const pods: readonly PodSpec[] = [
  { key: 'a', ips: ['10.250.0.2'] },
  { key: 'b', ips: ['10.250.0.3'] },
  { key: 'd', ips: ['10.250.0.53'] },
  { key: 'o', ips: ['192.0.2.10', '192.0.2.11'] },
];
const ipOf = (key: string, index = 0): string => pods.find((p) => p.key === key)?.ips[index] ?? '';
const nsOf = (key: string): string => `${prefix}${key}`;

function run(file: string, args: readonly string[], input?: string): string {
  try {
    return execFileSync(file, [...args], { encoding: 'utf8', input: input ?? '', stdio: ['pipe', 'pipe', 'pipe'], timeout: 20_000 });
  } catch (error) {
    const stderr = error instanceof Error && 'stderr' in error ? String(error.stderr) : '';
    throw new Error(`${file} ${args.join(' ')} failed: ${stderr}`, { cause: error });
  }
}

function listOurNetns(): string[] {
  return run('ip', ['netns', 'list'])
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(prefix));
}

/** Router netns + one netns per pod, as the provider builds them. */
function createTopology(): void {
  for (const stale of listOurNetns()) {
    console.warn(`removing netns ${stale} left over by an earlier run`);
    run('ip', ['netns', 'del', stale]);
  }
  run('ip', ['netns', 'add', routerNs]);
  run('ip', ['-n', routerNs, 'link', 'set', 'lo', 'up']);
  run('ip', ['netns', 'exec', routerNs, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  // Without this the kernel rate-limits ICMP errors per destination (a burst of 6, then 1/s): most denials
  // would surface as timeouts instead of at once.
  run('ip', ['netns', 'exec', routerNs, 'sysctl', '-qw', 'net.ipv4.icmp_ratemask=0']);
  for (const pod of pods) {
    const ns = nsOf(pod.key);
    const veth = `rhta-${pod.key}`;
    run('ip', ['netns', 'add', ns]);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    run('ip', ['-n', routerNs, 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    // Proxy ARP answers for every routed address; proxy_delay=0 stops the kernel delaying replies up to 0.8 s.
    run('ip', ['netns', 'exec', routerNs, 'sysctl', '-qw', `net.ipv4.conf.${veth}.proxy_arp=1`, `net.ipv4.neigh.${veth}.proxy_delay=0`]);
    run('ip', ['-n', routerNs, 'link', 'set', veth, 'up']);
    for (const ip of pod.ips) {
      run('ip', ['-n', routerNs, 'route', 'add', `${ip}/32`, 'dev', veth]);
      run('ip', ['-n', ns, 'addr', 'add', `${ip}/32`, 'dev', 'eth0']);
    }
    run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    run('ip', ['-n', ns, 'route', 'add', 'default', 'dev', 'eth0', 'scope', 'link']);
  }
}

/** Replaces the router's test rules in one transaction; replies of accepted connections pass, as in any policy dataplane. */
function setRouterRules(rules: readonly string[]): void {
  const body = [
    'table inet rh_test_agent',
    'delete table inet rh_test_agent',
    'table inet rh_test_agent {',
    '  chain forward {',
    '    type filter hook forward priority 0; policy accept;',
    '    ct state established,related accept',
  ];
  for (const rule of rules) body.push(`    ${rule}`);
  body.push('  }', '}');
  run('ip', ['netns', 'exec', routerNs, 'nft', '-f', '-'], `${body.join('\n')}\n`);
}

interface Running {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  readonly firstLine: string;
  readonly stderr: () => string;
}

async function startInNetns(ns: string, command: string, args: readonly string[]): Promise<Running> {
  // `ip netns exec` execs the command in place, so the child's pid is the agent's own.
  const child = spawn('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout });
  const firstLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} in ${ns} printed nothing within 15 s: ${stderr}`)), 15_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} in ${ns} exited with ${code}: ${stderr}`));
    });
  });
  return { child, firstLine, stderr: () => stderr };
}

async function stop(running: Running): Promise<number | null> {
  const { child } = running;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(text)) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

function memoryOf(pid: number): { vmRssKb: number; pssKb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return { vmRssKb: Number(/VmRSS:\s+([0-9]+) kB/.exec(status)?.[1]), pssKb: Number(/^Pss:\s+([0-9]+) kB/m.exec(rollup)?.[1]) };
}

describe.runIf(canRunPrivileged())('pod agent in network namespaces', () => {
  const workDir = mkdtempSync(join(tmpdir(), prefix));
  const agents = new Map<string, Running>();
  const clients = new Map<string, AgentClient>();
  let dns: Running | undefined;
  let isTornDown = false;

  const client = (key: string): AgentClient => {
    const found = clients.get(key);
    if (found === undefined) throw new Error(`no client for ${key}`);
    return found;
  };

  async function teardown(): Promise<void> {
    if (isTornDown) return;
    isTornDown = true;
    for (const c of clients.values()) await c.close();
    for (const running of agents.values()) await stop(running);
    if (dns !== undefined) await stop(dns);
    for (const ns of listOurNetns()) run('ip', ['netns', 'del', ns]);
  }

  beforeAll(async () => {
    const binary = await ensureAgentBinary({ cacheDir: join(workDir, 'cache') });
    createTopology();
    setRouterRules([]);

    const cluster = makeCluster({
      pods: [makePod('x', 'a', { labels: { app: 'a' }, ip: ipOf('a') }), makePod('x', 'b', { labels: { app: 'b' }, ip: ipOf('b') })],
      services: [makeService('x', 'web', { selector: { app: 'b' }, clusterIP: 'None', ports: [{ name: 'http', port: 80, targetPort: 80, protocol: 'TCP' }] })],
      externals: [makeExternal('api', ipOf('o'), [{ port: 443, protocol: 'TCP' }], ['api.example.com'])],
    });
    const recordsPath = join(workDir, 'records.txt');
    writeFileSync(recordsPath, formatDnsRecordFile(buildDnsRecords(cluster)));
    // The kube-dns pod's agent: it serves the cluster DNS on port 53 of every address of its pod.
    dns = await startInNetns(nsOf('d'), binary, formatAgentArgs({ controlPath: join(workDir, 'd.sock'), identity: 'kube-system/coredns', listeners: [], dns: { recordsFile: recordsPath } }));

    const resolver = { nameserver: ipOf('d'), search: ['x.svc.cluster.local', 'svc.cluster.local', 'cluster.local'] };
    const launches: Record<string, AgentLaunchOptions> = {
      a: { controlPath: join(workDir, 'a.sock'), identity: 'x/a', listeners: [{ protocol: 'tcp', port: 80 }, { protocol: 'udp', port: 80 }, { protocol: 'sctp', port: 80 }], ...resolver },
      b: { controlPath: join(workDir, 'b.sock'), identity: 'x/b', listeners: [{ protocol: 'tcp', port: 80 }, { protocol: 'udp', port: 80 }, { protocol: 'sctp', port: 80 }], ...resolver },
      // One agent serves every external address of the outside world, each listener bound to its own IP.
      o: {
        controlPath: join(workDir, 'o.sock'),
        identity: 'external/world',
        listeners: [
          { protocol: 'tcp', port: 443, ip: ipOf('o', 0) },
          { protocol: 'tcp', port: 443, ip: ipOf('o', 1) },
          { protocol: 'udp', port: 5353, ip: ipOf('o', 1) },
        ],
      },
    };
    for (const [key, launch] of Object.entries(launches)) {
      const running = await startInNetns(nsOf(key), binary, formatAgentArgs(launch));
      agents.set(key, running);
      clients.set(key, await AgentClient.connect(launch.controlPath));
    }
  });

  afterAll(async () => {
    await teardown();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('prints READY with every listener; SCTP is unsupported unless the kernel has it', () => {
    const hasSctp = existsSync('/proc/net/sctp');
    const ready = parseAgentReadyLine(agents.get('a')?.firstLine ?? '');
    expect(ready).toEqual({
      ok: true,
      value: [
        { spec: 'tcp:80', status: { state: 'ok' } },
        { spec: 'udp:80', status: { state: 'ok' } },
        { spec: 'sctp:80', status: { state: hasSctp ? 'ok' : 'unsupported' } },
      ],
    });
    expect(agents.get('o')?.firstLine).toBe(`READY tcp:443@${ipOf('o', 0)}=ok tcp:443@${ipOf('o', 1)}=ok udp:5353@${ipOf('o', 1)}=ok`);
    expect(dns?.firstLine).toBe('READY dns:53=ok');
  });

  it('connects pod to pod over TCP and UDP and reads the peer identity', async () => {
    await expect(client('a').probe({ protocol: 'tcp', ip: ipOf('b'), port: 80, timeoutMs: 3000 })).resolves.toMatchObject({ status: 'connected', detail: 'x/b' });
    await expect(client('a').probe({ protocol: 'udp', ip: ipOf('b'), port: 80, timeoutMs: 3000 })).resolves.toMatchObject({ status: 'connected', detail: 'x/b' });
    await expect(client('b').probe({ protocol: 'tcp', ip: ipOf('a'), port: 80, timeoutMs: 3000 })).resolves.toMatchObject({ status: 'connected', detail: 'x/a' });
  });

  it('reports refused when nothing listens (TCP RST, ICMP port unreachable)', async () => {
    await expect(client('a').probe({ protocol: 'tcp', ip: ipOf('b'), port: 81, timeoutMs: 3000 })).resolves.toMatchObject({ status: 'refused', detail: 'ECONNREFUSED' });
    await expect(client('a').probe({ protocol: 'udp', ip: ipOf('b'), port: 81, timeoutMs: 3000 })).resolves.toMatchObject({ status: 'refused', detail: 'ECONNREFUSED' });
  });

  it('reports SCTP as unsupported where the kernel lacks it, never as a pass or a denial', async () => {
    const result = await client('a').probe({ protocol: 'sctp', ip: ipOf('b'), port: 80, timeoutMs: 3000 });
    if (existsSync('/proc/net/sctp')) {
      expect(result).toMatchObject({ status: 'connected', detail: 'x/b' });
    } else {
      expect(result.status).toBe('unsupported');
      expect(result.detail).toContain('SCTP not supported by this kernel');
    }
  });

  it.each([
    ['reject with icmpx type no-route (egress deny)', 'reject with icmpx type no-route', 'net-unreachable', 'ENETUNREACH'],
    ['reject with icmpx type host-unreachable (ingress deny)', 'reject with icmpx type host-unreachable', 'host-unreachable', 'EHOSTUNREACH'],
  ])('a router rule "%s" is reported at once for TCP and UDP', async (_name, verdict, status, errno) => {
    setRouterRules([`ip saddr ${ipOf('a')} ip daddr ${ipOf('b')} ${verdict}`]);
    try {
      // A generous timeout: if the ICMP error were lost the status would be timeout, not the one expected.
      const tcp = await client('a').probe({ protocol: 'tcp', ip: ipOf('b'), port: 80, timeoutMs: 5000 });
      const udp = await client('a').probe({ protocol: 'udp', ip: ipOf('b'), port: 80, timeoutMs: 5000 });
      expect(tcp).toMatchObject({ status, detail: errno });
      expect(udp).toMatchObject({ status, detail: errno });
      // The rule is one-way: the other direction still connects.
      await expect(client('b').probe({ protocol: 'tcp', ip: ipOf('a'), port: 80, timeoutMs: 3000 })).resolves.toMatchObject({ status: 'connected' });
    } finally {
      setRouterRules([]);
    }
  });

  it('a plain drop is a timeout', async () => {
    setRouterRules([`ip saddr ${ipOf('a')} ip daddr ${ipOf('b')} drop`]);
    try {
      const [tcp, udp] = await Promise.all([
        client('a').probe({ protocol: 'tcp', ip: ipOf('b'), port: 80, timeoutMs: 300 }),
        client('a').probe({ protocol: 'udp', ip: ipOf('b'), port: 80, timeoutMs: 300 }),
      ]);
      expect(tcp.status).toBe('timeout');
      expect(udp.status).toBe('timeout');
    } finally {
      setRouterRules([]);
    }
  });

  it('answers 200 concurrent probes, each with its own outcome', async () => {
    setRouterRules([`ip saddr ${ipOf('a')} ip daddr ${ipOf('o', 1)} reject with icmpx type no-route`]);
    try {
      const cases: { readonly want: AgentResult['status']; readonly run: () => Promise<AgentResult> }[] = [];
      for (let i = 0; i < 200; i++) {
        const kind = i % 5;
        if (kind === 0 || kind === 1) cases.push({ want: 'connected', run: () => client('a').probe({ protocol: 'tcp', ip: ipOf('b'), port: 80, timeoutMs: 5000 }) });
        if (kind === 2) cases.push({ want: 'connected', run: () => client('a').probe({ protocol: 'udp', ip: ipOf('b'), port: 80, timeoutMs: 5000 }) });
        if (kind === 3) cases.push({ want: 'refused', run: () => client('a').probe({ protocol: 'tcp', ip: ipOf('b'), port: 81, timeoutMs: 5000 }) });
        if (kind === 4) cases.push({ want: 'net-unreachable', run: () => client('a').probe({ protocol: 'tcp', ip: ipOf('o', 1), port: 443, timeoutMs: 5000 }) });
      }
      const results = await Promise.all(cases.map((c) => c.run()));
      const wrong = results.map((r, i) => ({ i, got: r.status, want: cases[i]?.want })).filter((r) => r.got !== r.want);
      expect(wrong).toEqual([]);
      expect(results).toHaveLength(200);
    } finally {
      setRouterRules([]);
    }
  });

  it('serves several external addresses from one agent and probes from a chosen source address', async () => {
    await expect(client('a').probe({ protocol: 'tcp', ip: ipOf('o', 0), port: 443, timeoutMs: 3000 })).resolves.toMatchObject({ status: 'connected', detail: 'external/world' });
    await expect(client('a').probe({ protocol: 'tcp', ip: ipOf('o', 1), port: 443, timeoutMs: 3000 })).resolves.toMatchObject({ status: 'connected', detail: 'external/world' });
    await expect(client('a').probe({ protocol: 'udp', ip: ipOf('o', 1), port: 5353, timeoutMs: 3000 })).resolves.toMatchObject({ status: 'connected', detail: 'external/world' });
    // A rule on the source address proves the probe really left from the address asked for.
    setRouterRules([`ip saddr ${ipOf('o', 1)} ip daddr ${ipOf('a')} reject with icmpx type host-unreachable`]);
    try {
      await expect(client('o').probe({ protocol: 'tcp', ip: ipOf('a'), port: 80, timeoutMs: 3000, sourceIp: ipOf('o', 0) })).resolves.toMatchObject({ status: 'connected', detail: 'x/a' });
      await expect(client('o').probe({ protocol: 'tcp', ip: ipOf('a'), port: 80, timeoutMs: 3000, sourceIp: ipOf('o', 1) })).resolves.toMatchObject({ status: 'host-unreachable' });
    } finally {
      setRouterRules([]);
    }
  });

  it('resolves through the sandbox DNS with the search list, then probes (PROBE_NAME)', async () => {
    await expect(client('a').probeName({ protocol: 'tcp', hostname: 'web', port: 80, timeoutMs: 3000 })).resolves.toMatchObject({
      status: 'connected',
      resolvedIp: ipOf('b'),
      detail: 'x/b',
    });
    await expect(client('a').probeName({ protocol: 'udp', hostname: 'b.web.x.svc.cluster.local', port: 80, timeoutMs: 3000 })).resolves.toMatchObject({
      status: 'connected',
      resolvedIp: ipOf('b'),
    });
    await expect(client('a').probeName({ protocol: 'tcp', hostname: 'api.example.com', port: 443, timeoutMs: 3000 })).resolves.toMatchObject({
      status: 'connected',
      resolvedIp: ipOf('o'),
      detail: 'external/world',
    });
    const missing = await client('a').probeName({ protocol: 'tcp', hostname: 'nope', port: 80, timeoutMs: 3000 });
    expect(missing.status).toBe('dns-nxdomain');
    expect(missing.resolvedIp).toBeUndefined();
    await expect(client('a').resolve({ hostname: 'web.x', timeoutMs: 3000 })).resolves.toMatchObject({ status: 'resolved', resolvedIp: ipOf('b'), detail: 'web.x.svc.cluster.local' });
  });

  it.each([
    ['reject with icmpx type no-route', 'dns-net-unreachable'],
    ['reject with icmpx type host-unreachable', 'dns-host-unreachable'],
    ['drop', 'dns-timeout'],
  ])('reports DNS blocked by "%s" as %s (the policy forgot DNS egress)', async (verdict, status) => {
    setRouterRules([`ip saddr ${ipOf('a')} udp dport 53 ${verdict}`]);
    try {
      const result = await client('a').probeName({ protocol: 'tcp', hostname: 'web', port: 80, timeoutMs: verdict === 'drop' ? 400 : 5000 });
      expect(result.status).toBe(status);
      // Pod to pod traffic is untouched: only DNS was blocked.
      await expect(client('a').probe({ protocol: 'tcp', ip: ipOf('b'), port: 80, timeoutMs: 3000 })).resolves.toMatchObject({ status: 'connected' });
    } finally {
      setRouterRules([]);
    }
  });

  it('stays small: prints its memory after the probe runs', async () => {
    const pid = agents.get('a')?.child.pid ?? 0;
    const memory = memoryOf(pid);
    const stats = await client('a').stats();
    console.log(`agent x/a after ${stats.probes} probes: VmRSS ${memory.vmRssKb} kB, Pss ${memory.pssKb} kB (agent's own STATS rss_kb=${stats.rssKb})`);
    expect(memory.vmRssKb).toBeGreaterThan(0);
    expect(memory.vmRssKb).toBeLessThan(10 * 1024);
    expect(memory.pssKb).toBeLessThan(10 * 1024);
    // The kube-dns pod's agent holds the records and serves DNS besides: still a few megabytes, not a runtime.
    const dnsMemory = memoryOf(dns?.child.pid ?? 0);
    console.log(`DNS agent: VmRSS ${dnsMemory.vmRssKb} kB, Pss ${dnsMemory.pssKb} kB`);
    expect(dnsMemory.pssKb).toBeGreaterThan(0);
    expect(dnsMemory.pssKb).toBeLessThan(10 * 1024);
  });

  it('exits cleanly on SIGTERM, removes its control socket, and teardown leaves nothing behind', async () => {
    const pids = [...agents.values(), ...(dns === undefined ? [] : [dns])].map((r) => r.child.pid ?? 0);
    const a = agents.get('a');
    if (a === undefined) throw new Error('agent a missing');
    await client('a').close();
    clients.delete('a');
    expect(await stop(a)).toBe(0);
    expect(existsSync(join(workDir, 'a.sock'))).toBe(false);

    await teardown();
    expect(listOurNetns()).toEqual([]);
    expect(pids.filter((pid) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '))).toEqual([]);
    expect(processesMentioning(workDir)).toEqual([]);
    expect(readdirSync(workDir).filter((name) => name.endsWith('.sock'))).toEqual([]);
  });
});
