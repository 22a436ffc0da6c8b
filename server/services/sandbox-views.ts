// Sandboxes as the wire shows them: a record plus progress becomes a SandboxView, a Cluster becomes the pods,
// policies, services and external endpoints of a SandboxDetail. Pure conversions.
import type { SandboxDetail, SandboxView } from '../api/protocol/schemas.ts';
import { formatEndpointKey, renderPolicyYaml } from '../policy/index.ts';
import type { Cluster, ExternalEndpoint, Pod, Policy, Service } from '../policy/index.ts';
import type { SandboxRecord } from '../sandbox/contract.ts';
import type { ProgressEntry } from '../store/index.ts';

export function toSandboxView(record: SandboxRecord, progress: readonly ProgressEntry[]): SandboxView {
  return {
    id: record.id,
    ...(record.name === undefined ? {} : { name: record.name }),
    provider: record.provider,
    cni: record.cni,
    owner: record.owner,
    ...(record.scenario === undefined ? {} : { scenario: record.scenario }),
    status: record.status,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    ...(record.failure === undefined ? {} : { failure: record.failure }),
    progress: progress.map((entry) => ({ step: entry.step, message: entry.message, ...(entry.fraction === undefined ? {} : { fraction: entry.fraction }), at: entry.at })),
  };
}

export function toPodView(pod: Pod): SandboxDetail['pods'][number] {
  return {
    key: formatEndpointKey({ kind: 'pod', namespace: pod.namespace, name: pod.name }),
    namespace: pod.namespace,
    name: pod.name,
    ips: [...pod.ips],
    labels: { ...pod.labels },
    ports: pod.containers.flatMap((container) =>
      container.ports.map((port) => ({ ...(port.name === undefined ? {} : { name: port.name }), port: port.containerPort, protocol: port.protocol })),
    ),
    isSystem: pod.isSystem,
  };
}

export function toPolicyView(policy: Policy): SandboxDetail['policies'][number] {
  return { namespace: policy.namespace, name: policy.name, policyTypes: [...policy.policyTypes], yaml: renderPolicyYaml(policy) };
}

function toServiceView(service: Service): SandboxDetail['services'][number] {
  return {
    key: formatEndpointKey({ kind: 'service', namespace: service.namespace, name: service.name }),
    clusterIP: service.clusterIP,
    ports: service.ports.map((port) => ({ port: port.port, protocol: port.protocol })),
  };
}

function toExternalView(external: ExternalEndpoint): SandboxDetail['externals'][number] {
  return { key: formatEndpointKey({ kind: 'external', name: external.name }), ip: external.ip, ports: external.ports.map((port) => ({ port: port.port, protocol: port.protocol })) };
}

export function toSandboxDetail(view: SandboxView, cluster: Cluster | undefined): SandboxDetail {
  return {
    ...view,
    pods: cluster?.pods.map(toPodView) ?? [],
    policies: cluster?.policies.map(toPolicyView) ?? [],
    services: cluster?.services.map(toServiceView) ?? [],
    externals: cluster?.externals.map(toExternalView) ?? [],
  };
}
