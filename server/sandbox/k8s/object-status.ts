// Parsers for the few status fields the sandbox reads back from the API server: pod readiness and IPs, node
// readiness, rollout counts, CRD establishment, ClusterIPs, and our own labels. Lenient where Kubernetes omits
// fields (a fresh object has no status yet), strict about the types of what is there.
import { z } from 'zod';

const conditionSchema = z.object({ type: z.string(), status: z.string() });
const metadataSchema = z.object({
  name: z.string(),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  deletionTimestamp: z.string().optional(),
});

const podSchema = z.object({
  metadata: metadataSchema,
  spec: z.object({ nodeName: z.string().optional() }).optional(),
  status: z
    .object({
      phase: z.string().optional(),
      podIP: z.string().optional(),
      podIPs: z.array(z.object({ ip: z.string() })).optional(),
      conditions: z.array(conditionSchema).optional(),
      containerStatuses: z
        .array(z.object({ name: z.string(), ready: z.boolean(), state: z.record(z.string(), z.object({ reason: z.string().optional(), message: z.string().optional() })).optional() }))
        .optional(),
    })
    .optional(),
});

export interface PodStatusView {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly isReady: boolean;
  readonly isTerminating: boolean;
  readonly ips: readonly string[];
  readonly phase: string;
  /** Why a container is not ready (`ImagePullBackOff: ...`), for timeouts that say what is wrong. */
  readonly waitingReasons: readonly string[];
}

export function parsePodStatus(raw: unknown): PodStatusView | undefined {
  const result = podSchema.safeParse(raw);
  if (!result.success) return undefined;
  const pod = result.data;
  const ips = pod.status?.podIPs?.map((entry) => entry.ip) ?? (pod.status?.podIP === undefined ? [] : [pod.status.podIP]);
  const waitingReasons = (pod.status?.containerStatuses ?? []).flatMap((container) =>
    Object.values(container.state ?? {})
      .filter((state) => state.reason !== undefined && state.reason !== 'Completed')
      .map((state) => `${container.name}: ${state.reason ?? ''}${state.message === undefined ? '' : ` (${state.message.slice(0, 200)})`}`),
  );
  return {
    namespace: pod.metadata.namespace ?? '',
    name: pod.metadata.name,
    labels: pod.metadata.labels ?? {},
    annotations: pod.metadata.annotations ?? {},
    isReady: pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false,
    isTerminating: pod.metadata.deletionTimestamp !== undefined,
    ips,
    phase: pod.status?.phase ?? 'Pending',
    waitingReasons,
  };
}

const namedObjectSchema = z.object({ metadata: metadataSchema });

export interface ObjectMetaView {
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Deletion has started (a namespace stays listed while it terminates). */
  readonly isTerminating: boolean;
}

export function parseObjectMeta(raw: unknown): ObjectMetaView | undefined {
  const result = namedObjectSchema.safeParse(raw);
  if (!result.success) return undefined;
  const meta = result.data.metadata;
  return {
    name: meta.name,
    ...(meta.namespace === undefined ? {} : { namespace: meta.namespace }),
    labels: meta.labels ?? {},
    annotations: meta.annotations ?? {},
    isTerminating: meta.deletionTimestamp !== undefined,
  };
}

const nodeSchema = z.object({ metadata: metadataSchema, status: z.object({ conditions: z.array(conditionSchema).optional() }).optional() });

export function parseNodeReadiness(raw: unknown): { readonly name: string; readonly isReady: boolean } | undefined {
  const result = nodeSchema.safeParse(raw);
  if (!result.success) return undefined;
  return {
    name: result.data.metadata.name,
    isReady: result.data.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false,
  };
}

const daemonSetSchema = z.object({
  metadata: metadataSchema.extend({ generation: z.number().optional() }),
  status: z
    .object({
      desiredNumberScheduled: z.number().optional(),
      numberReady: z.number().optional(),
      updatedNumberScheduled: z.number().optional(),
      observedGeneration: z.number().optional(),
    })
    .optional(),
});

/** "Rolled out": the controller saw the latest spec and every scheduled pod is updated and ready (kubectl rollout status). */
export function isDaemonSetRolledOut(raw: unknown): boolean {
  const result = daemonSetSchema.safeParse(raw);
  if (!result.success) return false;
  const status = result.data.status;
  const desired = status?.desiredNumberScheduled ?? 0;
  const isObserved = result.data.metadata.generation === undefined || (status?.observedGeneration ?? 0) >= result.data.metadata.generation;
  return isObserved && desired > 0 && (status?.numberReady ?? 0) === desired && (status?.updatedNumberScheduled ?? 0) === desired;
}

const deploymentSchema = z.object({ status: z.object({ conditions: z.array(conditionSchema).optional() }).optional() });

export function isDeploymentAvailable(raw: unknown): boolean {
  const result = deploymentSchema.safeParse(raw);
  return result.success && (result.data.status?.conditions?.some((condition) => condition.type === 'Available' && condition.status === 'True') ?? false);
}

const crdSchema = z.object({ status: z.object({ conditions: z.array(conditionSchema).optional() }).optional() });

/** "Established": the CRD's REST endpoint serves its kind, so objects of it can be created. */
export function isCrdEstablished(raw: unknown): boolean {
  const result = crdSchema.safeParse(raw);
  return result.success && (result.data.status?.conditions?.some((condition) => condition.type === 'Established' && condition.status === 'True') ?? false);
}

const serviceSchema = z.object({ metadata: metadataSchema, spec: z.object({ clusterIP: z.string().optional() }).optional() });

export function parseServiceClusterIp(raw: unknown): { readonly namespace: string; readonly name: string; readonly clusterIP: string } | undefined {
  const result = serviceSchema.safeParse(raw);
  if (!result.success || result.data.spec?.clusterIP === undefined) return undefined;
  return { namespace: result.data.metadata.namespace ?? '', name: result.data.metadata.name, clusterIP: result.data.spec.clusterIP };
}
