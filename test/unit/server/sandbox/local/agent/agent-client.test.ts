// AgentClient against the real agent on loopback (no root needed), and against a scripted peer that writes what no
// honest agent writes, to prove the client refuses it.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../../../../../server/sandbox/local/agent/agent-client.ts';
import { formatAgentArgs, parseAgentReadyLine } from '../../../../../../server/sandbox/local/agent/agent-protocol.ts';
import type { AgentReadyListener } from '../../../../../../server/sandbox/local/agent/agent-protocol.ts';
import { ensureAgentBinary } from '../../../../../../server/sandbox/local/agent/build-agent.ts';

const hasCompiler = ((): boolean => {
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn('\n*** SKIPPING agent client tests against the real agent: no C compiler (apt-get install -y gcc). ***\n');
    return false;
  }
})();

const workDir = mkdtempSync(join(tmpdir(), 'rh-test-agent-client-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** A free loopback port (bound then released; the agent binds it right after). */
async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe.runIf(hasCompiler)('AgentClient with the real agent on loopback', () => {
  let agent: ChildProcessByStdio<null, Readable, Readable>;
  let ready: readonly AgentReadyListener[] = [];
  let client: AgentClient;
  let servedPort = 0;
  let closedPort = 0;
  const controlPath = join(workDir, 'agent.sock');

  beforeAll(async () => {
    const binary = await ensureAgentBinary({ cacheDir: join(workDir, 'cache') });
    servedPort = await findFreePort();
    closedPort = await findFreePort();
    const args = formatAgentArgs({
      controlPath,
      identity: 'x/a',
      listeners: [
        { protocol: 'tcp', port: servedPort, ip: '127.0.0.1' },
        { protocol: 'udp', port: servedPort, ip: '127.0.0.1' },
        { protocol: 'sctp', port: servedPort },
      ],
    });
    agent = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const firstLine = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: agent.stdout });
      lines.once('line', resolve);
      agent.once('exit', (code) => reject(new Error(`agent exited with ${code}`)));
    });
    const parsed = parseAgentReadyLine(firstLine);
    if (!parsed.ok) throw new Error(parsed.problem);
    ready = parsed.value;
    client = await AgentClient.connect(controlPath);
  });

  afterAll(async () => {
    await client?.close();
    if (agent !== undefined && agent.exitCode === null) {
      const exited = new Promise((resolve) => agent.once('exit', resolve));
      agent.kill('SIGTERM');
      await exited;
    }
  });

  it('reports every listener in its READY line, SCTP as unsupported on this kernel', () => {
    expect(ready.map((l) => l.spec)).toEqual([`tcp:${servedPort}@127.0.0.1`, `udp:${servedPort}@127.0.0.1`, `sctp:${servedPort}`]);
    expect(ready[0]?.status).toEqual({ state: 'ok' });
    expect(ready[1]?.status).toEqual({ state: 'ok' });
    expect(['ok', 'unsupported']).toContain(ready[2]?.status.state);
  });

  it('connects over TCP and UDP and reads the identity', async () => {
    const tcp = await client.probe({ protocol: 'tcp', ip: '127.0.0.1', port: servedPort, timeoutMs: 2000 });
    const udp = await client.probe({ protocol: 'udp', ip: '127.0.0.1', port: servedPort, timeoutMs: 2000 });
    expect(tcp).toMatchObject({ status: 'connected', detail: 'x/a' });
    expect(udp).toMatchObject({ status: 'connected', detail: 'x/a' });
    expect(tcp.resolvedIp).toBeUndefined();
  });

  it('reports refused when nothing listens, for TCP (RST) and UDP (ICMP port unreachable)', async () => {
    await expect(client.probe({ protocol: 'tcp', ip: '127.0.0.1', port: closedPort, timeoutMs: 2000 })).resolves.toMatchObject({ status: 'refused', detail: 'ECONNREFUSED' });
    await expect(client.probe({ protocol: 'udp', ip: '127.0.0.1', port: closedPort, timeoutMs: 2000 })).resolves.toMatchObject({ status: 'refused', detail: 'ECONNREFUSED' });
  });

  it('binds the probe to a source address, and says when the address is not the pod', async () => {
    await expect(client.probe({ protocol: 'tcp', ip: '127.0.0.1', port: servedPort, timeoutMs: 2000, sourceIp: '127.0.0.1' })).resolves.toMatchObject({ status: 'connected' });
    const foreign = await client.probe({ protocol: 'tcp', ip: '127.0.0.1', port: servedPort, timeoutMs: 2000, sourceIp: '198.51.100.7' });
    expect(foreign).toMatchObject({ status: 'error' });
    expect(foreign.detail).toContain('EADDRNOTAVAIL');
  });

  it('answers an address literal in PROBE_NAME without DNS, and RESOLVE without a nameserver with a clear error', async () => {
    await expect(client.probeName({ protocol: 'tcp', hostname: '127.0.0.1', port: servedPort, timeoutMs: 2000 })).resolves.toMatchObject({
      status: 'connected',
      resolvedIp: '127.0.0.1',
      detail: 'x/a',
    });
    const resolved = await client.resolve({ hostname: 'web', timeoutMs: 500 });
    expect(resolved.status).toBe('error');
    expect(resolved.detail).toContain('--nameserver');
  });

  it('multiplexes 300 probes on one connection and matches every answer to its request', async () => {
    const probes = Array.from({ length: 300 }, (_, i) =>
      client.probe({ protocol: i % 2 === 0 ? 'tcp' : 'udp', ip: '127.0.0.1', port: i % 3 === 0 ? closedPort : servedPort, timeoutMs: 5000 }),
    );
    const results = await Promise.all(probes);
    results.forEach((result, i) => {
      expect(result.status, `probe ${i}`).toBe(i % 3 === 0 ? 'refused' : 'connected');
    });
  });

  it('answers PING and STATS', async () => {
    await expect(client.ping()).resolves.toBeUndefined();
    const stats = await client.stats();
    expect(stats.rssKb).toBeGreaterThan(0);
    expect(stats.probes).toBeGreaterThan(300);
  });

  it('serves several control connections at once', async () => {
    await using second = await AgentClient.connect(controlPath);
    const [a, b] = await Promise.all([
      client.probe({ protocol: 'tcp', ip: '127.0.0.1', port: servedPort, timeoutMs: 2000 }),
      second.probe({ protocol: 'tcp', ip: '127.0.0.1', port: servedPort, timeoutMs: 2000 }),
    ]);
    expect([a.status, b.status]).toEqual(['connected', 'connected']);
  });

  it('rejects a malformed request before sending it, and the connection stays usable', async () => {
    await expect(client.probe({ protocol: 'tcp', ip: 'not-an-ip', port: servedPort, timeoutMs: 100 })).rejects.toMatchObject({ code: 'LOCAL_AGENT_BAD_REQUEST' });
    await expect(client.ping()).resolves.toBeUndefined();
  });

  it('rejects an aborted request at once and drops its late answer', async () => {
    const controller = new AbortController();
    // Aborted in the same tick as it is sent, so the agent's answer can only arrive after the abort.
    const pending = client.probe({ protocol: 'udp', ip: '127.0.0.1', port: servedPort, timeoutMs: 400 }, { signal: controller.signal });
    controller.abort(new Error('user gave up'));
    await expect(pending).rejects.toMatchObject({ code: 'LOCAL_AGENT_ABORTED' });
    // The agent still answers the abandoned id; the client must take that in stride.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(client.ping()).resolves.toBeUndefined();
  });

  it('close() rejects pending requests with LOCAL_AGENT_CLOSED and later requests fail the same way', async () => {
    const own = await AgentClient.connect(controlPath);
    // Closed in the same tick as the request is sent, so its answer cannot arrive first.
    const pending = own.probe({ protocol: 'tcp', ip: '127.0.0.1', port: servedPort, timeoutMs: 5000 });
    const rejected = expect(pending).rejects.toMatchObject({ code: 'LOCAL_AGENT_CLOSED' });
    await own.close();
    await rejected;
    await expect(own.ping()).rejects.toMatchObject({ code: 'LOCAL_AGENT_CLOSED' });
  });

  it('answers everything in flight to a client that only shut down writing (half-close)', async () => {
    const { createConnection } = await import('node:net');
    const socket = createConnection({ path: controlPath });
    socket.setEncoding('latin1');
    let text = '';
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.end(`PROBE h1 tcp 127.0.0.1 ${servedPort} 2000 -\nPROBE h2 udp 127.0.0.1 ${closedPort} 2000 -\n`);
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const results = text
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' '))
      .map(([verb, id, status, , , detail]) => `${verb} ${id} ${status} ${detail}`)
      .sort();
    expect(results).toEqual(['RESULT h1 connected x/a', 'RESULT h2 refused ECONNREFUSED']);
  });

  it('drops the probes of a client that hangs up, and does not spin on the dead connection', async () => {
    const { createSocket } = await import('node:dgram');
    const { createConnection } = await import('node:net');
    // A UDP port that never answers keeps the probe in flight until its timeout.
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const cpuTicks = (): number => {
      const fields = readFileSync(`/proc/${agent.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return Number(fields[11]) + Number(fields[12]);
    };
    try {
      const socket = createConnection({ path: controlPath });
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write(`PROBE hang tcp 127.0.0.1 ${servedPort} 100 -\nPROBE hang2 udp 127.0.0.1 ${silent.address().port} 3000 -\n`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.destroy();
      const before = cpuTicks();
      await new Promise((resolve) => setTimeout(resolve, 500));
      // A busy loop on the hung-up socket burns ~50 ticks in this half second; an idle agent burns none.
      expect(cpuTicks() - before).toBeLessThan(10);
      await expect(client.ping()).resolves.toBeUndefined();
    } finally {
      silent.close();
    }
  });

  it('answers "busy" beyond 1024 probes in flight instead of queueing without bound', async () => {
    const { createSocket } = await import('node:dgram');
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const probes = Array.from({ length: 1030 }, () => client.probe({ protocol: 'udp', ip: '127.0.0.1', port: silent.address().port, timeoutMs: 1500 }));
      const results = await Promise.all(probes);
      const busy = results.filter((r) => r.status === 'error' && r.detail.startsWith('busy'));
      expect(busy).toHaveLength(6);
      expect(results.filter((r) => r.status === 'timeout')).toHaveLength(1024);
    } finally {
      silent.close();
    }
  });

  it('answers ERROR for raw malformed lines and keeps serving (hostile control client)', async () => {
    const socketLines = await rawExchange(controlPath, [
      'PROBE',
      'PROBE x tcp 127.0.0.1 80 1000',
      'PROBE x tcp 127.0.0.1 0 1000 -',
      'PROBE x tcp 127.0.0.1 80 0 -',
      'PROBE x tcp 127.0.0.1 80 99999999999 -',
      'PROBE x icmp 127.0.0.1 80 1000 -',
      'PROBE x tcp localhost 80 1000 -',
      'PROBE x tcp 127.0.0.1 80 1000 localhost',
      'RESOLVE x a..b 100',
      'PROBE_NAME x tcp a/b 80 100 -',
      'PING a  b',
      `PING ${'y'.repeat(65)}`,
      'NOPE x',
      'x'.repeat(5000),
      'PING after',
    ]);
    expect(socketLines.filter((line) => line.startsWith('ERROR')).length).toBe(14);
    expect(socketLines.at(-1)).toBe('PONG after');
  });
});

/** Writes raw lines to the control socket and collects the answers until PONG after. */
async function rawExchange(path: string, lines: readonly string[]): Promise<string[]> {
  const { createConnection } = await import('node:net');
  const socket = createConnection({ path });
  const received: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const reader = createInterface({ input: socket });
    reader.on('line', (line) => {
      received.push(line);
      if (line === 'PONG after') resolve();
    });
    socket.once('error', reject);
    socket.write(`${lines.join('\n')}\n`);
  });
  socket.destroy();
  return received;
}

describe('AgentClient against a peer that breaks the protocol', () => {
  let server: Server;
  let script: (socket: Socket, line: string) => void = () => undefined;
  const path = join(workDir, 'scripted.sock');

  beforeAll(async () => {
    server = createServer((socket) => {
      createInterface({ input: socket }).on('line', (line) => script(socket, line));
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const idOf = (line: string): string => line.split(' ')[1] ?? '';

  it.each([
    ['an unknown status', (id: string) => `RESULT ${id} allowed 1 - x/b`],
    ['an answer to an id it never sent', () => 'PONG nobody-asked'],
    ['a PONG where a RESULT was due', (id: string) => `PONG ${id}`],
    ['an ERROR without an id', () => 'ERROR - too many control connections'],
    ['garbage', () => '\u0001\u0002garbage'],
  ])('fails every pending request with LOCAL_AGENT_PROTOCOL on %s', async (_name, reply) => {
    script = (socket, line) => socket.write(`${reply(idOf(line))}\n`);
    const client = await AgentClient.connect(path);
    const first = client.probe({ protocol: 'tcp', ip: '10.0.0.1', port: 80, timeoutMs: 1000 });
    await expect(first).rejects.toMatchObject({ code: 'LOCAL_AGENT_PROTOCOL' });
    await expect(client.ping()).rejects.toMatchObject({ code: 'LOCAL_AGENT_PROTOCOL' });
    await client.close();
  });

  it('rejects a request the agent answers with ERROR, and keeps the connection', async () => {
    script = (socket, line) => socket.write(line.startsWith('PING') ? `PONG ${idOf(line)}\n` : `ERROR ${idOf(line)} port must be an integer 1..65535\n`);
    await using client = await AgentClient.connect(path);
    await expect(client.probe({ protocol: 'tcp', ip: '10.0.0.1', port: 80, timeoutMs: 1000 })).rejects.toMatchObject({ code: 'LOCAL_AGENT_REJECTED' });
    await expect(client.ping()).resolves.toBeUndefined();
  });

  it('gives up with LOCAL_AGENT_TIMEOUT when the agent stays silent past the timeout and slack', async () => {
    script = () => undefined;
    const client = await AgentClient.connect(path, { timeoutSlackMs: 50 });
    await expect(client.probe({ protocol: 'tcp', ip: '10.0.0.1', port: 80, timeoutMs: 20 })).rejects.toMatchObject({ code: 'LOCAL_AGENT_TIMEOUT' });
    expect(client.pendingCount).toBe(0);
    await client.close();
  });

  it('answers out of order are matched by id', async () => {
    const held: { socket: Socket; id: string }[] = [];
    script = (socket, line) => {
      held.push({ socket, id: idOf(line) });
      if (held.length === 3) for (const { socket: s, id } of held.reverse()) s.write(`RESULT ${id} connected 5 - ${id}\n`);
    };
    await using client = await AgentClient.connect(path);
    const results = await Promise.all([1, 2, 3].map(() => client.probe({ protocol: 'tcp', ip: '10.0.0.1', port: 80, timeoutMs: 1000 })));
    expect(results.map((r) => r.detail)).toEqual(['r1', 'r2', 'r3']);
  });

  it('fails to connect with LOCAL_AGENT_CONNECT_FAILED when no agent listens', async () => {
    const missing = join(workDir, 'missing.sock');
    expect(existsSync(missing)).toBe(false);
    await expect(AgentClient.connect(missing)).rejects.toMatchObject({ code: 'LOCAL_AGENT_CONNECT_FAILED' });
  });
});
