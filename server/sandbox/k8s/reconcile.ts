// Reconciles a cluster to the rendered desired state: server-side apply (field manager `rehearsal`, force) of
// every desired object, replacement of pods whose immutable spec changed, and pruning of whatever this sandbox
// owns (by its label) that the new state lacks. Objects the sandbox does not own are never touched.
import { z } from 'zod';
import { SandboxError, SandboxErrorCodes } from '../contract.ts';
import type { KubeClient, KubeObject, ObjectRef } from './kube-client.ts';
import { formatObjectRef } from './kube-client.ts';
import type { RenderedState } from './manifests.ts';
import { annotationKeys, fieldManager, formatRefKey, sandboxLabelKeys, toObjectRef } from './manifests.ts';
import { parseObjectMeta } from './object-status.ts';
import type { Clock } from './runtime-deps.ts';

export interface ReconcileOptions {
  readonly client: KubeClient;
  readonly rendered: RenderedState;
  readonly sandboxId: string;
  /** On a shared cluster a namespace of the same name that this sandbox does not own is a hard stop. */
  readonly isSharedCluster: boolean;
  readonly clock: Clock;
  readonly deleteTimeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface ReconcileReport {
  readonly podsAdded: number;
  readonly podsRemoved: number;
  readonly policiesChanged: number;
  readonly deleted: readonly string[];
}

const kinds = {
  namespace: { apiVersion: 'v1', kind: 'Namespace' },
  pod: { apiVersion: 'v1', kind: 'Pod' },
  service: { apiVersion: 'v1', kind: 'Service' },
  policy: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
} as const;

const generationSchema = z.object({ metadata: z.object({ generation: z.number().optional() }) });

function readGeneration(raw: unknown): number | undefined {
  const result = generationSchema.safeParse(raw);
  return result.success ? result.data.metadata.generation : undefined;
}

interface LiveObject {
  readonly ref: ObjectRef;
  readonly raw: unknown;
  readonly specHash?: string;
}

async function listOwned(client: KubeClient, kind: { apiVersion: string; kind: string }, namespaces: readonly string[], selector: string): Promise<LiveObject[]> {
  const lists = await Promise.all(namespaces.map((namespace) => client.list(kind.apiVersion, kind.kind, { namespace, labelSelector: selector })));
  return lists.flat().flatMap((raw) => {
    const meta = parseObjectMeta(raw);
    if (meta === undefined) return [];
    const specHash = meta.annotations[annotationKeys.specHash];
    return [{ ref: { ...kind, name: meta.name, ...(meta.namespace === undefined ? {} : { namespace: meta.namespace }) }, raw, ...(specHash === undefined ? {} : { specHash }) }];
  });
}

async function assertNamespacesOwnable(client: KubeClient, namespaces: readonly KubeObject[], sandboxId: string): Promise<void> {
  const conflicts: string[] = [];
  for (const namespace of namespaces) {
    const live = parseObjectMeta(await client.read({ ...kinds.namespace, name: namespace.metadata.name }));
    if (live === undefined) continue;
    const owner = live.labels[sandboxLabelKeys.sandboxId];
    if (owner !== sandboxId) conflicts.push(`${namespace.metadata.name} (${owner === undefined ? 'not made by rehearsal' : `owned by sandbox ${owner}`})`);
  }
  if (conflicts.length > 0) {
    throw new SandboxError(
      SandboxErrorCodes.applyFailed,
      `namespace${conflicts.length > 1 ? 's' : ''} ${conflicts.join(', ')} already exist${conflicts.length > 1 ? '' : 's'} on this cluster; ` +
        'a sandbox on an existing cluster only uses namespaces it created. Rename them in the scenario, or remove the other sandbox first (rehearse down <id>).',
    );
  }
}

async function deleteAndWait(options: ReconcileOptions, ref: ObjectRef): Promise<void> {
  await options.client.delete(ref);
  const deadline = options.clock.now().getTime() + options.deleteTimeoutMs;
  while ((await options.client.read(ref)) !== undefined) {
    if (options.clock.now().getTime() > deadline) {
      throw new SandboxError(SandboxErrorCodes.applyFailed, `${formatObjectRef(ref)} was not gone ${options.deleteTimeoutMs} ms after deletion; check its finalizers (kubectl get -o yaml)`);
    }
    await options.clock.sleep(500, options.signal);
  }
}

async function applyAll(client: KubeClient, objects: readonly KubeObject[]): Promise<Map<string, unknown>> {
  const results = new Map<string, unknown>();
  for (const object of objects) {
    try {
      results.set(formatRefKey(toObjectRef(object)), await client.apply(object, { fieldManager }));
    } catch (error) {
      throw new SandboxError(
        SandboxErrorCodes.applyFailed,
        `the API server refused ${formatObjectRef(toObjectRef(object))}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
  return results;
}

export async function reconcileObjects(options: ReconcileOptions): Promise<ReconcileReport> {
  const { client, rendered } = options;
  const selector = `${sandboxLabelKeys.sandboxId}=${options.sandboxId}`;
  if (options.isSharedCluster) await assertNamespacesOwnable(client, rendered.namespaces, options.sandboxId);

  const liveNamespaces = await client.list(kinds.namespace.apiVersion, kinds.namespace.kind, { labelSelector: selector });
  const liveNamespaceNames = liveNamespaces.flatMap((raw) => parseObjectMeta(raw)?.name ?? []);
  const objectNamespaces = [...rendered.pods, ...rendered.services, ...rendered.policies].flatMap((object) => object.metadata.namespace ?? []);
  const scope = [...new Set([...rendered.namespaces.map((namespace) => namespace.metadata.name), ...liveNamespaceNames, ...objectNamespaces])].sort();
  const [livePods, liveServices, livePolicies] = await Promise.all([
    listOwned(client, kinds.pod, scope, selector),
    listOwned(client, kinds.service, scope, selector),
    listOwned(client, kinds.policy, scope, selector),
  ]);

  await applyAll(client, rendered.namespaces);

  // Pods: a changed spec (ports, protocols) cannot be patched; delete first, then apply the new one.
  const livePodsByKey = new Map(livePods.map((pod) => [formatRefKey(pod.ref), pod]));
  let podsAdded = 0;
  let podsRemoved = 0;
  for (const pod of rendered.pods) {
    const live = livePodsByKey.get(formatRefKey(toObjectRef(pod)));
    const desiredHash = pod.metadata.annotations?.[annotationKeys.specHash];
    if (live === undefined) podsAdded += 1;
    else if (live.specHash !== desiredHash) {
      await deleteAndWait(options, live.ref);
      podsRemoved += 1;
      podsAdded += 1;
    }
  }
  await applyAll(client, rendered.pods);
  await applyAll(client, rendered.services);

  const livePolicyGenerations = new Map(livePolicies.map((policy) => [formatRefKey(policy.ref), readGeneration(policy.raw)]));
  const appliedPolicies = await applyAll(client, rendered.policies);
  let policiesChanged = 0;
  for (const [key, applied] of appliedPolicies) {
    if (!livePolicyGenerations.has(key) || livePolicyGenerations.get(key) !== readGeneration(applied)) policiesChanged += 1;
  }

  const desiredKeys = new Set([...rendered.pods, ...rendered.services, ...rendered.policies, ...rendered.namespaces].map((object) => formatRefKey(toObjectRef(object))));
  const deleted: string[] = [];
  for (const stale of [...livePolicies, ...liveServices, ...livePods]) {
    const key = formatRefKey(stale.ref);
    if (desiredKeys.has(key)) continue;
    await client.delete(stale.ref);
    deleted.push(key);
    if (stale.ref.kind === 'Pod') podsRemoved += 1;
    if (stale.ref.kind === 'NetworkPolicy') policiesChanged += 1;
  }
  for (const name of liveNamespaceNames) {
    const ref = { ...kinds.namespace, name };
    if (desiredKeys.has(formatRefKey(ref))) continue;
    await client.delete(ref);
    deleted.push(formatRefKey(ref));
  }
  return { podsAdded, podsRemoved, policiesChanged, deleted };
}
