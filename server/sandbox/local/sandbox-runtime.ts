// The steps creation and `apply` share: compile and load the router's ruleset, write DNS records (and have the
// kube-dns pod's agent reload them), start and stop the processes of a pod or of the outside world. Each step
// reports failures as SandboxError with what to do.
import { writeFile, rename } from 'node:fs/promises';
import type { CniProfile } from '../../policy/cni-profiles.ts';
import type { Cluster } from '../../policy/model.ts';
import { SandboxError, SandboxErrorCodes } from '../contract.ts';
import type { AgentClient } from './agent/agent-client.ts';
import { buildDnsRecords, formatDnsRecordFile } from './dns/dns-records.ts';
import { compileRuleset } from './nft/compile-ruleset.ts';
import type { CompiledRuleset } from './nft/compile-ruleset.ts';
import { gatewayIpv4, nftTableName, routerOutsideInterface } from './names.ts';
import type { RuntimePaths } from './names.ts';
import { startAgent } from './pod-processes.ts';
import { readCmdline, signalProcesses, waitForExit } from './processes.ts';
import { CommandError, runCommand } from './run-command.ts';
import type { PodLayout, SandboxLayout } from './sandbox-layout.ts';
import { getSearchDomains } from './sandbox-layout.ts';

const nftTimeoutMs = 30_000;

export function compileForLayout(cluster: Cluster, profile: CniProfile, layout: SandboxLayout): CompiledRuleset {
  return compileRuleset({
    cluster,
    profile,
    interfaces: { pods: new Map(layout.pods.map((pod) => [pod.key, pod.routerInterface])), external: routerOutsideInterface },
    tableName: nftTableName,
    gatewayIp: gatewayIpv4,
  });
}

/** Loads a ruleset as one atomic nft transaction in the router; returns how long nft took (ms). */
export async function loadRuleset(routerNetns: string, text: string, options: { readonly signal?: AbortSignal } = {}): Promise<number> {
  const started = performance.now();
  try {
    await runCommand('ip', ['netns', 'exec', routerNetns, 'nft', '-f', '-'], {
      input: text,
      timeoutMs: nftTimeoutMs,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    const detail = error instanceof CommandError ? error.stderr.trim().split('\n').slice(0, 6).join(' | ') || error.message : String(error);
    throw new SandboxError(SandboxErrorCodes.applyFailed, `nft rejected the compiled ruleset (nothing changed; the previous rules stay in force): ${detail}`, { cause: error });
  }
  return performance.now() - started;
}

export async function listRuleset(routerNetns: string): Promise<string> {
  const { stdout } = await runCommand('ip', ['netns', 'exec', routerNetns, 'nft', 'list', 'table', 'inet', nftTableName], { timeoutMs: nftTimeoutMs });
  return stdout;
}

export async function writeDnsRecordsFile(file: string, cluster: Cluster): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, formatDnsRecordFile(buildDnsRecords(cluster)), { mode: 0o600 });
  await rename(temp, file);
}

export interface ProcessContext {
  readonly paths: RuntimePaths;
  readonly agentBinary: string;
  readonly readyTimeoutMs: number;
  readonly dnsServiceIp: string;
}

/**
 * Starts a pod's agent: it serves the pod's ports and runs probes from the pod. The kube-dns pod's agent also
 * answers the cluster DNS on UDP and TCP port 53 of every pod address, from the sandbox's records file.
 */
export async function startPodAgent(context: ProcessContext, pod: PodLayout): Promise<number> {
  const agent = await startAgent({
    netns: pod.netns,
    agentBinary: context.agentBinary,
    controlPath: context.paths.controlSocket(pod.index),
    identity: pod.key,
    listeners: pod.listeners,
    nameserver: context.dnsServiceIp,
    search: getSearchDomains(pod.namespace),
    ...(pod.role === 'dns' ? { dns: { recordsFile: context.paths.dnsRecordsFile } } : {}),
    logDir: context.paths.logDir,
    logName: `p${pod.index}.log`,
    readyTimeoutMs: context.readyTimeoutMs,
  });
  return agent.pid;
}

export async function startOutsideAgent(context: ProcessContext, layout: SandboxLayout, outsideNetns: string): Promise<number> {
  const agent = await startAgent({
    netns: outsideNetns,
    agentBinary: context.agentBinary,
    controlPath: context.paths.outsideControlSocket,
    identity: 'external/world',
    listeners: layout.outsideListeners,
    logDir: context.paths.logDir,
    logName: 'x.log',
    readyTimeoutMs: context.readyTimeoutMs,
  });
  return agent.pid;
}

/**
 * Kills processes by pid, but only those whose argv names this sandbox's runtime dir: a recorded pid may have
 * been reused by an unrelated process since.
 */
export async function stopOwnedProcesses(pids: readonly number[], runDir: string): Promise<void> {
  const owned: number[] = [];
  for (const pid of pids) {
    const argv = await readCmdline(pid);
    if (argv?.some((part) => part.startsWith(`${runDir}/`)) === true) owned.push(pid);
  }
  signalProcesses(owned, 'SIGKILL');
  await waitForExit(owned, 5_000);
}

/**
 * Has DNS agents read the records file again, each over its control socket, and waits for them: when this returns,
 * every name the new cluster implies resolves. A broken file is an error here, while the agents keep the old records.
 */
export async function reloadDnsAgents(clients: readonly Promise<AgentClient>[]): Promise<void> {
  const results = await Promise.allSettled(clients.map(async (client) => (await client).reloadDns()));
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason instanceof Error ? result.reason.message : String(result.reason)] : []));
  if (failures.length > 0) {
    throw new SandboxError(SandboxErrorCodes.applyFailed, `the cluster DNS kept its previous records: ${failures.join('; ')}`);
  }
}

/** Runs `work` over items with at most `limit` in flight; the first failure rejects after in-flight work settles. */
export async function runLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next;
      next += 1;
      const item = items[index];
      if (item === undefined) continue;
      try {
        results[index] = await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}
