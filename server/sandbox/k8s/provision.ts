// Brings a fresh real-cluster sandbox to "ready", the same way for every provider: the readiness gate (nodes
// Ready, CNI rolled out, CRDs Established, DNS Available), the scenario's workloads without any policy, a
// positive-control probe that must connect, an enforcement check (a deny that must bite), then the policies.
import type { CniReadiness } from '../../../infra/cni/types.ts';
import type { Cluster, Pod, Policy } from '../../policy/model.ts';
import type { ProbeRequest, ProbeResult, ProgressEvent } from '../contract.ts';
import { SandboxError, SandboxErrorCodes } from '../contract.ts';
import type { KubeClient } from './kube-client.ts';
import type { KubeSandbox } from './kube-sandbox.ts';
import type { Clock, Logger } from './runtime-deps.ts';
import { waitForCrds, waitForDaemonSets, waitForDns, waitForNodesReady } from './wait-ready.ts';

export interface ProvisionOptions {
  readonly handle: KubeSandbox;
  readonly client: KubeClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly cluster: Cluster;
  /** What the CNI needs before it counts as up; existing clusters pass only the DNS part they can know. */
  readonly readiness: CniReadiness;
  readonly gateTimeoutMs: number;
  readonly pollMs: number;
  /** False only for a CNI documented to enforce nothing (bare flannel): then "not enforced" is no surprise. */
  readonly isEnforcementExpected: boolean;
  /** How long a deny may take to bite before the cluster is declared non-enforcing. */
  readonly enforcementWindowMs: number;
  readonly progress: (step: string, message: string, fraction?: number) => void;
  readonly signal?: AbortSignal;
}

export const EnforcementStatuses = { enforced: 'enforced', notEnforced: 'not-enforced', unknown: 'unknown' } as const;
export type EnforcementStatus = (typeof EnforcementStatuses)[keyof typeof EnforcementStatuses];

export interface EnforcementReport {
  readonly status: EnforcementStatus;
  readonly evidence: string;
}

async function probeOnce(handle: KubeSandbox, request: ProbeRequest, signal?: AbortSignal): Promise<ProbeResult> {
  for await (const result of handle.probe([request], signal === undefined ? {} : { signal })) return result;
  return { id: request.id, outcome: 'error', latencyMs: 0, detail: 'no result' };
}

function formatTarget(request: ProbeRequest): string {
  const to = request.to;
  const target = to.kind === 'pod' || to.kind === 'service' ? `${to.namespace}/${to.name}` : to.kind === 'dns' ? to.hostname : to.kind === 'ip' ? to.ip : to.name;
  const from = request.from.kind === 'pod' ? `${request.from.namespace}/${request.from.name}` : request.from.name;
  return `${from} → ${target}:${request.port}/${request.protocol}`;
}

function servesTcp(pod: Pod): number | undefined {
  return pod.containers.flatMap((container) => container.ports).find((port) => port.protocol === 'TCP')?.containerPort;
}

/** A pod-to-pod TCP pair (for the enforcement check), else any pod to the cluster DNS over TCP 53. */
export function choosePositiveControl(cluster: Cluster): { readonly request: ProbeRequest; readonly isPodPair: boolean } | undefined {
  const pods = cluster.pods.filter((pod) => !pod.isSystem);
  const server = pods.find((pod) => servesTcp(pod) !== undefined);
  const serverPort = server === undefined ? undefined : servesTcp(server);
  const client = pods.find((pod) => pod !== server);
  if (server !== undefined && serverPort !== undefined && client !== undefined) {
    return {
      request: {
        id: 'positive-control',
        from: { kind: 'pod', namespace: client.namespace, name: client.name },
        to: { kind: 'pod', namespace: server.namespace, name: server.name },
        port: serverPort,
        protocol: 'TCP',
        timeoutMs: 3_000,
      },
      isPodPair: true,
    };
  }
  const anyPod = pods[0];
  if (anyPod === undefined) return undefined;
  return {
    request: {
      id: 'positive-control',
      from: { kind: 'pod', namespace: anyPod.namespace, name: anyPod.name },
      to: { kind: 'service', namespace: 'kube-system', name: 'kube-dns' },
      port: 53,
      protocol: 'TCP',
      timeoutMs: 3_000,
    },
    isPodPair: false,
  };
}

/** "If any NetworkPolicy selects a pod and has Ingress in its policyTypes, the pod is isolated for ingress." */
function makeDenyAllIngress(target: Pod): Policy {
  return {
    namespace: target.namespace,
    name: 'rehearsal-enforcement-check',
    podSelector: { matchLabels: { ...target.labels }, matchExpressions: [] },
    policyTypes: ['Ingress'],
    hasExplicitPolicyTypes: true,
    ingress: [],
    egress: [],
    labels: {},
    source: { file: 'rehearsal (enforcement check)', line: 0, docIndex: 0, path: '' },
  };
}

/**
 * Applies a deny-all ingress policy to the control's destination and probes again until the deny bites or the
 * window closes. A cluster that accepts the policy and still lets traffic through enforces nothing.
 */
export async function checkEnforcement(options: ProvisionOptions, control: ProbeRequest, baseCluster: Cluster): Promise<EnforcementReport> {
  const to = control.to;
  const target = to.kind === 'pod' ? baseCluster.pods.find((pod) => pod.namespace === to.namespace && pod.name === to.name) : undefined;
  if (target === undefined) return { status: 'unknown', evidence: 'no pod-to-pod pair to test a deny with' };
  await options.handle.apply({ ...baseCluster, policies: [makeDenyAllIngress(target)] }, options.signal === undefined ? {} : { signal: options.signal });
  const deadline = options.clock.now().getTime() + options.enforcementWindowMs;
  let last: ProbeResult | undefined;
  try {
    for (;;) {
      last = await probeOnce(options.handle, control, options.signal);
      if (last.outcome === 'denied') {
        return { status: 'enforced', evidence: `a deny-all ingress policy on ${target.namespace}/${target.name} dropped ${formatTarget(control)}` };
      }
      if (last.outcome !== 'allowed') {
        return { status: 'unknown', evidence: `the check probe ${formatTarget(control)} ended ${last.outcome}: ${last.detail ?? ''}` };
      }
      if (options.clock.now().getTime() >= deadline) break;
      await options.clock.sleep(2_000, options.signal);
    }
  } finally {
    await options.handle.apply(baseCluster, options.signal === undefined ? {} : { signal: options.signal });
  }
  return {
    status: 'not-enforced',
    evidence: `${formatTarget(control)} still connected ${Math.round(options.enforcementWindowMs / 1000)} s after a deny-all ingress policy selected ${target.namespace}/${target.name}`,
  };
}

export async function provisionKubeSandbox(options: ProvisionOptions): Promise<EnforcementReport> {
  const wait = {
    client: options.client,
    clock: options.clock,
    timeoutMs: options.gateTimeoutMs,
    pollMs: options.pollMs,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  options.progress('readiness', 'waiting for every node to be Ready', 0.6);
  await waitForNodesReady(wait);
  if (options.readiness.daemonSets.length > 0) {
    options.progress('cni', `waiting for the CNI to roll out (${options.readiness.daemonSets.map((ref) => `${ref.namespace}/${ref.name}`).join(', ')})`, 0.65);
    await waitForDaemonSets(wait, options.readiness);
  }
  if (options.readiness.crds.length > 0) {
    options.progress('cni', `waiting for CRDs to be Established (${options.readiness.crds.join(', ')})`, 0.7);
    await waitForCrds(wait, options.readiness);
  }
  options.progress('dns', `waiting for cluster DNS (${options.readiness.dns.namespace}/${options.readiness.dns.name})`, 0.75);
  await waitForDns(wait, options.readiness);

  const withoutPolicies: Cluster = { ...options.cluster, policies: [] };
  options.progress('pods', `starting ${withoutPolicies.pods.filter((pod) => !pod.isSystem).length} agnhost pods`, 0.8);
  await options.handle.apply(withoutPolicies, options.signal === undefined ? {} : { signal: options.signal });

  const control = choosePositiveControl(options.handle.cluster());
  let enforcement: EnforcementReport = { status: 'unknown', evidence: 'the scenario has no pods to probe with' };
  if (control === undefined) {
    options.progress('canary', 'no pods in the scenario: the positive-control probe is skipped', 0.85);
  } else {
    options.progress('canary', `positive control before any policy: ${formatTarget(control.request)}`, 0.85);
    const result = await probeOnce(options.handle, control.request, options.signal);
    if (result.outcome !== 'allowed') {
      throw new SandboxError(
        SandboxErrorCodes.provisionFailed,
        `the positive-control probe ${formatTarget(control.request)} was ${result.outcome} with no policy applied (${result.detail ?? 'no detail'}); ` +
          'the CNI is not passing pod traffic, so no test result would mean anything. Check the CNI pods (kubectl -n kube-system get pods) and retry.',
      );
    }
    if (control.isPodPair) {
      options.progress('enforcement', 'checking that a deny-all policy is enforced', 0.9);
      enforcement = await checkEnforcement(options, control.request, options.handle.cluster());
      if (enforcement.status === 'not-enforced') {
        const message = options.isEnforcementExpected
          ? `WARNING: THIS CLUSTER DOES NOT ENFORCE NETWORKPOLICY. ${enforcement.evidence}. Every policy you apply is accepted and ignored; observed results will show traffic the policies were meant to stop.`
          : `as documented for this CNI, NetworkPolicy is not enforced: ${enforcement.evidence}`;
        options.logger.warn(message, { sandboxId: options.handle.id });
        options.progress('enforcement', message, 0.92);
      } else {
        options.progress('enforcement', `enforcement check: ${enforcement.status} (${enforcement.evidence})`, 0.92);
      }
    }
  }
  await options.handle.updateProviderState({ enforcement: `${enforcement.status}: ${enforcement.evidence}` });
  options.progress('policies', `applying ${options.cluster.policies.length} NetworkPolicies`, 0.95);
  await options.handle.apply(options.cluster, options.signal === undefined ? {} : { signal: options.signal });
  options.progress('ready', 'sandbox ready', 1);
  return enforcement;
}

export function makeProgressReporter(sandboxId: string, clock: Clock, onProgress?: (event: ProgressEvent) => void): (step: string, message: string, fraction?: number) => void {
  return (step, message, fraction) => {
    onProgress?.({ sandboxId, step, message, ...(fraction === undefined ? {} : { fraction }), at: clock.now().toISOString() });
  };
}
