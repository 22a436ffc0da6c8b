// Builds and changes a sandbox's network: one router namespace, one namespace per pod, one "outside world"
// namespace, veth pairs created directly in their target namespaces. Batches commands (`ip -batch -`,
// `ip -n <ns> -batch -`) so a 9-pod network costs a dozen process spawns. The host namespace is never touched.
import { readdir } from 'node:fs/promises';
import { parseIp } from '../../policy/cidr.ts';
import { SandboxError, SandboxErrorCodes } from '../contract.ts';
import { gatewayIpv4, gatewayIpv6, podInterface, routerOutsideInterface } from './names.ts';
import { CommandError, CommandErrorCodes, runCommand } from './run-command.ts';

export interface PodPlumbing {
  /** `ns/name`, for messages. */
  readonly key: string;
  readonly netns: string;
  /** The router's end of the pod's veth. */
  readonly routerInterface: string;
  /** Exactly the engine's addresses (cluster.pods[i].ips); never re-assigned here. */
  readonly ips: readonly string[];
}

export interface NetworkPlan {
  readonly routerNetns: string;
  readonly outsideNetns: string;
  readonly pods: readonly PodPlumbing[];
  /** Addresses of ExternalEndpoints, held by the outside namespace. */
  readonly externalIps: readonly string[];
}

const commandTimeoutMs = 20_000;
/** Pod namespaces configured at once; each is one short `ip` process. */
const podSetupConcurrency = 8;

function isIpv6(ip: string): boolean {
  return parseIp(ip)?.family === 'IPv6';
}

function assertIp(ip: string, owner: string): void {
  if (parseIp(ip) === undefined) {
    throw new SandboxError(SandboxErrorCodes.provisionFailed, `${owner} has address '${ip}', which is not an IP address; fix the manifest`);
  }
}

function hostPrefix(ip: string): string {
  return isIpv6(ip) ? `${ip}/128` : `${ip}/32`;
}

/** Lines for `ip -batch -` in the host namespace: create namespaces, then veths straight into them. */
export function renderCreateNamespacesBatch(options: { readonly netns: readonly string[]; readonly veths: readonly VethSpec[] }): string {
  const lines = options.netns.map((name) => `netns add ${name}`);
  for (const veth of options.veths) {
    lines.push(`link add name ${veth.routerInterface} netns ${veth.routerNetns} type veth peer name ${veth.peerInterface} netns ${veth.peerNetns}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface VethSpec {
  readonly routerNetns: string;
  readonly routerInterface: string;
  readonly peerNetns: string;
  readonly peerInterface: string;
}

/** Router-side lines for one attached namespace: link up, a link-local IPv6 gateway when needed, host routes. */
function renderRouterAttachLines(routerInterface: string, ips: readonly string[]): string[] {
  const lines = [`link set ${routerInterface} up`];
  // Every pod-facing interface carries the same link-local gateway, so IPv6 pods find fe80::1 on their link.
  if (ips.some(isIpv6)) lines.push(`addr add ${gatewayIpv6}/64 dev ${routerInterface} nodad`);
  for (const ip of ips) lines.push(`route replace ${hostPrefix(ip)} dev ${routerInterface}`);
  return lines;
}

/**
 * The router's base configuration. The gateway address sits on the router's loopback rather than on a dummy
 * device: minimal kernels (e.g. Firecracker guests) ship without the dummy driver, and a local address on lo
 * answers ARP on every interface just the same (arp_ignore=0).
 */
export function renderRouterBatch(plan: NetworkPlan): string {
  const lines = ['link set lo up', `addr add ${gatewayIpv4}/32 dev lo`];
  for (const pod of plan.pods) lines.push(...renderRouterAttachLines(pod.routerInterface, pod.ips));
  lines.push(...renderRouterAttachLines(routerOutsideInterface, plan.externalIps));
  return `${lines.join('\n')}\n`;
}

/** A pod's (or the outside world's) side: addresses, link up, the gateway route and the default route through it. */
export function renderEndpointBatch(ips: readonly string[]): string {
  const lines = ['link set lo up'];
  for (const ip of ips) lines.push(isIpv6(ip) ? `addr add ${hostPrefix(ip)} dev ${podInterface} nodad` : `addr add ${hostPrefix(ip)} dev ${podInterface}`);
  lines.push(`link set ${podInterface} up`);
  lines.push(`route add ${gatewayIpv4} dev ${podInterface} scope link`);
  lines.push(`route add default via ${gatewayIpv4} dev ${podInterface}`);
  if (ips.some(isIpv6)) lines.push(`route add default via ${gatewayIpv6} dev ${podInterface}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Sysctls of the router: forwarding on; proxy ARP on pod-facing interfaces (`all` covers them); no reverse-path
 * filter; and no ICMP rate limit. Denials are answered with ICMP errors, and the kernel's default limit (a burst of
 * 6, then one per second per destination) would turn the seventh denial in a second into a timeout.
 * All of these are per network namespace: the host's values are untouched.
 */
export function getRouterSysctls(options: { readonly hasIpv6: boolean }): readonly string[] {
  const settings = [
    'net.ipv4.ip_forward=1',
    'net.ipv4.conf.all.proxy_arp=1',
    'net.ipv4.conf.all.rp_filter=0',
    'net.ipv4.conf.default.rp_filter=0',
    'net.ipv4.icmp_ratelimit=0',
    'net.ipv4.icmp_msgs_per_sec=1000000',
    'net.ipv4.icmp_msgs_burst=1000000',
    'net.ipv6.icmp.ratelimit=0',
  ];
  if (options.hasIpv6) settings.push('net.ipv6.conf.all.forwarding=1');
  return settings;
}

async function runIpBatch(netns: string | undefined, script: string, options: { readonly signal?: AbortSignal; readonly isForced?: boolean }): Promise<void> {
  const args = [...(netns === undefined ? [] : ['-n', netns]), ...(options.isForced === true ? ['-force'] : []), '-batch', '-'];
  await runCommand('ip', args, { input: script, timeoutMs: commandTimeoutMs, ...(options.signal === undefined ? {} : { signal: options.signal }) });
}

async function runLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      if (item !== undefined) await work(item);
    }
  });
  await Promise.all(workers);
}

function checkPlanAddresses(plan: NetworkPlan): void {
  for (const pod of plan.pods) {
    if (pod.ips.length === 0) throw new SandboxError(SandboxErrorCodes.provisionFailed, `pod ${pod.key} has no IP address; the engine assigns one to every pod`);
    for (const ip of pod.ips) assertIp(ip, `pod ${pod.key}`);
  }
  for (const ip of plan.externalIps) assertIp(ip, 'an ExternalEndpoint');
}

/**
 * Creates every namespace of the plan and the veths between them (one `ip -batch`), nothing configured yet: enough
 * for agents that bind every address of their pod to start while configureNetwork runs.
 */
export async function createNamespaces(plan: NetworkPlan, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
  checkPlanAddresses(plan);
  const veths: VethSpec[] = plan.pods.map((pod) => ({
    routerNetns: plan.routerNetns,
    routerInterface: pod.routerInterface,
    peerNetns: pod.netns,
    peerInterface: podInterface,
  }));
  veths.push({ routerNetns: plan.routerNetns, routerInterface: routerOutsideInterface, peerNetns: plan.outsideNetns, peerInterface: podInterface });
  const netns = [plan.routerNetns, plan.outsideNetns, ...plan.pods.map((pod) => pod.netns)];
  await runIpBatch(undefined, renderCreateNamespacesBatch({ netns, veths }), options);
}

/** Configures what createNamespaces made: router sysctls, links, addresses and routes on both sides. */
export async function configureNetwork(plan: NetworkPlan, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
  const hasIpv6 = plan.pods.some((pod) => pod.ips.some(isIpv6)) || plan.externalIps.some(isIpv6);
  // -e: on kernels where a key is global rather than per-namespace it does not exist inside the namespace; skip it
  // rather than fail (and never reach for the host's copy).
  await runCommand('ip', ['netns', 'exec', plan.routerNetns, 'sysctl', '-q', '-e', '-w', ...getRouterSysctls({ hasIpv6 })], {
    timeoutMs: commandTimeoutMs,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  await runIpBatch(plan.routerNetns, renderRouterBatch(plan), options);
  const endpoints = [...plan.pods.map((pod) => ({ netns: pod.netns, ips: pod.ips })), { netns: plan.outsideNetns, ips: plan.externalIps }];
  await runLimited(endpoints, podSetupConcurrency, (endpoint) => runIpBatch(endpoint.netns, renderEndpointBatch(endpoint.ips), options));
}

/** Adds pods to a running network (apply): namespaces, veths, router routes, pod configuration. */
export async function addPods(
  options: { readonly routerNetns: string; readonly pods: readonly PodPlumbing[]; readonly signal?: AbortSignal },
): Promise<void> {
  if (options.pods.length === 0) return;
  checkPlanAddresses({ routerNetns: options.routerNetns, outsideNetns: '', pods: options.pods, externalIps: [] });
  const veths = options.pods.map((pod) => ({ routerNetns: options.routerNetns, routerInterface: pod.routerInterface, peerNetns: pod.netns, peerInterface: podInterface }));
  await runIpBatch(undefined, renderCreateNamespacesBatch({ netns: options.pods.map((pod) => pod.netns), veths }), options);
  const routerLines = options.pods.flatMap((pod) => renderRouterAttachLines(pod.routerInterface, pod.ips));
  await runIpBatch(options.routerNetns, `${routerLines.join('\n')}\n`, options);
  await runLimited(options.pods, podSetupConcurrency, (pod) => runIpBatch(pod.netns, renderEndpointBatch(pod.ips), options));
}

/**
 * Moves a namespace to new addresses (a pod whose IP changed, or the outside world's set of externals):
 * flush and re-add on its side, replace the router's host routes.
 */
export async function readdressEndpoint(options: {
  readonly routerNetns: string;
  readonly netns: string;
  readonly routerInterface: string;
  readonly previousIps: readonly string[];
  readonly ips: readonly string[];
  readonly signal?: AbortSignal;
}): Promise<void> {
  for (const ip of options.ips) assertIp(ip, options.netns);
  const endpointLines = [`addr flush dev ${podInterface}`, `route flush dev ${podInterface}`];
  await runIpBatch(options.netns, `${endpointLines.join('\n')}\n`, { ...options, isForced: true });
  await runIpBatch(options.netns, renderEndpointBatch(options.ips).replace('link set lo up\n', ''), options);
  const removed = options.previousIps.filter((ip) => !options.ips.includes(ip));
  const routerLines = removed.map((ip) => `route del ${hostPrefix(ip)} dev ${options.routerInterface}`);
  if (options.ips.some(isIpv6) && !options.previousIps.some(isIpv6)) {
    await runCommand('ip', ['netns', 'exec', options.routerNetns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.forwarding=1'], { timeoutMs: commandTimeoutMs });
    routerLines.push(`addr add ${gatewayIpv6}/64 dev ${options.routerInterface} nodad`);
  }
  for (const ip of options.ips) routerLines.push(`route replace ${hostPrefix(ip)} dev ${options.routerInterface}`);
  if (routerLines.length > 0) await runIpBatch(options.routerNetns, `${routerLines.join('\n')}\n`, { ...options, isForced: true });
}

/**
 * Deletes namespaces. Their veths go with them (deleting one end of a veth deletes the pair), and the router's
 * nftables table goes with the router's namespace. `-force` keeps going past names that are already gone.
 */
export async function deleteNamespaces(netns: readonly string[], options: { readonly signal?: AbortSignal } = {}): Promise<void> {
  if (netns.length === 0) return;
  await runIpBatch(undefined, `${netns.map((name) => `netns del ${name}`).join('\n')}\n`, { ...options, isForced: true }).catch((error: unknown) => {
    // With -force, ip still exits non-zero when some line failed; what matters is whether the names are gone,
    // which the caller verifies by listing /run/netns.
    if (!(error instanceof CommandError && error.code === CommandErrorCodes.failed)) throw error;
  });
}

/** Where `ip netns` keeps its named namespaces (bind mounts of nsfs files). */
export const netnsDir = '/run/netns';

/** Named network namespaces on the host, read from /run/netns without spawning anything. */
export async function listNetns(): Promise<readonly string[]> {
  try {
    return (await readdir(netnsDir)).sort();
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return [];
    throw error;
  }
}
