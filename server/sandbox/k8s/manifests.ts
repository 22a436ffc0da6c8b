// The desired state (a whole engine Cluster) as Kubernetes objects: namespaces, agnhost pods serving exactly the
// declared ports, services, and NetworkPolicies re-serialized from the model. Pure: no I/O.
import { createHash } from 'node:crypto';
import { renderPolicyObject } from '../../policy/index.ts';
import type { Cluster, Labels, Namespace, Pod, Policy, Service } from '../../policy/index.ts';
import type { KubeObject, ObjectRef } from './kube-client.ts';

/** The upstream test image; `serve-hostname`, `porter` and `connect` are what the netpol e2e suite uses. */
export const defaultAgnhostImage = 'registry.k8s.io/e2e-test-images/agnhost:2.53';
export const fieldManager = 'rehearsal';

export const sandboxLabelKeys = {
  sandboxId: 'rehearsal.dev/sandbox-id',
  expiresAt: 'rehearsal.dev/expires-at',
  owner: 'rehearsal.dev/owner',
} as const;
export const annotationKeys = {
  specHash: 'rehearsal.dev/spec-hash',
  record: 'rehearsal.dev/record',
} as const;

/** Namespaces every cluster already has and rehearsal never creates, labels or deletes. */
export const systemNamespaces: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

export interface SandboxMarks {
  readonly sandboxId: string;
  /** Label-safe expiry (`20261121t123000z`). */
  readonly expiresLabel: string;
  readonly ownerLabel: string;
  /** JSON of the essentials of the sandbox record, kept as a namespace annotation so a sweeper can rebuild it. */
  readonly recordAnnotation?: string;
}

export interface RenderOptions {
  readonly marks: SandboxMarks;
  readonly agnhostImage: string;
  /**
   * An existing cluster shared with other people: nothing of the sandbox may land in a system namespace
   * (a policy in kube-system there would isolate someone else's CoreDNS).
   */
  readonly isSharedCluster: boolean;
}

export interface RenderedState {
  readonly namespaces: readonly KubeObject[];
  readonly policies: readonly KubeObject[];
  readonly services: readonly KubeObject[];
  readonly pods: readonly KubeObject[];
  /** What the model holds that a real cluster cannot have, one line each (shown in progress and logs). */
  readonly skipped: readonly string[];
}

export function formatRefKey(ref: ObjectRef): string {
  return `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

export function toObjectRef(object: KubeObject): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    ...(object.metadata.namespace === undefined ? {} : { namespace: object.metadata.namespace }),
  };
}

export function renderNetworkPolicy(policy: Policy, marks: SandboxMarks): KubeObject {
  return renderPolicyObject(policy, { extraLabels: { [sandboxLabelKeys.sandboxId]: marks.sandboxId }, peerSelectorOrder: 'podFirst' });
}

function withoutApiServerLabels(labels: Labels): Record<string, string> {
  // The API server sets kubernetes.io/metadata.name itself and refuses a different value.
  const { 'kubernetes.io/metadata.name': _ignored, ...rest } = labels;
  return rest;
}

function renderNamespace(namespace: Namespace, marks: SandboxMarks): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: namespace.name,
      labels: {
        ...withoutApiServerLabels(namespace.labels),
        [sandboxLabelKeys.sandboxId]: marks.sandboxId,
        [sandboxLabelKeys.expiresAt]: marks.expiresLabel,
        [sandboxLabelKeys.owner]: marks.ownerLabel,
      },
      ...(marks.recordAnnotation === undefined ? {} : { annotations: { [annotationKeys.record]: marks.recordAnnotation } }),
    },
  };
}

interface ServedPort {
  readonly containerPort: number;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly name?: string;
}

/** One agnhost container per declared port, as the upstream netpol e2e does: each serves exactly one port. */
function renderContainers(pod: Pod, image: string): Record<string, unknown>[] {
  const ports: ServedPort[] = pod.containers.flatMap((container) => container.ports);
  if (ports.length === 0) return [{ name: 'agnhost', image, args: ['pause'] }];
  return ports.map((port) => {
    const portSpec = { containerPort: port.containerPort, protocol: port.protocol, ...(port.name === undefined ? {} : { name: port.name }) };
    const name = `serve-${port.containerPort}-${port.protocol.toLowerCase()}`;
    if (port.protocol === 'SCTP') {
      return { name, image, args: ['porter'], env: [{ name: `SERVE_SCTP_PORT_${port.containerPort}`, value: 'foo' }], ports: [portSpec] };
    }
    // UDP probes succeed only when the server answers, so UDP ports run the echoing serve-hostname --udp.
    const mode = port.protocol === 'TCP' ? '--tcp' : '--udp';
    return { name, image, args: ['serve-hostname', mode, '--http=false', `--port=${port.containerPort}`], ports: [portSpec] };
  });
}

/** The container probes exec into: every container runs the same image, so the first one will do. */
export function findProbeContainer(pod: Pod): string {
  const first = pod.containers.flatMap((container) => container.ports)[0];
  return first === undefined ? 'agnhost' : `serve-${first.containerPort}-${first.protocol.toLowerCase()}`;
}

function renderPod(pod: Pod, options: RenderOptions): KubeObject {
  const containers = renderContainers(pod, options.agnhostImage);
  // Pod specs are immutable; the hash tells the reconciler to replace a pod whose containers changed.
  const specHash = createHash('sha256').update(JSON.stringify(containers)).digest('hex').slice(0, 16);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: pod.name,
      namespace: pod.namespace,
      labels: { ...pod.labels, [sandboxLabelKeys.sandboxId]: options.marks.sandboxId },
      annotations: { ...pod.annotations, [annotationKeys.specHash]: specHash },
    },
    spec: { containers, terminationGracePeriodSeconds: 1, enableServiceLinks: false, automountServiceAccountToken: false },
  };
}

function renderService(service: Service, marks: SandboxMarks): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: service.name, namespace: service.namespace, labels: { ...service.labels, [sandboxLabelKeys.sandboxId]: marks.sandboxId } },
    spec: {
      ...(service.selector === null ? {} : { selector: { ...service.selector } }),
      // The real cluster assigns ClusterIPs from its own range; only "None" (headless) carries meaning.
      ...(service.clusterIP === 'None' ? { clusterIP: 'None' } : {}),
      ports: service.ports.map((port) => ({
        ...(port.name === undefined ? {} : { name: port.name }),
        port: port.port,
        targetPort: port.targetPort,
        protocol: port.protocol,
      })),
    },
  };
}

/** Namespaces no sandbox pod or service goes into, even on a cluster of its own. */
const infrastructureNamespaces: ReadonlySet<string> = new Set(['kube-system', 'kube-public', 'kube-node-lease']);

/** Every object the sandbox owns for this desired state, grouped in apply order. */
export function renderSandboxState(cluster: Cluster, options: RenderOptions): RenderedState {
  const skipped: string[] = [];
  const isWorkloadNamespaceAllowed = (namespace: string): boolean =>
    !infrastructureNamespaces.has(namespace) && !(options.isSharedCluster && namespace === 'default');
  const namespaces = cluster.namespaces.filter((namespace) => {
    if (!systemNamespaces.has(namespace.name)) return true;
    if (!namespace.isImplicit) skipped.push(`namespace ${namespace.name}: a system namespace every cluster has; its labels are left as they are`);
    return false;
  });
  const pods = cluster.pods.filter((pod) => {
    if (pod.isSystem) return false;
    if (isWorkloadNamespaceAllowed(pod.namespace)) return true;
    skipped.push(`pod ${pod.namespace}/${pod.name}: rehearsal does not create pods in the ${pod.namespace} namespace here`);
    return false;
  });
  const services = cluster.services.filter((service) => {
    if (service.isSystem) return false;
    if (isWorkloadNamespaceAllowed(service.namespace)) return true;
    skipped.push(`service ${service.namespace}/${service.name}: rehearsal does not create services in the ${service.namespace} namespace here`);
    return false;
  });
  const policies = cluster.policies.filter((policy) => {
    if (!options.isSharedCluster || !systemNamespaces.has(policy.namespace)) return true;
    skipped.push(`NetworkPolicy ${policy.namespace}/${policy.name}: on a shared cluster a policy in ${policy.namespace} would isolate other people's pods`);
    return false;
  });
  for (const external of cluster.externals) {
    skipped.push(`external ${external.name} (${external.ip}): external endpoints exist only in the local sandbox`);
  }
  return {
    namespaces: namespaces.map((namespace) => renderNamespace(namespace, options.marks)),
    policies: policies.map((policy) => renderNetworkPolicy(policy, options.marks)),
    services: services.map((service) => renderService(service, options.marks)),
    pods: pods.map((pod) => renderPod(pod, options)),
    skipped,
  };
}
