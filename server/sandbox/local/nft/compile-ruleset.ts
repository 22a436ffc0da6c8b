// The local sandbox's enforcement compiler: a Cluster's NetworkPolicies and Services, under a CNI profile,
// become one nftables script for the router namespace, plus the map from chains back to the policies.

import type { CniProfile } from '../../../policy/cni-profiles.ts';
import type { Cluster, Direction, PolicyRef } from '../../../policy/model.ts';
import { buildRulesetIr } from './build-ir.ts';
import type { RouterInterfaces } from './build-ir.ts';
import { renderNft } from './render-nft.ts';
import type { RulesetIr } from './ruleset-ir.ts';

export type { RouterInterfaces } from './build-ir.ts';

export const defaultTableName = 'rehearsal';
/** Link-local gateway every pod routes through (proxy ARP on the router side, as Calico does). */
export const defaultGatewayIp = '169.254.1.1';

export interface CompileRulesetInput {
  readonly cluster: Cluster;
  readonly profile: CniProfile;
  readonly interfaces: RouterInterfaces;
  /** Default `rehearsal`. */
  readonly tableName?: string;
  /** Default 169.254.1.1: the source of hairpin SNAT. */
  readonly gatewayIp?: string;
  /** The router's IPv6 address for hairpin SNAT of IPv6 Services; without it IPv6 hairpin is left untranslated. */
  readonly gatewayIp6?: string;
}

/** Which pod and policies a chain enforces, so a denied probe can name them. */
export interface ChainAttribution {
  readonly chain: string;
  readonly direction: Direction;
  /** `ns/pod`. */
  readonly subject: string;
  readonly ifname: string;
  readonly policies: readonly PolicyRef[];
}

export interface CompiledRuleset {
  readonly ir: RulesetIr;
  /** A complete `nft -f` script that replaces the table atomically. */
  readonly text: string;
  readonly chains: readonly ChainAttribution[];
  readonly stats: {
    /** Per-pod policy chains. */
    readonly chains: number;
    /** Rules in the per-pod chains, including each chain's final reject. */
    readonly rules: number;
    /** Elements of named sets plus the address-port pairs of named-port rules. */
    readonly setElements: number;
  };
}

/**
 * Pure: the same input gives the same text. Throws SandboxError (SANDBOX_INVALID_NAME, SANDBOX_APPLY_FAILED)
 * when a name or address cannot be written safely or a pod has no router interface.
 */
export function compileRuleset(input: CompileRulesetInput): CompiledRuleset {
  const ir = buildRulesetIr({
    cluster: input.cluster,
    profile: input.profile,
    interfaces: input.interfaces,
    tableName: input.tableName ?? defaultTableName,
    gatewayIp: input.gatewayIp ?? defaultGatewayIp,
    ...(input.gatewayIp6 === undefined ? {} : { gatewayIp6: input.gatewayIp6 }),
  });
  const text = renderNft(ir);
  const chains = ir.chains.map((c) => ({ chain: c.name, direction: c.direction, subject: c.subject, ifname: c.ifname, policies: c.policies }));
  let rules = 0;
  let setElements = 0;
  for (const chain of ir.chains) {
    rules += chain.rules.length + 1;
    for (const rule of chain.rules) if (rule.l4.kind === 'address-ports') setElements += rule.l4.pairs.length;
  }
  for (const set of ir.sets) setElements += set.elements.length;
  return { ir, text, chains, stats: { chains: ir.chains.length, rules, setElements } };
}
