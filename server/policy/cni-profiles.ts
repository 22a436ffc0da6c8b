// Documented NetworkPolicy behaviour of each CNI, as data the evaluator and the nftables compiler both read.
// Every fact cites /work/shared/research/cni-differences.md by source id and URL; nothing here is guessed.
// Where the research is vague, the profile says the behaviour is not modelled instead of inventing one.

import type { Peer, Policy, PortMatch } from './model.ts';

export const EndPortSupports = { supported: 'supported', ignoredUsesPortOnly: 'ignored-uses-port-only' } as const;
export type EndPortSupport = (typeof EndPortSupports)[keyof typeof EndPortSupports];

export const NamedPortSupports = {
  supported: 'supported',
  /** OVN-Kubernetes: a string port becomes port 0, which matches every port of the protocol (fail-open). */
  opensAllPortsOfProtocol: 'opens-all-ports-of-protocol',
  /** Weave Net: weave-npc rejects a policy that uses a named port; the policy isolates nothing. */
  policyIgnored: 'policy-ignored',
} as const;
export type NamedPortSupport = (typeof NamedPortSupports)[keyof typeof NamedPortSupports];

export const SctpSupports = { supported: 'supported', unsupported: 'unsupported', optIn: 'opt-in', unknown: 'unknown' } as const;
export type SctpSupport = (typeof SctpSupports)[keyof typeof SctpSupports];

/** ICMP traffic a CNI lets through an isolating policy. Names follow nft's icmp/icmpv6 type keywords. */
export const IcmpAllowances = {
  echoRequest: 'echo-request',
  destinationUnreachable: 'destination-unreachable',
  timeExceeded: 'time-exceeded',
  /** ICMPv4 destination-unreachable code 4 only ("fragmentation needed"). */
  fragNeeded: 'frag-needed',
  /** ICMPv6 neighbour discovery (nd-neighbor-solicit/advert, nd-router-solicit/advert). */
  icmpv6NeighborDiscovery: 'icmpv6-neighbor-discovery',
} as const;
export type IcmpAllowance = (typeof IcmpAllowances)[keyof typeof IcmpAllowances];

export const HairpinBehaviours = { alwaysAllowed: 'always-allowed', policyApplies: 'policy-applies', unknown: 'unknown' } as const;
export type HairpinBehaviour = (typeof HairpinBehaviours)[keyof typeof HairpinBehaviours];

/** One documented behaviour with its source (`[CIL2] https://...`). */
export interface CniProfileDifference {
  /** Stable id, referenced by ProfileNote.difference. */
  readonly id: string;
  readonly summary: string;
  readonly source: string;
}

export interface CniProfile {
  readonly name: string;
  readonly title: string;
  /** False: NetworkPolicy objects are accepted by the API server and silently do nothing. */
  readonly enforcesPolicy: boolean;
  /** Does an ipBlock whose CIDR covers pod IPs select those pods' traffic? */
  readonly ipBlockMatchesPodIps: boolean;
  readonly endPort: EndPortSupport;
  readonly namedPorts: NamedPortSupport;
  /** Does an already-established connection survive a new policy that would deny it? */
  readonly establishedSurvivesNewDeny: boolean;
  readonly sctp: SctpSupport;
  /** ICMP let through any isolating policy. */
  readonly icmpAlwaysAllowed: readonly IcmpAllowance[];
  /** A pod reaching itself through its own Service (hairpin). Implementation-defined upstream (kubernetes#95879). */
  readonly hairpin: HairpinBehaviour;
  /** Documented behaviours of this CNI, each cited. The evaluator applies the ones whose id is in `DifferenceIds`. */
  readonly differences: readonly CniProfileDifference[];
  /** Documented behaviours this engine does not model, said out loud rather than guessed. */
  readonly notModelled: readonly CniProfileDifference[];
}

// The research file's source list, by id, so each citation names the id and the address together.
const sources = {
  K1: '[K1] https://kubernetes.io/docs/concepts/services-networking/network-policies/',
  K2: '[K2] https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/',
  K3: '[K3] https://github.com/kubernetes/website/pull/43438',
  K4: '[K4] https://github.com/kubernetes/kubernetes/issues/95879',
  K5: '[K5] https://kubernetes.io/blog/2021/04/20/defining-networkpolicy-conformance-cni-providers/',
  K6: '[K6] https://github.com/kubernetes-sigs/network-policy-api/issues/305',
  CAL1: '[CAL1] https://docs.tigera.io/calico/latest/network-policy/get-started/calico-policy/calico-network-policy',
  CAL2: '[CAL2] https://docs.tigera.io/calico/latest/reference/resources/hostendpoint',
  CAL3: '[CAL3] https://docs.tigera.io/calico/latest/network-policy/hosts/protect-hosts',
  CAL4: '[CAL4] https://docs.tigera.io/calico/latest/operations/ebpf/enabling-ebpf',
  CAL5: '[CAL5] https://docs.tigera.io/calico/latest/about/kubernetes-training/about-ebpf',
  CAL6: '[CAL6] https://docs.tigera.io/calico/latest/about/kubernetes-training/about-kubernetes-services',
  CAL7: '[CAL7] https://docs.tigera.io/calico/latest/reference/configure-cni-plugins',
  CAL8: '[CAL8] https://docs.tigera.io/calico/latest/getting-started/kubernetes/requirements',
  CAL15: '[CAL15] https://github.com/projectcalico/libcalico-go/pull/1357',
  CAL16: '[CAL16] https://github.com/projectcalico/calico/pull/1092',
  CIL1: '[CIL1] https://docs.cilium.io/en/stable/network/kubernetes/policy/',
  CIL2: '[CIL2] https://docs.cilium.io/en/stable/security/policy/language/',
  CIL3: '[CIL3] https://docs.cilium.io/en/stable/configuration/sctp/',
  CIL6: '[CIL6] https://github.com/cilium/cilium/issues/16622',
  CIL7: '[CIL7] https://github.com/cilium/cilium/issues/30003',
  CIL10: '[CIL10] cilium PRs #2700, #3605 (https://github.com/cilium/cilium/pull/2700)',
  CIL11: '[CIL11] cilium PR #15321 (https://github.com/cilium/cilium/pull/15321)',
  CIL14: '[CIL14] https://docs.cilium.io/en/stable/cmdref/cilium-agent/',
  ANT1: '[ANT1] https://antrea.io/docs/main/docs/antrea-network-policy/',
  ANT2: '[ANT2] https://github.com/antrea-io/antrea/issues/1764',
  ANT3: '[ANT3] https://github.com/antrea-io/antrea/pull/2190',
  ANT4: '[ANT4] https://github.com/antrea-io/antrea/issues/241',
  ANT8: '[ANT8] https://github.com/antrea-io/antrea (ci/jenkins/test.sh, #3413)',
  KR1: '[KR1] https://github.com/cloudnativelabs/kube-router/blob/master/docs/troubleshoot.md',
  KR4: '[KR4] kube-router #1019, #1080, PR #679 (https://github.com/cloudnativelabs/kube-router/issues/1019)',
  KR5: '[KR5] kube-router pkg/controllers/netpol (https://github.com/cloudnativelabs/kube-router)',
  WV1: '[WV1] https://github.com/weaveworks/weave/blob/master/site/kubernetes/kube-addon.md',
  WV2: '[WV2] weave npc/ source (https://github.com/weaveworks/weave)',
  FL1: '[FL1] https://github.com/flannel-io/flannel',
  OVN1: '[OVN1] https://github.com/ovn-org/ovn-kubernetes/blob/master/docs/design/acls.md',
  OVN2: '[OVN2] ovn-kubernetes go-controller gress_policy (https://github.com/ovn-org/ovn-kubernetes)',
  OVN3: '[OVN3] https://github.com/ovn-org/ovn-kubernetes/issues/2117',
  KNP1: '[KNP1] https://github.com/kubernetes-sigs/kube-network-policies',
  KNP2: '[KNP2] kube-network-policies PR #268 (https://github.com/kubernetes-sigs/kube-network-policies/pull/268)',
  KIND1: '[KIND1] https://github.com/kubernetes-sigs/kind/releases/tag/v0.24.0',
  KIND2: '[KIND2] https://github.com/kubernetes-sigs/kind/issues/3875',
} as const;

/** Difference ids the evaluator applies to verdicts (everything else is information for people and the compiler). */
export const DifferenceIds = {
  noEnforcement: 'no-enforcement',
  ipBlockIgnoresPodIps: 'ipblock-ignores-pod-ips',
  endPortIgnored: 'endport-ignored',
  namedPortOpensAllPorts: 'named-port-opens-all-ports',
  namedPortPolicyIgnored: 'named-port-policy-ignored',
} as const;
export type DifferenceId = (typeof DifferenceIds)[keyof typeof DifferenceIds];

const implementationDefined: readonly CniProfileDifference[] = [
  {
    id: 'established-connections-implementation-defined',
    summary: 'Whether a new policy affects already-established connections is implementation-defined.',
    source: `${sources.K1}; ${sources.K3}`,
  },
  {
    id: 'loopback-implementation-defined',
    summary: 'A pod connecting to itself is treated differently by Calico, Cilium and Antrea; upstream e2e ignores loopback.',
    source: sources.K4,
  },
  {
    id: 'non-l4-undefined',
    summary: 'A deny is only guaranteed for TCP, UDP and SCTP; ICMP, ARP and other protocols are undefined.',
    source: sources.K1,
  },
  {
    id: 'node-traffic',
    summary: 'Ingress from the pod\'s own node (kubelet probes) is allowed; rehearsal models no node endpoints.',
    source: sources.K2,
  },
];

const reference: CniProfile = {
  name: 'reference',
  title: 'Kubernetes API semantics (networking.k8s.io/v1)',
  enforcesPolicy: true,
  ipBlockMatchesPodIps: true,
  endPort: 'supported',
  namedPorts: 'supported',
  establishedSurvivesNewDeny: true,
  sctp: 'supported',
  icmpAlwaysAllowed: [],
  hairpin: 'policy-applies',
  differences: [
    {
      id: 'ipblock-pure-ip-match',
      summary:
        'ipBlock is evaluated as a pure IP match: a CIDR that covers pod IPs selects those pods, as Calico and Antrea do (upstream leaves this undefined).',
      source: `${sources.K1}; ${sources.K5}`,
    },
  ],
  notModelled: implementationDefined,
};

const calico: CniProfile = {
  name: 'calico',
  title: 'Calico (iptables / nftables dataplane)',
  enforcesPolicy: true,
  ipBlockMatchesPodIps: true,
  endPort: 'supported',
  namedPorts: 'supported',
  establishedSurvivesNewDeny: true,
  sctp: 'supported',
  icmpAlwaysAllowed: [],
  hairpin: 'unknown',
  differences: [
    {
      id: 'established-survive',
      summary: 'Policies apply immediately to new connections; existing connections are affected only after they are re-established.',
      source: sources.CAL1,
    },
    { id: 'ipblock-pure-ip-match', summary: 'ipBlock matches pod IPs (pure IP match; passed the cyclonus ipBlock cases).', source: sources.K5 },
    { id: 'endport-supported', summary: 'endPort ranges are enforced.', source: sources.CAL15 },
    {
      id: 'named-ports-per-endpoint',
      summary: 'Named ports are supported and may map to different numbers on different pods.',
      source: sources.CAL16,
    },
    { id: 'sctp-needs-kernel-conntrack', summary: 'SCTP is supported when the kernel has SCTP conntrack.', source: sources.CAL8 },
    {
      id: 'host-to-local-pod-allowed',
      summary: 'Host to local workload traffic (kubelet probes) is always allowed.',
      source: sources.CAL2,
    },
    {
      id: 'nodeport-snat',
      summary: 'External clients via NodePort with externalTrafficPolicy=Cluster are SNATed to the node IP, so ipBlock on client ranges fails.',
      source: sources.CAL6,
    },
    {
      id: 'pod-start-open',
      summary: 'The CNI does not wait for policy before starting a pod by default (policy_setup_timeout_seconds = 0).',
      source: sources.CAL7,
    },
  ],
  notModelled: [
    {
      id: 'pod-to-own-node',
      summary: 'Pod to its own node is subject to egress policy, then DefaultEndpointToHostAction; rehearsal has no node endpoint.',
      source: sources.CAL3,
    },
  ],
};

const calicoEbpf: CniProfile = {
  ...calico,
  name: 'calico-ebpf',
  title: 'Calico (eBPF dataplane)',
  sctp: 'unsupported',
  differences: [
    { id: 'sctp-unsupported', summary: 'SCTP is not supported by the eBPF dataplane (neither policy nor services).', source: sources.CAL4 },
    {
      id: 'source-ip-preserved',
      summary: 'The eBPF dataplane preserves the client source IP for NodePort traffic natively.',
      source: sources.CAL5,
    },
    ...calico.differences.filter((d) => d.id !== 'sctp-needs-kernel-conntrack' && d.id !== 'nodeport-snat'),
  ],
};

const ciliumDifferences: readonly CniProfileDifference[] = [
  {
    id: DifferenceIds.ipBlockIgnoresPodIps,
    summary: 'CIDR rules (ipBlock) do not apply when both ends are Cilium-managed: an ipBlock never selects pods, even 0.0.0.0/0.',
    source: `${sources.CIL2}; ${sources.CIL1}`,
  },
  {
    id: 'established-cut',
    summary: 'Policy is consulted for every forward-direction packet, so a new deny cuts established connections.',
    source: sources.CIL10,
  },
  {
    id: 'sctp-beta',
    summary: 'SCTP is beta behind sctp.enabled=true; no policy for pod to Service VIP; targetPort must equal port.',
    source: sources.CIL3,
  },
  { id: 'icmp-frag-needed', summary: 'ICMP "fragmentation needed" is allowed by default (--allow-icmp-frag-needed).', source: sources.CIL14 },
  {
    id: 'host-to-local-pod-allowed',
    summary: 'Kubernetes automatically allows all communication from the local host (--allow-localhost).',
    source: sources.CIL2,
  },
  { id: 'hairpin-allowed', summary: 'A pod reaching itself through its Service skips policy (service loopback).', source: sources.CIL11 },
];

const ciliumNotModelled: readonly CniProfileDifference[] = [
  {
    id: 'named-port-different-numbers',
    summary:
      'Named ports break when the same name maps to different numbers on different pods; the exact failure is not documented, so it is not modelled (named ports are evaluated as the API says).',
    source: sources.CIL7,
  },
  {
    id: 'ipblock-node-ips',
    summary: 'ipBlock never selects node IPs unless --policy-cidr-match-mode=nodes (v1.15+, beta); rehearsal has no node endpoints.',
    source: sources.CIL2,
  },
];

const cilium: CniProfile = {
  name: 'cilium',
  title: 'Cilium 1.16+',
  enforcesPolicy: true,
  ipBlockMatchesPodIps: false,
  endPort: 'supported',
  namedPorts: 'supported',
  establishedSurvivesNewDeny: false,
  sctp: 'opt-in',
  icmpAlwaysAllowed: ['frag-needed'],
  hairpin: 'always-allowed',
  differences: [
    { id: 'endport-supported', summary: 'endPort is enforced since v1.16 (PR #32807).', source: sources.CIL6 },
    ...ciliumDifferences,
  ],
  notModelled: ciliumNotModelled,
};

const ciliumLegacy: CniProfile = {
  ...cilium,
  name: 'cilium-1.15',
  title: 'Cilium before 1.16',
  endPort: 'ignored-uses-port-only',
  differences: [
    {
      id: DifferenceIds.endPortIgnored,
      summary: 'endPort is silently ignored before v1.16: the range shrinks to its first port (#28684).',
      source: sources.CIL6,
    },
    ...ciliumDifferences,
  ],
};

const antrea: CniProfile = {
  name: 'antrea',
  title: 'Antrea',
  enforcesPolicy: true,
  ipBlockMatchesPodIps: true,
  endPort: 'supported',
  namedPorts: 'supported',
  establishedSurvivesNewDeny: true,
  sctp: 'supported',
  icmpAlwaysAllowed: [],
  hairpin: 'always-allowed',
  differences: [
    { id: 'established-survive', summary: 'Established connections won\'t be blocked by new rules.', source: sources.ANT1 },
    { id: 'ipblock-pure-ip-match', summary: 'ipBlock matches pod IPs (bug #1764 fixed; upstream CIDR tests run in CI).', source: sources.ANT2 },
    { id: 'endport-supported', summary: 'endPort is enforced since v1.1.', source: sources.ANT3 },
    { id: 'named-ports-supported', summary: 'Named ports are supported (an early allow-all bug, #241, was fixed in #242).', source: sources.ANT4 },
    { id: 'sctp-linux-only', summary: 'SCTP is supported on Linux; Windows CI skips SCTP.', source: sources.ANT8 },
    {
      id: 'hairpin-allowed',
      summary: 'Hairpin traffic (a pod to its own Service) is always permitted with AntreaProxy, regardless of ingress rules.',
      source: sources.ANT1,
    },
    { id: 'host-to-local-pod-allowed', summary: 'Kubelet probe traffic bypasses ingress rules.', source: sources.ANT1 },
  ],
  notModelled: [],
};

const kubeRouter: CniProfile = {
  name: 'kube-router',
  title: 'kube-router',
  enforcesPolicy: true,
  ipBlockMatchesPodIps: true,
  endPort: 'supported',
  namedPorts: 'supported',
  establishedSurvivesNewDeny: true,
  sctp: 'unsupported',
  icmpAlwaysAllowed: ['echo-request', 'destination-unreachable', 'time-exceeded'],
  hairpin: 'unknown',
  differences: [
    {
      id: 'icmp-always-allowed',
      summary: 'ICMP echo-request, destination-unreachable and time-exceeded are always allowed to and from policed pods (ping works through a default deny).',
      source: sources.KR5,
    },
    { id: 'sctp-unsupported', summary: 'SCTP is not supported (open feature request #1019).', source: sources.KR4 },
    { id: 'established-survive', summary: 'ESTABLISHED,RELATED traffic is always accepted, so connections survive a new deny.', source: sources.KR1 },
    { id: 'endport-supported', summary: 'endPort is supported since 2021 (#1080).', source: sources.KR4 },
    { id: 'named-ports-supported', summary: 'Named ports are supported (PR #679).', source: sources.KR4 },
    { id: 'ipblock-pure-ip-match', summary: 'ipBlock is an ipset of CIDRs, so it matches pod IPs.', source: sources.KR5 },
    {
      id: 'pod-start-open',
      summary: 'A new pod is reachable before its policy chain exists (fail-open race) unless --netpol-default-deny=true.',
      source: sources.KR1,
    },
    { id: 'local-node-accepted', summary: 'Traffic from the local node is always accepted.', source: sources.KR5 },
  ],
  notModelled: [],
};

const weave: CniProfile = {
  name: 'weave',
  title: 'Weave Net (weave-npc, unmaintained)',
  enforcesPolicy: true,
  ipBlockMatchesPodIps: true,
  endPort: 'ignored-uses-port-only',
  namedPorts: 'policy-ignored',
  establishedSurvivesNewDeny: true,
  sctp: 'unknown',
  icmpAlwaysAllowed: [],
  hairpin: 'unknown',
  differences: [
    {
      id: DifferenceIds.namedPortPolicyIgnored,
      summary: 'weave-npc rejects a policy that uses a named port (error logged): the whole policy is ignored and isolates nothing.',
      source: sources.WV2,
    },
    {
      id: DifferenceIds.endPortIgnored,
      summary: 'Built against k8s.io/api v0.18, which predates endPort: the field is dropped and only port is enforced.',
      source: sources.WV2,
    },
    { id: 'established-survive', summary: 'ESTABLISHED,RELATED traffic is accepted, so connections survive a new deny.', source: sources.WV2 },
    { id: 'ipblock-pure-ip-match', summary: 'ipBlock matches pod IPs.', source: sources.WV2 },
    { id: 'multicast-allowed', summary: 'Multicast is allowed by default (--allow-mcast=false blocks it).', source: sources.WV1 },
    {
      id: 'ingress-masqueraded',
      summary: 'Ingress is masqueraded: ipBlock in ingress rules only makes sense for externalTrafficPolicy=Local or direct pod-IP access.',
      source: sources.WV1,
    },
  ],
  notModelled: [{ id: 'sctp-unknown', summary: 'No source documents Weave\'s SCTP or ICMP handling.', source: sources.WV2 }],
};

const flannel: CniProfile = {
  name: 'flannel',
  title: 'flannel (no NetworkPolicy enforcement)',
  enforcesPolicy: false,
  ipBlockMatchesPodIps: true,
  endPort: 'supported',
  namedPorts: 'supported',
  establishedSurvivesNewDeny: true,
  sctp: 'unknown',
  icmpAlwaysAllowed: [],
  hairpin: 'unknown',
  differences: [
    {
      id: DifferenceIds.noEnforcement,
      summary: 'flannel enforces no NetworkPolicy: objects are accepted by the API server and silently do nothing (use e.g. Calico for policy).',
      source: sources.FL1,
    },
  ],
  notModelled: [],
};

const ovnKubernetes: CniProfile = {
  name: 'ovn-kubernetes',
  title: 'OVN-Kubernetes',
  enforcesPolicy: true,
  ipBlockMatchesPodIps: true,
  endPort: 'supported',
  namedPorts: 'opens-all-ports-of-protocol',
  establishedSurvivesNewDeny: false,
  sctp: 'supported',
  icmpAlwaysAllowed: [],
  hairpin: 'always-allowed',
  differences: [
    {
      id: DifferenceIds.namedPortOpensAllPorts,
      summary: 'Named ports are not implemented: a string port yields port 0, so the rule matches all ports of that protocol (fail-open).',
      source: sources.OVN3,
    },
    { id: 'established-cut', summary: 'ACL changes apply to existing connections, so a new deny cuts them.', source: sources.K6 },
    { id: 'hairpin-allowed', summary: 'Hairpin traffic is always allowed (ACLs for the hairpin masquerade IP).', source: sources.OVN1 },
    { id: 'ipblock-pure-ip-match', summary: 'ipBlock is an ACL on IP, so it matches pod IPs.', source: sources.OVN1 },
    { id: 'endport-supported', summary: 'endPort is supported.', source: sources.OVN2 },
    { id: 'sctp-supported', summary: 'SCTP is supported.', source: sources.OVN2 },
    { id: 'arp-allowed', summary: 'ARP and IPv6 neighbour discovery are always allowed; ICMP is policed.', source: sources.OVN1 },
  ],
  notModelled: [],
};

const kubeNetworkPolicies: CniProfile = {
  name: 'kube-network-policies',
  title: 'kube-network-policies (strict mode)',
  enforcesPolicy: true,
  ipBlockMatchesPodIps: true,
  endPort: 'supported',
  namedPorts: 'supported',
  establishedSurvivesNewDeny: false,
  sctp: 'supported',
  icmpAlwaysAllowed: ['icmpv6-neighbor-discovery'],
  hairpin: 'unknown',
  differences: [
    {
      id: 'established-cut-after-sweep',
      summary: 'With --strict-mode (default since PR #268) a periodic conntrack sweep (at least every 30 s) drops connections no longer allowed.',
      source: sources.KNP2,
    },
    { id: 'icmpv6-nd-allowed', summary: 'ICMPv4 is policed; ICMPv6 neighbour discovery is bypassed.', source: sources.KNP1 },
    { id: 'node-root-traffic-bypass', summary: 'Traffic from root (uid 0) processes on the node bypasses policy.', source: sources.KNP2 },
    { id: 'ipblock-pure-ip-match', summary: 'Enforcement is IP based, so ipBlock matches pod IPs.', source: sources.KNP1 },
  ],
  notModelled: [],
};

const kindnet: CniProfile = {
  ...kubeNetworkPolicies,
  name: 'kindnet',
  title: 'Kindnet (kind >= v0.24, kube-network-policies library)',
  establishedSurvivesNewDeny: true,
  differences: [
    { id: 'established-survive', summary: 'kind\'s kindnetd does not enable strict mode, so established connections survive.', source: sources.KIND1 },
    { id: 'probes-fixed', summary: 'Kubelet probes were blocked by a default deny until the kube-network-policies fix.', source: sources.KIND2 },
    ...kubeNetworkPolicies.differences.filter((d) => d.id !== 'established-cut-after-sweep'),
  ],
};

/** Every known profile by name. `reference` is the API semantics every other profile is compared with. */
export const cniProfiles: Readonly<Record<string, CniProfile>> = Object.freeze({
  reference,
  calico,
  'calico-ebpf': calicoEbpf,
  cilium,
  'cilium-1.15': ciliumLegacy,
  antrea,
  'kube-router': kubeRouter,
  weave,
  flannel,
  'ovn-kubernetes': ovnKubernetes,
  'kube-network-policies': kubeNetworkPolicies,
  kindnet,
});

export const referenceProfileName = 'reference';

/** The API semantics; every ProfileNote compares a profile's outcome with this one. */
export const referenceProfile: CniProfile = reference;

export function listCniProfileNames(): string[] {
  return Object.keys(cniProfiles);
}

/** The profile of that name, or undefined (callers turn that into an error naming the known profiles). */
export function getCniProfile(name: string): CniProfile | undefined {
  return Object.hasOwn(cniProfiles, name) ? cniProfiles[name] : undefined;
}

/** The documented difference of a profile by id (the evaluator cites it in ProfileNotes). */
export function findProfileDifference(profile: CniProfile, id: DifferenceId): CniProfileDifference | undefined {
  return profile.differences.find((d) => d.id === id);
}

function isNamedPort(port: PortMatch): boolean {
  return typeof port.port === 'string';
}

function hasNamedPort(rules: readonly { readonly ports: readonly PortMatch[] }[]): boolean {
  return rules.some((r) => r.ports.some(isNamedPort));
}

/**
 * Does the profile ignore this policy entirely? Weave Net's weave-npc rejects any policy using a named port, so the
 * policy isolates nothing. The nftables compiler calls this too, so both agree on which policies exist.
 */
export function isPolicyIgnoredByProfile(profile: CniProfile, policy: Policy): boolean {
  return profile.namedPorts === 'policy-ignored' && (hasNamedPort(policy.ingress) || hasNamedPort(policy.egress));
}

/** Can this peer select pods by address under the profile? False for ipBlock peers where ipBlock ignores pod IPs (Cilium). */
export function canIpBlockSelectPods(profile: CniProfile, peer: Peer): boolean {
  return peer.kind !== 'ipBlock' || profile.ipBlockMatchesPodIps;
}
