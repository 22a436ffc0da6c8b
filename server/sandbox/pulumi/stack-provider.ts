// A SandboxProvider whose clusters are Pulumi stacks of the infra/ program (kind, EKS, GKE, AKS): preflight,
// `pulumi up` with progress, the shared readiness gate and canary, TTL destroy, and recovery after a restart.
// Half-created stacks are destroyed before the error reaches the caller, so a failed create leaves nothing.
import { listCniNames, describeCniReadiness } from '../../../infra/cni/catalog.ts';
import type { ClusterProvider } from '../../../infra/cni/catalog.ts';
import { isSandboxId } from '../../../infra/naming.ts';
import type { CreateSandboxOptions, ProviderAvailability, SandboxHandle, SandboxProvider, SandboxRecord } from '../contract.ts';
import { SandboxError, SandboxErrorCodes } from '../contract.ts';
import type { KubeClientFactory } from '../k8s/kube-client.ts';
import type { KubeClientSource } from '../cluster/kube-client-source.ts';
import { resolveKubeClientFactory } from '../cluster/kube-client-source.ts';
import type { KubeSandbox, KubeSandboxTimings } from '../k8s/kube-sandbox.ts';
import { createKubeSandbox, defaultKubeSandboxTimings } from '../k8s/kube-sandbox.ts';
import { defaultAgnhostImage } from '../k8s/manifests.ts';
import { makeProgressReporter, provisionKubeSandbox } from '../k8s/provision.ts';
import type { Clock, Logger } from '../k8s/runtime-deps.ts';
import { createSandboxFiles } from '../k8s/sandbox-files.ts';
import { createTtlSupervisor } from '../k8s/ttl-supervisor.ts';
import type { Automation } from './automation.ts';
import type { HostFacts, Problem } from './preflight.ts';
import { checkPulumiCli, formatProblems } from './preflight.ts';
import type { StackDriver } from './stack-driver.ts';
import { isProcessAlive } from './stale-locks.ts';

export interface ProvisionTimings extends KubeSandboxTimings {
  /** Nodes, CNI, CRDs and DNS each get this long after `pulumi up` returns. */
  readonly gateTimeoutMs: number;
  /** How long a deny-all may take to bite before the cluster counts as not enforcing. */
  readonly enforcementWindowMs: number;
}

export const defaultProvisionTimings: ProvisionTimings = { ...defaultKubeSandboxTimings, gateTimeoutMs: 600_000, enforcementWindowMs: 30_000 };

/** The seams every Pulumi-driven provider takes; main.ts passes real ones, tests pass fakes. */
export interface PulumiProviderDeps {
  /** Opened on first use (checkHost never needs it), so a host without Pulumi can still list providers. */
  readonly openAutomation: () => Promise<Automation>;
  /** Loaded on first use: checkHost and discover never need it. */
  readonly createKubeClient: KubeClientSource;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly host: HostFacts;
  /** REHEARSAL_HOME: sandbox files live under it. */
  readonly home: string;
  readonly hostname: string;
  readonly isProcessAlive?: (pid: number) => boolean;
  readonly agnhostImage?: string;
  readonly timings?: Partial<ProvisionTimings>;
  /** Extra stack config for every sandbox (`nodeCount`, `awsRegion`, `gcpProject`, ...): keys of infra/config.ts. */
  readonly stackSettings?: Readonly<Record<string, string>>;
}

export interface StackProviderSpec {
  readonly name: ClusterProvider;
  /** Host checks beyond the Pulumi CLI (Docker and kind; cloud credentials). */
  readonly checkHost: (host: HostFacts, settings: Readonly<Record<string, string>>) => Promise<readonly Problem[]>;
  /** CNIs documented to enforce nothing (the enforcement check then reports instead of warning). */
  readonly nonEnforcingCnis: readonly string[];
}

/** Bookkeeping keys the driver stores in stack config; the program itself ignores them. */
const bookkeepingKeys = { createdAt: 'createdAt', sandboxName: 'sandboxName', scenario: 'scenario' } as const;

export function createStackProvider(spec: StackProviderSpec, deps: PulumiProviderDeps): SandboxProvider {
  const timings: ProvisionTimings = { ...defaultProvisionTimings, ...deps.timings };
  const settings = deps.stackSettings ?? {};
  const files = createSandboxFiles(deps.home, spec.name);
  let driverPromise: Promise<StackDriver> | undefined;
  const openDriver = (): Promise<StackDriver> => {
    // The driver (and through infra/outputs.ts the Pulumi SDK) loads on first use: preflight never needs it.
    driverPromise ??= Promise.all([deps.openAutomation(), import('./stack-driver.ts')]).then(([automation, { createStackDriver }]) =>
      createStackDriver({ automation, logger: deps.logger, hostname: deps.hostname, isProcessAlive: deps.isProcessAlive ?? isProcessAlive }),
    );
    return driverPromise;
  };
  const reapStack = async (record: SandboxRecord): Promise<void> => {
    supervisor.disarm(record.id);
    const driver = await openDriver();
    await driver.destroy({ stackName: record.id, onProgress: (line) => deps.logger.info(line, { sandboxId: record.id }) });
    await files.remove(record.id);
  };
  const supervisor = createTtlSupervisor({ clock: deps.clock, logger: deps.logger, reap: reapStack });

  const makeHandle = (record: SandboxRecord, client: ReturnType<KubeClientFactory>, driver: StackDriver, cluster?: CreateSandboxOptions['cluster']): KubeSandbox =>
    createKubeSandbox({
      record,
      client,
      clock: deps.clock,
      logger: deps.logger,
      files,
      supervisor,
      isSharedCluster: false,
      agnhostImage: deps.agnhostImage ?? defaultAgnhostImage,
      timings,
      enforcementNote: `${spec.name} cluster ${record.id} made by Pulumi stack ${record.id}`,
      teardown: async (current) => {
        await driver.destroy({ stackName: current.id, onProgress: (line) => deps.logger.info(line, { sandboxId: current.id }) });
      },
      recordExpiry: async (current) => driver.updateConfig(current.id, { expiresAt: current.expiresAt }),
      ...(cluster === undefined ? {} : { cluster }),
    });

  const checkHost = async (): Promise<ProviderAvailability> => {
    const problems: Problem[] = [];
    const pulumi = await checkPulumiCli(deps.host);
    if (pulumi !== undefined) problems.push(pulumi);
    problems.push(...(await spec.checkHost(deps.host, settings)));
    return { provider: spec.name, isAvailable: problems.length === 0, cnis: listCniNames(spec.name), problems };
  };

  return {
    name: spec.name,
    checkHost,

    async create(options: CreateSandboxOptions): Promise<SandboxHandle> {
      if (!isSandboxId(options.id)) throw new SandboxError(SandboxErrorCodes.invalidName, `'${options.id}' is not a sandbox id (sb- and 8 hex characters)`);
      const readiness = describeCniReadiness(spec.name, options.cni);
      if (readiness === undefined) {
        throw new SandboxError(SandboxErrorCodes.hostUnsupported, `${spec.name} does not offer the CNI '${options.cni}'; choose one of ${listCniNames(spec.name).join(', ')}`);
      }
      const availability = await checkHost();
      if (!availability.isAvailable) throw new SandboxError(SandboxErrorCodes.hostUnsupported, formatProblems(spec.name, availability.problems));
      const progress = makeProgressReporter(options.id, deps.clock, options.onProgress);
      const createdAt = deps.clock.now();
      const expiresAt = new Date(createdAt.getTime() + options.ttlSeconds * 1000);
      const config: Record<string, string> = {
        nodeCount: '2',
        ...settings,
        sandboxId: options.id,
        provider: spec.name,
        cni: options.cni,
        expiresAt: expiresAt.toISOString(),
        owner: options.owner,
        [bookkeepingKeys.createdAt]: createdAt.toISOString(),
        ...(options.name === undefined ? {} : { [bookkeepingKeys.sandboxName]: options.name }),
        ...(options.scenario === undefined ? {} : { [bookkeepingKeys.scenario]: options.scenario }),
      };
      // Loaded here, not at the top: infra/config.ts pulls in the Pulumi SDK, which `rehearse ls` never needs.
      const { InfraConfigError, parseSandboxConfig } = await import('../../../infra/config.ts');
      try {
        parseSandboxConfig(config);
      } catch (error) {
        if (error instanceof InfraConfigError) throw new SandboxError(SandboxErrorCodes.provisionFailed, error.message, { cause: error });
        throw error;
      }
      let record: SandboxRecord = {
        id: options.id,
        ...(options.name === undefined ? {} : { name: options.name }),
        provider: spec.name,
        cni: options.cni,
        owner: options.owner,
        createdAt: createdAt.toISOString(),
        expiresAt: expiresAt.toISOString(),
        status: 'provisioning',
        providerState: { stackName: options.id, project: 'rehearsal' },
        ...(options.scenario === undefined ? {} : { scenario: options.scenario }),
      };
      await files.save(record);
      const driver = await openDriver();
      // Armed before `up`: a create that hangs past its TTL is still torn down.
      supervisor.arm(record);
      const failAndClean = async (error: unknown): Promise<never> => {
        const reason = error instanceof Error ? error.message : String(error);
        progress('teardown', 'creation failed; destroying what was made');
        try {
          await reapStack(record);
        } catch (cleanupError) {
          record = { ...record, status: 'failed', failure: reason };
          await files.save(record);
          throw new SandboxError(
            SandboxErrorCodes.provisionFailed,
            `${reason}\nThe half-created stack ${record.id} could not be destroyed (${cleanupError instanceof Error ? cleanupError.message : String(cleanupError)}); run 'rehearse down ${record.id}'.`,
            { cause: error },
          );
        }
        if (error instanceof SandboxError) throw error;
        throw new SandboxError(SandboxErrorCodes.provisionFailed, reason, { cause: error });
      };

      progress('cluster', `pulumi up: ${spec.name} cluster with ${options.cni} (stack ${options.id})`, 0.05);
      let kubeconfig: string;
      try {
        const outputs = await driver.up({
          stackName: options.id,
          config,
          onProgress: (line) => progress('cluster', line),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
        kubeconfig = outputs.kubeconfig;
        record = { ...record, providerState: { ...record.providerState, clusterName: outputs.clusterName, endpoint: outputs.endpoint } };
      } catch (error) {
        return failAndClean(error);
      }
      progress('cluster', 'cluster created', 0.55);
      const client = (await resolveKubeClientFactory(deps.createKubeClient))(kubeconfig);
      const handle = makeHandle(record, client, driver);
      try {
        await provisionKubeSandbox({
          handle,
          client,
          clock: deps.clock,
          logger: deps.logger,
          cluster: options.cluster,
          readiness,
          gateTimeoutMs: timings.gateTimeoutMs,
          pollMs: timings.pollMs,
          isEnforcementExpected: !spec.nonEnforcingCnis.includes(options.cni),
          enforcementWindowMs: timings.enforcementWindowMs,
          progress,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
      } catch (error) {
        record = handle.record();
        return failAndClean(error);
      }
      await handle.updateStatus('ready');
      return handle;
    },

    async attach(record) {
      const driver = await openDriver();
      const outputs = await driver.readOutputs(record.id);
      if (outputs === undefined) return undefined;
      const cluster = await files.loadCluster(record.id);
      const handle = makeHandle(record, (await resolveKubeClientFactory(deps.createKubeClient))(outputs.kubeconfig), driver, cluster);
      if (cluster !== undefined) await handle.refreshAddresses();
      supervisor.arm(record);
      return handle;
    },

    reap: reapStack,

    async discover() {
      const saved = await files.list();
      for (const path of saved.unreadable) deps.logger.warn('unreadable sandbox record', { provider: spec.name, path });
      const byId = new Map(saved.records.map((record) => [record.id, record]));
      let stacks: readonly { readonly name: string }[];
      try {
        stacks = await (await openDriver()).list();
      } catch (error) {
        // With no saved records nothing can be orphaned (the usual case on a host without Pulumi, which checkHost
        // and /api/providers already report), so only a host with records of this provider hears about it.
        if (saved.records.length > 0) {
          deps.logger.warn('cannot list Pulumi stacks; reporting saved records only', { provider: spec.name, error: error instanceof Error ? error.message : String(error) });
        }
        return saved.records;
      }
      const now = deps.clock.now().getTime();
      const found: SandboxRecord[] = [];
      for (const stack of stacks.filter((summary) => isSandboxId(summary.name))) {
        const config = await (await openDriver()).readConfig(stack.name);
        if (config === undefined || config['provider'] !== spec.name) continue;
        const saved = byId.get(stack.name);
        byId.delete(stack.name);
        const expiresAt = config['expiresAt'] ?? saved?.expiresAt ?? new Date(0).toISOString();
        const isExpired = new Date(expiresAt).getTime() <= now;
        const base: SandboxRecord = saved ?? {
          id: stack.name,
          provider: spec.name,
          cni: config['cni'] ?? 'unknown',
          owner: config['owner'] ?? 'unknown',
          createdAt: config[bookkeepingKeys.createdAt] ?? expiresAt,
          expiresAt,
          status: 'ready',
          providerState: { stackName: stack.name, project: 'rehearsal', note: 'found in the Pulumi backend with no saved record' },
        };
        found.push({ ...base, expiresAt, ...(isExpired ? { status: 'expiring' } : {}) });
      }
      // Records whose stack is gone: reported so the sweeper removes the leftover files.
      for (const orphan of byId.values()) found.push({ ...orphan, status: 'failed', failure: `Pulumi stack ${orphan.id} no longer exists` });
      return found;
    },
  };
}
