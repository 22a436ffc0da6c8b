// Every name the local sandbox puts on a command line: sandbox ids, netns and interface names, runtime paths.
// Names are derived here and validated here, so nothing user-written reaches `ip`, `nft` or an agent unchecked.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SandboxError, SandboxErrorCodes } from '../contract.ts';

const sandboxIdPattern = /^sb-([0-9a-f]{8})$/;
/** `rh-<8 hex>-r` (router), `rh-<8 hex>-x` (outside world), `rh-<8 hex>-p<i>` (pods). */
const netnsPattern = /^rh-([0-9a-f]{8})-(r|x|p(0|[1-9][0-9]{0,5}))$/;
/** RFC 1123 label, as Kubernetes requires for namespace names and sandbox names. */
const dns1123LabelPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1123 subdomain, as Kubernetes requires for pod names. */
const dns1123SubdomainPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const routerOutsideInterface = 'rx0';
export const podInterface = 'eth0';
/** The gateway every pod routes through; it lives on a dummy in the router, as Calico's 169.254.1.1 does. */
export const gatewayIpv4 = '169.254.1.1';
/** Link-local gateway for IPv6 pods, configured on every pod-facing router interface. */
export const gatewayIpv6 = 'fe80::1';
export const gatewayDummyInterface = 'rh-gw';
/** The one nftables table the router holds. */
export const nftTableName = 'rehearsal';

export function generateSandboxId(): string {
  return `sb-${randomBytes(4).toString('hex')}`;
}

export function isSandboxId(text: string): boolean {
  return sandboxIdPattern.test(text);
}

/** The 8 hex characters of a sandbox id; throws SANDBOX_INVALID_NAME for anything else. */
export function getSandboxHex(sandboxId: string): string {
  const match = sandboxIdPattern.exec(sandboxId);
  if (match?.[1] === undefined) {
    throw new SandboxError(SandboxErrorCodes.invalidName, `'${sandboxId}' is not a sandbox id; ids look like sb-3f2a91c0 (see 'rehearse ls')`);
  }
  return match[1];
}

export function getRouterNetns(sandboxId: string): string {
  return `rh-${getSandboxHex(sandboxId)}-r`;
}

export function getOutsideNetns(sandboxId: string): string {
  return `rh-${getSandboxHex(sandboxId)}-x`;
}

export function getPodNetns(sandboxId: string, podIndex: number): string {
  return `rh-${getSandboxHex(sandboxId)}-p${podIndex}`;
}

/** The router's end of a pod's veth. Interface names are limited to 15 bytes; `rp` + 6 digits fits. */
export function getRouterPodInterface(podIndex: number): string {
  return `rp${podIndex}`;
}

export interface ParsedNetnsName {
  readonly sandboxId: string;
  readonly role: 'router' | 'outside' | 'pod';
  readonly podIndex?: number;
}

/** Recognises only the names this provider makes; other `rh-*` namespaces (someone else's) are left alone. */
export function parseNetnsName(name: string): ParsedNetnsName | undefined {
  const match = netnsPattern.exec(name);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  const sandboxId = `sb-${match[1]}`;
  if (match[2] === 'r') return { sandboxId, role: 'router' };
  if (match[2] === 'x') return { sandboxId, role: 'outside' };
  return { sandboxId, role: 'pod', podIndex: Number(match[2].slice(1)) };
}

/** Why a sandbox name is not acceptable, or undefined when it is. */
export function describeInvalidSandboxName(name: string): string | undefined {
  if (name.length === 0 || name.length > 63) return `sandbox name '${name}' must be 1 to 63 characters`;
  if (!dns1123LabelPattern.test(name)) {
    return `sandbox name '${name}' must be lower-case letters, digits and '-', starting and ending with a letter or digit (a DNS-1123 label)`;
  }
  if (sandboxIdPattern.test(name)) return `sandbox name '${name}' looks like a sandbox id; pick a name that does not start with 'sb-' + 8 hex digits`;
  return undefined;
}

export function assertValidSandboxName(name: string): void {
  const problem = describeInvalidSandboxName(name);
  if (problem !== undefined) throw new SandboxError(SandboxErrorCodes.invalidName, problem);
}

/** Pod identities go on agent command lines (`--identity ns/name`); only Kubernetes-valid names get there. */
export function assertValidPodIdentity(namespace: string, name: string): void {
  if (namespace.length > 63 || !dns1123LabelPattern.test(namespace)) {
    throw new SandboxError(SandboxErrorCodes.invalidName, `namespace '${namespace}' is not a DNS-1123 label; fix the manifest's metadata.namespace`);
  }
  if (name.length > 253 || !dns1123SubdomainPattern.test(name)) {
    throw new SandboxError(SandboxErrorCodes.invalidName, `pod name '${name}' in namespace '${namespace}' is not a DNS-1123 subdomain; fix metadata.name`);
  }
}

/** Paths of one sandbox's runtime files: control sockets, DNS records, the applied cluster. */
export interface RuntimePaths {
  readonly dir: string;
  readonly clusterFile: string;
  readonly dnsRecordsFile: string;
  readonly logDir: string;
  controlSocket(podIndex: number): string;
  readonly outsideControlSocket: string;
}

export function getRuntimePaths(runRoot: string, sandboxId: string): RuntimePaths {
  const dir = join(runRoot, getSandboxHexChecked(sandboxId));
  return {
    dir,
    clusterFile: join(dir, 'cluster.json'),
    dnsRecordsFile: join(dir, 'dns-records.txt'),
    logDir: join(dir, 'log'),
    controlSocket: (podIndex) => join(dir, `p${podIndex}.sock`),
    outsideControlSocket: join(dir, 'x.sock'),
  };
}

function getSandboxHexChecked(sandboxId: string): string {
  getSandboxHex(sandboxId);
  return sandboxId;
}
