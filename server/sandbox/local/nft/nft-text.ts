// The only gate between cluster data and nftables text: validates identifiers and interface names,
// canonicalizes addresses and makes comments safe, so nothing a user wrote can change the script's meaning.

import { formatIp, parseCidr, parseIp } from '../../../policy/cidr.ts';
import { SandboxError, SandboxErrorCodes } from '../../contract.ts';

/** nftables keeps at most 128 bytes of a comment (NFTNL_UDATA_COMMENT_MAXLEN); longer ones fail the load. */
export const maxCommentBytes = 128;

/** Kernel limit for table, chain and set names (NFT_NAME_MAXLEN 256, including the terminating NUL). */
export const maxNameBytes = 255;

// nft's scanner reads an identifier as a letter or `_` followed by letters, digits, `/`, `\`, `-`, `_`
// and `.`; we leave out the backslash. Every name we emit also contains a `_` or `/`, so none can be a keyword.
const identifierPattern = /^[A-Za-z_][A-Za-z0-9_/.-]*$/;

// Linux interface names: at most 15 bytes (IFNAMSIZ 16 with NUL), no `/`, no whitespace, not `.` or `..`.
const ifnamePattern = /^[A-Za-z0-9_.-]{1,15}$/;

/** Throws when `name` cannot be written as a bare nft identifier (table, chain or set name). */
export function assertIdentifier(name: string, what: string): string {
  if (!identifierPattern.test(name) || name.length > maxNameBytes) {
    throw new SandboxError(
      SandboxErrorCodes.invalidName,
      `${what} ${JSON.stringify(name)} cannot be used in an nftables ruleset; use 1-${maxNameBytes} characters from [A-Za-z0-9_/.-] starting with a letter or '_'`,
    );
  }
  return name;
}

/** Throws when `name` is not a valid Linux interface name; the result is safe inside double quotes. */
export function assertIfname(name: string, what: string): string {
  if (!ifnamePattern.test(name) || name === '.' || name === '..') {
    throw new SandboxError(
      SandboxErrorCodes.invalidName,
      `${what} ${JSON.stringify(name)} is not a valid interface name; use 1-15 characters from [A-Za-z0-9_.-]`,
    );
  }
  return name;
}

/**
 * Comment text safe inside nft double quotes: printable ASCII only (a quote or backslash would end or
 * escape the string), at most 128 bytes, cut with `...` so a long policy name still loads.
 */
export function sanitizeComment(text: string): string {
  const printable = text.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?');
  if (printable.length <= maxCommentBytes) return printable;
  return `${printable.slice(0, maxCommentBytes - 3)}...`;
}

// Canonical forms by input text. Rulesets repeat the same few thousand addresses many times over, and parsing
// dominated compile time; the cache is bounded so a long-running server cannot grow it without limit.
const canonicalCache = new Map<string, string | null>();
const maxCachedAddresses = 100_000;

/** The canonical text of an address or CIDR (`10.0.0.1/24` → `10.0.0.0/24`), or undefined when it is neither. */
export function tryCanonicalizeAddress(text: string): string | undefined {
  const cached = canonicalCache.get(text);
  if (cached !== undefined) return cached ?? undefined;
  let canonical: string | null = null;
  const ip = parseIp(text);
  if (ip) {
    canonical = formatIp(ip);
  } else {
    const cidr = parseCidr(text);
    if (cidr) {
      const network = formatIp({ family: cidr.family, value: cidr.network });
      const bits = cidr.family === 'IPv4' ? 32 : 128;
      canonical = cidr.prefixLength === bits ? network : `${network}/${cidr.prefixLength}`;
    }
  }
  if (canonicalCache.size >= maxCachedAddresses) canonicalCache.clear();
  canonicalCache.set(text, canonical);
  return canonical ?? undefined;
}

/** An address or CIDR in canonical text, or a typed error: only parsed addresses reach the ruleset. */
export function canonicalizeAddress(text: string, what: string): string {
  const canonical = tryCanonicalizeAddress(text);
  if (canonical === undefined) {
    throw new SandboxError(SandboxErrorCodes.applyFailed, `${what} ${JSON.stringify(text)} is not an IP address or CIDR`);
  }
  return canonical;
}
