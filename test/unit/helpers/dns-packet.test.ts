// The tests' DNS codec (the independent side that checks the agent's DNS server): round trips, compression as
// real servers write it, and hostile packets that must never throw.
import { describe, expect, it } from 'vitest';
import { decodeDnsMessage, encodeDnsMessage, nameToLabels } from '../../helpers/dns-packet.ts';
import type { DnsHeader, DnsMessage } from '../../helpers/dns-packet.ts';

const header: DnsHeader = {
  id: 0xbeef,
  isResponse: true,
  opcode: 0,
  isAuthoritative: true,
  isTruncated: false,
  isRecursionDesired: true,
  isRecursionAvailable: false,
  rcode: 0,
};

const response: DnsMessage = {
  header,
  questions: [{ name: '_http._tcp.Web.x.svc.cluster.local', type: 33, class: 1 }],
  answers: [
    { name: '_http._tcp.Web.x.svc.cluster.local', class: 1, ttlSeconds: 5, data: { type: 'SRV', priority: 0, weight: 100, port: 80, target: 'web.x.svc.cluster.local' } },
    { name: 'web.x.svc.cluster.local', class: 1, ttlSeconds: 5, data: { type: 'CNAME', target: 'a.web.x.svc.cluster.local' } },
  ],
  authorities: [],
  additionals: [
    { name: 'web.x.svc.cluster.local', class: 1, ttlSeconds: 5, data: { type: 'A', address: '10.96.0.20' } },
    { name: 'web.x.svc.cluster.local', class: 1, ttlSeconds: 4294967295, data: { type: 'AAAA', address: 'fd00::14' } },
    { name: 'web.x.svc.cluster.local', class: 1, ttlSeconds: 5, data: { type: 'other', typeCode: 16, rdata: Uint8Array.from([3, 0x61, 0x62, 0x63]) } },
    { name: '', class: 1232, ttlSeconds: 0, data: { type: 'OPT', options: new Uint8Array() } },
  ],
};

/** A hand-written query for `web.x.svc.cluster.local A`, as dig sends it (RD set, no EDNS). */
function queryBytes(name = 'web.x.svc.cluster.local', type = 1, klass = 1): Uint8Array {
  const labels = name.split('.').flatMap((label) => [label.length, ...Buffer.from(label)]);
  return Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, type >> 8, type & 0xff, klass >> 8, klass & 0xff]);
}

describe('decodeDnsMessage / encodeDnsMessage', () => {
  it('round-trips a message with every supported record type', () => {
    const decoded = decodeDnsMessage(encodeDnsMessage(response));
    expect(decoded).toEqual({ ok: true, message: response });
  });

  it('compresses repeated names to 2-byte pointers (RFC 1035 4.1.4)', () => {
    const name = 'db.x.svc.cluster.local';
    const message: DnsMessage = {
      header,
      questions: [{ name, type: 1, class: 1 }],
      answers: ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((address) => ({ name, class: 1, ttlSeconds: 5, data: { type: 'A' as const, address } })),
      authorities: [],
      additionals: [],
    };
    const questionBytes = name.length + 2 + 4;
    const answerBytes = 2 + 10 + 4;
    expect(encodeDnsMessage(message).length).toBe(12 + questionBytes + 3 * answerBytes);
    expect(decodeDnsMessage(encodeDnsMessage(message))).toEqual({ ok: true, message });
  });

  it('keeps the case of each name exactly, even where only the case differs', () => {
    const message: DnsMessage = {
      ...response,
      questions: [{ name: 'WEB.x.svc.cluster.local', type: 1, class: 1 }],
      answers: [{ name: 'web.X.svc.cluster.local', class: 1, ttlSeconds: 5, data: { type: 'A', address: '10.0.0.1' } }],
      additionals: [],
    };
    expect(decodeDnsMessage(encodeDnsMessage(message))).toEqual({ ok: true, message });
  });

  it('decodes a query as dig writes it', () => {
    expect(decodeDnsMessage(queryBytes())).toEqual({
      ok: true,
      message: {
        header: { id: 0x1234, isResponse: false, opcode: 0, isAuthoritative: false, isTruncated: false, isRecursionDesired: true, isRecursionAvailable: false, rcode: 0 },
        questions: [{ name: 'web.x.svc.cluster.local', type: 1, class: 1 }],
        answers: [],
        authorities: [],
        additionals: [],
      },
    });
  });

  it('follows a pointer into the middle of an earlier name', () => {
    // Question web.x.svc.cluster.local; answer owner = pointer to "x.svc.cluster.local" (offset 12 + 4).
    const query = queryBytes();
    const answer = [0xc0, 16, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 0, 0, 1];
    const bytes = Uint8Array.from([...query, ...answer]);
    bytes[7] = 1;
    const decoded = decodeDnsMessage(bytes);
    expect(decoded.ok && decoded.message.answers[0]).toEqual({ name: 'x.svc.cluster.local', class: 1, ttlSeconds: 5, data: { type: 'A', address: '10.0.0.1' } });
  });

  it('escapes label bytes that are not plain text, and encodes the escapes back', () => {
    const bytes = Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x61, 0x2e, 0x00, 1, 0x5c, 0, 0, 1, 0, 1]);
    const decoded = decodeDnsMessage(bytes);
    expect(decoded.ok && decoded.message.questions[0]?.name).toBe('a\\046\\000.\\092');
    if (!decoded.ok) return;
    expect(Array.from(encodeDnsMessage(decoded.message))).toEqual(Array.from(bytes));
  });

  it.each([
    ['::', '::'],
    ['fd00::5', 'fd00::5'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ])('writes AAAA %s and reads it back as %s', (address, text) => {
    const message: DnsMessage = { ...response, questions: [], answers: [{ name: 'a', class: 1, ttlSeconds: 1, data: { type: 'AAAA', address } }], additionals: [] };
    const decoded = decodeDnsMessage(encodeDnsMessage(message));
    expect(decoded.ok && decoded.message.answers[0]?.data).toEqual({ type: 'AAAA', address: text });
  });

  it.each(['1:2:3', '1::2::3', '12345::', 'fd00::5::', '::1.2.3', '1:2:3:4:5:6:7:8:9'])('refuses to encode the malformed IPv6 %s', (address) => {
    const message: DnsMessage = { ...response, questions: [], answers: [{ name: 'a', class: 1, ttlSeconds: 1, data: { type: 'AAAA', address } }], additionals: [] };
    expect(() => encodeDnsMessage(message)).toThrow(RangeError);
  });

  it.each([`${'a'.repeat(64)}.b`, 'a..b', `${'abcdefghi.'.repeat(26)}x`, 'trailing\\'])('refuses the name %s DNS cannot carry', (name) => {
    expect(() => nameToLabels(name)).toThrow(RangeError);
  });
});

describe('hostile packets', () => {
  const valid = queryBytes();
  it.each<[string, Uint8Array]>([
    ['an empty packet', new Uint8Array()],
    ['a partial header', valid.slice(0, 11)],
    ['a question cut in the middle of a label', valid.slice(0, 18)],
    ['a question without type and class', valid.slice(0, valid.length - 4)],
    ['a pointer to itself', Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1])],
    ['a pointer forward', Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 20, 0, 1, 0, 1, 0, 0, 1, 0])],
    ['a pointer past the end', Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 1, 0, 1])],
    ['a truncated pointer', Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0])],
    ['an extended label type (0x40)', Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 0, 0, 1, 0, 1])],
    ['a question count of 65535', Uint8Array.from([0, 1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1])],
    ['an answer count with no answers', Uint8Array.from([...valid.slice(0, 6), 0, 9, ...valid.slice(8)])],
    ['trailing garbage', Uint8Array.from([...valid, 1, 2, 3])],
    ['an A record with 5 bytes of data', Uint8Array.from([...valid.slice(0, 6), 0, 1, ...valid.slice(8), 0, 0, 1, 0, 1, 0, 0, 0, 5, 0, 5, 1, 2, 3, 4, 5])],
    ['an rdlength past the end', Uint8Array.from([...valid.slice(0, 6), 0, 1, ...valid.slice(8), 0, 0, 1, 0, 1, 0, 0, 0, 5, 0xff, 0xff, 1])],
    ['an SRV whose target overruns its rdlength', Uint8Array.from([...valid.slice(0, 6), 0, 1, ...valid.slice(8), 0, 0, 33, 0, 1, 0, 0, 0, 5, 0, 7, 0, 0, 0, 0, 0, 80, 1, 0x61, 0])],
    ['a name of 300 bytes', Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...Array.from({ length: 5 }, () => [63, ...new Array<number>(63).fill(0x61)]).flat(), 0, 0, 1, 0, 1])],
  ])('reports %s as a problem', (_name, bytes) => {
    const decoded = decodeDnsMessage(bytes);
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.problem.length).toBeGreaterThan(0);
  });

  it('never throws on 20 000 random mutations of valid messages', () => {
    const seeds = [valid, encodeDnsMessage(response)];
    // A fixed-seed generator: a failure here reproduces.
    let state = 0x2545f491;
    const random = (): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 0x100000000;
    };
    let decodedOk = 0;
    for (let i = 0; i < 20_000; i++) {
      const seed = seeds[i % seeds.length] ?? valid;
      const bytes = Uint8Array.from(seed);
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips; f++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const cut = random() < 0.2 ? bytes.slice(0, Math.floor(random() * bytes.length)) : bytes;
      const decoded = decodeDnsMessage(cut);
      if (decoded.ok) decodedOk += 1;
    }
    // Some mutations stay valid (a flipped TTL or address byte); most do not. Both kinds were exercised.
    expect(decodedOk).toBeGreaterThan(0);
    expect(decodedOk).toBeLessThan(20_000);
  });
});
