// The pod agent's wire contract (agent.c): its command line, its READY line, and the newline-delimited control protocol.
// Encoders validate before writing; parsers accept exactly what agent.c writes and reject everything else.

import { isIP } from 'node:net';

export const AgentProtocols = { tcp: 'tcp', udp: 'udp', sctp: 'sctp' } as const;
export type AgentProtocol = (typeof AgentProtocols)[keyof typeof AgentProtocols];

/** Every status agent.c writes in a RESULT line. `resolved` answers RESOLVE only. */
export const AgentStatuses = {
  connected: 'connected',
  refused: 'refused',
  netUnreachable: 'net-unreachable',
  hostUnreachable: 'host-unreachable',
  timeout: 'timeout',
  unsupported: 'unsupported',
  resolved: 'resolved',
  dnsNxdomain: 'dns-nxdomain',
  dnsNetUnreachable: 'dns-net-unreachable',
  dnsHostUnreachable: 'dns-host-unreachable',
  dnsTimeout: 'dns-timeout',
  error: 'error',
} as const;
export type AgentStatus = (typeof AgentStatuses)[keyof typeof AgentStatuses];
const agentStatusSet: ReadonlySet<string> = new Set(Object.values(AgentStatuses));

export function isAgentStatus(text: string): text is AgentStatus {
  return agentStatusSet.has(text);
}

/** Stable codes of the agent's operational failures (thrown as SandboxError). */
export const AgentErrorCodes = {
  /** No C compiler, or agent.c did not compile. */
  buildFailed: 'LOCAL_AGENT_BUILD_FAILED',
  /** The control socket is missing or nobody accepts on it. */
  connectFailed: 'LOCAL_AGENT_CONNECT_FAILED',
  /** The client was closed, or the agent went away, with the request unanswered. */
  closed: 'LOCAL_AGENT_CLOSED',
  /** No answer within the request's own timeout plus slack: the agent is stuck or gone. */
  timeout: 'LOCAL_AGENT_TIMEOUT',
  /** The agent wrote something this client does not understand; the connection is dropped. */
  protocol: 'LOCAL_AGENT_PROTOCOL',
  /** The request is malformed (bad id, hostname, port) and was never sent. */
  badRequest: 'LOCAL_AGENT_BAD_REQUEST',
  /** The agent answered ERROR to the request. */
  rejected: 'LOCAL_AGENT_REJECTED',
  /** The caller's signal aborted the request. */
  aborted: 'LOCAL_AGENT_ABORTED',
} as const;
export type AgentErrorCode = (typeof AgentErrorCodes)[keyof typeof AgentErrorCodes];

/** Limits agent.c enforces; the client checks them first so a bad request fails before it is sent. */
export const agentLimits = {
  maxLineBytes: 1024,
  maxInFlight: 1024,
  maxTimeoutMs: 600_000,
  maxHostnameLength: 253,
  maxSearchDomains: 8,
  maxListeners: 64,
  /** sun_path is 108 bytes including the terminating NUL. */
  maxControlPathBytes: 107,
} as const;

const idPattern = /^[A-Za-z0-9_.:-]{1,64}$/;
const hostnamePattern = /^(?=.{1,253}$)([A-Za-z0-9_-]{1,63}\.)*[A-Za-z0-9_-]{1,63}\.?$/;
const uintPattern = /^(0|[1-9][0-9]{0,9})$/;

export interface ProbeAddressRequest {
  readonly kind: 'probe';
  readonly id: string;
  readonly protocol: AgentProtocol;
  readonly ip: string;
  readonly port: number;
  readonly timeoutMs: number;
  /** Bind the probe to this address (the outside-world netns serves several external IPs). */
  readonly sourceIp?: string;
}

export interface ProbeNameRequest {
  readonly kind: 'probe-name';
  readonly id: string;
  readonly protocol: AgentProtocol;
  readonly hostname: string;
  readonly port: number;
  readonly timeoutMs: number;
  readonly sourceIp?: string;
}

export interface ResolveRequest {
  readonly kind: 'resolve';
  readonly id: string;
  readonly hostname: string;
  readonly timeoutMs: number;
}

export type AgentRequest =
  | ProbeAddressRequest
  | ProbeNameRequest
  | ResolveRequest
  | { readonly kind: 'ping'; readonly id: string }
  | { readonly kind: 'stats'; readonly id: string }
  /** A DNS agent reads its records file again (RELOADED with the number of names, or ERROR and the old records stay). */
  | { readonly kind: 'reload'; readonly id: string };

export interface AgentResult {
  readonly kind: 'result';
  readonly id: string;
  readonly status: AgentStatus;
  readonly latencyUs: number;
  /** The address DNS gave (PROBE_NAME, RESOLVE); absent for PROBE and when resolution failed. */
  readonly resolvedIp?: string;
  /** The peer's identity (`ns/name`) when connected, else the errno name or a message. */
  readonly detail: string;
}

export interface AgentStats {
  readonly kind: 'stats';
  readonly id: string;
  readonly rssKb: number;
  readonly probes: number;
}

export interface AgentReloaded {
  readonly kind: 'reloaded';
  readonly id: string;
  /** Names the DNS server now answers (declared names and their parents in the zone). */
  readonly names: number;
}

export type AgentResponse =
  | AgentResult
  | AgentStats
  | AgentReloaded
  | { readonly kind: 'pong'; readonly id: string }
  /** The agent could not parse a request; `id` is absent when the request had no usable id. */
  | { readonly kind: 'error'; readonly id?: string; readonly message: string };

export type ParseOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

export function isAgentRequestId(text: string): boolean {
  return idPattern.test(text);
}

export function isAgentHostname(text: string): boolean {
  return hostnamePattern.test(text);
}

function checkPort(port: number): string | undefined {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? undefined : `port must be an integer 1..65535, got ${port}`;
}

function checkTimeout(timeoutMs: number): string | undefined {
  return Number.isInteger(timeoutMs) && timeoutMs >= 1 && timeoutMs <= agentLimits.maxTimeoutMs
    ? undefined
    : `timeoutMs must be an integer 1..${agentLimits.maxTimeoutMs}, got ${timeoutMs}`;
}

/** Why a request cannot be sent, or undefined when it is well-formed. */
export function checkAgentRequest(request: AgentRequest): string | undefined {
  if (!isAgentRequestId(request.id)) return `request id must be 1-64 characters of [A-Za-z0-9_.:-], got ${JSON.stringify(request.id)}`;
  switch (request.kind) {
    case 'ping':
    case 'stats':
    case 'reload':
      return undefined;
    case 'resolve':
      if (!isAgentHostname(request.hostname)) return `not a DNS name: ${JSON.stringify(request.hostname)}`;
      return checkTimeout(request.timeoutMs);
    case 'probe':
    case 'probe-name': {
      if (!Object.hasOwn(AgentProtocols, request.protocol)) return `protocol must be tcp, udp or sctp, got ${JSON.stringify(request.protocol)}`;
      if (request.kind === 'probe' && isIP(request.ip) === 0) return `not an IP address: ${JSON.stringify(request.ip)}`;
      if (request.kind === 'probe-name' && !isAgentHostname(request.hostname)) return `not a DNS name: ${JSON.stringify(request.hostname)}`;
      if (request.sourceIp !== undefined && isIP(request.sourceIp) === 0) return `source is not an IP address: ${JSON.stringify(request.sourceIp)}`;
      return checkPort(request.port) ?? checkTimeout(request.timeoutMs);
    }
  }
}

/** The request as one line with its newline. Throws a TypeError on a malformed request: check with checkAgentRequest first. */
export function encodeAgentRequest(request: AgentRequest): string {
  const problem = checkAgentRequest(request);
  if (problem !== undefined) throw new TypeError(problem);
  switch (request.kind) {
    case 'ping':
      return `PING ${request.id}\n`;
    case 'stats':
      return `STATS ${request.id}\n`;
    case 'reload':
      return `RELOAD ${request.id}\n`;
    case 'resolve':
      return `RESOLVE ${request.id} ${request.hostname} ${request.timeoutMs}\n`;
    case 'probe':
      return `PROBE ${request.id} ${request.protocol} ${request.ip} ${request.port} ${request.timeoutMs} ${request.sourceIp ?? '-'}\n`;
    case 'probe-name':
      return `PROBE_NAME ${request.id} ${request.protocol} ${request.hostname} ${request.port} ${request.timeoutMs} ${request.sourceIp ?? '-'}\n`;
  }
}

function parseUint(text: string | undefined): number | undefined {
  if (text === undefined || !uintPattern.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

const printable = /^[\x20-\x7e]*$/;

/** One line from the agent (without its newline). Anything agent.c would not write is a problem, never a guess. */
export function parseAgentResponse(line: string): ParseOutcome<AgentResponse> {
  if (line.length > 4 * agentLimits.maxLineBytes) return { ok: false, problem: 'line too long' };
  if (!printable.test(line)) return { ok: false, problem: 'line contains non-printable characters' };
  const space = line.indexOf(' ');
  const verb = space < 0 ? line : line.slice(0, space);
  const rest = space < 0 ? '' : line.slice(space + 1);
  switch (verb) {
    case 'PONG': {
      if (!isAgentRequestId(rest)) return { ok: false, problem: `PONG needs one request id: ${JSON.stringify(line)}` };
      return { ok: true, value: { kind: 'pong', id: rest } };
    }
    case 'STATS': {
      const match = /^(\S+) rss_kb=(\S+) probes=(\S+)$/.exec(rest);
      const rssKb = parseUint(match?.[2]);
      const probes = parseUint(match?.[3]);
      if (match === null || match[1] === undefined || !isAgentRequestId(match[1]) || rssKb === undefined || probes === undefined) {
        return { ok: false, problem: `malformed STATS line: ${JSON.stringify(line)}` };
      }
      return { ok: true, value: { kind: 'stats', id: match[1], rssKb, probes } };
    }
    case 'RELOADED': {
      const match = /^(\S+) names=(\S+)$/.exec(rest);
      const names = parseUint(match?.[2]);
      if (match === null || match[1] === undefined || !isAgentRequestId(match[1]) || names === undefined) {
        return { ok: false, problem: `malformed RELOADED line: ${JSON.stringify(line)}` };
      }
      return { ok: true, value: { kind: 'reloaded', id: match[1], names } };
    }
    case 'ERROR': {
      const sp = rest.indexOf(' ');
      const id = sp < 0 ? rest : rest.slice(0, sp);
      const message = sp < 0 ? '' : rest.slice(sp + 1);
      if (message === '' || (id !== '-' && !isAgentRequestId(id))) return { ok: false, problem: `malformed ERROR line: ${JSON.stringify(line)}` };
      return { ok: true, value: id === '-' ? { kind: 'error', message } : { kind: 'error', id, message } };
    }
    case 'RESULT':
      return parseResult(rest, line);
    default:
      return { ok: false, problem: `unknown line from agent: ${JSON.stringify(line)}` };
  }
}

function parseResult(rest: string, line: string): ParseOutcome<AgentResponse> {
  const parts = rest.split(' ');
  const [id, status, latency, resolved] = parts;
  const detail = parts.slice(4).join(' ');
  if (parts.length < 5 || id === undefined || status === undefined || resolved === undefined || detail === '') {
    return { ok: false, problem: `RESULT needs id, status, latency, address and detail: ${JSON.stringify(line)}` };
  }
  if (!isAgentRequestId(id)) return { ok: false, problem: `RESULT with a malformed id: ${JSON.stringify(line)}` };
  if (!isAgentStatus(status)) return { ok: false, problem: `RESULT with an unknown status ${JSON.stringify(status)}` };
  const latencyUs = parseUint(latency);
  if (latencyUs === undefined) return { ok: false, problem: `RESULT with a malformed latency: ${JSON.stringify(line)}` };
  if (resolved !== '-' && isIP(resolved) === 0) return { ok: false, problem: `RESULT with a malformed address: ${JSON.stringify(line)}` };
  const value: AgentResult = {
    kind: 'result',
    id,
    status,
    latencyUs,
    ...(resolved === '-' ? {} : { resolvedIp: resolved }),
    detail,
  };
  return { ok: true, value };
}

// ---- the command line and the READY line ----

export interface AgentListener {
  readonly protocol: AgentProtocol;
  readonly port: number;
  /** Bind this address only; absent = every address of the pod (0.0.0.0 and ::). */
  readonly ip?: string;
}

export interface AgentLaunchOptions {
  /** Enter this network namespace (a name under /run/netns) before opening any socket. */
  readonly netns?: string;
  readonly controlPath: string;
  /** `ns/name`: what the agent answers to every connection. */
  readonly identity: string;
  readonly listeners: readonly AgentListener[];
  readonly nameserver?: string;
  readonly search?: readonly string[];
  /** Default 5, as Kubernetes writes into pods' resolv.conf. */
  readonly ndots?: number;
  /** The kube-dns pod: serve the cluster DNS from this records file (dns-records.ts writes it). */
  readonly dns?: AgentDnsOptions;
}

export interface AgentDnsOptions {
  readonly recordsFile: string;
  /** Default 53; 0 picks a free port (reported in the READY line). */
  readonly port?: number;
  /** Default: every address of the pod (0.0.0.0 and ::). */
  readonly ip?: string;
}

export function formatAgentListener(listener: AgentListener): string {
  return `${listener.protocol}:${listener.port}${listener.ip === undefined ? '' : `@${listener.ip}`}`;
}

/** Why these options cannot start an agent, or undefined. */
export function checkAgentLaunchOptions(options: AgentLaunchOptions): string | undefined {
  if (options.controlPath === '' || Buffer.byteLength(options.controlPath) > agentLimits.maxControlPathBytes) {
    return `control socket path must be 1..${agentLimits.maxControlPathBytes} bytes: ${options.controlPath}`;
  }
  if (options.netns !== undefined && (!/^[A-Za-z0-9_.-]{1,64}$/.test(options.netns) || options.netns === '.' || options.netns === '..')) {
    return `netns must be a namespace name from /run/netns: ${JSON.stringify(options.netns)}`;
  }
  if (!/^[\x21-\x7e]{1,253}$/.test(options.identity)) return `identity must be 1..253 printable characters without spaces: ${JSON.stringify(options.identity)}`;
  if (options.listeners.length > agentLimits.maxListeners) return `at most ${agentLimits.maxListeners} listeners per agent`;
  for (const listener of options.listeners) {
    if (!Object.hasOwn(AgentProtocols, listener.protocol)) return `listener protocol must be tcp, udp or sctp: ${listener.protocol}`;
    const portProblem = checkPort(listener.port);
    if (portProblem !== undefined) return `listener ${formatAgentListener(listener)}: ${portProblem}`;
    if (listener.ip !== undefined && isIP(listener.ip) === 0) return `listener address is not an IP: ${listener.ip}`;
  }
  if (options.nameserver !== undefined && isIP(options.nameserver) === 0) return `nameserver is not an IP: ${options.nameserver}`;
  const search = options.search ?? [];
  if (search.length > agentLimits.maxSearchDomains) return `at most ${agentLimits.maxSearchDomains} search domains`;
  for (const domain of search) {
    if (!isAgentHostname(domain) || domain.endsWith('.')) return `search domain is not a DNS name: ${JSON.stringify(domain)}`;
  }
  if (options.ndots !== undefined && !(Number.isInteger(options.ndots) && options.ndots >= 0 && options.ndots <= 15)) {
    return `ndots must be 0..15: ${options.ndots}`;
  }
  if (options.dns !== undefined) {
    if (options.dns.recordsFile === '') return 'the DNS records file path is empty';
    const port = options.dns.port;
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) return `DNS port must be 0..65535: ${port}`;
    if (options.dns.ip !== undefined && isIP(options.dns.ip) === 0) return `DNS listen address is not an IP: ${options.dns.ip}`;
  }
  return undefined;
}

/** The agent's argv after the binary path. Throws a TypeError on invalid options: check with checkAgentLaunchOptions. */
export function formatAgentArgs(options: AgentLaunchOptions): string[] {
  const problem = checkAgentLaunchOptions(options);
  if (problem !== undefined) throw new TypeError(problem);
  const args = [...(options.netns === undefined ? [] : ['--netns', options.netns]), '--control', options.controlPath, '--identity', options.identity];
  for (const listener of options.listeners) args.push('--listen', formatAgentListener(listener));
  if (options.nameserver !== undefined) args.push('--nameserver', options.nameserver);
  for (const domain of options.search ?? []) args.push('--search', domain);
  if (options.ndots !== undefined) args.push('--ndots', String(options.ndots));
  if (options.dns !== undefined) {
    args.push('--dns-records', options.dns.recordsFile);
    if (options.dns.port !== undefined || options.dns.ip !== undefined) {
      args.push('--dns-listen', `${options.dns.port ?? 53}${options.dns.ip === undefined ? '' : `@${options.dns.ip}`}`);
    }
  }
  return args;
}

export type ListenerStatus =
  | { readonly state: 'ok' }
  /** The kernel lacks the protocol (SCTP without its module). */
  | { readonly state: 'unsupported' }
  | { readonly state: 'error'; readonly errno: string };

export interface AgentReadyListener {
  /** As given on the command line: `tcp:80`, `udp:53@10.0.0.1`; the DNS server as `dns:<bound port>[@ip]`. */
  readonly spec: string;
  readonly status: ListenerStatus;
}

/** The port a DNS agent's server is bound to, from its READY listeners (`dns:53=ok`); undefined when it has none. */
export function findDnsPort(listeners: readonly AgentReadyListener[]): number | undefined {
  const dns = listeners.find((listener) => listener.spec.startsWith('dns:') && listener.status.state === 'ok');
  const port = dns === undefined ? undefined : /^dns:([0-9]{1,5})/.exec(dns.spec)?.[1];
  return port === undefined ? undefined : Number(port);
}

/** `READY tcp:80=ok sctp:80=unsupported udp:53=error:EADDRINUSE dns:53=ok`: the agent's first stdout line. */
export function parseAgentReadyLine(line: string): ParseOutcome<readonly AgentReadyListener[]> {
  const parts = line.split(' ');
  if (parts[0] !== 'READY') return { ok: false, problem: `expected READY, got ${JSON.stringify(line.slice(0, 200))}` };
  const listeners: AgentReadyListener[] = [];
  for (const part of parts.slice(1)) {
    const match = /^((?:tcp|udp|sctp|dns):[0-9]{1,5}(?:@[0-9A-Fa-f.:]+)?)=(ok|unsupported|error:[A-Z0-9]+)$/.exec(part);
    const spec = match?.[1];
    const state = match?.[2];
    if (spec === undefined || state === undefined) return { ok: false, problem: `malformed listener status ${JSON.stringify(part)}` };
    const status: ListenerStatus =
      state === 'ok' ? { state: 'ok' } : state === 'unsupported' ? { state: 'unsupported' } : { state: 'error', errno: state.slice('error:'.length) };
    listeners.push({ spec, status });
  }
  return { ok: true, value: listeners };
}
