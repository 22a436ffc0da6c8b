// A live sandbox on a real Kubernetes cluster, whichever way the cluster was made (kind, a cloud, an existing
// cluster): reconciles Cluster models to objects, keeps the map from engine pod keys to the IPs the real CNI
// assigned, runs batched probes, and hands teardown back to the provider that made it.
import { stringify } from 'yaml';
import { formatExpiryLabel, formatOwnerLabel } from '../../../infra/naming.ts';
import type { Cluster, Pod, Service } from '../../policy/model.ts';
import type { ApplyResult, ProbeRequest, ProbeResult, SandboxHandle, SandboxRecord } from '../contract.ts';
import { SandboxError, SandboxErrorCodes } from '../contract.ts';
import type { KubeClient } from './kube-client.ts';
import type { SandboxMarks } from './manifests.ts';
import { findProbeContainer, renderSandboxState } from './manifests.ts';
import type { PodStatusView } from './object-status.ts';
import { parseServiceClusterIp } from './object-status.ts';
import type { ProbeAddressBook } from './probe-runner.ts';
import { runProbes } from './probe-runner.ts';
import { reconcileObjects } from './reconcile.ts';
import type { Clock, Logger } from './runtime-deps.ts';
import type { SandboxFiles } from './sandbox-files.ts';
import type { TtlSupervisor } from './ttl-supervisor.ts';
import { waitForSandboxPods } from './wait-ready.ts';

/** Limits at the edge of what one sandbox may ask a real cluster for. */
export const kubeSandboxLimits = { maxPods: 200, maxPolicies: 500, maxProbesPerCall: 5000 } as const;

export interface KubeSandboxTimings {
  readonly podReadyTimeoutMs: number;
  readonly deleteTimeoutMs: number;
  readonly pollMs: number;
  /** Probes per exec. */
  readonly probeBatchSize: number;
  readonly probeConcurrency: number;
}

export const defaultKubeSandboxTimings: KubeSandboxTimings = {
  podReadyTimeoutMs: 300_000,
  deleteTimeoutMs: 120_000,
  pollMs: 1_000,
  probeBatchSize: 64,
  probeConcurrency: 4,
};

export interface KubeSandboxOptions {
  readonly record: SandboxRecord;
  readonly client: KubeClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly files: SandboxFiles;
  readonly supervisor: TtlSupervisor;
  readonly isSharedCluster: boolean;
  readonly agnhostImage: string;
  readonly timings: KubeSandboxTimings;
  /** One line on how this cluster enforces policy (shown by describeRules). */
  readonly enforcementNote: string;
  /** Releases what the provider made (stack destroy, namespace deletion). Must be idempotent. */
  readonly teardown: (record: SandboxRecord) => Promise<void>;
  /** Moves the expiry where the provider keeps it (stack config, namespace labels). */
  readonly recordExpiry: (record: SandboxRecord) => Promise<void>;
  /** The last applied state, when reattaching. */
  readonly cluster?: Cluster;
}

export interface KubeSandbox extends SandboxHandle {
  /** Re-reads pod IPs and ClusterIPs of the applied state (after a reattach). */
  refreshAddresses(): Promise<void>;
  /** Replaces provider-specific facts in the record (enforcement detection result, readiness notes). */
  updateProviderState(changes: Readonly<Record<string, unknown>>): Promise<void>;
  /** Moves the status (provisioning → ready, or failed with its reason). */
  updateStatus(status: SandboxRecord['status'], failure?: string): Promise<void>;
}

const emptyCluster: Cluster = {
  namespaces: [],
  pods: [],
  services: [],
  externals: [],
  policies: [],
  podCidr: '10.244.0.0/16',
  serviceCidr: '10.96.0.0/12',
  dnsServiceIp: '10.96.0.10',
};

/** The same label encoding the Pulumi programs use (infra/naming.ts), so one sweeper reads both. */
export function makeSandboxMarks(record: SandboxRecord): SandboxMarks {
  const expiresLabel = formatExpiryLabel(new Date(record.expiresAt));
  const ownerLabel = formatOwnerLabel(record.owner);
  const essentials = { id: record.id, owner: record.owner, createdAt: record.createdAt, expiresAt: record.expiresAt, cni: record.cni, provider: record.provider };
  return { sandboxId: record.id, expiresLabel, ownerLabel, recordAnnotation: JSON.stringify(essentials) };
}

function keyOf(item: { readonly namespace: string; readonly name: string }): string {
  return `${item.namespace}/${item.name}`;
}

export function createKubeSandbox(options: KubeSandboxOptions): KubeSandbox {
  let record = options.record;
  let applied: Cluster = options.cluster ?? emptyCluster;
  let isDestroyed = false;
  let addresses: ProbeAddressBook = { podIps: new Map(), serviceIps: new Map(), probeContainers: new Map() };
  let appliedPolicyYaml = '';

  const assertUsable = (): void => {
    if (isDestroyed) throw new SandboxError(SandboxErrorCodes.notFound, `sandbox ${record.id} was destroyed; create a new one`);
  };

  const readServiceIps = async (cluster: Cluster): Promise<Map<string, string>> => {
    const namespaces = [...new Set([...cluster.services.map((service) => service.namespace), 'kube-system'])];
    const ips = new Map<string, string>();
    for (const namespace of namespaces) {
      for (const raw of await options.client.list('v1', 'Service', { namespace })) {
        const service = parseServiceClusterIp(raw);
        if (service !== undefined) ips.set(keyOf(service), service.clusterIP);
      }
    }
    return ips;
  };

  /** The applied model with the addresses the real cluster assigned, so engine predictions use real IPs. */
  const withRealAddresses = (cluster: Cluster, pods: ReadonlyMap<string, PodStatusView>, serviceIps: ReadonlyMap<string, string>): Cluster => ({
    ...cluster,
    pods: cluster.pods.map((pod): Pod => {
      const live = pods.get(keyOf(pod));
      return live === undefined ? pod : { ...pod, ips: [...live.ips] };
    }),
    services: cluster.services.map((service): Service => {
      const clusterIP = serviceIps.get(keyOf(service));
      return clusterIP === undefined ? service : { ...service, clusterIP };
    }),
    dnsServiceIp: serviceIps.get('kube-system/kube-dns') ?? cluster.dnsServiceIp,
  });

  const rebuildAddresses = (cluster: Cluster, pods: ReadonlyMap<string, PodStatusView>, serviceIps: ReadonlyMap<string, string>): void => {
    const sandboxPods = cluster.pods.filter((pod) => pods.has(keyOf(pod)));
    addresses = {
      podIps: new Map(sandboxPods.map((pod) => [keyOf(pod), pods.get(keyOf(pod))?.ips ?? []])),
      serviceIps,
      probeContainers: new Map(sandboxPods.map((pod) => [keyOf(pod), findProbeContainer(pod)])),
    };
  };

  const waitOptions = (signal?: AbortSignal) => ({
    client: options.client,
    clock: options.clock,
    timeoutMs: options.timings.podReadyTimeoutMs,
    pollMs: options.timings.pollMs,
    ...(signal === undefined ? {} : { signal }),
  });

  const handle: KubeSandbox = {
    id: record.id,
    record: () => record,
    cluster: () => applied,

    async apply(cluster, applyOptions = {}): Promise<ApplyResult> {
      assertUsable();
      if (cluster.pods.length > kubeSandboxLimits.maxPods || cluster.policies.length > kubeSandboxLimits.maxPolicies) {
        throw new SandboxError(
          SandboxErrorCodes.limitExceeded,
          `a real-cluster sandbox takes at most ${kubeSandboxLimits.maxPods} pods and ${kubeSandboxLimits.maxPolicies} policies; this state has ${cluster.pods.length} and ${cluster.policies.length}`,
        );
      }
      const startedAt = options.clock.now().getTime();
      const rendered = renderSandboxState(cluster, { marks: makeSandboxMarks(record), agnhostImage: options.agnhostImage, isSharedCluster: options.isSharedCluster });
      for (const line of rendered.skipped) options.logger.info('not applied to the real cluster', { sandboxId: record.id, detail: line });
      const report = await reconcileObjects({
        client: options.client,
        rendered,
        sandboxId: record.id,
        isSharedCluster: options.isSharedCluster,
        clock: options.clock,
        deleteTimeoutMs: options.timings.deleteTimeoutMs,
        ...(applyOptions.signal === undefined ? {} : { signal: applyOptions.signal }),
      });
      const wantedPods = rendered.pods.map((pod) => ({ namespace: pod.metadata.namespace ?? '', name: pod.metadata.name }));
      const pods = await waitForSandboxPods({ ...waitOptions(applyOptions.signal), sandboxId: record.id, pods: wantedPods });
      const serviceIps = await readServiceIps(cluster);
      applied = withRealAddresses(cluster, pods, serviceIps);
      rebuildAddresses(applied, pods, serviceIps);
      appliedPolicyYaml = rendered.policies.map((policy) => stringify(policy)).join('---\n');
      await options.files.save(record, applied);
      return {
        // Accepted by the API server and every pod Ready. Real CNIs program policy asynchronously after this
        // (upstream e2e retries a mismatching matrix once for that reason); no API reports when they are done.
        enforcedAfterMs: options.clock.now().getTime() - startedAt,
        podsAdded: report.podsAdded,
        podsRemoved: report.podsRemoved,
        policiesChanged: report.policiesChanged,
      };
    },

    probe(requests: readonly ProbeRequest[], probeOptions = {}): AsyncIterable<ProbeResult> {
      assertUsable();
      if (requests.length > kubeSandboxLimits.maxProbesPerCall) {
        throw new SandboxError(SandboxErrorCodes.limitExceeded, `at most ${kubeSandboxLimits.maxProbesPerCall} probes per call; got ${requests.length}`);
      }
      return runProbes({
        client: options.client,
        clock: options.clock,
        addresses,
        requests,
        batchSize: options.timings.probeBatchSize,
        concurrency: probeOptions.concurrency ?? options.timings.probeConcurrency,
        ...(probeOptions.signal === undefined ? {} : { signal: probeOptions.signal }),
      });
    },

    async describeRules() {
      assertUsable();
      const enforcement = record.providerState['enforcement'];
      const lines = [
        `# ${record.provider} sandbox ${record.id} · CNI ${record.cni}: ${options.enforcementNote}`,
        ...(typeof enforcement === 'string' ? [`# enforcement check: ${enforcement}`] : []),
        '# The dataplane rules live inside the CNI; below are the NetworkPolicies as applied (field manager rehearsal).',
        '# Denied probes are timeouts: attributing a drop to a rule needs the CNI\'s flow logs (Hubble, Calico flow logs, ...).',
      ];
      return `${lines.join('\n')}\n${appliedPolicyYaml === '' ? '# (no NetworkPolicies applied)\n' : appliedPolicyYaml}`;
    },

    async extend(expiresAt: Date) {
      assertUsable();
      if (expiresAt.getTime() <= options.clock.now().getTime()) {
        throw new SandboxError(SandboxErrorCodes.expired, `cannot move the expiry of ${record.id} into the past (${expiresAt.toISOString()})`);
      }
      record = { ...record, expiresAt: expiresAt.toISOString() };
      await options.recordExpiry(record);
      await options.files.save(record);
      options.supervisor.arm(record);
      return record;
    },

    async destroy() {
      if (isDestroyed) return;
      options.supervisor.disarm(record.id);
      record = { ...record, status: 'expiring' };
      await options.teardown(record);
      isDestroyed = true;
      record = { ...record, status: 'destroyed' };
      await options.files.remove(record.id);
    },

    async detach() {
      // client-node keeps no open connection between calls; the TTL supervisor stays armed on purpose.
    },

    async refreshAddresses() {
      assertUsable();
      const wanted = applied.pods.filter((pod) => !pod.isSystem).map((pod) => ({ namespace: pod.namespace, name: pod.name }));
      const pods = await waitForSandboxPods({ ...waitOptions(), sandboxId: record.id, pods: wanted });
      const serviceIps = await readServiceIps(applied);
      applied = withRealAddresses(applied, pods, serviceIps);
      rebuildAddresses(applied, pods, serviceIps);
      const rendered = renderSandboxState(applied, { marks: makeSandboxMarks(record), agnhostImage: options.agnhostImage, isSharedCluster: options.isSharedCluster });
      appliedPolicyYaml = rendered.policies.map((policy) => stringify(policy)).join('---\n');
    },

    async updateProviderState(changes) {
      record = { ...record, providerState: { ...record.providerState, ...changes } };
      await options.files.save(record);
    },

    async updateStatus(status, failure) {
      const { failure: _previous, ...rest } = record;
      record = { ...rest, status, ...(failure === undefined ? {} : { failure }) };
      if (!isDestroyed) await options.files.save(record);
    },
  };
  return handle;
}
