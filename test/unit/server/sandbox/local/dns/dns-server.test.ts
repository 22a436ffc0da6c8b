// The cluster DNS server in the kube-dns pod's agent (dns-server.c), over real UDP and TCP sockets on loopback (a
// free port, no root needed), checked with the tests' own DNS codec: answers as the Kubernetes DNS specification and
// the RFCs say, REFUSED outside the zone, truncation, TCP framing, reload on SIGHUP and RELOAD, and hostile packets
// that must never crash it or get an answer that does not parse.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../../../../../server/sandbox/local/agent/agent-client.ts';
import { findDnsPort, formatAgentArgs, parseAgentReadyLine } from '../../../../../../server/sandbox/local/agent/agent-protocol.ts';
import { ensureAgentBinary } from '../../../../../../server/sandbox/local/agent/build-agent.ts';
import { buildDnsRecords, dnsRecordFileFormat, formatDnsRecordFile } from '../../../../../../server/sandbox/local/dns/dns-records.ts';
import { makeCluster, makeExternal, makePod, makeService } from '../../../../../helpers/builders.ts';
import { decodeDnsMessage, encodeDnsMessage } from '../../../../../helpers/dns-packet.ts';
import type { DnsMessage, DnsResourceRecord } from '../../../../../helpers/dns-packet.ts';
import { isStrict } from '../../../../../helpers/env.ts';

function hasCompiler(): boolean {
  try {
    execFileSync(process.env.CC ?? 'cc', ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    if (isStrict) throw new Error('the DNS server tests must run here (REHEARSAL_REQUIRE_PRIVILEGED=1) but there is no C compiler: apt-get install -y gcc');
    console.warn('\n*** SKIPPING the agent DNS server tests: no C compiler (apt-get install -y gcc). CI runs them. ***\n');
    return false;
  }
}

const bigPods = Array.from({ length: 60 }, (_, i) => makePod('x', `big-${i}`, { labels: { app: 'big' }, ip: `10.244.1.${i + 1}` }));
// Nine SRV answers for `mid` fit in 512 bytes; their nine addresses as additional data do not.
const midPods = Array.from({ length: 9 }, (_, i) => makePod('x', `mid-${i}`, { labels: { app: 'mid' }, ip: `10.244.2.${i + 1}` }));
const pods = [makePod('x', 'a', { labels: { app: 'web' }, ips: ['10.244.0.10', 'fd00::10'] }), ...bigPods, ...midPods];
const services = [
  makeService('x', 'web', { selector: { app: 'web' }, clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 80, protocol: 'TCP' }] }),
  makeService('x', 'big', { selector: { app: 'big' }, clusterIP: 'None', ports: [] }),
  makeService('x', 'mid', { selector: { app: 'mid' }, clusterIP: 'None', ports: [{ name: 'http', port: 80, targetPort: 80, protocol: 'TCP' }] }),
  makeService('x', 'empty', { selector: { app: 'nothing' }, clusterIP: 'None', ports: [] }),
];
const cluster = makeCluster({ pods, services, externals: [makeExternal('api', '192.0.2.10', [], ['api.example.com'])] });

const rcodes = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const types = { A: 1, NS: 2, AAAA: 28, SRV: 33, IXFR: 251, AXFR: 252, ANY: 255 } as const;

interface QueryOptions {
  readonly type?: number;
  readonly klass?: number;
  readonly opcode?: number;
  readonly ednsBytes?: number;
  readonly id?: number;
}

function makeQuery(name: string, options: QueryOptions = {}): Uint8Array {
  const opt: DnsResourceRecord[] = options.ednsBytes === undefined ? [] : [{ name: '', class: options.ednsBytes, ttlSeconds: 0, data: { type: 'OPT', options: new Uint8Array() } }];
  return encodeDnsMessage({
    header: { id: options.id ?? 0x4242, isResponse: false, opcode: options.opcode ?? 0, isAuthoritative: false, isTruncated: false, isRecursionDesired: true, isRecursionAvailable: false, rcode: 0 },
    questions: [{ name, type: options.type ?? types.A, class: options.klass ?? 1 }],
    answers: [],
    authorities: [],
    additionals: opt,
  });
}

function decode(bytes: Uint8Array): DnsMessage {
  const decoded = decodeDnsMessage(bytes);
  if (!decoded.ok) throw new Error(`the server's answer does not parse: ${decoded.problem}`);
  return decoded.message;
}

describe.runIf(hasCompiler())('the agent DNS server on loopback', () => {
  const work = mkdtempSync(join(tmpdir(), 'rehearsal-dns-server-'));
  const recordsPath = join(work, 'records.txt');
  const controlPath = join(work, 'dns.sock');
  let binary = '';
  let agent: ChildProcessByStdio<null, Readable, Readable> | undefined;
  let readyLine = '';
  let stderr = '';
  let port = 0;
  let udp: UdpSocket | undefined;
  let control: AgentClient | undefined;

  /** One query over UDP; undefined when no answer came within `waitMs`. */
  function queryUdp(packet: Uint8Array, waitMs = 2000): Promise<Buffer | undefined> {
    const socket = udp;
    if (socket === undefined) throw new Error('no UDP socket');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        socket.off('message', onMessage);
        resolve(undefined);
      }, waitMs);
      const onMessage = (message: Buffer): void => {
        clearTimeout(timer);
        resolve(message);
      };
      socket.once('message', onMessage);
      socket.send(packet, port, '127.0.0.1');
    });
  }

  async function ask(packet: Uint8Array): Promise<DnsMessage> {
    const reply = await queryUdp(packet);
    if (reply === undefined) throw new Error('no answer over UDP');
    return decode(reply);
  }

  /** Writes `chunks` on one TCP connection and collects `count` length-prefixed answers. */
  function queryTcp(chunks: readonly Uint8Array[], count: number): Promise<DnsMessage[]> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      let buffer = Buffer.alloc(0);
      const messages: DnsMessage[] = [];
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`only ${messages.length} of ${count} TCP answers within 5 s`));
      }, 5000);
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        while (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) {
          const length = buffer.readUInt16BE(0);
          messages.push(decode(buffer.subarray(2, 2 + length)));
          buffer = buffer.subarray(2 + length);
        }
        if (messages.length >= count) {
          clearTimeout(timer);
          socket.destroy();
          resolve(messages);
        }
      });
      socket.once('error', reject);
      socket.once('connect', () => {
        void (async () => {
          for (const chunk of chunks) {
            socket.write(chunk);
            await new Promise((wait) => setTimeout(wait, 20));
          }
        })();
      });
    });
  }

  function frame(packet: Uint8Array): Buffer {
    const framed = Buffer.alloc(packet.length + 2);
    framed.writeUInt16BE(packet.length, 0);
    framed.set(packet, 2);
    return framed;
  }

  function startAgent(records: string): ChildProcessByStdio<null, Readable, Readable> {
    return spawn(binary, formatAgentArgs({ controlPath, identity: 'kube-system/coredns', listeners: [], dns: { recordsFile: records, port: 0, ip: '127.0.0.1' } }), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  function isAlive(): boolean {
    return agent !== undefined && agent.exitCode === null && agent.signalCode === null;
  }

  beforeAll(async () => {
    binary = await ensureAgentBinary({ cacheDir: join(work, 'cache') });
    writeFileSync(recordsPath, formatDnsRecordFile(buildDnsRecords(cluster)));
    agent = startAgent(recordsPath);
    agent.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    readyLine = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no READY within 15 s: ${stderr}`)), 15_000);
      createInterface({ input: agent?.stdout ?? process.stdin }).once('line', (line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
    const ready = parseAgentReadyLine(readyLine);
    if (!ready.ok) throw new Error(ready.problem);
    port = findDnsPort(ready.value) ?? 0;
    udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp?.bind(0, '127.0.0.1', resolve));
    control = await AgentClient.connect(controlPath);
  });

  afterAll(async () => {
    await control?.close();
    udp?.close();
    agent?.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  });

  it('says in its READY line which port it serves', () => {
    expect(readyLine).toMatch(/^READY dns:[0-9]+@127\.0\.0\.1=ok$/);
    expect(port).toBeGreaterThan(0);
  });

  it('answers A for a service with its ClusterIP, authoritatively, echoing id, question and RD, without recursion', async () => {
    const reply = await ask(makeQuery('web.x.svc.cluster.local'));
    expect(reply.header).toMatchObject({ id: 0x4242, isResponse: true, isAuthoritative: true, isRecursionDesired: true, isRecursionAvailable: false, rcode: rcodes.NOERROR });
    expect(reply.questions).toEqual([{ name: 'web.x.svc.cluster.local', type: types.A, class: 1 }]);
    expect(reply.answers).toEqual([{ name: 'web.x.svc.cluster.local', class: 1, ttlSeconds: 5, data: { type: 'A', address: '10.96.0.20' } }]);
  });

  it('matches names case-insensitively and answers with the case the client sent', async () => {
    const reply = await ask(makeQuery('WeB.X.svc.Cluster.Local'));
    expect(reply.answers[0]).toMatchObject({ name: 'WeB.X.svc.Cluster.Local', data: { address: '10.96.0.20' } });
  });

  it('answers AAAA for a pod address and NOERROR with no data where a name has no address of that family', async () => {
    expect((await ask(makeQuery('fd00--10.x.pod.cluster.local', { type: types.AAAA }))).answers.map((r) => r.data)).toEqual([{ type: 'AAAA', address: 'fd00::10' }]);
    const nodata = await ask(makeQuery('web.x.svc.cluster.local', { type: types.AAAA }));
    expect(nodata.header.rcode).toBe(rcodes.NOERROR);
    expect(nodata.answers).toEqual([]);
    expect((await ask(makeQuery('empty.x.svc.cluster.local'))).header.rcode).toBe(rcodes.NOERROR);
  });

  it('answers NXDOMAIN for an unknown name in the zone, and NOERROR for names that exist only as parents (RFC 8020)', async () => {
    expect((await ask(makeQuery('nope.x.svc.cluster.local'))).header).toMatchObject({ rcode: rcodes.NXDOMAIN, isAuthoritative: true });
    expect((await ask(makeQuery('x.svc.cluster.local'))).header).toMatchObject({ rcode: rcodes.NOERROR, isAuthoritative: true });
    expect((await ask(makeQuery('cluster.local'))).header.rcode).toBe(rcodes.NOERROR);
  });

  it('answers external hostnames, and REFUSES other names outside the zone (no recursion, no open resolver)', async () => {
    expect((await ask(makeQuery('api.example.com'))).answers[0]?.data).toEqual({ type: 'A', address: '192.0.2.10' });
    const outside = await ask(makeQuery('www.example.org'));
    expect(outside.header).toMatchObject({ rcode: rcodes.REFUSED, isAuthoritative: false });
    expect(outside.answers).toEqual([]);
    expect((await ask(makeQuery('', { type: types.NS }))).header.rcode).toBe(rcodes.REFUSED);
  });

  it('answers SRV for a named port, with the target addresses as additional data (RFC 2782)', async () => {
    const reply = await ask(makeQuery('_http._tcp.web.x.svc.cluster.local', { type: types.SRV }));
    expect(reply.answers.map((r) => r.data)).toEqual([{ type: 'SRV', priority: 0, weight: 100, port: 80, target: 'web.x.svc.cluster.local' }]);
    expect(reply.additionals).toEqual([{ name: 'web.x.svc.cluster.local', class: 1, ttlSeconds: 5, data: { type: 'A', address: '10.96.0.20' } }]);
  });

  it.each([
    ['class CH', makeQuery('web.x.svc.cluster.local', { klass: 3 }), rcodes.REFUSED],
    ['class ANY', makeQuery('web.x.svc.cluster.local', { klass: 255 }), rcodes.REFUSED],
    ['type ANY', makeQuery('web.x.svc.cluster.local', { type: types.ANY }), rcodes.REFUSED],
    ['a zone transfer (AXFR)', makeQuery('cluster.local', { type: types.AXFR }), rcodes.REFUSED],
    ['an incremental transfer (IXFR)', makeQuery('cluster.local', { type: types.IXFR }), rcodes.REFUSED],
    ['opcode STATUS', makeQuery('web.x.svc.cluster.local', { opcode: 2 }), rcodes.NOTIMP],
  ])('refuses %s', async (_name, packet, rcode) => {
    const reply = await ask(packet);
    expect(reply.header.rcode).toBe(rcode);
    expect(reply.answers).toEqual([]);
  });

  it('truncates a large UDP answer to 512 bytes with TC set; EDNS raises the limit to at most 1232 and gets an OPT back', async () => {
    const plain = await queryUdp(makeQuery('big.x.svc.cluster.local'));
    expect(plain?.length).toBeLessThanOrEqual(512);
    const truncated = decode(plain ?? Buffer.alloc(0));
    expect(truncated.header.isTruncated).toBe(true);
    expect(truncated.answers.length).toBeGreaterThan(0);
    expect(truncated.answers.length).toBeLessThan(60);
    const edns = await ask(makeQuery('big.x.svc.cluster.local', { ednsBytes: 4096 }));
    expect(edns.header.isTruncated).toBe(false);
    expect(edns.answers).toHaveLength(60);
    expect(edns.additionals.at(-1)).toMatchObject({ name: '', class: 1232, data: { type: 'OPT' } });
    const small = await queryUdp(makeQuery('big.x.svc.cluster.local', { ednsBytes: 100 }));
    expect(small?.length).toBeLessThanOrEqual(512);
    expect(decode(small ?? Buffer.alloc(0)).header.isTruncated).toBe(true);
  });

  it('leaves SRV additional data out when it does not fit, without setting TC (RFC 2181 9)', async () => {
    const reply = await ask(makeQuery('_http._tcp.mid.x.svc.cluster.local', { type: types.SRV }));
    expect(reply.header.isTruncated).toBe(false);
    expect(reply.answers).toHaveLength(9);
    expect(reply.additionals.length).toBeLessThan(9);
    const [full] = await queryTcp([frame(makeQuery('_http._tcp.mid.x.svc.cluster.local', { type: types.SRV }))], 1);
    expect(full?.answers).toHaveLength(9);
    expect(full?.additionals.map((record) => record.name).sort()).toEqual(midPods.map((pod) => `${pod.name}.mid.x.svc.cluster.local`).sort());
  });

  it('answers several length-prefixed queries on one TCP connection, a frame boundary inside the length prefix', async () => {
    const stream = Buffer.concat([frame(makeQuery('web.x.svc.cluster.local', { id: 1 })), frame(makeQuery('big.x.svc.cluster.local', { id: 2 }))]);
    const replies = await queryTcp([stream.subarray(0, 1), stream.subarray(1, 30), stream.subarray(30)], 2);
    expect(replies.map((reply) => reply.header.id)).toEqual([1, 2]);
    expect(replies[1]?.header.isTruncated).toBe(false);
    expect(replies[1]?.answers).toHaveLength(60);
  });

  it('answers FORMERR, echoing the id, to two questions and to malformed names', async () => {
    const two = encodeDnsMessage({
      header: { id: 7, isResponse: false, opcode: 0, isAuthoritative: false, isTruncated: false, isRecursionDesired: false, isRecursionAvailable: false, rcode: 0 },
      questions: [
        { name: 'a', type: 1, class: 1 },
        { name: 'b', type: 1, class: 1 },
      ],
      answers: [],
      authorities: [],
      additionals: [],
    });
    expect((await ask(two)).header).toMatchObject({ id: 7, rcode: rcodes.FORMERR });
    const header = (id: number, counts: readonly number[]): number[] => [id >> 8, id & 0xff, 0x01, 0, ...counts.flatMap((count) => [count >> 8, count & 0xff])];
    const malformed: readonly (readonly [string, readonly number[]])[] = [
      ['a pointer to itself', [...header(9, [1, 0, 0, 0]), 0xc0, 12, 0, 1, 0, 1]],
      ['a pointer forwards', [...header(10, [1, 0, 0, 0]), 0xc0, 14, 0, 1, 0, 1, 0]],
      ['a label running past the end', [...header(11, [1, 0, 0, 0]), 40, 0x61, 0x62, 0, 1, 0, 1]],
      ['an obsolete label type', [...header(12, [1, 0, 0, 0]), 0x41, 0, 0, 1, 0, 1]],
      ['counts the message cannot hold', [...header(13, [0xffff, 0xffff, 0xffff, 0xffff])]],
      ['bytes after the last record', [...makeQuery('web.x.svc.cluster.local', { id: 14 }), 0, 0, 0]],
      [
        'a name longer than 255 bytes',
        [...header(15, [1, 0, 0, 0]), ...Array.from({ length: 5 }, () => [63, ...Array.from({ length: 63 }, () => 0x61)]).flat(), 0, 0, 1, 0, 1],
      ],
    ];
    for (const [what, bytes] of malformed) {
      const reply = await ask(Uint8Array.from(bytes));
      expect(reply.header, what).toMatchObject({ isResponse: true, rcode: rcodes.FORMERR });
      expect(reply.header.id, what).toBe(((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0));
      expect(reply.answers, what).toEqual([]);
    }
  });

  it('does not answer responses (no reflection loops), packets shorter than a header, or oversized datagrams', async () => {
    const response = makeQuery('web.x.svc.cluster.local');
    response[2] = (response[2] ?? 0) | 0x80;
    expect(await queryUdp(response, 300)).toBeUndefined();
    expect(await queryUdp(Uint8Array.from([1, 2, 3]), 300)).toBeUndefined();
    expect(await queryUdp(new Uint8Array(5000).fill(0x41), 300)).toBeUndefined();
    expect((await ask(makeQuery('web.x.svc.cluster.local'))).answers).toHaveLength(1);
  });

  it('survives 5 000 random mutations of a valid query: every answer it gives parses and echoes the id', async () => {
    let state = 12345;
    const random = (): number => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state / 0x80000000;
    };
    const seeds = [makeQuery('web.x.svc.cluster.local'), makeQuery('_http._tcp.web.x.svc.cluster.local', { type: types.SRV, ednsBytes: 1232 })];
    let answered = 0;
    for (let i = 0; i < 5000; i++) {
      const seed = seeds[i % seeds.length] ?? new Uint8Array();
      const length = random() < 0.1 ? Math.floor(random() * seed.length) : seed.length;
      const bytes = Uint8Array.from(seed.subarray(0, length));
      for (let flip = 0; flip < 3; flip++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      if (bytes.length < 12) {
        // Shorter than a header: sent, never answered (a stray answer would surface as a wrong id below).
        udp?.send(bytes, port, '127.0.0.1');
        continue;
      }
      bytes[2] = (bytes[2] ?? 0) & 0x7f; // a query, so it deserves an answer
      const reply = await queryUdp(bytes, 5000);
      expect(reply, `no answer to mutation ${i}`).toBeDefined();
      if (reply === undefined) continue;
      answered += 1;
      const decoded = decodeDnsMessage(reply);
      expect(decoded.ok, `answer to mutation ${i} does not parse`).toBe(true);
      if (decoded.ok) expect(decoded.message.header.id).toBe(((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0));
    }
    expect(answered).toBeGreaterThan(4500);
    expect(isAlive()).toBe(true);
    expect((await ask(makeQuery('web.x.svc.cluster.local'))).answers).toHaveLength(1);
  });

  it('survives TCP clients that send a huge length and hang up, or garbage, and keeps serving', async () => {
    for (const bytes of [Buffer.from([0xff, 0xff, 1, 2, 3]), Buffer.from([0, 0]), Buffer.alloc(300, 0xff), Buffer.from([0, 3, 1, 2, 3])]) {
      await new Promise<void>((resolve) => {
        const socket = createConnection({ host: '127.0.0.1', port }, () => {
          socket.end(bytes);
        });
        socket.on('error', () => resolve());
        socket.on('close', () => resolve());
        socket.resume();
      });
    }
    expect(isAlive()).toBe(true);
    const [reply] = await queryTcp([frame(makeQuery('web.x.svc.cluster.local'))], 1);
    expect(reply?.answers).toHaveLength(1);
  });

  it('reloads on RELOAD and on SIGHUP, and keeps serving the old records when the new file is broken', async () => {
    if (agent === undefined || control === undefined) throw new Error('agent not started');
    const moved = makeCluster({ pods, services, externals: [makeExternal('api', '192.0.2.99', [], ['api.example.com'])] });
    writeFileSync(recordsPath, formatDnsRecordFile(buildDnsRecords(moved)));
    const reloaded = await control.reloadDns();
    expect(reloaded.names).toBeGreaterThan(60);
    expect((await ask(makeQuery('api.example.com'))).answers[0]?.data).toEqual({ type: 'A', address: '192.0.2.99' });

    writeFileSync(recordsPath, `${dnsRecordFileFormat}\nZONE cluster.local\nA web.x.svc.cluster.local not-an-address\n`);
    await expect(control.reloadDns()).rejects.toThrow(/reload failed, keeping the previous records: .*line 3: 'not-an-address' is not an IPv4 address/);
    agent.kill('SIGHUP');
    await expect.poll(() => stderr, { timeout: 5000 }).toMatch(/dns: reload failed, keeping the previous records: .*line 3/);
    expect((await ask(makeQuery('api.example.com'))).answers[0]?.data).toEqual({ type: 'A', address: '192.0.2.99' });
    expect(isAlive()).toBe(true);

    writeFileSync(recordsPath, formatDnsRecordFile(buildDnsRecords(cluster)));
    agent.kill('SIGHUP');
    await expect.poll(async () => (await ask(makeQuery('api.example.com'))).answers[0]?.data, { timeout: 5000 }).toEqual({ type: 'A', address: '192.0.2.10' });
    await expect.poll(() => stderr, { timeout: 5000 }).toMatch(/dns: reloaded [0-9]+ names from /);
  });

  it.each([
    ['a missing file', undefined, /dns: cannot open .*missing\.txt/],
    ['a file without the format line', 'ZONE cluster.local\n', /line 1: the file must start with 'FORMAT rehearsal-dns 1'/],
    ['a record before the zone', `${dnsRecordFileFormat}\nA web.x 10.0.0.1\n`, /line 2: records before the ZONE line/],
    ['a name that is not a DNS name', `${dnsRecordFileFormat}\nZONE cluster.local\nA bad..name 10.0.0.1\n`, /line 3: 'bad\.\.name' is not a DNS name/],
    ['an unknown directive', `${dnsRecordFileFormat}\nZONE cluster.local\nMX a.cluster.local 10 b\n`, /line 3: unknown directive 'MX'/],
    ['a line longer than 1024 bytes', `${dnsRecordFileFormat}\nZONE cluster.local\nNAME ${'a'.repeat(1100)}\n`, /line 3 is longer than 1024 bytes/],
  ])('refuses to start with %s, naming the file and the line', (_what, text, message) => {
    const path = join(work, text === undefined ? 'missing.txt' : 'bad.txt');
    if (text !== undefined) writeFileSync(path, text);
    let failure = '';
    try {
      execFileSync(binary, formatAgentArgs({ controlPath: join(work, 'bad.sock'), identity: 'x/bad', listeners: [], dns: { recordsFile: path, port: 0, ip: '127.0.0.1' } }), {
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
        timeout: 10_000,
      });
    } catch (error) {
      failure = error instanceof Error && 'stderr' in error ? String(error.stderr) : String(error);
    }
    expect(failure).toMatch(message);
  });

  it('a non-DNS agent rejects RELOAD, saying how to serve DNS', async () => {
    const plain = spawn(binary, formatAgentArgs({ controlPath: join(work, 'plain.sock'), identity: 'x/plain', listeners: [] }), { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((resolve) => createInterface({ input: plain.stdout }).once('line', () => resolve()));
      const client = await AgentClient.connect(join(work, 'plain.sock'));
      await expect(client.reloadDns()).rejects.toThrow(/serves no DNS \(start it with --dns-records <file>\)/);
      await client.close();
    } finally {
      plain.kill('SIGTERM');
    }
  });
});
