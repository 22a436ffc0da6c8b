// Waiting for the cluster to be usable, by polling with explicit deadlines (client-node 2.x watches time out
// after 30 s anyway): nodes Ready, CNI DaemonSets rolled out, CRDs Established, DNS Available, sandbox pods
// Ready with IPs. A timeout says exactly what was still missing.
import type { CniReadiness } from '../../../infra/cni/types.ts';
import { SandboxError, SandboxErrorCodes } from '../contract.ts';
import type { KubeClient } from './kube-client.ts';
import { sandboxLabelKeys } from './manifests.ts';
import type { PodStatusView } from './object-status.ts';
import { isCrdEstablished, isDaemonSetRolledOut, isDeploymentAvailable, parseNodeReadiness, parsePodStatus } from './object-status.ts';
import type { Clock } from './runtime-deps.ts';

export interface WaitOptions {
  readonly client: KubeClient;
  readonly clock: Clock;
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly signal?: AbortSignal;
}

/** Polls `check` until it returns no missing items; throws naming what was still missing at the deadline. */
async function pollUntil(options: WaitOptions, what: string, check: () => Promise<readonly string[]>): Promise<void> {
  const deadline = options.clock.now().getTime() + options.timeoutMs;
  for (;;) {
    if (options.signal?.aborted === true) throw new SandboxError(SandboxErrorCodes.aborted, `waiting for ${what} was aborted`);
    const missing = await check();
    if (missing.length === 0) return;
    if (options.clock.now().getTime() >= deadline) {
      throw new SandboxError(
        SandboxErrorCodes.provisionFailed,
        `${what} not ready after ${Math.round(options.timeoutMs / 1000)} s: ${missing.slice(0, 8).join('; ')}${missing.length > 8 ? `; and ${missing.length - 8} more` : ''}`,
      );
    }
    await options.clock.sleep(options.pollMs, options.signal);
  }
}

export async function waitForNodesReady(options: WaitOptions): Promise<void> {
  await pollUntil(options, 'nodes', async () => {
    const nodes = (await options.client.list('v1', 'Node')).flatMap((raw) => parseNodeReadiness(raw) ?? []);
    if (nodes.length === 0) return ['no nodes registered yet'];
    return nodes.filter((node) => !node.isReady).map((node) => `node ${node.name} is not Ready (a node stays NotReady until its CNI runs)`);
  });
}

export async function waitForDaemonSets(options: WaitOptions, readiness: CniReadiness): Promise<void> {
  await pollUntil(options, 'CNI', async () => {
    const missing: string[] = [];
    for (const ref of readiness.daemonSets) {
      const raw = await options.client.read({ apiVersion: 'apps/v1', kind: 'DaemonSet', ...ref });
      if (raw === undefined) missing.push(`DaemonSet ${ref.namespace}/${ref.name} does not exist yet`);
      else if (!isDaemonSetRolledOut(raw)) missing.push(`DaemonSet ${ref.namespace}/${ref.name} is still rolling out`);
    }
    return missing;
  });
}

export async function waitForCrds(options: WaitOptions, readiness: CniReadiness): Promise<void> {
  await pollUntil(options, 'CNI CRDs', async () => {
    const missing: string[] = [];
    for (const name of readiness.crds) {
      const raw = await options.client.read({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name });
      if (!isCrdEstablished(raw)) missing.push(`CRD ${name} is not Established`);
    }
    return missing;
  });
}

export async function waitForDns(options: WaitOptions, readiness: CniReadiness): Promise<void> {
  await pollUntil(options, 'cluster DNS', async () => {
    const raw = await options.client.read({ apiVersion: 'apps/v1', kind: 'Deployment', ...readiness.dns });
    return isDeploymentAvailable(raw) ? [] : [`Deployment ${readiness.dns.namespace}/${readiness.dns.name} is not Available`];
  });
}

/** Waits until every named pod of the sandbox is Ready with an IP; returns their status by `ns/name`. */
export async function waitForSandboxPods(
  options: WaitOptions & { readonly sandboxId: string; readonly pods: readonly { readonly namespace: string; readonly name: string }[] },
): Promise<ReadonlyMap<string, PodStatusView>> {
  const ready = new Map<string, PodStatusView>();
  const namespaces = [...new Set(options.pods.map((pod) => pod.namespace))];
  await pollUntil(options, 'sandbox pods', async () => {
    ready.clear();
    for (const namespace of namespaces) {
      const items = await options.client.list('v1', 'Pod', { namespace, labelSelector: `${sandboxLabelKeys.sandboxId}=${options.sandboxId}` });
      for (const raw of items) {
        const pod = parsePodStatus(raw);
        if (pod !== undefined && !pod.isTerminating) ready.set(`${pod.namespace}/${pod.name}`, pod);
      }
    }
    return options.pods.flatMap((wanted) => {
      const key = `${wanted.namespace}/${wanted.name}`;
      const pod = ready.get(key);
      if (pod === undefined) return [`pod ${key} does not exist yet`];
      if (!pod.isReady || pod.ips.length === 0) {
        return [`pod ${key} is ${pod.phase}${pod.waitingReasons.length === 0 ? '' : ` (${pod.waitingReasons.join(', ')})`}`];
      }
      return [];
    });
  });
  return ready;
}
