// Turns what an agent saw (connected, refused, ENETUNREACH, EHOSTUNREACH, ...) into a ProbeResult with the
// dropping side attributed. The router answers an egress denial with ICMP net-unreachable and an ingress denial
// with ICMP host-unreachable (see nft/ruleset-ir.ts IrRejects), so the errno alone names the direction, and the
// chain attribution of the compiled ruleset names the pod and its isolating policies.
import type { PolicyRef } from '../../policy/model.ts';
import type { DropAttribution, ProbeRequest, ProbeResult } from '../contract.ts';
import type { AgentResult } from './agent/agent-protocol.ts';
import type { ChainAttribution } from './nft/compile-ruleset.ts';

/** What the sandbox knows about a probe besides the agent's answer. */
export interface ProbeContext {
  readonly request: ProbeRequest;
  /** The source pod (`ns/name`); undefined for external sources. */
  readonly sourcePod?: string;
  /** Pods the target address can land on: the pod itself, or a Service's backends. */
  readonly destinationPods: readonly string[];
  /** `svc/ns/name` when the target is a Service (its ClusterIP is translated in the router). */
  readonly service?: string;
  /** False when the address is nowhere in the sandbox (the host, the internet): the router has no route there. */
  readonly isTargetInSandbox: boolean;
  /** Chains of the ruleset currently loaded, keyed `Egress ns/pod` / `Ingress ns/pod`. */
  readonly chains: ReadonlyMap<string, ChainAttribution>;
  /** The pods that serve cluster DNS, for attributing a blocked lookup at their ingress. */
  readonly dnsPods: readonly string[];
  /** For name targets: where a resolved address lands, asked once the agent has resolved it. */
  readonly describeAddress?: (ip: string) => AddressDescription;
}

export interface AddressDescription {
  readonly destinationPods: readonly string[];
  readonly service?: string;
  readonly isTargetInSandbox: boolean;
}

export function getChainKey(direction: 'Egress' | 'Ingress', subject: string): string {
  return `${direction} ${subject}`;
}

const identityPattern = /^[a-z0-9][-a-z0-9.]*\/[a-z0-9][-a-z0-9.]*$/;

function toMs(latencyUs: number): number {
  return Math.round(latencyUs / 10) / 100;
}

function describePolicies(policies: readonly PolicyRef[]): string {
  return policies.map((policy) => `${policy.namespace}/${policy.name}`).join(', ');
}

function egressAttribution(context: ProbeContext, evidence: string): DropAttribution | undefined {
  if (context.sourcePod === undefined) return undefined;
  const chain = context.chains.get(getChainKey('Egress', context.sourcePod));
  if (chain === undefined) return undefined;
  return { direction: 'Egress', subject: chain.subject, policies: chain.policies, evidence: `${evidence}; nft chain ${chain.chain}` };
}

/** The ingress side of a drop among the pods the address could land on. */
function ingressAttribution(pods: readonly string[], context: ProbeContext, evidence: string): { attribution?: DropAttribution; note?: string } {
  const chains = pods.map((pod) => context.chains.get(getChainKey('Ingress', pod))).filter((chain): chain is ChainAttribution => chain !== undefined);
  const only = chains[0];
  if (chains.length === 0 || only === undefined) return {};
  if (pods.length === 1) {
    return { attribution: { direction: 'Ingress', subject: only.subject, policies: only.policies, evidence: `${evidence}; nft chain ${only.chain}` } };
  }
  // The router picked one backend at random and the client cannot see which: say so rather than guess.
  const policies = new Map<string, PolicyRef>();
  for (const chain of chains) for (const policy of chain.policies) policies.set(`${policy.namespace}/${policy.name}`, policy);
  const subject = context.service ?? pods.join('|');
  const note = `${context.service ?? 'the target'} has ${pods.length} backends (${pods.join(', ')}); the one it was translated to is not known`;
  return {
    attribution: { direction: 'Ingress', subject, policies: [...policies.values()], evidence: `${evidence}; one of the chains ${chains.map((c) => c.chain).join(', ')}` },
    note,
  };
}

function errorResult(result: AgentResult, detail: string): ProbeResult {
  return { id: '', outcome: 'error', latencyMs: toMs(result.latencyUs), detail, ...(result.resolvedIp === undefined ? {} : { resolvedIp: result.resolvedIp }) };
}

function mapWithoutId(result: AgentResult, context: ProbeContext): ProbeResult {
  const resolved = result.resolvedIp === undefined ? {} : { resolvedIp: result.resolvedIp };
  const latencyMs = toMs(result.latencyUs);
  const target = result.resolvedIp ?? (context.request.to.kind === 'ip' ? context.request.to.ip : 'the target');
  switch (result.status) {
    case 'connected': {
      const identity = result.detail.split(' ')[0] ?? '';
      const backend = context.service !== undefined && identityPattern.test(identity) ? { backend: identity } : {};
      return { id: '', outcome: 'allowed', latencyMs, ...resolved, ...backend };
    }
    case 'refused':
      return { id: '', outcome: 'refused', latencyMs, ...resolved, detail: `nothing listening (${result.detail})` };
    case 'unsupported':
      return { id: '', outcome: 'unsupported', latencyMs, ...resolved, detail: result.detail };
    case 'net-unreachable': {
      if (!context.isTargetInSandbox) return errorResult(result, `no route to ${target}: it is outside the sandbox (pods reach only the sandbox's pods, services and external endpoints)`);
      const attribution = egressAttribution(context, 'ICMP net-unreachable from the router');
      if (attribution === undefined) {
        return errorResult(result, `network unreachable, but ${context.sourcePod ?? 'the source'} has no egress chain in the loaded ruleset; the router and the policy model disagree`);
      }
      return { id: '', outcome: 'denied', latencyMs, ...resolved, attribution, detail: `dropped at egress of ${attribution.subject} (isolated by ${describePolicies(attribution.policies)})` };
    }
    case 'host-unreachable': {
      if (!context.isTargetInSandbox) return errorResult(result, `host unreachable: ${target} is outside the sandbox`);
      const { attribution, note } = ingressAttribution(context.destinationPods, context, 'ICMP host-unreachable from the router');
      if (attribution === undefined) {
        return errorResult(result, `host unreachable, but no pod behind ${target} has an ingress chain in the loaded ruleset; the pod may be down`);
      }
      const detail = `dropped at ingress of ${attribution.subject} (isolated by ${describePolicies(attribution.policies)})${note === undefined ? '' : `; ${note}`}`;
      return { id: '', outcome: 'denied', latencyMs, ...resolved, attribution, detail };
    }
    case 'dns-net-unreachable': {
      const attribution = egressAttribution(context, 'ICMP net-unreachable for the DNS query');
      return { id: '', outcome: 'denied', latencyMs, ...resolved, ...(attribution === undefined ? {} : { attribution }), detail: 'DNS lookup blocked by egress policy' };
    }
    case 'dns-host-unreachable': {
      const { attribution } = ingressAttribution(context.dnsPods, context, 'ICMP host-unreachable for the DNS query');
      return { id: '', outcome: 'denied', latencyMs, ...resolved, ...(attribution === undefined ? {} : { attribution }), detail: 'DNS lookup blocked by ingress policy' };
    }
    case 'timeout':
      return errorResult(result, `no answer within ${context.request.timeoutMs} ms (${result.detail})`);
    case 'dns-nxdomain':
      return errorResult(result, `DNS: no such name (${result.detail})`);
    case 'dns-timeout':
      return errorResult(result, `DNS: no answer (${result.detail})`);
    case 'resolved':
      return errorResult(result, 'the agent answered a probe with a resolution only');
    case 'error':
      return errorResult(result, result.detail);
  }
}

export function mapAgentResult(result: AgentResult, context: ProbeContext): ProbeResult {
  const resolved = result.resolvedIp !== undefined && context.describeAddress !== undefined ? { ...context, ...context.describeAddress(result.resolvedIp) } : context;
  return { ...mapWithoutId(result, resolved), id: context.request.id };
}
