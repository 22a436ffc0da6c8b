// Builds the cluster's topology from validated drafts: namespaces (declared, system and implied), pods expanded from
// their controllers, the cluster DNS, and deterministic pod and Service addresses.

import { formatIp, nthAddress } from './cidr.ts';
import { allocateAddresses, dnsServiceOffset } from './ipam.ts';
import type { PinnedAddress } from './ipam.ts';
import type { ParseSettings } from './parse-context.ts';
import { withNamespaceNameLabel } from './parse-namespace.ts';
import type { ServiceDraft } from './parse-service.ts';
import type { DraftLocation, PodDraft, WorkloadDraft } from './parse-workload.ts';
import type { Issue, Namespace, Pod, Service, Severity, SourceRef } from './model.ts';

export const systemNamespaces = ['default', 'kube-system'] as const;
export const clusterDnsLabels: Readonly<Record<string, string>> = { 'k8s-app': 'kube-dns' };
export const clusterDnsPodName = 'coredns-0';
export const clusterDnsServiceName = 'kube-dns';

const synthesizedSource: SourceRef = { file: '', line: 0, docIndex: 0, path: '' };

export type PodOrigin = { readonly kind: 'pod'; readonly draft: PodDraft } | { readonly kind: 'workload'; readonly draft: WorkloadDraft };

export interface NamespaceUse {
  readonly namespace: string;
  /** Points at the `namespace:` field that names it (`metadata.namespace`). */
  readonly location: DraftLocation;
}

export interface TopologyInput {
  readonly namespaces: readonly Namespace[];
  /** Bare pods and workloads in the order they were read (earlier wins a generated-name collision). */
  readonly podOrigins: readonly PodOrigin[];
  readonly services: readonly ServiceDraft[];
  /** Every namespace an object lives in, in read order, to create undeclared ones with a warning. */
  readonly namespaceUses: readonly NamespaceUse[];
  readonly settings: ParseSettings;
}

export interface Topology {
  readonly namespaces: readonly Namespace[];
  readonly pods: readonly Pod[];
  readonly services: readonly Service[];
  readonly dnsServiceIp: string;
}

function addIssueAt(issues: Issue[], location: DraftLocation, input: { code: string; severity?: Severity; message: string; fix: string; path?: string }): void {
  issues.push({
    code: input.code,
    severity: input.severity ?? 'error',
    file: location.file,
    line: location.line,
    path: input.path ?? location.path,
    message: input.message,
    fix: input.fix,
    object: location.object,
  });
}

export function compareByNamespaceAndName(a: { readonly namespace: string; readonly name: string }, b: { readonly namespace: string; readonly name: string }): number {
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return 0;
}

function describeLocation(location: DraftLocation): string {
  return location.file === '' ? location.object : `${location.object} (${location.file}:${location.line})`;
}

/** "Workloads expand to their pods": `<name>-<i>` for i from 0, each a copy of the template. */
function expandPods(origins: readonly PodOrigin[], settings: ParseSettings, issues: Issue[]): PodDraft[] {
  const byKey = new Map<string, PodDraft>();
  const out: PodDraft[] = [];
  let isOverLimit = false;
  const add = (draft: PodDraft): void => {
    const key = `${draft.namespace}/${draft.name}`;
    const earlier = byKey.get(key);
    if (earlier) {
      addIssueAt(issues, draft.location, {
        code: 'name-collision',
        message: `pod ${key} from ${describeLocation(draft.location)} has the same name as the pod from ${describeLocation(earlier.location)}; the API server would refuse the second, so it was left out`,
        fix: 'rename one of them: workload pods are named <workload>-<index>',
      });
      return;
    }
    if (out.length >= settings.maxPods) {
      if (!isOverLimit) {
        addIssueAt(issues, draft.location, { code: 'too-many-pods', message: `more than ${settings.maxPods} pods; ${key} and every later pod were left out`, fix: 'lower replicas: a few pods per workload show the same policy behaviour' });
      }
      isOverLimit = true;
      return;
    }
    byKey.set(key, draft);
    out.push(draft);
  };
  for (const origin of origins) {
    if (origin.kind === 'pod') {
      add(origin.draft);
      continue;
    }
    const workload = origin.draft;
    for (let index = 0; index < workload.replicas; index++) {
      add({
        namespace: workload.namespace,
        name: `${workload.name}-${index}`,
        labels: workload.template.labels,
        annotations: workload.template.annotations,
        containers: workload.template.containers,
        workload: { kind: workload.kind, name: workload.name },
        source: workload.source,
        pinnedIps: workload.template.pinnedIps,
        location: workload.location,
        isSystem: false,
      });
      if (isOverLimit) break;
    }
  }
  return out;
}

function hasDnsPod(pods: readonly PodDraft[]): boolean {
  return pods.some((pod) => pod.namespace === 'kube-system' && Object.entries(clusterDnsLabels).every(([k, v]) => pod.labels[k] === v));
}

function makeDnsPod(): PodDraft {
  return {
    namespace: 'kube-system',
    name: clusterDnsPodName,
    labels: clusterDnsLabels,
    annotations: {},
    containers: [
      {
        name: 'coredns',
        ports: [
          { name: 'dns', containerPort: 53, protocol: 'UDP' },
          { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
        ],
      },
    ],
    workload: { kind: 'Pod', name: clusterDnsPodName },
    source: synthesizedSource,
    pinnedIps: [],
    location: { file: '', line: 0, path: '', object: `Pod kube-system/${clusterDnsPodName}` },
    isSystem: true,
  };
}

function makeDnsService(): ServiceDraft {
  return {
    namespace: 'kube-system',
    name: clusterDnsServiceName,
    labels: clusterDnsLabels,
    selector: clusterDnsLabels,
    clusterIP: undefined,
    ports: [
      { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP' },
    ],
    source: synthesizedSource,
    location: { file: '', line: 0, path: '', object: `Service kube-system/${clusterDnsServiceName}` },
    isSystem: true,
  };
}

function buildNamespaces(input: TopologyInput, issues: Issue[]): Namespace[] {
  const byName = new Map<string, Namespace>();
  for (const namespace of input.namespaces) byName.set(namespace.name, namespace);
  for (const name of systemNamespaces) {
    if (!byName.has(name)) byName.set(name, { name, labels: withNamespaceNameLabel(name, {}), source: synthesizedSource, isImplicit: true });
  }
  for (const use of input.namespaceUses) {
    if (byName.has(use.namespace)) continue;
    addIssueAt(issues, use.location, {
      code: 'implicit-namespace',
      severity: 'warning',
      message: `namespace ${use.namespace} is used by ${use.location.object} but not declared; rehearsal creates it with only the kubernetes.io/metadata.name label`,
      fix: `declare it (apiVersion: v1, kind: Namespace, metadata: {name: ${use.namespace}}) with the labels your namespaceSelectors expect`,
    });
    byName.set(use.namespace, { name: use.namespace, labels: withNamespaceNameLabel(use.namespace, {}), source: { file: use.location.file, line: use.location.line, docIndex: 0, path: '' }, isImplicit: true });
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function assignPodAddresses(drafts: readonly PodDraft[], settings: ParseSettings, issues: Issue[]): Pod[] {
  const sorted = [...drafts].sort(compareByNamespaceAndName);
  const pinned: PinnedAddress[] = [];
  for (const draft of sorted) for (const ip of draft.pinnedIps) pinned.push({ key: `${draft.namespace}/${draft.name}`, ip });
  const allocation = allocateAddresses({
    cidr: settings.podCidr,
    pinned,
    requests: sorted.filter((d) => d.pinnedIps.length === 0).map((d) => ({ key: `${d.namespace}/${d.name}` })),
  });
  const rejected = new Set<string>();
  for (const conflict of allocation.conflicts) {
    rejected.add(conflict.key);
    const draft = sorted.find((d) => `${d.namespace}/${d.name}` === conflict.key);
    if (!draft) continue;
    addIssueAt(issues, draft.location, {
      code: 'ip-conflict',
      message: `pod ${conflict.key} pins ${conflict.ip}, which pod ${conflict.heldBy} already holds; it was left out`,
      fix: 'give each pod its own address in cni.projectcalico.org/ipAddrs, or remove the annotation',
    });
  }
  for (const key of allocation.exhausted) {
    rejected.add(key);
    const draft = sorted.find((d) => `${d.namespace}/${d.name}` === key);
    if (!draft) continue;
    addIssueAt(issues, draft.location, { code: 'cidr-exhausted', message: `no free address left in the pod CIDR ${settings.podCidr.text} for pod ${key}`, fix: 'use a larger podCidr or fewer pods' });
  }
  const pods: Pod[] = [];
  for (const draft of sorted) {
    const key = `${draft.namespace}/${draft.name}`;
    if (rejected.has(key)) continue;
    const hashed = allocation.assigned.get(key);
    const ips = draft.pinnedIps.length > 0 ? draft.pinnedIps.map(formatIp) : hashed === undefined ? [] : [hashed];
    pods.push({
      namespace: draft.namespace,
      name: draft.name,
      labels: draft.labels,
      annotations: draft.annotations,
      ips,
      containers: draft.containers,
      workload: draft.workload,
      source: draft.source,
      isSystem: draft.isSystem,
    });
  }
  return pods;
}

function assignServiceAddresses(drafts: readonly ServiceDraft[], settings: ParseSettings, issues: Issue[]): Service[] {
  const sorted = [...drafts].sort((a, b) => {
    // The synthesized DNS Service claims its well-known address before anyone else.
    if (a.isSystem !== b.isSystem) return a.isSystem ? -1 : 1;
    return compareByNamespaceAndName(a, b);
  });
  const pinned: PinnedAddress[] = [];
  const dnsIp = nthAddress(settings.serviceCidr, dnsServiceOffset);
  for (const draft of sorted) {
    const key = `${draft.namespace}/${draft.name}`;
    if (draft.isSystem && draft.clusterIP === undefined && dnsIp) pinned.push({ key, ip: dnsIp });
    else if (draft.clusterIP !== undefined && draft.clusterIP !== 'None') pinned.push({ key, ip: draft.clusterIP });
  }
  const pinnedKeys = new Set(pinned.map((p) => p.key));
  const allocation = allocateAddresses({
    cidr: settings.serviceCidr,
    pinned,
    requests: sorted.filter((d) => d.clusterIP !== 'None' && !pinnedKeys.has(`${d.namespace}/${d.name}`)).map((d) => ({ key: `${d.namespace}/${d.name}` })),
  });
  const rejected = new Set<string>();
  for (const conflict of allocation.conflicts) {
    rejected.add(conflict.key);
    const draft = sorted.find((d) => `${d.namespace}/${d.name}` === conflict.key);
    if (!draft) continue;
    addIssueAt(issues, draft.location, {
      code: 'cluster-ip-conflict',
      message: `Service ${conflict.key} asks for clusterIP ${conflict.ip}, which Service ${conflict.heldBy} already holds ("provided IP is already allocated"); it was left out`,
      fix: 'leave spec.clusterIP out to get a free address, or pick another one',
      path: `${draft.location.path.replace(/metadata$/, 'spec')}.clusterIP`,
    });
  }
  for (const key of allocation.exhausted) {
    rejected.add(key);
    const draft = sorted.find((d) => `${d.namespace}/${d.name}` === key);
    if (draft) addIssueAt(issues, draft.location, { code: 'cidr-exhausted', message: `no free address left in the service CIDR ${settings.serviceCidr.text} for Service ${key}`, fix: 'use a larger serviceCidr or fewer Services' });
  }
  const pinnedByKey = new Map(pinned.map((p) => [p.key, formatIp(p.ip)]));
  const services: Service[] = [];
  for (const draft of sorted) {
    const key = `${draft.namespace}/${draft.name}`;
    if (rejected.has(key)) continue;
    const clusterIP = draft.clusterIP === 'None' ? 'None' : (pinnedByKey.get(key) ?? allocation.assigned.get(key));
    if (clusterIP === undefined) continue;
    services.push({
      namespace: draft.namespace,
      name: draft.name,
      labels: draft.labels,
      selector: draft.selector,
      clusterIP,
      ports: draft.ports,
      source: draft.source,
      isSystem: draft.isSystem,
    });
  }
  return services.sort(compareByNamespaceAndName);
}

export function buildTopology(input: TopologyInput, issues: Issue[]): Topology {
  const { settings } = input;
  const podDrafts = expandPods(input.podOrigins, settings, issues);
  const serviceDrafts = [...input.services];
  if (settings.includeClusterDns) {
    if (!hasDnsPod(podDrafts)) podDrafts.push(makeDnsPod());
    if (!serviceDrafts.some((s) => s.namespace === 'kube-system' && s.name === clusterDnsServiceName)) serviceDrafts.push(makeDnsService());
  }
  const namespaces = buildNamespaces(input, issues);
  const pods = assignPodAddresses(podDrafts, settings, issues);
  const services = assignServiceAddresses(serviceDrafts, settings, issues);
  const dnsService = services.find((s) => s.namespace === 'kube-system' && s.name === clusterDnsServiceName);
  return { namespaces, pods, services, dnsServiceIp: dnsService && dnsService.clusterIP !== 'None' ? dnsService.clusterIP : '' };
}
