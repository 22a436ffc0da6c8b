// Named address sets stored once: every rule that needs the same addresses (the same resolved peer, however
// many policies name it) refers to one set, as Cilium stores each selector once and shares it.

import { bitsOf, formatIp, parseCidr } from '../../../policy/cidr.ts';
import type { ParsedCidr } from '../../../policy/cidr.ts';
import type { IrAddressSet, IrFamily } from './ruleset-ir.ts';

function toCidr(text: string): ParsedCidr | undefined {
  return parseCidr(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`);
}

function isInside(inner: ParsedCidr, outer: ParsedCidr): boolean {
  if (inner.family !== outer.family || inner.prefixLength < outer.prefixLength) return false;
  const hostBits = BigInt(bitsOf(outer.family) - outer.prefixLength);
  return inner.network >> hostBits === outer.network >> hostBits;
}

/**
 * Canonical, sorted, duplicate-free addresses with every element that lies inside another removed: an nft
 * interval set refuses overlapping elements, and a contained element adds nothing to what the set matches.
 */
export function normalizeAddresses(family: IrFamily, texts: readonly string[]): string[] {
  const wanted = family === 'ip' ? 'IPv4' : 'IPv6';
  const parsed: ParsedCidr[] = [];
  for (const text of texts) {
    const cidr = toCidr(text);
    if (cidr !== undefined && cidr.family === wanted) parsed.push(cidr);
  }
  parsed.sort((a, b) => (a.network < b.network ? -1 : a.network > b.network ? 1 : a.prefixLength - b.prefixLength));
  const kept: ParsedCidr[] = [];
  for (const cidr of parsed) {
    // Sorted by network then prefix: a container always comes before what it contains.
    const last = kept[kept.length - 1];
    if (last !== undefined && isInside(cidr, last)) continue;
    kept.push(cidr);
  }
  return kept.map((c) => {
    const network = formatIp({ family: c.family, value: c.network });
    return c.prefixLength === bitsOf(c.family) ? network : `${network}/${c.prefixLength}`;
  });
}

/** Hands out one set per distinct (family, content); names are stable for a given build order. */
export class AddressSetRegistry {
  readonly #byContent = new Map<string, IrAddressSet>();
  readonly #sets: IrAddressSet[] = [];
  readonly #prefix: string;

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** The set holding exactly these addresses; `comment` describes the first peer that asked for it. */
  obtain(family: IrFamily, addresses: readonly string[], comment: string): IrAddressSet {
    const elements = normalizeAddresses(family, addresses);
    const key = `${family} ${elements.join(',')}`;
    const existing = this.#byContent.get(key);
    if (existing) return existing;
    const set: IrAddressSet = {
      name: `${this.#prefix}_${this.#sets.length}_${family === 'ip' ? 'v4' : 'v6'}`,
      family,
      elements,
      comment,
    };
    this.#byContent.set(key, set);
    this.#sets.push(set);
    return set;
  }

  list(): readonly IrAddressSet[] {
    return this.#sets;
  }
}
