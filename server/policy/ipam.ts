// Deterministic address assignment for pods and Services: the same manifests always get the same addresses, and
// adding one object rarely moves another (FNV-1a hash of `ns/name`, linear probing, objects placed in sorted order).

import { bitsOf, formatIp, isIpInCidr, parseIp } from './cidr.ts';
import type { ParsedCidr, ParsedIp } from './cidr.ts';

export const defaultPodCidr = '10.244.0.0/16';
export const defaultServiceCidr = '10.96.0.0/12';
/** The network address and the 16 after it stay free for the sandbox's router, gateway and infrastructure. */
export const reservedLeadingAddresses = 17n;
/** kubeadm's convention: the cluster DNS Service is the 10th address of the service CIDR (10.96.0.10). */
export const dnsServiceOffset = 10n;
/** Calico's per-pod address pin: a JSON list such as '["10.244.7.7"]', at most one address per family. */
export const calicoIpAddrsAnnotation = 'cni.projectcalico.org/ipAddrs';

const fnvOffset64 = 0xcbf29ce484222325n;
const fnvPrime64 = 0x100000001b3n;
const mask64 = 0xffffffffffffffffn;

/** FNV-1a, 64 bit, over the UTF-16 code units (names are ASCII after validation). */
export function hashFnv1a64(text: string): bigint {
  let hash = fnvOffset64;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i) & 0xff);
    hash = (hash * fnvPrime64) & mask64;
    const high = text.charCodeAt(i) >> 8;
    if (high !== 0) {
      hash ^= BigInt(high);
      hash = (hash * fnvPrime64) & mask64;
    }
  }
  return hash;
}

function sizeOf(cidr: ParsedCidr): bigint {
  return 1n << BigInt(bitsOf(cidr.family) - cidr.prefixLength);
}

/** The highest offset usable for a host: IPv4 keeps the broadcast address free. */
function lastUsableOffset(cidr: ParsedCidr): bigint {
  const size = sizeOf(cidr);
  return cidr.family === 'IPv4' ? size - 2n : size - 1n;
}

/** How many addresses hashing can hand out in `cidr`. */
export function countAssignableAddresses(cidr: ParsedCidr): bigint {
  const count = lastUsableOffset(cidr) - reservedLeadingAddresses + 1n;
  return count > 0n ? count : 0n;
}

/** Why a pinned address cannot be used in `cidr`, or undefined when it can. */
export function explainUnusableAddress(ip: ParsedIp, cidr: ParsedCidr, options: { allowReserved: boolean }): string | undefined {
  if (!isIpInCidr(ip, cidr)) return `${formatIp(ip)} is outside ${cidr.text}`;
  const offset = ip.value - cidr.network;
  if (offset === 0n) return `${formatIp(ip)} is the network address of ${cidr.text}`;
  if (cidr.family === 'IPv4' && offset === sizeOf(cidr) - 1n) return `${formatIp(ip)} is the broadcast address of ${cidr.text}`;
  if (!options.allowReserved && offset < reservedLeadingAddresses) {
    return `${formatIp(ip)} is one of the first ${reservedLeadingAddresses} addresses of ${cidr.text}, kept for the sandbox's router`;
  }
  return undefined;
}

export type IpAddrsAnnotation = { readonly ok: true; readonly ips: readonly ParsedIp[] } | { readonly ok: false; readonly problem: string };

/** Parses the Calico ipAddrs annotation value: a JSON list of 1..2 addresses, at most one IPv4 and one IPv6. */
export function parseIpAddrsAnnotation(text: string): IpAddrsAnnotation {
  if (text.length > 1000) return { ok: false, problem: 'the value is longer than 1000 characters' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: `${JSON.stringify(text.slice(0, 60))} is not JSON (write a list such as ["10.244.7.7"])` };
  }
  if (!Array.isArray(value) || value.length === 0) return { ok: false, problem: 'the value must be a non-empty JSON list of addresses' };
  const ips: ParsedIp[] = [];
  for (const item of value) {
    if (typeof item !== 'string') return { ok: false, problem: `${JSON.stringify(item)} is not a string address` };
    const ip = parseIp(item);
    if (!ip) return { ok: false, problem: `${JSON.stringify(item.slice(0, 60))} is not a valid IPv4 or IPv6 address` };
    if (ips.some((other) => other.family === ip.family)) return { ok: false, problem: `more than one ${ip.family} address (Calico assigns at most one per family)` };
    ips.push(ip);
  }
  return { ok: true, ips };
}

export interface AddressRequest {
  readonly key: string;
}

export interface PinnedAddress {
  readonly key: string;
  readonly ip: ParsedIp;
}

export interface AllocationResult {
  /** key → address text, for every request that got one (pins are not repeated here). */
  readonly assigned: ReadonlyMap<string, string>;
  /** Pins that collide with an earlier pin: `heldBy` is the key that keeps the address. */
  readonly conflicts: readonly { readonly key: string; readonly ip: string; readonly heldBy: string }[];
  /** Requests that found no free address. */
  readonly exhausted: readonly string[];
}

function addressKey(ip: ParsedIp): string {
  return `${ip.family}/${ip.value.toString(16)}`;
}

/**
 * Reserves the pins (in the order given, any family), then hashes every request in sorted key order into the free
 * range [reservedLeadingAddresses, last usable] of `cidr`, probing forward (with wrap-around) past taken addresses.
 */
export function allocateAddresses(input: { cidr: ParsedCidr; pinned: readonly PinnedAddress[]; requests: readonly AddressRequest[] }): AllocationResult {
  const { cidr } = input;
  const taken = new Map<string, string>();
  const conflicts: { key: string; ip: string; heldBy: string }[] = [];
  const usable = countAssignableAddresses(cidr);
  let free = usable;
  for (const pin of input.pinned) {
    const slot = addressKey(pin.ip);
    const holder = taken.get(slot);
    if (holder !== undefined) {
      conflicts.push({ key: pin.key, ip: formatIp(pin.ip), heldBy: holder });
      continue;
    }
    taken.set(slot, pin.key);
    const offset = pin.ip.value - cidr.network;
    if (isIpInCidr(pin.ip, cidr) && offset >= reservedLeadingAddresses && offset <= lastUsableOffset(cidr)) free--;
  }
  const assigned = new Map<string, string>();
  const exhausted: string[] = [];
  const keys = input.requests.map((r) => r.key).sort();
  for (const key of keys) {
    if (free <= 0n) {
      exhausted.push(key);
      continue;
    }
    let offset = hashFnv1a64(key) % usable;
    for (;;) {
      const ip: ParsedIp = { family: cidr.family, value: cidr.network + reservedLeadingAddresses + offset };
      const slot = addressKey(ip);
      if (!taken.has(slot)) {
        taken.set(slot, key);
        assigned.set(key, formatIp(ip));
        free--;
        break;
      }
      offset = (offset + 1n) % usable;
    }
  }
  return { assigned, conflicts, exhausted };
}
