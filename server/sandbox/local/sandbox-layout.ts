// Where each part of a Cluster lives in a local sandbox: which namespace and router interface each pod gets,
// which ports its agent serves, which pods run the cluster DNS server. Pure: the same input gives the same layout,
// and pods keep their slot across `apply` (new pods get fresh slots; slots are never reused within a sandbox).
import type { Cluster, Pod, Protocol } from '../../policy/model.ts';
import type { AgentListener, AgentProtocol } from './agent/agent-protocol.ts';
import { agentLimits } from './agent/agent-protocol.ts';
import { SandboxError, SandboxErrorCodes } from '../contract.ts';
import { assertValidPodIdentity, getPodNetns, getRouterPodInterface } from './names.ts';

/** The port the cluster DNS server answers on (both UDP and TCP), as kube-dns does. */
export const dnsPort = 53;

export interface PodLayout {
  /** `ns/name`. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly index: number;
  readonly netns: string;
  readonly routerInterface: string;
  readonly ips: readonly string[];
  /** `dns`: the pod also runs the cluster DNS server on port 53 (its agent serves the other ports). */
  readonly role: 'agent' | 'dns';
  readonly listeners: readonly AgentListener[];
}

export interface SandboxLayout {
  readonly pods: readonly PodLayout[];
  /** What the outside-world agent serves: each ExternalEndpoint's ports, bound to that endpoint's address. */
  readonly outsideListeners: readonly AgentListener[];
  readonly externalIps: readonly string[];
  readonly nextPodIndex: number;
}

export interface PreviousSlots {
  readonly pods: readonly { readonly key: string; readonly index: number }[];
  readonly nextPodIndex: number;
}

/** The cluster DNS pod, as the engine synthesizes it (kube-system, `k8s-app: kube-dns`) or a user declares it. */
export function isDnsPod(pod: Pod): boolean {
  return pod.namespace === 'kube-system' && pod.labels['k8s-app'] === 'kube-dns';
}

function toAgentProtocol(protocol: Protocol): AgentProtocol {
  return protocol === 'TCP' ? 'tcp' : protocol === 'UDP' ? 'udp' : 'sctp';
}

function listenersOfPod(pod: Pod, role: PodLayout['role']): AgentListener[] {
  const seen = new Set<string>();
  const listeners: AgentListener[] = [];
  for (const container of pod.containers) {
    for (const port of container.ports) {
      if (role === 'dns' && port.containerPort === dnsPort && port.protocol !== 'SCTP') continue;
      const listener = { protocol: toAgentProtocol(port.protocol), port: port.containerPort };
      const id = `${listener.protocol}:${listener.port}`;
      if (seen.has(id)) continue;
      seen.add(id);
      listeners.push(listener);
    }
  }
  return listeners.sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}

export function formatPodKey(pod: { readonly namespace: string; readonly name: string }): string {
  return `${pod.namespace}/${pod.name}`;
}

export function planLayout(options: { readonly sandboxId: string; readonly cluster: Cluster; readonly maxPods: number; readonly previous?: PreviousSlots }): SandboxLayout {
  const { cluster, sandboxId } = options;
  if (cluster.pods.length > options.maxPods) {
    throw new SandboxError(
      SandboxErrorCodes.limitExceeded,
      `the cluster has ${cluster.pods.length} pods; a local sandbox holds at most ${options.maxPods} (raise the limit with REHEARSAL_MAX_PODS, or split the scenario)`,
    );
  }
  const slots = new Map((options.previous?.pods ?? []).map((pod) => [pod.key, pod.index]));
  let nextPodIndex = options.previous?.nextPodIndex ?? 0;
  const pods = cluster.pods.map((pod): PodLayout => {
    assertValidPodIdentity(pod.namespace, pod.name);
    const key = formatPodKey(pod);
    let index = slots.get(key);
    if (index === undefined) {
      index = nextPodIndex;
      nextPodIndex += 1;
    }
    const role = isDnsPod(pod) ? 'dns' : 'agent';
    const listeners = listenersOfPod(pod, role);
    if (listeners.length > agentLimits.maxListeners) {
      throw new SandboxError(SandboxErrorCodes.limitExceeded, `pod ${key} declares ${listeners.length} ports; the local sandbox serves at most ${agentLimits.maxListeners} per pod`);
    }
    return {
      key,
      namespace: pod.namespace,
      name: pod.name,
      index,
      netns: getPodNetns(sandboxId, index),
      routerInterface: getRouterPodInterface(index),
      ips: pod.ips,
      role,
      listeners,
    };
  });
  const outsideListeners: AgentListener[] = [];
  for (const external of cluster.externals) {
    for (const port of external.ports) outsideListeners.push({ protocol: toAgentProtocol(port.protocol), port: port.port, ip: external.ip });
  }
  if (outsideListeners.length > agentLimits.maxListeners) {
    throw new SandboxError(
      SandboxErrorCodes.limitExceeded,
      `ExternalEndpoints declare ${outsideListeners.length} ports in all; the local sandbox's outside world serves at most ${agentLimits.maxListeners}`,
    );
  }
  const externalIps = [...new Set(cluster.externals.map((external) => external.ip))];
  return { pods, outsideListeners, externalIps, nextPodIndex };
}

/** The pod's DNS search path, as the kubelet writes it into resolv.conf for ClusterFirst pods. */
export function getSearchDomains(namespace: string): readonly string[] {
  return [`${namespace}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local'];
}
