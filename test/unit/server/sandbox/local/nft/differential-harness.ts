// Differential check: for every endpoint pair, port, protocol and address family, the compiled IR (walked by
// evaluate-ir.ts) must decide exactly what the engine's evaluator predicts, and name the same rule or chain.

import { createEvaluator } from '../../../../../../server/policy/evaluate.ts';
import { getCniProfile } from '../../../../../../server/policy/cni-profiles.ts';
import type { CniProfile } from '../../../../../../server/policy/cni-profiles.ts';
import { parseIp } from '../../../../../../server/policy/cidr.ts';
import type { Cluster, DirectionVerdict, EndpointRef, Protocol, RuleMatch } from '../../../../../../server/policy/model.ts';
import { compileRuleset } from '../../../../../../server/sandbox/local/nft/compile-ruleset.ts';
import type { CompiledRuleset } from '../../../../../../server/sandbox/local/nft/compile-ruleset.ts';
import { evaluateIrPacket } from '../../../../../../server/sandbox/local/nft/evaluate-ir.ts';
import type { IrRuleOrigin } from '../../../../../../server/sandbox/local/nft/ruleset-ir.ts';

export const externalIfname = 'ext0';

/** Router interface names as the local provider hands them out: one per pod, in cluster order. */
export function assignInterfaces(cluster: Cluster): Map<string, string> {
  return new Map(cluster.pods.map((pod, i) => [`${pod.namespace}/${pod.name}`, `p${i}`]));
}

export function requireProfile(name: string): CniProfile {
  const profile = getCniProfile(name);
  if (profile === undefined) throw new Error(`unknown profile ${name}`);
  return profile;
}

export function compileFor(cluster: Cluster, profileName: string): CompiledRuleset {
  const profile = requireProfile(profileName);
  return compileRuleset({ cluster, profile, interfaces: { pods: assignInterfaces(cluster), external: externalIfname } });
}

interface Endpoint {
  readonly ref: EndpointRef;
  readonly key: string;
  readonly ifname: string;
  readonly ips: readonly string[];
}

function listEndpoints(cluster: Cluster, interfaces: ReadonlyMap<string, string>): Endpoint[] {
  const pods = cluster.pods.map((pod) => {
    const key = `${pod.namespace}/${pod.name}`;
    return { ref: { kind: 'pod', namespace: pod.namespace, name: pod.name } as const, key, ifname: interfaces.get(key) ?? '', ips: pod.ips };
  });
  const externals = cluster.externals.map((e) => ({ ref: { kind: 'external', name: e.name } as const, key: `external/${e.name}`, ifname: externalIfname, ips: [e.ip] }));
  return [...pods, ...externals];
}

function sameOrigin(origin: IrRuleOrigin, match: RuleMatch): boolean {
  return (
    origin.policy.namespace === match.policy.namespace &&
    origin.policy.name === match.policy.name &&
    origin.direction === match.direction &&
    origin.ruleIndex === match.ruleIndex &&
    origin.peerIndex === match.peerIndex &&
    origin.portIndex === match.portIndex
  );
}

function expectedVerdict(egress: DirectionVerdict, ingress: DirectionVerdict): 'accept' | 'reject-egress' | 'reject-ingress' {
  if (!egress.isAllowed) return 'reject-egress';
  if (!ingress.isAllowed) return 'reject-ingress';
  return 'accept';
}

export interface DifferentialOptions {
  readonly ports: readonly number[];
  readonly protocols: readonly Protocol[];
}

export interface DifferentialResult {
  /** Flows compared. */
  readonly flows: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Human-readable disagreements (empty when IR and engine agree everywhere). */
  readonly mismatches: readonly string[];
}

/** Compares every flow; stops collecting text after 20 disagreements but keeps counting flows. */
export function compareWithEngine(cluster: Cluster, profileName: string, options: DifferentialOptions): DifferentialResult {
  const compiled = compileFor(cluster, profileName);
  const evaluator = createEvaluator(cluster, { profile: profileName });
  const endpoints = listEndpoints(cluster, assignInterfaces(cluster));
  const chainsByName = new Map(compiled.chains.map((c) => [c.chain, c]));
  const mismatches: string[] = [];
  let flows = 0;
  let accepted = 0;
  let rejected = 0;
  for (const from of endpoints) {
    for (const to of endpoints) {
      if (from.ref.kind === 'external' && to.ref.kind === 'external') continue;
      for (const ipFamily of ['IPv4', 'IPv6'] as const) {
        const saddr = from.ips.find((ip) => parseIp(ip)?.family === ipFamily);
        const daddr = to.ips.find((ip) => parseIp(ip)?.family === ipFamily);
        if (saddr === undefined || daddr === undefined) continue;
        for (const protocol of options.protocols) {
          for (const port of options.ports) {
            const result = evaluator.evaluate({ from: from.ref, to: to.ref, port, protocol, ipFamily });
            if (!result.ok) {
              mismatches.push(`${from.key} -> ${to.key} ${port}/${protocol}: engine error ${result.error.code}: ${result.error.message}`);
              continue;
            }
            flows += 1;
            const verdict = result.verdict;
            const want = expectedVerdict(verdict.egress, verdict.ingress);
            const decision = evaluateIrPacket(compiled.ir, { iif: from.ifname, saddr, daddr, protocol: protocol === 'TCP' ? 'tcp' : protocol === 'UDP' ? 'udp' : 'sctp', dport: port });
            const flow = `${profileName}: ${from.key} -> ${to.key} ${daddr}:${port}/${protocol}`;
            if (decision.verdict !== want) {
              if (mismatches.length < 20) mismatches.push(`${flow}: engine ${want}, IR ${decision.verdict}`);
              continue;
            }
            if (decision.verdict === 'accept') {
              accepted += 1;
              // The rule the router credits must be the engine's first admitting rule, direction by direction.
              for (const direction of [verdict.egress, verdict.ingress]) {
                const origin = decision.admittedBy.find((o) => o.direction === direction.direction);
                const first = direction.allowedBy[0];
                const isSame = origin === undefined ? first === undefined : first !== undefined && sameOrigin(origin, first);
                if (!isSame && mismatches.length < 20) {
                  mismatches.push(`${flow}: ${direction.direction} credited to ${JSON.stringify(origin)}, engine says ${JSON.stringify(first)}`);
                }
              }
            } else if (decision.verdict === 'reject-egress' || decision.verdict === 'reject-ingress') {
              rejected += 1;
              const denying = decision.verdict === 'reject-egress' ? verdict.egress : verdict.ingress;
              const chain = chainsByName.get(decision.chain);
              const isSame =
                chain !== undefined &&
                chain.subject === denying.subject &&
                JSON.stringify(chain.policies) === JSON.stringify(denying.isolatingPolicies);
              if (!isSame && mismatches.length < 20) {
                mismatches.push(`${flow}: rejected by ${JSON.stringify(chain)}, engine's isolating ${JSON.stringify(denying.isolatingPolicies)}`);
              }
            }
          }
        }
      }
    }
  }
  return { flows, accepted, rejected, mismatches };
}
