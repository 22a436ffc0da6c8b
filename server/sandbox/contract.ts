// The provider contract: what every way of making a sandbox (local netns, kind, cloud, existing cluster)
// must offer. The server, the CLI and the probe runner know this file, never a concrete provider.

import type { Cluster, EndpointRef, Protocol, PolicyRef } from '../policy/model.ts';

export const ProviderNames = { local: 'local', kind: 'kind', eks: 'eks', gke: 'gke', aks: 'aks', cluster: 'cluster' } as const;
export type ProviderName = (typeof ProviderNames)[keyof typeof ProviderNames];

export const SandboxStatuses = {
  provisioning: 'provisioning',
  ready: 'ready',
  expiring: 'expiring',
  destroyed: 'destroyed',
  failed: 'failed',
} as const;
export type SandboxStatus = (typeof SandboxStatuses)[keyof typeof SandboxStatuses];

/** Whether a provider can run on this host, and if not, exactly what is missing and how to get it. */
export interface ProviderAvailability {
  readonly provider: ProviderName;
  readonly isAvailable: boolean;
  /** CNIs this provider can give on this host. */
  readonly cnis: readonly string[];
  /** Each failed preflight check: "kind: Docker daemon not reachable at /var/run/docker.sock". */
  readonly problems: readonly { readonly check: string; readonly message: string; readonly fix: string }[];
}

/** The persisted description of a sandbox: enough to find, reattach to, or reap it after a crash. */
export interface SandboxRecord {
  /** `sb-` + 8 hex chars. */
  readonly id: string;
  /** Optional human name, DNS-1123 label. */
  readonly name?: string;
  readonly provider: ProviderName;
  readonly cni: string;
  readonly owner: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly status: SandboxStatus;
  /** Provider-specific state needed to reattach or reap (netns names, stack name, kubeconfig path). JSON-safe. */
  readonly providerState: Readonly<Record<string, unknown>>;
  readonly scenario?: string;
  readonly failure?: string;
}

export interface ProgressEvent {
  readonly sandboxId: string;
  /** A short stable step id (`namespaces`, `pods`, `dns`, `policies`, `cni`, `readiness`, `canary`). */
  readonly step: string;
  readonly message: string;
  /** 0..1 of the whole provisioning, when known. */
  readonly fraction?: number;
  readonly at: string;
}

export interface CreateSandboxOptions {
  readonly id: string;
  readonly name?: string;
  readonly cni: string;
  readonly ttlSeconds: number;
  readonly owner: string;
  readonly scenario?: string;
  /** The desired state to apply once the network is up. */
  readonly cluster: Cluster;
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: ProgressEvent) => void;
}

/** What to connect to. Services are resolved by the sandbox (as kube-proxy would); DNS names by the sandbox's resolver. */
export type ProbeTarget =
  | EndpointRef
  | { readonly kind: 'service'; readonly namespace: string; readonly name: string }
  | { readonly kind: 'dns'; readonly hostname: string }
  | { readonly kind: 'ip'; readonly ip: string };

export interface ProbeRequest {
  /** Caller-chosen id, echoed in the result. */
  readonly id: string;
  readonly from: EndpointRef;
  readonly to: ProbeTarget;
  readonly port: number;
  readonly protocol: Protocol;
  readonly timeoutMs: number;
}

export const ProbeOutcomes = {
  allowed: 'allowed',
  /** Dropped by policy. */
  denied: 'denied',
  /** Nothing listening (TCP RST / ICMP port unreachable), not a policy decision. */
  refused: 'refused',
  /** The protocol cannot be tested here (e.g. SCTP where the kernel lacks it). Never counted as passed. */
  unsupported: 'unsupported',
  error: 'error',
} as const;
export type ProbeOutcome = (typeof ProbeOutcomes)[keyof typeof ProbeOutcomes];

/** Which side dropped a denied probe and the isolating policies of that pod. */
export interface DropAttribution {
  readonly direction: 'Egress' | 'Ingress';
  /** `ns/pod` whose isolation dropped it. */
  readonly subject: string;
  readonly policies: readonly PolicyRef[];
  /** How the dataplane knows (`nft counter rh-ing-x-b`, `hubble verdict`, ...). */
  readonly evidence: string;
}

export interface ProbeResult {
  readonly id: string;
  readonly outcome: ProbeOutcome;
  readonly latencyMs: number;
  /** The address actually connected to (service and DNS targets resolved). */
  readonly resolvedIp?: string;
  /** For service targets: which backend answered (`ns/pod`). */
  readonly backend?: string;
  readonly attribution?: DropAttribution;
  /** Human detail: error text, DNS failure, "SCTP not supported by this kernel". */
  readonly detail?: string;
}

export interface ApplyResult {
  /** Time from the call to the moment the new state is enforced by the dataplane. */
  readonly enforcedAfterMs: number;
  readonly podsAdded: number;
  readonly podsRemoved: number;
  readonly policiesChanged: number;
}

/**
 * A live sandbox. The handle owns the sandbox's resources; `destroy` releases all of them and is idempotent.
 * Closing a handle without destroying (`detach`) leaves the sandbox to its own TTL supervisor.
 */
export interface SandboxHandle {
  readonly id: string;
  record(): SandboxRecord;
  /** The state currently applied. */
  cluster(): Cluster;
  /** Reconcile to a new desired state (policies, labels, pods) atomically; returns once enforced. */
  apply(cluster: Cluster, options?: { readonly signal?: AbortSignal }): Promise<ApplyResult>;
  /** Run probes concurrently; results arrive as they complete. Aborting the signal ends the iteration early. */
  probe(requests: readonly ProbeRequest[], options?: { readonly signal?: AbortSignal; readonly concurrency?: number }): AsyncIterable<ProbeResult>;
  /** The dataplane's ruleset in readable form, comments naming policy and rule. */
  describeRules(): Promise<string>;
  /** Move the expiry (the supervisor follows). */
  extend(expiresAt: Date): Promise<SandboxRecord>;
  destroy(): Promise<void>;
  /** Let go of the handle (close sockets) without tearing the sandbox down. */
  detach(): Promise<void>;
}

export interface SandboxProvider {
  readonly name: ProviderName;
  checkHost(): Promise<ProviderAvailability>;
  create(options: CreateSandboxOptions): Promise<SandboxHandle>;
  /** Reattach to a live sandbox after a restart; undefined when it no longer exists. */
  attach(record: SandboxRecord): Promise<SandboxHandle | undefined>;
  /** Tear down from a record alone (expired, half-built, after kill -9). Idempotent. */
  reap(record: SandboxRecord): Promise<void>;
  /** Sandboxes this provider finds on the host, including ones no store knows about. */
  discover(): Promise<readonly SandboxRecord[]>;
}

/** Typed operational failure with a stable code. The message says what happened and what to do. */
export class SandboxError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SandboxError';
    this.code = code;
  }
}

export const SandboxErrorCodes = {
  hostUnsupported: 'SANDBOX_HOST_UNSUPPORTED',
  notFound: 'SANDBOX_NOT_FOUND',
  expired: 'SANDBOX_EXPIRED',
  quotaExceeded: 'SANDBOX_QUOTA_EXCEEDED',
  provisionFailed: 'SANDBOX_PROVISION_FAILED',
  applyFailed: 'SANDBOX_APPLY_FAILED',
  limitExceeded: 'SANDBOX_LIMIT_EXCEEDED',
  invalidName: 'SANDBOX_INVALID_NAME',
  aborted: 'SANDBOX_ABORTED',
  /** Teardown could not remove everything (a namespace or process survived); the message lists what is left. */
  teardownFailed: 'SANDBOX_TEARDOWN_FAILED',
  /** Another operation holds the sandbox (a live Pulumi stack lock); retry when it ends. */
  busy: 'SANDBOX_BUSY',
} as const;
