// The router's packet-filtering intent as plain data: what build-ir.ts derives from a Cluster, what
// render-nft.ts turns into nftables text and what evaluate-ir.ts interprets in tests. No nft syntax here.

import type { IcmpAllowance } from '../../../policy/cni-profiles.ts';
import type { Direction, PolicyRef } from '../../../policy/model.ts';

/** Address family of a match: `ip` (IPv4) or `ip6` (IPv6), as nftables names them. */
export type IrFamily = 'ip' | 'ip6';

/** Layer-4 protocols a NetworkPolicy port can name, lower case as nftables writes them. */
export type IrProtocol = 'tcp' | 'udp' | 'sctp';

/** A named set of addresses (single IPs or CIDRs), shared by every rule that needs the same content. */
export interface IrAddressSet {
  readonly name: string;
  readonly family: IrFamily;
  /** Canonical text, sorted, none inside another (so an interval set never sees overlaps). */
  readonly elements: readonly string[];
  /** What the set stands for, e.g. the selector and the first rule that uses it. */
  readonly comment: string;
}

/**
 * Which addresses a rule admits. The field is the peer's side: the source for an ingress chain, the
 * destination for an egress chain.
 */
export type IrAddressMatch =
  | { readonly kind: 'any' }
  | { readonly kind: 'set'; readonly family: IrFamily; readonly set: string }
  | {
      readonly kind: 'cidr';
      readonly family: IrFamily;
      readonly cidr: string;
      readonly except: readonly string[];
      /** A set whose members never match (cilium: pod addresses and the pod CIDR). */
      readonly excludeSet?: string;
    };

/** Which layer-4 traffic a rule admits. */
export type IrL4Match =
  | { readonly kind: 'any' }
  | { readonly kind: 'protocol'; readonly protocol: IrProtocol }
  | { readonly kind: 'ports'; readonly protocol: IrProtocol; readonly fromPort: number; readonly toPort: number }
  | {
      /** Destination address and port together: an egress named port resolved on each destination pod. */
      readonly kind: 'address-ports';
      readonly family: IrFamily;
      readonly protocol: IrProtocol;
      readonly pairs: readonly { readonly address: string; readonly port: number }[];
    };

/** The policy rule, peer and port an IR rule was compiled from (the engine's RuleMatch coordinates). */
export interface IrRuleOrigin {
  readonly policy: PolicyRef;
  readonly direction: Direction;
  readonly ruleIndex: number;
  /** Null when the rule admits every peer. */
  readonly peerIndex: number | null;
  /** Null when the rule admits every port. */
  readonly portIndex: number | null;
}

/** One admitting combination of (policy, rule, peer, port) inside a pod's chain. */
export interface IrPolicyRule {
  readonly address: IrAddressMatch;
  readonly l4: IrL4Match;
  /**
   * `return` for egress (the packet still has to pass the destination's ingress chain: an nftables
   * `accept` inside a jumped-to chain would end the whole base chain), `accept` for ingress.
   */
  readonly verdict: 'accept' | 'return';
  readonly comment: string;
  readonly origin: IrRuleOrigin;
}

/** How a denied packet is answered, so the prober learns the side at once from the errno. */
export const IrRejects = {
  /** Egress denial: ICMP network unreachable, the client sees ENETUNREACH. */
  egress: 'no-route',
  /** Ingress denial: ICMP host unreachable, the client sees EHOSTUNREACH. */
  ingress: 'host-unreachable',
} as const;
export type IrReject = (typeof IrRejects)[keyof typeof IrRejects];

/** The chain that holds one isolated pod's rules for one direction. */
export interface IrPodChain {
  readonly name: string;
  readonly direction: Direction;
  /** `ns/pod` whose isolation this chain enforces. */
  readonly subject: string;
  /** The router-side interface of the pod. */
  readonly ifname: string;
  /** The policies that isolate the pod in this direction, in cluster order. */
  readonly policies: readonly PolicyRef[];
  readonly rules: readonly IrPolicyRule[];
  readonly reject: IrReject;
  readonly rejectComment: string;
}

/** One port of a Service with a ClusterIP, translated to its ready backends (kube-proxy's job). */
export interface IrServicePort {
  /** `ns/name`. */
  readonly service: string;
  readonly portName?: string;
  readonly family: IrFamily;
  readonly clusterIp: string;
  readonly protocol: IrProtocol;
  readonly port: number;
  /** Empty: the port is answered with a reject (the client sees "connection refused"). */
  readonly backends: readonly { readonly pod: string; readonly address: string; readonly port: number }[];
  readonly comment: string;
}

/** How conntrack state short-cuts policy. */
export const IrConntrackModes = {
  /** Established and related packets are accepted before policy: a new deny spares existing flows. */
  establishedSurvives: 'established-survives',
  /** Only reply-direction packets skip policy: every original-direction packet is evaluated again. */
  perPacket: 'per-packet',
} as const;
export type IrConntrackMode = (typeof IrConntrackModes)[keyof typeof IrConntrackModes];

/** A documented CNI behaviour that shaped the ruleset, carried into the text as a comment. */
export interface IrProfileNote {
  readonly difference: string;
  readonly text: string;
  readonly source: string;
}

export interface IrForward {
  /** False for profiles that enforce nothing (flannel): no dispatch, no pod chains. */
  readonly isEnforcing: boolean;
  readonly conntrack: IrConntrackMode;
  /** ICMP the profile lets through any isolation (kube-router: echo-request, destination-unreachable, time-exceeded). */
  readonly icmpAlwaysAllowed: readonly IcmpAllowance[];
  /** A pod reaching itself through its Service skips policy (cilium, antrea, ovn-kubernetes). */
  readonly isHairpinAlwaysAllowed: boolean;
  /** Source interface → egress chain, for egress-isolated pods only. */
  readonly egress: readonly { readonly ifname: string; readonly chain: string }[];
  /** Destination interface → ingress chain, for ingress-isolated pods only. */
  readonly ingress: readonly { readonly ifname: string; readonly chain: string }[];
  /**
   * The profile difference behind each profile-driven forward rule, as `<profile> <difference id> [source ids]`,
   * written into that rule's comment (the full citation is in the script's header notes).
   */
  readonly citations: {
    readonly conntrack?: string;
    readonly icmp?: string;
    readonly hairpin?: string;
    readonly enforcement?: string;
  };
}

/** Where the router sends an address: the pod's interface, or the outside namespace's. */
export interface IrEndpoint {
  /** `ns/pod` or `external/name`. */
  readonly key: string;
  readonly ifname: string;
  readonly addresses: readonly string[];
}

export interface RulesetIr {
  readonly table: string;
  readonly profile: string;
  /** The router's own address: source of hairpin SNAT (and of the ICMP errors it sends). */
  readonly gatewayIp: string;
  /** IPv6 counterpart for hairpin SNAT of IPv6 services; absent: IPv6 hairpin is not translated. */
  readonly gatewayIp6?: string;
  readonly notes: readonly IrProfileNote[];
  readonly sets: readonly IrAddressSet[];
  readonly services: readonly IrServicePort[];
  /** Backend addresses that may reach themselves through a Service (hairpin SNAT to the gateway). */
  readonly hairpin: readonly { readonly family: IrFamily; readonly addresses: readonly string[] }[];
  readonly forward: IrForward;
  readonly chains: readonly IrPodChain[];
  readonly endpoints: readonly IrEndpoint[];
  /** Policies the profile drops entirely (weave: a named port), with the citation. */
  readonly ignoredPolicies: readonly { readonly policy: PolicyRef; readonly citation: string }[];
}
