// The sandbox's authoritative DNS server (UDP and TCP port 53 of the kube-dns pod): answers from DnsRecords only,
// never recurses, and treats every packet as hostile.

import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { createServer, isIP } from 'node:net';
import type { Server, Socket } from 'node:net';
import {
  DnsClasses,
  DnsOpcodes,
  DnsRcodes,
  DnsTypes,
  classicUdpPayloadBytes,
  decodeDnsMessage,
  encodeDnsMessage,
  encodeDnsResponseWithin,
  ednsUdpPayloadBytes,
} from './dns-packet.ts';
import type { DnsHeader, DnsMessage, DnsQuestion, DnsResourceRecord } from './dns-packet.ts';
import type { DnsNameRecords, DnsRecords } from './dns-records.ts';

/** DnsRecords arranged for lookups: names, and every name that exists only as a parent (empty non-terminals). */
export interface DnsZoneIndex {
  readonly records: DnsRecords;
  readonly names: ReadonlyMap<string, DnsNameRecords>;
  /** RFC 8020: a name with children exists; it answers NOERROR with no data, not NXDOMAIN. */
  readonly interiorNames: ReadonlySet<string>;
}

export function indexDnsRecords(records: DnsRecords): DnsZoneIndex {
  const names = new Map(Object.entries(records.names));
  const interiorNames = new Set<string>();
  const zoneSuffix = `.${records.zone}`;
  for (const name of names.keys()) {
    // Inside the cluster zone every ancestor down to the zone apex exists; outside it (external hostnames) the
    // server is not the authority for the parents and leaves them alone.
    if (!name.endsWith(zoneSuffix)) continue;
    let parent = name;
    while (parent.length > records.zone.length) {
      parent = parent.slice(parent.indexOf('.') + 1);
      interiorNames.add(parent);
    }
  }
  return { records, names, interiorNames };
}

export type DnsTransport = 'udp' | 'tcp';

function isWithin(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

function makeResponse(query: { readonly header: DnsHeader; readonly questions: readonly DnsQuestion[] }, rcode: number, isAuthoritative: boolean): DnsMessage {
  return {
    header: {
      id: query.header.id,
      isResponse: true,
      opcode: query.header.opcode,
      isAuthoritative,
      isTruncated: false,
      isRecursionDesired: query.header.isRecursionDesired,
      isRecursionAvailable: false,
      rcode,
    },
    questions: query.questions,
    answers: [],
    authorities: [],
    additionals: [],
  };
}

function lookupAnswers(index: DnsZoneIndex, question: DnsQuestion, entry: DnsNameRecords): { answers: DnsResourceRecord[]; additionals: DnsResourceRecord[] } {
  const ttlSeconds = index.records.ttlSeconds;
  const owner = question.name;
  const klass = DnsClasses.IN;
  const additionals: DnsResourceRecord[] = [];
  switch (question.type) {
    case DnsTypes.A:
      return { answers: entry.a.map((address) => ({ name: owner, class: klass, ttlSeconds, data: { type: 'A', address } })), additionals };
    case DnsTypes.AAAA:
      return { answers: entry.aaaa.map((address) => ({ name: owner, class: klass, ttlSeconds, data: { type: 'AAAA', address } })), additionals };
    case DnsTypes.SRV: {
      const answers: DnsResourceRecord[] = entry.srv.map((srv) => ({ name: owner, class: klass, ttlSeconds, data: { type: 'SRV', ...srv } }));
      // RFC 2782: "implementors are urged, but not required, to return the address record(s) in the Additional Data section".
      for (const srv of entry.srv) {
        const target = index.names.get(srv.target);
        for (const address of target?.a ?? []) additionals.push({ name: srv.target, class: klass, ttlSeconds, data: { type: 'A', address } });
        for (const address of target?.aaaa ?? []) additionals.push({ name: srv.target, class: klass, ttlSeconds, data: { type: 'AAAA', address } });
      }
      return { answers, additionals };
    }
    default:
      return { answers: [], additionals };
  }
}

/**
 * The answer to one query packet, or undefined when the packet deserves none (it is a response, or too broken to
 * carry an id). Never throws: a failure inside becomes SERVFAIL.
 */
export function answerDnsQuery(index: DnsZoneIndex, packet: Uint8Array, transport: DnsTransport): Uint8Array | undefined {
  const decoded = decodeDnsMessage(packet);
  if (!decoded.ok) {
    // RFC 1035 4.1.1: FORMERR "The name server was unable to interpret the query." Echo the id, nothing else.
    if (decoded.header === undefined || decoded.header.isResponse) return undefined;
    return encodeDnsMessage(makeResponse({ header: decoded.header, questions: [] }, DnsRcodes.formErr, false));
  }
  const query = decoded.message;
  if (query.header.isResponse) return undefined;
  try {
    return encodeAnswer(index, query, transport);
  } catch {
    return encodeDnsMessage(makeResponse({ header: query.header, questions: [] }, DnsRcodes.servFail, false));
  }
}

function encodeAnswer(index: DnsZoneIndex, query: DnsMessage, transport: DnsTransport): Uint8Array {
  const opt = query.additionals.find((record) => record.data.type === 'OPT');
  // RFC 6891 6.2.5: payload sizes below 512 are treated as 512. We never send more than 1232 over UDP.
  const udpLimit = opt === undefined ? classicUdpPayloadBytes : Math.min(Math.max(opt.class, classicUdpPayloadBytes), ednsUdpPayloadBytes);
  const maxBytes = transport === 'tcp' ? 65_535 : udpLimit;
  const finish = (message: DnsMessage): Uint8Array => {
    const additionals: DnsResourceRecord[] =
      opt === undefined ? [...message.additionals] : [...message.additionals, { name: '', class: ednsUdpPayloadBytes, ttlSeconds: 0, data: { type: 'OPT', options: new Uint8Array() } }];
    return encodeDnsResponseWithin({ ...message, additionals }, maxBytes).bytes;
  };

  if (query.header.opcode !== DnsOpcodes.query) return finish(makeResponse(query, DnsRcodes.notImp, false));
  const question = query.questions[0];
  if (query.questions.length !== 1 || question === undefined) return finish(makeResponse(query, DnsRcodes.formErr, false));
  // Only the Internet class exists here; zone transfers and ANY are the usual amplification tools: refuse them.
  if (question.class !== DnsClasses.IN) return finish(makeResponse(query, DnsRcodes.refused, false));
  if (question.type === DnsTypes.ANY || question.type === DnsTypes.AXFR || question.type === DnsTypes.IXFR) {
    return finish(makeResponse(query, DnsRcodes.refused, false));
  }
  const name = question.name.toLowerCase();
  const isAuthoritative = isWithin(name, index.records.zone) || index.names.has(name);
  const entry = index.names.get(name);
  if (entry === undefined) {
    const rcode = index.interiorNames.has(name) ? DnsRcodes.noError : DnsRcodes.nxDomain;
    return finish(makeResponse(query, rcode, isAuthoritative));
  }
  const { answers, additionals } = lookupAnswers(index, question, entry);
  return finish({ ...makeResponse(query, DnsRcodes.noError, true), answers, additionals });
}

// ---- sockets ----

export interface DnsServerOptions {
  readonly listenIp: string;
  /** Default 53. 0 picks a free port (tests). */
  readonly port?: number;
  readonly records: DnsRecords;
  /** Socket-level failures after start (a reply that could not be sent). Default: ignored. */
  readonly onError?: (error: Error) => void;
}

const maxTcpConnections = 64;
const tcpIdleTimeoutMs = 10_000;

/** A running server. `close()` (or `await using`) stops both sockets and every TCP connection. */
export class DnsServer implements AsyncDisposable {
  readonly listenIp: string;
  readonly port: number;
  private index: DnsZoneIndex;
  private readonly udp: UdpSocket;
  private readonly tcp: Server;
  private readonly connections = new Set<Socket>();
  private isClosed = false;

  private constructor(options: { listenIp: string; port: number; index: DnsZoneIndex; udp: UdpSocket; tcp: Server }) {
    this.listenIp = options.listenIp;
    this.port = options.port;
    this.index = options.index;
    this.udp = options.udp;
    this.tcp = options.tcp;
  }

  static async start(options: DnsServerOptions): Promise<DnsServer> {
    const family = isIP(options.listenIp);
    if (family === 0) throw new TypeError(`DNS listen address is not an IP: ${options.listenIp}`);
    const onError = options.onError ?? ((): void => undefined);
    const index = indexDnsRecords(options.records);
    const udp = createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind({ address: options.listenIp, port: options.port ?? 53, exclusive: true }, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const port = udp.address().port;
    const tcp = createServer({ allowHalfOpen: false, pauseOnConnect: false });
    tcp.maxConnections = maxTcpConnections;
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host: options.listenIp, port, exclusive: true }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      udp.close();
      throw error;
    }
    const server = new DnsServer({ listenIp: options.listenIp, port, index, udp, tcp });
    udp.on('message', (packet, remote) => server.onDatagram(packet, remote.address, remote.port, onError));
    udp.on('error', onError);
    tcp.on('connection', (socket) => server.onConnection(socket, onError));
    tcp.on('error', onError);
    return server;
  }

  /** Swaps the records atomically; queries already answered keep their answers. */
  setRecords(records: DnsRecords): void {
    this.index = indexDnsRecords(records);
  }

  get records(): DnsRecords {
    return this.index.records;
  }

  private onDatagram(packet: Buffer, address: string, port: number, onError: (error: Error) => void): void {
    const reply = answerDnsQuery(this.index, packet, 'udp');
    if (reply === undefined || this.isClosed) return;
    this.udp.send(reply, port, address, (error) => {
      if (error !== null) onError(error);
    });
  }

  private onConnection(socket: Socket, onError: (error: Error) => void): void {
    this.connections.add(socket);
    socket.setTimeout(tcpIdleTimeoutMs, () => socket.destroy());
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', onError);
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      // RFC 1035 4.2.2: "The message is prefixed with a two byte length field"; several may follow on one connection.
      while (buffer.length >= 2) {
        const length = buffer.readUInt16BE(0);
        if (buffer.length < 2 + length) break;
        const packet = buffer.subarray(2, 2 + length);
        buffer = buffer.subarray(2 + length);
        const reply = answerDnsQuery(this.index, packet, 'tcp');
        if (reply === undefined) continue;
        const framed = Buffer.alloc(2 + reply.length);
        framed.writeUInt16BE(reply.length, 0);
        framed.set(reply, 2);
        socket.write(framed);
      }
    });
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const socket of this.connections) socket.destroy();
    await Promise.all([
      new Promise<void>((resolve) => this.udp.close(() => resolve())),
      new Promise<void>((resolve) => this.tcp.close(() => resolve())),
    ]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
