// Sandboxes on an existing cluster (`--provider cluster --kubeconfig PATH`): a sandbox is the set of namespaces
// it creates, labelled with its id and expiry and removed at TTL. The cluster's own CNI decides enforcement, so
// every sandbox starts with a check that a deny-all policy actually bites: a cluster that accepts policies and
// enforces nothing is the most dangerous place to trust a test, and is reported loudly.
import { z } from 'zod';
import type { CniReadiness } from '../../../infra/cni/types.ts';
import type { CreateSandboxOptions, ProviderAvailability, SandboxHandle, SandboxProvider, SandboxRecord } from '../contract.ts';
import { SandboxError, SandboxErrorCodes } from '../contract.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import { KubeApiError } from '../k8s/kube-client.ts';
import type { KubeSandbox, KubeSandboxTimings } from '../k8s/kube-sandbox.ts';
import { createKubeSandbox, defaultKubeSandboxTimings, makeSandboxMarks } from '../k8s/kube-sandbox.ts';
import { annotationKeys, defaultAgnhostImage, fieldManager, renderSandboxState, sandboxLabelKeys } from '../k8s/manifests.ts';
import { parseObjectMeta } from '../k8s/object-status.ts';
import { makeProgressReporter, provisionKubeSandbox } from '../k8s/provision.ts';
import type { Clock, Logger } from '../k8s/runtime-deps.ts';
import { createSandboxFiles } from '../k8s/sandbox-files.ts';
import { createTtlSupervisor } from '../k8s/ttl-supervisor.ts';
import { existingClusterCni, listClusterCnis } from './cluster-cnis.ts';
import type { KubeClientSource } from './kube-client-source.ts';
import { resolveKubeClientFactory } from './kube-client-source.ts';

export interface ClusterProviderDeps {
  readonly createKubeClient: KubeClientSource;
  readonly clock: Clock;
  readonly logger: Logger;
  /** REHEARSAL_HOME: sandbox files live under it. */
  readonly home: string;
  /** The kubeconfig file: `--kubeconfig`, else the first entry of KUBECONFIG, else ~/.kube/config. */
  readonly kubeconfigPath: string;
  readonly readFile: (path: string) => Promise<string>;
  readonly agnhostImage?: string;
  readonly timings?: Partial<KubeSandboxTimings & { readonly gateTimeoutMs: number; readonly enforcementWindowMs: number }>;
}

export { existingClusterCni, listClusterCnis } from './cluster-cnis.ts';

const recordAnnotationSchema = z.object({
  id: z.string(),
  owner: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  cni: z.string(),
});

function parseRecordAnnotation(text: string): z.infer<typeof recordAnnotationSchema> | undefined {
  try {
    const result = recordAnnotationSchema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

export function createClusterProvider(deps: ClusterProviderDeps): SandboxProvider {
  const timings = { ...defaultKubeSandboxTimings, gateTimeoutMs: 300_000, enforcementWindowMs: 30_000, ...deps.timings };
  const files = createSandboxFiles(deps.home, 'cluster');

  const openClient = async (path: string): Promise<KubeClient> => {
    let text: string;
    try {
      text = await deps.readFile(path);
    } catch (error) {
      throw new SandboxError(SandboxErrorCodes.hostUnsupported, `cannot read the kubeconfig ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const createKubeClient = await resolveKubeClientFactory(deps.createKubeClient);
    try {
      return createKubeClient(text);
    } catch (error) {
      throw new SandboxError(SandboxErrorCodes.hostUnsupported, `the kubeconfig ${path} is not usable: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  };

  const kubeconfigOf = (record: SandboxRecord): string => {
    const path = record.providerState['kubeconfigPath'];
    return typeof path === 'string' ? path : deps.kubeconfigPath;
  };

  const deleteNamespaces = async (client: KubeClient, sandboxId: string): Promise<readonly string[]> => {
    const namespaces = await client.list('v1', 'Namespace', { labelSelector: `${sandboxLabelKeys.sandboxId}=${sandboxId}` });
    const names = namespaces.flatMap((raw) => parseObjectMeta(raw)?.name ?? []);
    for (const name of names) await client.delete({ apiVersion: 'v1', kind: 'Namespace', name });
    return names;
  };

  const reap = async (record: SandboxRecord): Promise<void> => {
    supervisor.disarm(record.id);
    const client = await openClient(kubeconfigOf(record));
    const removed = await deleteNamespaces(client, record.id);
    deps.logger.info('removed sandbox namespaces', { sandboxId: record.id, namespaces: removed });
    await files.remove(record.id);
  };
  const supervisor = createTtlSupervisor({ clock: deps.clock, logger: deps.logger, reap });

  const makeHandle = (record: SandboxRecord, client: KubeClient, cluster?: CreateSandboxOptions['cluster']): KubeSandbox => {
    let handle: KubeSandbox | undefined;
    handle = createKubeSandbox({
      record,
      client,
      clock: deps.clock,
      logger: deps.logger,
      files,
      supervisor,
      isSharedCluster: true,
      agnhostImage: deps.agnhostImage ?? defaultAgnhostImage,
      timings,
      enforcementNote: `existing cluster from ${kubeconfigOf(record)}; enforcement is whatever its CNI does`,
      teardown: async (current) => {
        await deleteNamespaces(client, current.id);
      },
      // The expiry lives in namespace labels: re-apply the namespaces with the new marks.
      recordExpiry: async (current) => {
        const applied = handle?.cluster();
        if (applied === undefined) return;
        const rendered = renderSandboxState(applied, { marks: makeSandboxMarks(current), agnhostImage: deps.agnhostImage ?? defaultAgnhostImage, isSharedCluster: true });
        for (const namespace of rendered.namespaces) await client.apply(namespace, { fieldManager });
      },
      ...(cluster === undefined ? {} : { cluster }),
    });
    return handle;
  };

  const checkHost = async (): Promise<ProviderAvailability> => {
    const problems: { check: string; message: string; fix: string }[] = [];
    const path = deps.kubeconfigPath;
    let client: KubeClient | undefined;
    try {
      client = await openClient(path);
    } catch (error) {
      problems.push({
        check: 'kubeconfig',
        message: error instanceof Error ? error.message : String(error),
        fix: 'pass --kubeconfig PATH (or set KUBECONFIG) to a kubeconfig for the cluster to use',
      });
    }
    if (client !== undefined) {
      try {
        await client.readVersion();
        await client.list('v1', 'Namespace', { labelSelector: sandboxLabelKeys.sandboxId });
      } catch (error) {
        const isForbidden = error instanceof KubeApiError && (error.status === 401 || error.status === 403);
        problems.push(
          isForbidden
            ? {
                check: 'permissions',
                message: `the credentials in ${path} may not list namespaces: ${error.message}`,
                fix: 'use credentials that may create namespaces, pods, services and networkpolicies and exec into pods (e.g. cluster-admin on a test cluster)',
              }
            : {
                check: 'api-server',
                message: `the API server of ${path} did not answer: ${error instanceof Error ? error.message : String(error)}`,
                fix: `check the context and network: kubectl --kubeconfig ${path} cluster-info`,
              },
        );
      }
    }
    return { provider: 'cluster', isAvailable: problems.length === 0, cnis: listClusterCnis(), problems };
  };

  const detectDns = async (client: KubeClient): Promise<CniReadiness['dns']> => {
    const coredns = await client.read({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'kube-system', name: 'coredns' });
    return coredns === undefined ? { namespace: 'kube-system', name: 'kube-dns' } : { namespace: 'kube-system', name: 'coredns' };
  };

  return {
    name: 'cluster',
    checkHost,

    async create(options: CreateSandboxOptions): Promise<SandboxHandle> {
      if (!/^sb-[0-9a-f]{8}$/.test(options.id)) throw new SandboxError(SandboxErrorCodes.invalidName, `'${options.id}' is not a sandbox id (sb- and 8 hex characters)`);
      if (!listClusterCnis().includes(options.cni)) {
        throw new SandboxError(
          SandboxErrorCodes.hostUnsupported,
          `an existing cluster keeps its own CNI; '${options.cni}' is not one rehearsal knows. Use '${existingClusterCni}', or name the cluster's CNI to compare with its profile: ${listClusterCnis().slice(1).join(', ')}`,
        );
      }
      const availability = await checkHost();
      if (!availability.isAvailable) {
        throw new SandboxError(SandboxErrorCodes.hostUnsupported, availability.problems.map((problem) => `${problem.check}: ${problem.message} (fix: ${problem.fix})`).join('\n'));
      }
      const progress = makeProgressReporter(options.id, deps.clock, options.onProgress);
      const client = await openClient(deps.kubeconfigPath);
      const createdAt = deps.clock.now();
      const record: SandboxRecord = {
        id: options.id,
        ...(options.name === undefined ? {} : { name: options.name }),
        provider: 'cluster',
        cni: options.cni,
        owner: options.owner,
        createdAt: createdAt.toISOString(),
        expiresAt: new Date(createdAt.getTime() + options.ttlSeconds * 1000).toISOString(),
        status: 'provisioning',
        providerState: { kubeconfigPath: deps.kubeconfigPath, namespaces: options.cluster.namespaces.filter((namespace) => !namespace.isImplicit).map((namespace) => namespace.name) },
        ...(options.scenario === undefined ? {} : { scenario: options.scenario }),
      };
      await files.save(record);
      const handle = makeHandle(record, client);
      supervisor.arm(record);
      try {
        await provisionKubeSandbox({
          handle,
          client,
          clock: deps.clock,
          logger: deps.logger,
          cluster: options.cluster,
          readiness: { daemonSets: [], crds: [], dns: await detectDns(client) },
          gateTimeoutMs: timings.gateTimeoutMs,
          pollMs: timings.pollMs,
          isEnforcementExpected: true,
          enforcementWindowMs: timings.enforcementWindowMs,
          progress,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
      } catch (error) {
        progress('teardown', 'creation failed; removing the namespaces it made');
        try {
          await handle.destroy();
        } catch (cleanupError) {
          deps.logger.error('cleanup after a failed create failed', { sandboxId: record.id, error: cleanupError instanceof Error ? cleanupError.message : String(cleanupError) });
        }
        if (error instanceof SandboxError) throw error;
        throw new SandboxError(SandboxErrorCodes.provisionFailed, error instanceof Error ? error.message : String(error), { cause: error });
      }
      await handle.updateStatus('ready');
      return handle;
    },

    async attach(record) {
      const client = await openClient(kubeconfigOf(record));
      const namespaces = await client.list('v1', 'Namespace', { labelSelector: `${sandboxLabelKeys.sandboxId}=${record.id}` });
      if (namespaces.every((raw) => parseObjectMeta(raw)?.isTerminating !== false)) return undefined;
      const cluster = await files.loadCluster(record.id);
      const handle = makeHandle(record, client, cluster);
      if (cluster !== undefined) await handle.refreshAddresses();
      supervisor.arm(record);
      return handle;
    },

    reap,

    async discover() {
      let client: KubeClient;
      let namespaces: readonly unknown[];
      try {
        client = await openClient(deps.kubeconfigPath);
        namespaces = await client.list('v1', 'Namespace', { labelSelector: sandboxLabelKeys.sandboxId });
      } catch (error) {
        const records = (await files.list()).records;
        // With no saved records nothing can be orphaned (the usual case without a kubeconfig, which checkHost and
        // /api/providers already report), so only a host with cluster sandbox records hears about it.
        if (records.length > 0) {
          deps.logger.warn('cannot list sandbox namespaces; reporting saved records only', { error: error instanceof Error ? error.message : String(error) });
        }
        return records;
      }
      const saved = new Map((await files.list()).records.map((record) => [record.id, record]));
      const found = new Map<string, SandboxRecord>();
      const now = deps.clock.now().getTime();
      for (const raw of namespaces) {
        const meta = parseObjectMeta(raw);
        const id = meta?.labels[sandboxLabelKeys.sandboxId];
        // A namespace being deleted is a sandbox on its way out, not one to report.
        if (meta === undefined || id === undefined || meta.isTerminating || found.has(id)) continue;
        const fromFile = saved.get(id);
        const annotation = meta.annotations[annotationKeys.record];
        const essentials = annotation === undefined ? undefined : parseRecordAnnotation(annotation);
        const base: SandboxRecord | undefined =
          fromFile ??
          (essentials === undefined
            ? undefined
            : {
                id,
                provider: 'cluster',
                cni: essentials.cni,
                owner: essentials.owner,
                createdAt: essentials.createdAt,
                expiresAt: essentials.expiresAt,
                status: 'ready',
                providerState: { kubeconfigPath: deps.kubeconfigPath },
              });
        if (base === undefined) {
          deps.logger.warn('namespace carries a sandbox label but no readable record annotation', { namespace: meta.name, sandboxId: id });
          continue;
        }
        found.set(id, new Date(base.expiresAt).getTime() <= now ? { ...base, status: 'expiring' } : base);
      }
      return [...found.values()];
    },
  };
}
