// A small reference interpreter of RulesetIr: walks one packet through the router the way the rendered
// nftables ruleset does (DNAT, routing, conntrack short-cut, egress chain, ingress chain), so tests can
// prove the IR decides what the engine predicts without a kernel.

import { isIpInCidr, parseCidr, parseIp } from '../../../policy/cidr.ts';
import type { ParsedCidr, ParsedIp } from '../../../policy/cidr.ts';
import type { IcmpAllowance } from '../../../policy/cni-profiles.ts';
import type { IrAddressMatch, IrFamily, IrL4Match, IrPodChain, IrProtocol, IrRuleOrigin, RulesetIr } from './ruleset-ir.ts';

export type IcmpType =
  | 'echo-request'
  | 'echo-reply'
  | 'destination-unreachable'
  | 'time-exceeded'
  | 'parameter-problem'
  | 'nd-neighbor-solicit'
  | 'nd-neighbor-advert';

export interface IrPacket {
  /** Router-side interface the packet arrived on. */
  readonly iif: string;
  readonly saddr: string;
  readonly daddr: string;
  /** `icmp` stands for ICMPv4 or ICMPv6 according to the address family. */
  readonly protocol: IrProtocol | 'icmp';
  /** Destination port for tcp, udp and sctp. */
  readonly dport?: number;
  readonly icmpType?: IcmpType;
  /** ICMPv4 destination-unreachable code 4, "fragmentation needed". */
  readonly isFragNeeded?: boolean;
  /** Conntrack's view of the packet; default the first packet of a new connection. */
  readonly ct?: 'new' | 'established' | 'reply';
  /** Which backend the Service round robin hands out (index modulo the backend count); default 0. */
  readonly backendIndex?: number;
}

export type IrDecision =
  | {
      readonly verdict: 'accept';
      readonly oif: string;
      /** Destination after DNAT. */
      readonly daddr: string;
      readonly dport?: number;
      /** The rules that admitted it, egress first (empty where no chain applied). */
      readonly admittedBy: readonly IrRuleOrigin[];
    }
  | { readonly verdict: 'reject-egress' | 'reject-ingress'; readonly chain: string }
  /** A ClusterIP without ready backends or without that port: the client sees "connection refused". */
  | { readonly verdict: 'refused'; readonly reason: string }
  /** No route to the destination, or a conntrack-invalid packet. */
  | { readonly verdict: 'drop'; readonly reason: string };

/** The IR with its sets and chains indexed; built once per IR (interpreting many packets is the common case). */
interface Lookup {
  /** Set name → its family and parsed elements (single addresses as full-length prefixes). */
  readonly sets: ReadonlyMap<string, { readonly family: IrFamily; readonly elements: readonly ParsedCidr[] }>;
  readonly chains: ReadonlyMap<string, IrPodChain>;
}

const lookups = new WeakMap<RulesetIr, Lookup>();

function lookupOf(ir: RulesetIr): Lookup {
  let lookup = lookups.get(ir);
  if (lookup === undefined) {
    lookup = { sets: new Map(ir.sets.map((s) => [s.name, { family: s.family, elements: s.elements.map(parseElement) }])), chains: new Map(ir.chains.map((c) => [c.name, c])) };
    lookups.set(ir, lookup);
  }
  return lookup;
}

function familyOf(ip: ParsedIp): IrFamily {
  return ip.family === 'IPv4' ? 'ip' : 'ip6';
}

function parseElement(text: string): ParsedCidr {
  const cidr = parseCidr(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`);
  if (!cidr) throw new Error(`IR holds ${JSON.stringify(text)}, which is not an address or CIDR`);
  return cidr;
}

function isAddressInList(ip: ParsedIp, elements: readonly string[]): boolean {
  return elements.some((element) => isIpInCidr(ip, parseElement(element)));
}

function isInSet(lookup: Lookup, name: string, ip: ParsedIp): boolean {
  const set = lookup.sets.get(name);
  if (!set) throw new Error(`IR references missing set ${name}`);
  return set.family === familyOf(ip) && set.elements.some((cidr) => isIpInCidr(ip, cidr));
}

function matchesAddress(lookup: Lookup, match: IrAddressMatch, ip: ParsedIp): boolean {
  switch (match.kind) {
    case 'any':
      return true;
    case 'set':
      return match.family === familyOf(ip) && isInSet(lookup, match.set, ip);
    case 'cidr': {
      if (match.family !== familyOf(ip) || !isAddressInList(ip, [match.cidr])) return false;
      if (match.excludeSet !== undefined && isInSet(lookup, match.excludeSet, ip)) return false;
      return !isAddressInList(ip, match.except);
    }
  }
}

function matchesL4(match: IrL4Match, packet: IrPacket, daddr: ParsedIp, dport: number | undefined): boolean {
  switch (match.kind) {
    case 'any':
      return true;
    case 'protocol':
      return packet.protocol === match.protocol;
    case 'ports':
      return packet.protocol === match.protocol && dport !== undefined && dport >= match.fromPort && dport <= match.toPort;
    case 'address-ports':
      return (
        packet.protocol === match.protocol &&
        match.family === familyOf(daddr) &&
        match.pairs.some((p) => p.port === dport && isAddressInList(daddr, [p.address]))
      );
  }
}

/** Runs a pod chain: the first admitting rule's verdict, or the chain's reject. */
function runChain(
  lookup: Lookup,
  chain: IrPodChain,
  packet: IrPacket,
  addresses: { readonly saddr: ParsedIp; readonly daddr: ParsedIp; readonly dport: number | undefined },
): { readonly verdict: 'accept' | 'return' | 'reject'; readonly origin?: IrRuleOrigin } {
  const peer = chain.direction === 'Egress' ? addresses.daddr : addresses.saddr;
  for (const rule of chain.rules) {
    if (matchesAddress(lookup, rule.address, peer) && matchesL4(rule.l4, packet, addresses.daddr, addresses.dport)) {
      return { verdict: rule.verdict, origin: rule.origin };
    }
  }
  return { verdict: 'reject' };
}

/** Does the profile's ICMP allowance admit this packet before isolation (the rendered `icmp type` rules)? */
function isIcmpAllowed(allowances: readonly IcmpAllowance[], packet: IrPacket, family: IrFamily): boolean {
  if (packet.protocol !== 'icmp' || packet.icmpType === undefined) return false;
  const type = packet.icmpType;
  if ((type === 'echo-request' || type === 'destination-unreachable' || type === 'time-exceeded') && allowances.includes(type)) return true;
  if (family === 'ip' && type === 'destination-unreachable' && packet.isFragNeeded === true && allowances.includes('frag-needed')) return true;
  return family === 'ip6' && (type === 'nd-neighbor-solicit' || type === 'nd-neighbor-advert') && allowances.includes('icmpv6-neighbor-discovery');
}

function translateService(
  ir: RulesetIr,
  packet: IrPacket,
  daddr: ParsedIp,
): { readonly daddr: string; readonly dport: number | undefined } | { readonly refused: string } | undefined {
  const family = familyOf(daddr);
  let isClusterIp = false;
  for (const port of ir.services) {
    const clusterIp = parseIp(port.clusterIp);
    if (port.family !== family || !clusterIp || clusterIp.value !== daddr.value) continue;
    isClusterIp = true;
    if (port.protocol !== packet.protocol || port.port !== packet.dport) continue;
    if (port.backends.length === 0) return { refused: `${port.service} has no ready endpoints for port ${port.port}` };
    const backend = port.backends[(packet.backendIndex ?? 0) % port.backends.length];
    if (!backend) return { refused: `${port.service}: no backend` };
    return { daddr: backend.address, dport: backend.port };
  }
  return isClusterIp ? { refused: `no port ${packet.dport ?? '-'} on ClusterIP ${packet.daddr}` } : undefined;
}

function routeTo(ir: RulesetIr, daddr: ParsedIp): string | undefined {
  for (const endpoint of ir.endpoints) {
    const isHere = endpoint.addresses.some((a) => {
      const ip = parseIp(a);
      return ip !== undefined && ip.family === daddr.family && ip.value === daddr.value;
    });
    if (isHere) return endpoint.ifname;
  }
  return undefined;
}

/** Decides one packet as the rendered ruleset would. Throws only on a malformed IR or packet. */
export function evaluateIrPacket(ir: RulesetIr, packet: IrPacket): IrDecision {
  const saddr = parseIp(packet.saddr);
  let daddr = parseIp(packet.daddr);
  if (!saddr || !daddr) throw new Error(`packet addresses must be IPs: ${packet.saddr} -> ${packet.daddr}`);
  let dport = packet.dport;
  let daddrText = packet.daddr;
  let isTranslated = false;
  const ct = packet.ct ?? 'new';
  if (ct === 'new') {
    const translated = translateService(ir, packet, daddr);
    if (translated && 'refused' in translated) return { verdict: 'refused', reason: translated.refused };
    if (translated) {
      daddr = parseIp(translated.daddr);
      if (!daddr) throw new Error(`IR backend address ${translated.daddr} is not an IP`);
      dport = translated.dport;
      daddrText = translated.daddr;
      isTranslated = true;
    }
  }
  const oif = routeTo(ir, daddr);
  if (oif === undefined) return { verdict: 'drop', reason: `no route to ${packet.daddr}` };
  const accepted = (admittedBy: readonly IrRuleOrigin[]): IrDecision => ({
    verdict: 'accept',
    oif,
    daddr: daddrText,
    ...(dport === undefined ? {} : { dport }),
    admittedBy,
  });
  const forward = ir.forward;
  if (!forward.isEnforcing) return accepted([]);
  if (ct === 'reply') return accepted([]);
  if (ct === 'established' && forward.conntrack === 'established-survives') return accepted([]);
  if (isIcmpAllowed(forward.icmpAlwaysAllowed, packet, familyOf(saddr))) return accepted([]);
  const isHairpin = isTranslated && saddr.family === daddr.family && saddr.value === daddr.value;
  if (forward.isHairpinAlwaysAllowed && isHairpin) return accepted([]);
  const lookup = lookupOf(ir);
  const chains = lookup.chains;
  const admittedBy: IrRuleOrigin[] = [];
  const addresses = { saddr, daddr, dport };
  const egress = forward.egress.find((e) => e.ifname === packet.iif);
  if (egress) {
    const chain = chains.get(egress.chain);
    if (!chain) throw new Error(`IR dispatches to missing chain ${egress.chain}`);
    const result = runChain(lookup, chain, packet, addresses);
    if (result.verdict === 'reject') return { verdict: 'reject-egress', chain: chain.name };
    if (result.origin) admittedBy.push(result.origin);
    if (result.verdict === 'accept') return accepted(admittedBy);
  }
  const ingress = forward.ingress.find((e) => e.ifname === oif);
  if (ingress) {
    const chain = chains.get(ingress.chain);
    if (!chain) throw new Error(`IR dispatches to missing chain ${ingress.chain}`);
    const result = runChain(lookup, chain, packet, addresses);
    if (result.verdict === 'reject') return { verdict: 'reject-ingress', chain: chain.name };
    if (result.origin) admittedBy.push(result.origin);
  }
  return accepted(admittedBy);
}
