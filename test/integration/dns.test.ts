// The sandbox DNS in a real network namespace: the kube-dns agent serving port 53 of every address, queried by the
// pod agents' resolver (UDP, search list, ndots, truncated answers, REFUSED outside the zone); reloaded with SIGHUP,
// stopped with SIGTERM, and left with nothing behind. Packet-level behaviour: test/unit/.../dns-server.test.ts.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../server/sandbox/local/agent/agent-client.ts';
import { formatAgentArgs } from '../../server/sandbox/local/agent/agent-protocol.ts';
import { ensureAgentBinary } from '../../server/sandbox/local/agent/build-agent.ts';
import { buildDnsRecords, formatDnsRecordFile } from '../../server/sandbox/local/dns/dns-records.ts';
import type { Cluster } from '../../server/policy/model.ts';
import { makeCluster, makeExternal, makePod, makeService } from '../helpers/builders.ts';
import { canRunPrivileged } from '../helpers/env.ts';

const prefix = 'rh-test-agent-';
const ns = `${prefix}dns`;
const dnsIp = '10.251.0.10';
const podIp = '10.251.0.20';

function run(file: string, args: readonly string[]): string {
  try {
    return execFileSync(file, [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
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

/** A process in the netns whose stdout lines can be awaited. */
class NetnsProcess {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  readonly lines: string[] = [];
  stderr = '';
  private readonly waiters: { readonly match: (line: string) => boolean; readonly resolve: (line: string) => void }[] = [];

  constructor(command: string, args: readonly string[]) {
    this.child = spawn('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      this.lines.push(line);
      for (const waiter of this.waiters.filter((w) => w.match(line))) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    });
  }

  waitForLine(match: (line: string) => boolean, what: string): Promise<string> {
    const seen = this.lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within 15 s; stderr: ${this.stderr}`)), 15_000);
      this.waiters.push({
        match,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }
}

const bigPods = Array.from({ length: 60 }, (_, i) => makePod('x', `big-${i}`, { labels: { app: 'big' }, ip: `10.244.1.${i + 1}` }));

function makeTestCluster(apiIp: string): Cluster {
  return makeCluster({
    pods: [makePod('x', 'a', { labels: { app: 'web' }, ip: podIp }), ...bigPods],
    services: [
      makeService('x', 'web', { selector: { app: 'web' }, clusterIP: '10.96.0.20', ports: [] }),
      makeService('x', 'big', { selector: { app: 'big' }, clusterIP: 'None', ports: [] }),
    ],
    externals: [makeExternal('api', apiIp, [], ['api.example.com'])],
  });
}

describe.runIf(canRunPrivileged())('sandbox DNS server in a network namespace', () => {
  const workDir = mkdtempSync(join(tmpdir(), prefix));
  const recordsPath = join(workDir, 'records.txt');
  let dns: NetnsProcess | undefined;
  let agent: NetnsProcess | undefined;
  let ndotsOne: NetnsProcess | undefined;
  const clients: AgentClient[] = [];
  let isTornDown = false;
  let binaryPath = '';

  async function teardown(): Promise<void> {
    if (isTornDown) return;
    isTornDown = true;
    for (const client of clients) await client.close();
    for (const p of [agent, ndotsOne, dns]) await p?.stop();
    for (const name of listOurNetns()) run('ip', ['netns', 'del', name]);
  }

  const resolve = (client: AgentClient | undefined, hostname: string): ReturnType<AgentClient['resolve']> => {
    if (client === undefined) throw new Error('agent not started');
    return client.resolve({ hostname, timeoutMs: 3000 });
  };

  beforeAll(async () => {
    for (const stale of listOurNetns()) {
      console.warn(`removing netns ${stale} left over by an earlier run`);
      run('ip', ['netns', 'del', stale]);
    }
    const binary = await ensureAgentBinary({ cacheDir: join(workDir, 'cache') });
    binaryPath = binary;
    run('ip', ['netns', 'add', ns]);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    // On lo: no veth or dummy device needed (this kernel may lack the dummy module) for a server and a client side by side.
    run('ip', ['-n', ns, 'addr', 'add', `${dnsIp}/32`, 'dev', 'lo']);
    run('ip', ['-n', ns, 'addr', 'add', `${podIp}/32`, 'dev', 'lo']);
    writeFileSync(recordsPath, formatDnsRecordFile(buildDnsRecords(makeTestCluster('192.0.2.10'))));

    dns = new NetnsProcess(binary, formatAgentArgs({ controlPath: join(workDir, 'dns.sock'), identity: 'kube-system/coredns', listeners: [], dns: { recordsFile: recordsPath } }));
    await dns.waitForLine((line) => line.startsWith('READY'), 'READY from the DNS agent');

    const search = ['x.svc.cluster.local', 'svc.cluster.local', 'cluster.local'];
    const start = async (name: string, ndots: number): Promise<NetnsProcess> => {
      const controlPath = join(workDir, `${name}.sock`);
      const p = new NetnsProcess(binary, formatAgentArgs({ controlPath, identity: `x/${name}`, listeners: [], nameserver: dnsIp, search, ndots }));
      await p.waitForLine((line) => line.startsWith('READY'), `READY from agent ${name}`);
      clients.push(await AgentClient.connect(controlPath));
      return p;
    };
    agent = await start('a', 5);
    ndotsOne = await start('n1', 1);
  });

  afterAll(async () => {
    await teardown();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('binds port 53 of every address of its pod and says so', () => {
    expect(dns?.lines[0]).toBe('READY dns:53=ok');
  });

  it('resolves short names through the search list, as a pod with ndots:5 does', async () => {
    await expect(resolve(clients[0], 'web')).resolves.toMatchObject({ status: 'resolved', resolvedIp: '10.96.0.20', detail: 'web.x.svc.cluster.local' });
    await expect(resolve(clients[0], 'web.x')).resolves.toMatchObject({ status: 'resolved', detail: 'web.x.svc.cluster.local' });
    await expect(resolve(clients[0], 'web.x.svc')).resolves.toMatchObject({ status: 'resolved', detail: 'web.x.svc.cluster.local' });
    await expect(resolve(clients[0], 'api.example.com')).resolves.toMatchObject({ status: 'resolved', resolvedIp: '192.0.2.10', detail: 'api.example.com' });
    await expect(resolve(clients[0], `${podIp.replaceAll('.', '-')}.x.pod`)).resolves.toMatchObject({ status: 'resolved', resolvedIp: podIp });
  });

  it('tries a name with ndots dots as is first, and a trailing dot means only as is', async () => {
    // With ndots:1, "web.x" has enough dots: tried as is (NXDOMAIN), then through the search list.
    await expect(resolve(clients[1], 'web.x')).resolves.toMatchObject({ status: 'resolved', detail: 'web.x.svc.cluster.local' });
    await expect(resolve(clients[0], 'web.')).resolves.toMatchObject({ status: 'dns-nxdomain' });
    await expect(resolve(clients[0], 'web.x.svc.cluster.local.')).resolves.toMatchObject({ status: 'resolved', resolvedIp: '10.96.0.20' });
    await expect(resolve(clients[0], 'nope')).resolves.toMatchObject({ status: 'dns-nxdomain' });
  });

  it('goes on through the search list past names the server refuses, and says so when nothing is found', async () => {
    // ndots:1: "www.example.org" is tried as is first (REFUSED: outside the zone), then with each search domain.
    const outside = await resolve(clients[1], 'www.example.org');
    expect(outside).toMatchObject({ status: 'dns-nxdomain' });
    expect(outside.detail).toContain('names outside the cluster zone were refused');
    await expect(resolve(clients[1], 'api.example.com')).resolves.toMatchObject({ status: 'resolved', resolvedIp: '192.0.2.10' });
  });

  it('resolves a name whose answer is truncated over UDP (the agent takes an address from it)', async () => {
    const viaAgent = await resolve(clients[0], 'big');
    expect(viaAgent.status).toBe('resolved');
    expect(viaAgent.resolvedIp).toMatch(/^10\.244\.1\./);
  });

  it('reloads its records on SIGHUP, and keeps the old ones when the new file is broken', async () => {
    if (dns === undefined) throw new Error('dns not started');
    writeFileSync(recordsPath, formatDnsRecordFile(buildDnsRecords(makeTestCluster('192.0.2.99'))));
    const reloadsBefore = dns.stderr.split('dns: reloaded').length;
    dns.child.kill('SIGHUP');
    await expect.poll(() => dns?.stderr.split('dns: reloaded').length ?? 0, { timeout: 10_000 }).toBeGreaterThan(reloadsBefore);
    await expect(resolve(clients[0], 'api.example.com')).resolves.toMatchObject({ resolvedIp: '192.0.2.99' });

    writeFileSync(recordsPath, 'ZONE cluster.local\n');
    dns.child.kill('SIGHUP');
    await expect.poll(() => dns?.stderr ?? '', { timeout: 10_000 }).toContain('reload failed, keeping the previous records');
    await expect(resolve(clients[0], 'api.example.com')).resolves.toMatchObject({ resolvedIp: '192.0.2.99' });
  });

  it('refuses to start without a records file, naming it', () => {
    let stderr = '';
    try {
      execFileSync(binaryPath, formatAgentArgs({ controlPath: join(workDir, 'none.sock'), identity: 'x/none', listeners: [], dns: { recordsFile: join(workDir, 'none.txt') } }), {
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
      });
    } catch (error) {
      stderr = error instanceof Error && 'stderr' in error ? String(error.stderr) : '';
    }
    expect(stderr).toContain(`dns: cannot open ${join(workDir, 'none.txt')}`);
  });

  it('exits 0 on SIGTERM, and teardown leaves no netns and no process behind', async () => {
    if (dns === undefined) throw new Error('dns not started');
    const pids = [dns, agent, ndotsOne].map((p) => p?.child.pid ?? 0);
    expect(await dns.stop()).toBe(0);
    await teardown();
    expect(listOurNetns()).toEqual([]);
    expect(pids.filter((pid) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '))).toEqual([]);
    const mentioning = readdirSync('/proc')
      .filter((entry) => /^[0-9]+$/.test(entry) && Number(entry) !== process.pid)
      .filter((entry) => {
        try {
          return readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(workDir);
        } catch {
          return false;
        }
      });
    expect(mentioning).toEqual([]);
  });
});
