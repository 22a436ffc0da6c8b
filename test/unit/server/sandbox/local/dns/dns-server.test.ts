// The DNS server's answers (pure, per packet) and its sockets on loopback: UDP, TCP framing, truncation, reload.
import { createSocket } from 'node:dgram';
import { createConnection } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDnsMessage, encodeDnsMessage } from '../../../../../../server/sandbox/local/dns/dns-packet.ts';
import type { DnsMessage, DnsResourceRecord } from '../../../../../../server/sandbox/local/dns/dns-packet.ts';
import { buildDnsRecords } from '../../../../../../server/sandbox/local/dns/dns-records.ts';
import { DnsServer, answerDnsQuery, indexDnsRecords } from '../../../../../../server/sandbox/local/dns/dns-server.ts';
import { makeCluster, makeExternal, makePod, makeService } from '../../../../../helpers/builders.ts';

const bigPods = Array.from({ length: 60 }, (_, i) => makePod('x', `big-${i}`, { labels: { app: 'big' }, ip: `10.244.1.${i + 1}` }));
const cluster = makeCluster({
  pods: [makePod('x', 'a', { labels: { app: 'web' }, ip: '10.244.0.10' }), ...bigPods],
  services: [
    makeService('x', 'web', { selector: { app: 'web' }, clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 80, protocol: 'TCP' }] }),
    makeService('x', 'big', { selector: { app: 'big' }, clusterIP: 'None', ports: [] }),
  ],
  externals: [makeExternal('api', '192.0.2.10', [], ['api.example.com'])],
});
const records = buildDnsRecords(cluster);
const index = indexDnsRecords(records);

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
    questions: [{ name, type: options.type ?? 1, class: options.klass ?? 1 }],
    answers: [],
    authorities: [],
    additionals: opt,
  });
}

function answer(packet: Uint8Array, transport: 'udp' | 'tcp' = 'udp'): DnsMessage {
  const reply = answerDnsQuery(index, packet, transport);
  if (reply === undefined) throw new Error('no reply');
  const decoded = decodeDnsMessage(reply);
  if (!decoded.ok) throw new Error(decoded.problem);
  return decoded.message;
}

const rcodes = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

describe('answerDnsQuery', () => {
  it('answers A for a service with its ClusterIP, authoritatively, echoing id, question and RD', () => {
    const reply = answer(makeQuery('web.x.svc.cluster.local'));
    expect(reply.header).toMatchObject({ id: 0x4242, isResponse: true, isAuthoritative: true, isRecursionDesired: true, isRecursionAvailable: false, rcode: rcodes.NOERROR });
    expect(reply.questions).toEqual([{ name: 'web.x.svc.cluster.local', type: 1, class: 1 }]);
    expect(reply.answers).toEqual([{ name: 'web.x.svc.cluster.local', class: 1, ttlSeconds: 5, data: { type: 'A', address: '10.96.0.20' } }]);
  });

  it('matches names case-insensitively and answers with the case the client sent', () => {
    const reply = answer(makeQuery('WeB.X.svc.Cluster.Local'));
    expect(reply.answers[0]).toMatchObject({ name: 'WeB.X.svc.Cluster.Local', data: { address: '10.96.0.20' } });
  });

  it('answers AAAA for a name that exists with NOERROR and no records', () => {
    const reply = answer(makeQuery('web.x.svc.cluster.local', { type: 28 }));
    expect(reply.header.rcode).toBe(rcodes.NOERROR);
    expect(reply.answers).toEqual([]);
  });

  it('answers NXDOMAIN for an unknown name, in the zone and outside it', () => {
    expect(answer(makeQuery('nope.x.svc.cluster.local')).header).toMatchObject({ rcode: rcodes.NXDOMAIN, isAuthoritative: true });
    expect(answer(makeQuery('www.example.org')).header).toMatchObject({ rcode: rcodes.NXDOMAIN, isAuthoritative: false });
  });

  it('answers NOERROR for names that exist only as parents (RFC 8020): x.svc.cluster.local', () => {
    expect(answer(makeQuery('x.svc.cluster.local')).header.rcode).toBe(rcodes.NOERROR);
    expect(answer(makeQuery('cluster.local')).header.rcode).toBe(rcodes.NOERROR);
  });

  it('answers external hostnames', () => {
    expect(answer(makeQuery('api.example.com')).answers[0]?.data).toEqual({ type: 'A', address: '192.0.2.10' });
  });

  it('answers SRV with the targets and their addresses as additional data', () => {
    const reply = answer(makeQuery('_http._tcp.web.x.svc.cluster.local', { type: 33 }));
    expect(reply.answers.map((r) => r.data)).toEqual([{ type: 'SRV', priority: 0, weight: 100, port: 80, target: 'web.x.svc.cluster.local' }]);
    expect(reply.additionals.map((r) => r.data)).toEqual([{ type: 'A', address: '10.96.0.20' }]);
  });

  it.each([
    ['class CH', makeQuery('web.x.svc.cluster.local', { klass: 3 }), rcodes.REFUSED],
    ['class ANY', makeQuery('web.x.svc.cluster.local', { klass: 255 }), rcodes.REFUSED],
    ['type ANY', makeQuery('web.x.svc.cluster.local', { type: 255 }), rcodes.REFUSED],
    ['a zone transfer (AXFR)', makeQuery('cluster.local', { type: 252 }), rcodes.REFUSED],
    ['an incremental transfer (IXFR)', makeQuery('cluster.local', { type: 251 }), rcodes.REFUSED],
    ['opcode STATUS', makeQuery('web.x.svc.cluster.local', { opcode: 2 }), rcodes.NOTIMP],
  ])('refuses %s', (_name, packet, rcode) => {
    const reply = answer(packet);
    expect(reply.header.rcode).toBe(rcode);
    expect(reply.answers).toEqual([]);
  });

  it('answers FORMERR to two questions and to an undecodable query, echoing the id', () => {
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
    expect(answer(two).header).toMatchObject({ id: 7, rcode: rcodes.FORMERR });
    const broken = Uint8Array.from([0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12]);
    expect(answer(broken).header).toMatchObject({ id: 9, rcode: rcodes.FORMERR });
  });

  it('does not answer responses (no reflection loops) or packets shorter than a header', () => {
    const response = makeQuery('web.x.svc.cluster.local');
    response[2] = (response[2] ?? 0) | 0x80;
    expect(answerDnsQuery(index, response, 'udp')).toBeUndefined();
    expect(answerDnsQuery(index, Uint8Array.from([1, 2, 3]), 'udp')).toBeUndefined();
  });

  it('truncates a large UDP answer to 512 bytes with TC set, and gives all of it over TCP', () => {
    const udp = answer(makeQuery('big.x.svc.cluster.local'));
    expect(udp.header.isTruncated).toBe(true);
    expect(udp.answers.length).toBeGreaterThan(0);
    expect(udp.answers.length).toBeLessThan(60);
    const tcp = answer(makeQuery('big.x.svc.cluster.local'), 'tcp');
    expect(tcp.header.isTruncated).toBe(false);
    expect(tcp.answers).toHaveLength(60);
  });

  it('uses the EDNS buffer size up to 1232 bytes and answers with an OPT record', () => {
    const reply = answer(makeQuery('big.x.svc.cluster.local', { ednsBytes: 4096 }));
    expect(reply.header.isTruncated).toBe(false);
    expect(reply.answers).toHaveLength(60);
    expect(reply.additionals.at(-1)).toMatchObject({ name: '', class: 1232, data: { type: 'OPT' } });
    const tooSmall = answer(makeQuery('big.x.svc.cluster.local', { ednsBytes: 100 }));
    expect(tooSmall.header.isTruncated).toBe(true);
  });

  it('never throws on 5 000 random packets', () => {
    let state = 12345;
    const random = (): number => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state / 0x80000000;
    };
    const seed = makeQuery('web.x.svc.cluster.local');
    for (let i = 0; i < 5000; i++) {
      const bytes = Uint8Array.from(seed);
      for (let f = 0; f < 3; f++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      expect(() => answerDnsQuery(index, bytes, i % 2 === 0 ? 'udp' : 'tcp')).not.toThrow();
    }
  });
});

describe('DnsServer on loopback', () => {
  let server: DnsServer;

  beforeAll(async () => {
    server = await DnsServer.start({ listenIp: '127.0.0.1', port: 0, records });
  });
  afterAll(async () => {
    await server.close();
  });

  async function queryUdp(packet: Uint8Array): Promise<DnsMessage> {
    const socket = createSocket('udp4');
    try {
      const reply = await new Promise<Buffer>((resolve, reject) => {
        socket.once('message', resolve);
        socket.once('error', reject);
        socket.send(packet, server.port, '127.0.0.1');
      });
      const decoded = decodeDnsMessage(reply);
      if (!decoded.ok) throw new Error(decoded.problem);
      return decoded.message;
    } finally {
      socket.close();
    }
  }

  it('answers over UDP', async () => {
    const reply = await queryUdp(makeQuery('web.x.svc.cluster.local'));
    expect(reply.answers[0]?.data).toEqual({ type: 'A', address: '10.96.0.20' });
  });

  it('answers several length-prefixed queries on one TCP connection, split across writes', async () => {
    const socket = createConnection({ host: '127.0.0.1', port: server.port });
    const frames = [makeQuery('web.x.svc.cluster.local', { id: 1 }), makeQuery('big.x.svc.cluster.local', { id: 2 })].map((q) => {
      const framed = Buffer.alloc(q.length + 2);
      framed.writeUInt16BE(q.length, 0);
      framed.set(q, 2);
      return framed;
    });
    const stream = Buffer.concat(frames);
    const replies = await new Promise<DnsMessage[]>((resolve, reject) => {
      let buffer = Buffer.alloc(0);
      const messages: DnsMessage[] = [];
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        while (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) {
          const length = buffer.readUInt16BE(0);
          const decoded = decodeDnsMessage(buffer.subarray(2, 2 + length));
          buffer = buffer.subarray(2 + length);
          if (!decoded.ok) return reject(new Error(decoded.problem));
          messages.push(decoded.message);
          if (messages.length === 2) resolve(messages);
        }
      });
      socket.once('error', reject);
      socket.once('connect', () => {
        // A frame boundary in the middle of the length prefix.
        socket.write(stream.subarray(0, 1));
        setTimeout(() => socket.write(stream.subarray(1)), 20);
      });
    });
    socket.destroy();
    expect(replies.map((r) => r.header.id)).toEqual([1, 2]);
    expect(replies[1]?.answers).toHaveLength(60);
  });

  it('serves new records after setRecords', async () => {
    server.setRecords(buildDnsRecords(makeCluster({ externals: [makeExternal('api', '192.0.2.99', [], ['api.example.com'])] })));
    try {
      const reply = await queryUdp(makeQuery('api.example.com'));
      expect(reply.answers[0]?.data).toEqual({ type: 'A', address: '192.0.2.99' });
      expect((await queryUdp(makeQuery('web.x.svc.cluster.local'))).header.rcode).toBe(rcodes.NXDOMAIN);
    } finally {
      server.setRecords(records);
    }
  });

  it('refuses to start on an address that is not an IP', async () => {
    await expect(DnsServer.start({ listenIp: 'localhost', port: 0, records })).rejects.toThrow(TypeError);
  });
});
