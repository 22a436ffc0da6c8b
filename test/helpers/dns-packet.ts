// DNS wire format for tests (RFC 1035, AAAA RFC 3596, SRV RFC 2782, OPT RFC 6891): an implementation independent
// of the agent's C server (dns-server.c), used to write queries to it and read its answers strictly. Decodes with
// strict bounds and encodes with name compression; decoding hostile bytes returns a problem, never throws.

export const DnsTypes = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, IXFR: 251, AXFR: 252, ANY: 255 } as const;
export const DnsClasses = { IN: 1, CH: 3, HS: 4, ANY: 255 } as const;
export const DnsRcodes = { noError: 0, formErr: 1, servFail: 2, nxDomain: 3, notImp: 4, refused: 5 } as const;
export const DnsOpcodes = { query: 0 } as const;

/** RFC 1035 4.2.1: "Messages carried by UDP are restricted to 512 bytes (not counting the IP or UDP headers)." */
export const classicUdpPayloadBytes = 512;
/** The EDNS buffer size recommended by DNS Flag Day 2020 to avoid IP fragmentation. */
export const ednsUdpPayloadBytes = 1232;

export interface DnsHeader {
  readonly id: number;
  readonly isResponse: boolean;
  readonly opcode: number;
  readonly isAuthoritative: boolean;
  readonly isTruncated: boolean;
  readonly isRecursionDesired: boolean;
  readonly isRecursionAvailable: boolean;
  readonly rcode: number;
}

/** Names are dotted text without the trailing dot ('' is the root); bytes outside [A-Za-z0-9_*-] appear as `\DDD`. */
export interface DnsQuestion {
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

export type DnsRecordData =
  | { readonly type: 'A'; readonly address: string }
  | { readonly type: 'AAAA'; readonly address: string }
  | { readonly type: 'CNAME'; readonly target: string }
  | { readonly type: 'SRV'; readonly priority: number; readonly weight: number; readonly port: number; readonly target: string }
  /** EDNS pseudo-record: the record's `class` carries the sender's UDP payload size, `ttlSeconds` the extended flags. */
  | { readonly type: 'OPT'; readonly options: Uint8Array }
  | { readonly type: 'other'; readonly typeCode: number; readonly rdata: Uint8Array };

export interface DnsResourceRecord {
  readonly name: string;
  readonly class: number;
  readonly ttlSeconds: number;
  readonly data: DnsRecordData;
}

export interface DnsMessage {
  readonly header: DnsHeader;
  readonly questions: readonly DnsQuestion[];
  readonly answers: readonly DnsResourceRecord[];
  readonly authorities: readonly DnsResourceRecord[];
  readonly additionals: readonly DnsResourceRecord[];
}

export type DnsDecodeResult =
  | { readonly ok: true; readonly message: DnsMessage }
  /** `header` is present when the 12 header bytes could be read, so a FORMERR can echo the id. */
  | { readonly ok: false; readonly problem: string; readonly header?: DnsHeader };

// ---- decoding ----

class DecodeProblem extends Error {}

const maxNameWireBytes = 255;
const maxLabelBytes = 63;
const maxPointerHops = 64;

function decodeHeader(bytes: Uint8Array): DnsHeader {
  const flags = ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0);
  return {
    id: ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0),
    isResponse: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0x0f,
    isAuthoritative: (flags & 0x0400) !== 0,
    isTruncated: (flags & 0x0200) !== 0,
    isRecursionDesired: (flags & 0x0100) !== 0,
    isRecursionAvailable: (flags & 0x0080) !== 0,
    rcode: flags & 0x0f,
  };
}

function isPlainLabelByte(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x2d || byte === 0x5f || byte === 0x2a
  );
}

class Reader {
  readonly bytes: Uint8Array;
  offset = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  need(count: number, what: string): void {
    if (this.offset + count > this.bytes.length) throw new DecodeProblem(`${what} runs past the end of the message at byte ${this.offset}`);
  }

  u8(what: string): number {
    this.need(1, what);
    const value = this.bytes[this.offset] ?? 0;
    this.offset += 1;
    return value;
  }

  u16(what: string): number {
    this.need(2, what);
    const value = ((this.bytes[this.offset] ?? 0) << 8) | (this.bytes[this.offset + 1] ?? 0);
    this.offset += 2;
    return value;
  }

  u32(what: string): number {
    const high = this.u16(what);
    return high * 0x10000 + this.u16(what);
  }

  take(count: number, what: string): Uint8Array {
    this.need(count, what);
    const slice = this.bytes.slice(this.offset, this.offset + count);
    this.offset += count;
    return slice;
  }

  /** RFC 1035 4.1.4: a name is labels ending in a zero byte or a pointer; pointers must point backwards (no loops). */
  name(what: string): string {
    const labels: string[] = [];
    let position = this.offset;
    let wireBytes = 0;
    let hops = 0;
    let resumeAt: number | undefined;
    for (;;) {
      if (position >= this.bytes.length) throw new DecodeProblem(`${what}: name runs past the end of the message`);
      const length = this.bytes[position] ?? 0;
      if ((length & 0xc0) === 0xc0) {
        if (position + 1 >= this.bytes.length) throw new DecodeProblem(`${what}: truncated compression pointer`);
        const target = ((length & 0x3f) << 8) | (this.bytes[position + 1] ?? 0);
        if (target >= position) throw new DecodeProblem(`${what}: compression pointer does not point backwards`);
        hops += 1;
        if (hops > maxPointerHops) throw new DecodeProblem(`${what}: too many compression pointers`);
        resumeAt ??= position + 2;
        position = target;
        continue;
      }
      if ((length & 0xc0) !== 0) throw new DecodeProblem(`${what}: unsupported label type 0x${length.toString(16)}`);
      wireBytes += length + 1;
      if (wireBytes > maxNameWireBytes) throw new DecodeProblem(`${what}: name longer than 255 bytes`);
      if (length === 0) {
        position += 1;
        break;
      }
      if (position + 1 + length > this.bytes.length) throw new DecodeProblem(`${what}: label runs past the end of the message`);
      let label = '';
      for (let i = 0; i < length; i++) {
        const byte = this.bytes[position + 1 + i] ?? 0;
        label += isPlainLabelByte(byte) ? String.fromCharCode(byte) : `\\${byte.toString().padStart(3, '0')}`;
      }
      labels.push(label);
      position += 1 + length;
    }
    this.offset = resumeAt ?? position;
    return labels.join('.');
  }
}

function formatIpv4(bytes: Uint8Array): string {
  return Array.from(bytes).join('.');
}

function formatIpv6(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  // RFC 5952: compress the longest run (at least two) of zero groups with '::'.
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j += 1;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}

function readRecord(reader: Reader, section: string, index: number): DnsResourceRecord {
  const what = `${section}[${index}]`;
  const name = reader.name(what);
  const typeCode = reader.u16(what);
  const klass = reader.u16(what);
  const ttlSeconds = reader.u32(what);
  const rdLength = reader.u16(what);
  reader.need(rdLength, `${what} rdata`);
  const end = reader.offset + rdLength;
  let data: DnsRecordData;
  switch (typeCode) {
    case DnsTypes.A:
      if (rdLength !== 4) throw new DecodeProblem(`${what}: A record with ${rdLength} bytes of data`);
      data = { type: 'A', address: formatIpv4(reader.take(4, what)) };
      break;
    case DnsTypes.AAAA:
      if (rdLength !== 16) throw new DecodeProblem(`${what}: AAAA record with ${rdLength} bytes of data`);
      data = { type: 'AAAA', address: formatIpv6(reader.take(16, what)) };
      break;
    case DnsTypes.CNAME:
      data = { type: 'CNAME', target: reader.name(`${what} target`) };
      break;
    case DnsTypes.SRV: {
      const priority = reader.u16(what);
      const weight = reader.u16(what);
      const port = reader.u16(what);
      data = { type: 'SRV', priority, weight, port, target: reader.name(`${what} target`) };
      break;
    }
    case DnsTypes.OPT:
      data = { type: 'OPT', options: reader.take(rdLength, what) };
      break;
    default:
      data = { type: 'other', typeCode, rdata: reader.take(rdLength, what) };
  }
  if (reader.offset !== end) throw new DecodeProblem(`${what}: record data length ${rdLength} does not match its content`);
  return { name, class: klass, ttlSeconds, data };
}

/** Decodes a whole message. Trailing bytes after the last record are a problem, as are counts the bytes cannot hold. */
export function decodeDnsMessage(bytes: Uint8Array): DnsDecodeResult {
  if (bytes.length < 12) return { ok: false, problem: `message of ${bytes.length} bytes is shorter than a DNS header` };
  const header = decodeHeader(bytes);
  try {
    const reader = new Reader(bytes);
    reader.offset = 12;
    const counts = [0, 0, 0, 0].map((_, i) => ((bytes[4 + 2 * i] ?? 0) << 8) | (bytes[5 + 2 * i] ?? 0));
    const [qdCount = 0, anCount = 0, nsCount = 0, arCount = 0] = counts;
    // Each question takes at least 5 bytes and each record 11: reject impossible counts before looping on them.
    if (12 + qdCount * 5 + (anCount + nsCount + arCount) * 11 > bytes.length) {
      return { ok: false, problem: 'section counts exceed what the message can hold', header };
    }
    const questions: DnsQuestion[] = [];
    for (let i = 0; i < qdCount; i++) {
      const name = reader.name(`question[${i}]`);
      questions.push({ name, type: reader.u16(`question[${i}]`), class: reader.u16(`question[${i}]`) });
    }
    const section = (label: string, count: number): DnsResourceRecord[] => {
      const records: DnsResourceRecord[] = [];
      for (let i = 0; i < count; i++) records.push(readRecord(reader, label, i));
      return records;
    };
    const answers = section('answer', anCount);
    const authorities = section('authority', nsCount);
    const additionals = section('additional', arCount);
    if (reader.offset !== bytes.length) return { ok: false, problem: `${bytes.length - reader.offset} bytes after the last record`, header };
    return { ok: true, message: { header, questions, answers, authorities, additionals } };
  } catch (error) {
    // Only our own bounds checks throw here; anything else would be a bug, still reported as a problem, not a crash.
    const problem = error instanceof DecodeProblem ? error.message : `undecodable message (${String(error)})`;
    return { ok: false, problem, header };
  }
}

// ---- encoding ----

/** Splits a name into label bytes, reading `\DDD` and `\X` escapes. Throws a RangeError on a name DNS cannot carry. */
export function nameToLabels(name: string): Uint8Array[] {
  if (name === '' || name === '.') return [];
  const text = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  const labels: Uint8Array[] = [];
  let current: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === 0x5c) {
      const digits = text.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(digits) && Number(digits) <= 255) {
        current.push(Number(digits));
        i += 3;
      } else if (i + 1 < text.length) {
        current.push(text.charCodeAt(i + 1) & 0xff);
        i += 1;
      } else {
        throw new RangeError(`name ends in a lone backslash: ${name}`);
      }
      continue;
    }
    if (char === 0x2e) {
      if (current.length === 0) throw new RangeError(`empty label in name: ${name}`);
      labels.push(Uint8Array.from(current));
      current = [];
      continue;
    }
    if (char > 0xff) throw new RangeError(`name has a character DNS cannot carry: ${name}`);
    current.push(char);
  }
  if (current.length === 0) throw new RangeError(`empty label in name: ${name}`);
  labels.push(Uint8Array.from(current));
  let wire = 1;
  for (const label of labels) {
    if (label.length > maxLabelBytes) throw new RangeError(`label longer than 63 bytes in name: ${name}`);
    wire += label.length + 1;
  }
  if (wire > maxNameWireBytes) throw new RangeError(`name longer than 255 bytes: ${name}`);
  return labels;
}

function parseIpv4(address: string): Uint8Array {
  const parts = address.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) throw new RangeError(`not an IPv4 address: ${address}`);
  return Uint8Array.from(parts.map(Number));
}

function parseIpv6(address: string): Uint8Array {
  const invalid = (): RangeError => new RangeError(`not an IPv6 address: ${address}`);
  let text = address;
  const tail: number[] = [];
  if (text.includes('.')) {
    // An embedded IPv4 tail (`::ffff:192.0.2.1`) stands for the last two groups.
    const lastColon = text.lastIndexOf(':');
    if (lastColon < 0) throw invalid();
    const v4 = parseIpv4(text.slice(lastColon + 1));
    tail.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    text = text.slice(0, lastColon);
    if (text.endsWith(':')) text += ':';
  }
  const halves = text.split('::');
  if (halves.length > 2) throw invalid();
  const parseGroups = (part: string | undefined): number[] => {
    if (part === undefined || part === '') return [];
    return part.split(':').map((group) => {
      if (!/^[0-9a-fA-F]{1,4}$/.test(group)) throw invalid();
      return Number.parseInt(group, 16);
    });
  };
  const head = parseGroups(halves[0]);
  const rest = [...parseGroups(halves[1]), ...tail];
  const fill = 8 - head.length - rest.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) throw invalid();
  const groups = [...head, ...new Array<number>(fill).fill(0), ...rest];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

class Writer {
  private buffer = new Uint8Array(512);
  length = 0;
  /** Name suffix (exact bytes, so the case a client sent survives) → offset of its first label (RFC 1035 4.1.4). */
  private readonly suffixes = new Map<string, number>();

  private ensure(count: number): void {
    if (this.length + count <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + count) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  u8(value: number): void {
    this.ensure(1);
    this.buffer[this.length] = value & 0xff;
    this.length += 1;
  }

  u16(value: number): void {
    this.u8(value >> 8);
    this.u8(value);
  }

  u32(value: number): void {
    this.u16(Math.floor(value / 0x10000) & 0xffff);
    this.u16(value & 0xffff);
  }

  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  setU16(offset: number, value: number): void {
    this.buffer[offset] = (value >> 8) & 0xff;
    this.buffer[offset + 1] = value & 0xff;
  }

  name(name: string, options: { readonly compress: boolean }): void {
    const labels = nameToLabels(name);
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels
        .slice(i)
        .map((label) => label.join(','))
        .join('.');
      const known = this.suffixes.get(suffix);
      if (options.compress && known !== undefined) {
        this.u16(0xc000 | known);
        return;
      }
      if (this.length < 0x4000) this.suffixes.set(suffix, this.length);
      const label = labels[i] ?? new Uint8Array();
      this.u8(label.length);
      this.bytes(label);
    }
    this.u8(0);
  }

  result(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

function getTypeCode(data: DnsRecordData): number {
  switch (data.type) {
    case 'A':
      return DnsTypes.A;
    case 'AAAA':
      return DnsTypes.AAAA;
    case 'CNAME':
      return DnsTypes.CNAME;
    case 'SRV':
      return DnsTypes.SRV;
    case 'OPT':
      return DnsTypes.OPT;
    case 'other':
      return data.typeCode;
  }
}

function writeRecord(writer: Writer, record: DnsResourceRecord): void {
  writer.name(record.name, { compress: true });
  writer.u16(getTypeCode(record.data));
  writer.u16(record.class);
  writer.u32(record.ttlSeconds);
  const lengthAt = writer.length;
  writer.u16(0);
  const start = writer.length;
  const data = record.data;
  switch (data.type) {
    case 'A':
      writer.bytes(parseIpv4(data.address));
      break;
    case 'AAAA':
      writer.bytes(parseIpv6(data.address));
      break;
    case 'CNAME':
      writer.name(data.target, { compress: true });
      break;
    case 'SRV':
      writer.u16(data.priority);
      writer.u16(data.weight);
      writer.u16(data.port);
      // RFC 2782: "name compression is not to be used for this field".
      writer.name(data.target, { compress: false });
      break;
    case 'OPT':
      writer.bytes(data.options);
      break;
    case 'other':
      writer.bytes(data.rdata);
      break;
  }
  writer.setU16(lengthAt, writer.length - start);
}

/** Encodes a message. Throws a RangeError on a name or address DNS cannot carry (a bug in the caller, not input). */
export function encodeDnsMessage(message: DnsMessage): Uint8Array {
  const writer = new Writer();
  const h = message.header;
  writer.u16(h.id);
  writer.u16(
    (h.isResponse ? 0x8000 : 0) |
      ((h.opcode & 0x0f) << 11) |
      (h.isAuthoritative ? 0x0400 : 0) |
      (h.isTruncated ? 0x0200 : 0) |
      (h.isRecursionDesired ? 0x0100 : 0) |
      (h.isRecursionAvailable ? 0x0080 : 0) |
      (h.rcode & 0x0f),
  );
  writer.u16(message.questions.length);
  writer.u16(message.answers.length);
  writer.u16(message.authorities.length);
  writer.u16(message.additionals.length);
  for (const question of message.questions) {
    writer.name(question.name, { compress: true });
    writer.u16(question.type);
    writer.u16(question.class);
  }
  for (const record of message.answers) writeRecord(writer, record);
  for (const record of message.authorities) writeRecord(writer, record);
  for (const record of message.additionals) writeRecord(writer, record);
  return writer.result();
}
