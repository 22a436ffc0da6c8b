// Pods cannot reach the host: not its loopback services, not its own addresses, not the internet. And creating a
// sandbox changes nothing in the host's network namespace: links, routes, forwarding and firewall stay as they were.
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeRequest, SandboxHandle } from '../../server/sandbox/contract.ts';
import { generateSandboxId } from '../../server/sandbox/local/names.ts';
import { runCommand } from '../../server/sandbox/local/run-command.ts';
import { canRunPrivileged } from '../helpers/env.ts';
import { makeCluster, makeExternal, makeNamespace, makePod } from '../helpers/builders.ts';
import { collectProbes, makeTempHome, makeTestProvider } from './local-helpers.ts';

interface HostSnapshot {
  readonly links: string;
  readonly routes: string;
  readonly routes6: string;
  readonly ruleset: string;
  readonly forwarding: string;
}

async function snapshotHost(): Promise<HostSnapshot> {
  const linkNames = (await runCommand('ip', ['-o', 'link', 'show'])).stdout
    .split('\n')
    .map((line) => /^\d+: ([^:@]+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined)
    .sort()
    .join(' ');
  return {
    links: linkNames,
    routes: (await runCommand('ip', ['route', 'show', 'table', 'all'])).stdout,
    routes6: (await runCommand('ip', ['-6', 'route', 'show'])).stdout,
    ruleset: (await runCommand('nft', ['list', 'ruleset'])).stdout,
    forwarding: (await runCommand('sysctl', ['-n', 'net.ipv4.ip_forward'])).stdout,
  };
}

function findHostAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  throw new Error('this host has no non-loopback IPv4 address to test against');
}

interface CountingServer {
  readonly server: Server;
  readonly port: number;
  connections: number;
}

function listenCounting(host: string): Promise<CountingServer> {
  return new Promise((resolve, reject) => {
    const counting = { server: createServer((socket) => {
      counting.connections += 1;
      socket.end('host\n');
    }), port: 0, connections: 0 };
    counting.server.once('error', reject);
    counting.server.listen(0, host, () => {
      const address = counting.server.address();
      counting.port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve(counting);
    });
  });
}

function toIp(id: string, from: ProbeRequest['from'], ip: string, port: number, protocol: 'TCP' | 'UDP' = 'TCP'): ProbeRequest {
  return { id, from, to: { kind: 'ip', ip }, port, protocol, timeoutMs: 1500 };
}

describe.runIf(canRunPrivileged())('local sandbox: pods cannot reach the host', () => {
  let home: Awaited<ReturnType<typeof makeTempHome>> | undefined;
  let handle: SandboxHandle | undefined;
  let before: HostSnapshot | undefined;
  const servers: CountingServer[] = [];
  const hostAddress = findHostAddress();

  beforeAll(async () => {
    home = await makeTempHome('host');
    servers.push(await listenCounting('127.0.0.1'), await listenCounting(hostAddress));
    before = await snapshotHost();
    const cluster = makeCluster({
      namespaces: [makeNamespace('x')],
      pods: [makePod('x', 'a', { ports: [[80, 'TCP']] }), makePod('x', 'b', { ports: [[80, 'TCP']] })],
      externals: [makeExternal('api', '203.0.113.10', [{ port: 443, protocol: 'TCP' }])],
    });
    handle = await makeTestProvider(home.dir).create({ id: generateSandboxId(), cni: 'reference', ttlSeconds: 300, owner: 'host', cluster });
  });

  afterAll(async () => {
    await handle?.destroy();
    for (const server of servers) server.server.close();
    await home?.dispose();
  });

  it('leaves the host namespace untouched while the sandbox runs', async () => {
    expect(await snapshotHost()).toEqual(before);
  });

  it("reaches the host's loopback only as the pod's own loopback, never the host's listener", async () => {
    if (handle === undefined) throw new Error('sandbox not created');
    const loopback = servers[0];
    if (loopback === undefined) throw new Error('no loopback server');
    const pod = { kind: 'pod', namespace: 'x', name: 'a' } as const;
    const results = await collectProbes(handle, [toIp('loopback', pod, '127.0.0.1', loopback.port)]);
    expect(results.get('loopback')?.outcome).toBe('refused');
    expect(loopback.connections).toBe(0);
  });

  it("cannot reach the host's address or the internet, from pods or from the outside world", async () => {
    if (handle === undefined) throw new Error('sandbox not created');
    const onHost = servers[1];
    if (onHost === undefined) throw new Error('no host server');
    const pod = { kind: 'pod', namespace: 'x', name: 'a' } as const;
    const outside = { kind: 'external', name: 'api' } as const;
    const results = await collectProbes(handle, [
      toIp('host', pod, hostAddress, onHost.port),
      toIp('internet-tcp', pod, '8.8.8.8', 53),
      toIp('internet-udp', pod, '8.8.8.8', 53, 'UDP'),
      toIp('outside-to-host', outside, hostAddress, onHost.port),
    ]);
    for (const id of ['host', 'internet-tcp', 'internet-udp', 'outside-to-host']) {
      expect(results.get(id)?.outcome, id).toBe('error');
      expect(results.get(id)?.detail, id).toMatch(/outside the sandbox/);
    }
    expect(onHost.connections).toBe(0);
  });

  it('still reaches what is inside the sandbox (the control that makes the denials above meaningful)', async () => {
    if (handle === undefined) throw new Error('sandbox not created');
    const results = await collectProbes(handle, [toIp('pod', { kind: 'pod', namespace: 'x', name: 'a' }, handle.cluster().pods[1]?.ips[0] ?? '', 80)]);
    expect(results.get('pod')?.outcome).toBe('allowed');
  });

  it('leaves the host namespace as it found it after teardown', async () => {
    await handle?.destroy();
    handle = undefined;
    expect(await snapshotHost()).toEqual(before);
  });
});
