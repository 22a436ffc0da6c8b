// Turns the router's RulesetIr into one `nft -f` script that replaces the whole table atomically.
// Every name, address, port and comment passes through nft-text.ts on its way out.

import type { IcmpAllowance } from '../../../policy/cni-profiles.ts';
import { SandboxError, SandboxErrorCodes } from '../../contract.ts';
import { assertIdentifier, assertIfname, canonicalizeAddress, sanitizeComment } from './nft-text.ts';
import type {
  IrAddressMatch,
  IrAddressSet,
  IrFamily,
  IrL4Match,
  IrPodChain,
  IrPolicyRule,
  IrProtocol,
  IrServicePort,
  RulesetIr,
} from './ruleset-ir.ts';

const indent1 = '\t';
const indent2 = '\t\t';

const protocols: ReadonlySet<string> = new Set<IrProtocol>(['tcp', 'udp', 'sctp']);

function checkPort(port: number, what: string): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new SandboxError(SandboxErrorCodes.applyFailed, `${what} ${port} is not a port number (0-65535)`);
  }
  return port;
}

function checkProtocol(protocol: IrProtocol): IrProtocol {
  if (!protocols.has(protocol)) throw new SandboxError(SandboxErrorCodes.applyFailed, `protocol ${JSON.stringify(protocol)} is not tcp, udp or sctp`);
  return protocol;
}

function renderComment(text: string): string {
  return `comment "${sanitizeComment(text)}"`;
}

function renderAddressList(addresses: readonly string[], what: string): string {
  const items = addresses.map((a) => canonicalizeAddress(a, what));
  return items.length === 1 ? (items[0] ?? '') : `{ ${items.join(', ')} }`;
}

function setType(family: IrFamily): string {
  return family === 'ip' ? 'ipv4_addr' : 'ipv6_addr';
}

function renderSet(set: IrAddressSet): string[] {
  const name = assertIdentifier(set.name, 'set name');
  const elements = set.elements.map((e) => canonicalizeAddress(e, `element of set ${name}`));
  const lines = [`${indent1}set ${name} {`, `${indent2}type ${setType(set.family)}`];
  // Interval sets are needed only for prefixes; a plain hash set is what pod-address sets need.
  if (elements.some((e) => e.includes('/'))) lines.push(`${indent2}flags interval`);
  lines.push(`${indent2}${renderComment(set.comment)}`);
  if (elements.length > 0) lines.push(`${indent2}elements = { ${elements.join(', ')} }`);
  lines.push(`${indent1}}`);
  return lines;
}

function renderAddressMatch(match: IrAddressMatch, field: 'saddr' | 'daddr'): string[] {
  switch (match.kind) {
    case 'any':
      return [];
    case 'set':
      return [`${match.family} ${field} @${assertIdentifier(match.set, 'set name')}`];
    case 'cidr': {
      const parts = [`${match.family} ${field} ${canonicalizeAddress(match.cidr, 'ipBlock cidr')}`];
      if (match.excludeSet !== undefined) parts.push(`${match.family} ${field} != @${assertIdentifier(match.excludeSet, 'set name')}`);
      if (match.except.length > 0) parts.push(`${match.family} ${field} != ${renderAddressList(match.except, 'ipBlock except')}`);
      return parts;
    }
  }
}

function renderL4Match(match: IrL4Match): string[] {
  switch (match.kind) {
    case 'any':
      return [];
    case 'protocol':
      return [`meta l4proto ${checkProtocol(match.protocol)}`];
    case 'ports': {
      // `sctp dport` is a plain header match: it loads and matches without the kernel's SCTP module (checked on a
      // kernel that has none); only SCTP sockets, not the rule, need the module.
      const protocol = checkProtocol(match.protocol);
      const from = checkPort(match.fromPort, 'port');
      const to = checkPort(match.toPort, 'endPort');
      return [from === to ? `${protocol} dport ${from}` : `${protocol} dport ${from}-${to}`];
    }
    case 'address-ports': {
      const protocol = checkProtocol(match.protocol);
      const pairs = match.pairs.map((p) => `${canonicalizeAddress(p.address, 'named port destination')} . ${checkPort(p.port, 'named port')}`);
      return [`${match.family} daddr . ${protocol} dport { ${pairs.join(', ')} }`];
    }
  }
}

function renderPolicyRule(rule: IrPolicyRule, field: 'saddr' | 'daddr'): string {
  const parts = [...renderAddressMatch(rule.address, field), ...renderL4Match(rule.l4), 'counter', rule.verdict, renderComment(rule.comment)];
  return `${indent2}${parts.join(' ')}`;
}

function renderPodChain(chain: IrPodChain): string[] {
  const name = assertIdentifier(chain.name, 'chain name');
  const field = chain.direction === 'Egress' ? 'daddr' : 'saddr';
  const policies = chain.policies.map((p) => `${p.namespace}/${p.name}`).join(', ');
  return [
    `${indent1}chain ${name} {`,
    `${indent2}${renderComment(`${chain.direction.toLowerCase()} of ${chain.subject} (${chain.ifname}), isolated by ${policies}`)}`,
    ...chain.rules.map((r) => renderPolicyRule(r, field)),
    `${indent2}counter reject with icmpx type ${chain.reject} ${renderComment(chain.rejectComment)}`,
    `${indent1}}`,
  ];
}

function renderDnat(port: IrServicePort): string {
  const family = port.family;
  const match = `${family} daddr ${canonicalizeAddress(port.clusterIp, 'ClusterIP')} ${checkProtocol(port.protocol)} dport ${checkPort(port.port, 'service port')}`;
  const comment = renderComment(port.comment);
  if (port.backends.length === 0) return `${indent2}${match} reject ${comment}`;
  const targets = port.backends.map((b) => ({
    address: canonicalizeAddress(b.address, `backend ${b.pod}`),
    port: checkPort(b.port, `targetPort of backend ${b.pod}`),
  }));
  const only = targets[0];
  if (targets.length === 1 && only) {
    const address = family === 'ip6' ? `[${only.address}]` : only.address;
    return `${indent2}${match} dnat ${family} to ${address}:${only.port} ${comment}`;
  }
  // Round robin like kube-proxy's nftables mode: a per-rule counter modulo the number of backends. The map is
  // inline: a named map declared `type mark : ipv4_addr . inet_service` fails to load with nft 1.0.6
  // ("datatype mismatch, map expects packet mark, mapping expression has type integer").
  const entries = targets.map((t, i) => `${i} : ${t.address} . ${t.port}`).join(', ');
  return `${indent2}${match} dnat ${family} to numgen inc mod ${targets.length} map { ${entries} } ${comment}`;
}

function renderServices(ir: RulesetIr): string[] {
  const lines = [
    `${indent1}chain services {`,
    `${indent2}type nat hook prerouting priority dstnat; policy accept;`,
    `${indent2}${renderComment('ClusterIP:port -> a ready backend, before policy is evaluated, as kube-proxy does')}`,
    ...ir.services.map(renderDnat),
  ];
  for (const family of ['ip', 'ip6'] as const) {
    const clusterIps = [...new Set(ir.services.filter((s) => s.family === family).map((s) => canonicalizeAddress(s.clusterIp, 'ClusterIP')))];
    if (clusterIps.length === 0) continue;
    // kube-proxy (pkg/proxy/nftables/proxier.go): "Reject traffic to invalid ports of ClusterIPs".
    lines.push(`${indent2}${family} daddr ${renderAddressList(clusterIps, 'ClusterIP')} reject ${renderComment('no such port on this ClusterIP (kube-proxy rejects)')}`);
  }
  lines.push(`${indent1}}`);
  return lines;
}

/** `ct status dnat ip saddr . ip daddr { a . a, ... }` per family: a translated packet whose source is its destination. */
function renderHairpinMatches(ir: RulesetIr, family?: IrFamily): string[] {
  const out: string[] = [];
  for (const group of ir.hairpin) {
    if (group.addresses.length === 0 || (family !== undefined && group.family !== family)) continue;
    const pairs = group.addresses.map((a) => canonicalizeAddress(a, 'hairpin backend')).map((a) => `${a} . ${a}`);
    out.push(`ct status dnat ${group.family} saddr . ${group.family} daddr { ${pairs.join(', ')} }`);
  }
  return out;
}

function renderHairpin(ir: RulesetIr): string[] {
  const lines: string[] = [];
  for (const family of ['ip', 'ip6'] as const) {
    const gateway = family === 'ip' ? ir.gatewayIp : ir.gatewayIp6;
    if (gateway === undefined) continue;
    for (const match of renderHairpinMatches(ir, family)) {
      // The reply must come back through the router, so the source becomes the router's own address.
      lines.push(`${indent2}${match} snat ${family} to ${canonicalizeAddress(gateway, 'gateway address')} ${renderComment('hairpin: a pod reaching itself through its Service')}`);
    }
  }
  if (lines.length === 0) return [];
  return [`${indent1}chain hairpin {`, `${indent2}type nat hook postrouting priority srcnat; policy accept;`, ...lines, `${indent1}}`];
}

const icmpTypeAllowances: readonly IcmpAllowance[] = ['echo-request', 'destination-unreachable', 'time-exceeded'];

function renderIcmpAllowances(allowances: readonly IcmpAllowance[], why: string): string[] {
  const lines: string[] = [];
  const comment = renderComment(why);
  const types = icmpTypeAllowances.filter((t) => allowances.includes(t));
  if (types.length > 0) {
    const list = types.length === 1 ? (types[0] ?? '') : `{ ${types.join(', ')} }`;
    lines.push(`${indent2}icmp type ${list} accept ${comment}`, `${indent2}icmpv6 type ${list} accept ${comment}`);
  }
  if (allowances.includes('frag-needed') && !types.includes('destination-unreachable')) {
    lines.push(`${indent2}icmp type destination-unreachable icmp code frag-needed accept ${comment}`);
  }
  if (allowances.includes('icmpv6-neighbor-discovery')) {
    lines.push(`${indent2}icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept ${comment}`);
  }
  return lines;
}

function renderDispatch(keyword: 'iifname' | 'oifname', entries: readonly { readonly ifname: string; readonly chain: string }[]): string[] {
  if (entries.length === 0) return [];
  const items = entries.map((e) => `"${assertIfname(e.ifname, 'pod interface')}" : jump ${assertIdentifier(e.chain, 'chain name')}`);
  const what = keyword === 'iifname' ? 'egress of the source pod' : 'ingress of the destination pod';
  return [`${indent2}${keyword} vmap { ${items.join(', ')} } ${renderComment(what)}`];
}

function renderForward(ir: RulesetIr): string[] {
  const forward = ir.forward;
  const lines = [`${indent1}chain forward {`, `${indent2}type filter hook forward priority filter; policy accept;`];
  const cite = (text: string, citation: string | undefined) => (citation === undefined ? text : `${text}; ${citation}`);
  if (!forward.isEnforcing) {
    lines.push(`${indent2}${renderComment(cite('no NetworkPolicy is enforced', forward.citations.enforcement))}`, `${indent1}}`);
    return lines;
  }
  if (forward.conntrack === 'established-survives') {
    lines.push(`${indent2}ct state established,related accept ${renderComment(cite('a new deny spares existing connections', forward.citations.conntrack))}`);
  } else {
    lines.push(`${indent2}ct direction reply accept ${renderComment(cite('only replies skip policy: a new deny cuts flows', forward.citations.conntrack))}`);
  }
  lines.push(`${indent2}ct state invalid drop`);
  lines.push(...renderIcmpAllowances(forward.icmpAlwaysAllowed, cite('ICMP that passes any isolation', forward.citations.icmp)));
  if (forward.isHairpinAlwaysAllowed) {
    const comment = renderComment(cite('hairpin through a Service skips policy', forward.citations.hairpin));
    lines.push(...renderHairpinMatches(ir).map((m) => `${indent2}${m} accept ${comment}`));
  }
  lines.push(...renderDispatch('iifname', forward.egress), ...renderDispatch('oifname', forward.ingress));
  lines.push(`${indent1}}`);
  return lines;
}

/** Text for a `#` line: printable ASCII only, so nothing can end the comment and start a statement. */
function toCommentLine(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

function renderNotes(ir: RulesetIr): string[] {
  const lines = [`# rehearsal router ruleset, profile ${sanitizeComment(ir.profile)}. Generated; edit the NetworkPolicies instead.`];
  for (const note of ir.notes) {
    lines.push(`# ${sanitizeComment(note.difference)}: ${toCommentLine(note.text)}`);
    lines.push(`#   source: ${toCommentLine(note.source)}`);
  }
  for (const ignored of ir.ignoredPolicies) {
    lines.push(`# ignored by this profile (isolates nothing): ${toCommentLine(`${ignored.policy.namespace}/${ignored.policy.name}; ${ignored.citation}`)}`);
  }
  return lines;
}

/** The complete script: create-if-missing, delete and redefine the table, all in one nft transaction. */
export function renderNft(ir: RulesetIr): string {
  const table = assertIdentifier(ir.table, 'table name');
  const body: string[] = [];
  const sections: string[][] = [
    ...ir.sets.map(renderSet),
    renderServices(ir),
    renderHairpin(ir),
    renderForward(ir),
    ...ir.chains.map(renderPodChain),
  ];
  for (const section of sections) {
    if (section.length === 0) continue;
    if (body.length > 0) body.push('');
    body.push(...section);
  }
  return [
    ...renderNotes(ir),
    // Declaring the table first makes the delete succeed on the first load; nft -f applies the whole file
    // as one transaction, so no packet ever sees a half-built table.
    `table inet ${table} {}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    ...body,
    '}',
    '',
  ].join('\n');
}
