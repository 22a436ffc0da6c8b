// IP address and CIDR parsing and containment for IPv4 and IPv6, as the API server validates them.
// Pure: addresses become bigints so v4 and v6 share one code path.

export type IpFamily = 'IPv4' | 'IPv6';

export interface ParsedIp {
  readonly family: IpFamily;
  readonly value: bigint;
}

export interface ParsedCidr {
  readonly family: IpFamily;
  /** Network address (host bits cleared). */
  readonly network: bigint;
  readonly prefixLength: number;
  /** True when the written address had host bits set (`10.0.0.1/24`); the API accepts it, lint may warn. */
  readonly hasHostBits: boolean;
  readonly text: string;
}

const ipv4Part = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    // Leading zeros are rejected as Go's net.ParseIP does since Go 1.17 (ambiguous octal).
    if (!ipv4Part.test(part)) return undefined;
    value = (value << 8n) | BigInt(Number(part));
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  if (text.length === 0 || text.includes('%')) return undefined;
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tailV4 = parseIpv4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const groups = s.split(':');
    const out: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = parseGroups(halves[0] ?? '');
  const right = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (!left || !right) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - left.length - right.length;
    if (missing < 1) return undefined;
    groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  } else {
    groups = left;
  }
  if (groups.length !== 8) return undefined;
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

export function parseIp(text: string): ParsedIp | undefined {
  if (text.includes(':')) {
    const value = parseIpv6(text);
    return value === undefined ? undefined : { family: 'IPv6', value };
  }
  const value = parseIpv4(text);
  return value === undefined ? undefined : { family: 'IPv4', value };
}

export function bitsOf(family: IpFamily): number {
  return family === 'IPv4' ? 32 : 128;
}

export function parseCidr(text: string): ParsedCidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!ip || !/^(0|[1-9]\d{0,2})$/.test(prefixText)) return undefined;
  const prefixLength = Number(prefixText);
  const bits = bitsOf(ip.family);
  if (prefixLength > bits) return undefined;
  const hostBits = BigInt(bits - prefixLength);
  const network = (ip.value >> hostBits) << hostBits;
  return { family: ip.family, network, prefixLength, hasHostBits: network !== ip.value, text };
}

export function isIpInCidr(ip: ParsedIp, cidr: ParsedCidr): boolean {
  if (ip.family !== cidr.family) return false;
  const hostBits = BigInt(bitsOf(cidr.family) - cidr.prefixLength);
  return ip.value >> hostBits === cidr.network >> hostBits;
}

/** Is `inner` entirely inside `outer` (equal counts)? */
export function isCidrWithin(inner: ParsedCidr, outer: ParsedCidr): boolean {
  return (
    inner.family === outer.family &&
    inner.prefixLength >= outer.prefixLength &&
    isIpInCidr({ family: inner.family, value: inner.network }, outer)
  );
}

export function doCidrsOverlap(a: ParsedCidr, b: ParsedCidr): boolean {
  return isCidrWithin(a, b) || isCidrWithin(b, a);
}

export function formatIp(ip: ParsedIp): string {
  if (ip.family === 'IPv4') {
    const v = ip.value;
    return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  }
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((ip.value >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

/** The n-th address of a CIDR (0 = network address). Undefined past the end. */
export function nthAddress(cidr: ParsedCidr, n: bigint): ParsedIp | undefined {
  const size = 1n << BigInt(bitsOf(cidr.family) - cidr.prefixLength);
  if (n < 0n || n >= size) return undefined;
  return { family: cidr.family, value: cidr.network + n };
}
