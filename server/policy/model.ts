// The engine's normalized model: what a cluster, its policies and a flow are once parsed and validated.
// Pure types and closed sets only; no behaviour lives here.

export const Protocols = { TCP: 'TCP', UDP: 'UDP', SCTP: 'SCTP' } as const;
export type Protocol = (typeof Protocols)[keyof typeof Protocols];
export const protocolList: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

export const Directions = { Ingress: 'Ingress', Egress: 'Egress' } as const;
export type Direction = (typeof Directions)[keyof typeof Directions];

export const Severities = { error: 'error', warning: 'warning', info: 'info' } as const;
export type Severity = (typeof Severities)[keyof typeof Severities];

export type Labels = Readonly<Record<string, string>>;

/** Where an object came from, so every issue and explanation can point at a file and line. */
export interface SourceRef {
  readonly file: string;
  /** 1-based line of the object's first line in the file (0 when unknown, e.g. synthesized objects). */
  readonly line: number;
  /** 0-based index of the YAML document within the file. */
  readonly docIndex: number;
  /** Path of the object inside its document when nested (`items[2]` in a List), '' at the top. */
  readonly path: string;
}

/**
 * A problem in user input. Parse, validate and lint return every one found, never throw.
 * `path` is the YAML path inside the object (`spec.ingress[0].from[1].ipBlock.cidr`).
 */
export interface Issue {
  readonly code: string;
  readonly severity: Severity;
  readonly file: string;
  readonly line: number;
  readonly path: string;
  readonly message: string;
  readonly fix: string;
  /** `Kind namespace/name` of the object the issue is about, when known. */
  readonly object?: string;
}

export const SelectorOperators = { In: 'In', NotIn: 'NotIn', Exists: 'Exists', DoesNotExist: 'DoesNotExist' } as const;
export type SelectorOperator = (typeof SelectorOperators)[keyof typeof SelectorOperators];

export interface SelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

/** A validated metav1.LabelSelector. Both lists empty = matches everything. */
export interface Selector {
  readonly matchLabels: Labels;
  readonly matchExpressions: readonly SelectorRequirement[];
}

export interface Namespace {
  readonly name: string;
  /** Includes `kubernetes.io/metadata.name: <name>`, as the API server adds it. */
  readonly labels: Labels;
  readonly source: SourceRef;
  /** True when rehearsal created it implicitly (referenced but not declared, or a system namespace). */
  readonly isImplicit: boolean;
}

export interface ContainerPort {
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol: Protocol;
}

export interface Container {
  readonly name: string;
  readonly ports: readonly ContainerPort[];
}

export interface WorkloadRef {
  readonly kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet' | 'Job' | 'Pod';
  readonly name: string;
}

export interface Pod {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  readonly annotations: Labels;
  /** Every address of the pod; the first is the primary. Deterministic IPAM or the Calico ipAddrs annotation. */
  readonly ips: readonly string[];
  readonly containers: readonly Container[];
  /** The controller that owns it, or itself (kind Pod) for bare pods. */
  readonly workload: WorkloadRef;
  readonly source: SourceRef;
  /** System pods (the cluster DNS) are part of the network but left out of matrices by default. */
  readonly isSystem: boolean;
}

export interface ServicePort {
  readonly name?: string;
  readonly port: number;
  readonly targetPort: number | string;
  readonly protocol: Protocol;
}

export interface Service {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  /** Null: a Service without selector (no endpoints computed). */
  readonly selector: Labels | null;
  /** Assigned from the service CIDR, or 'None' for headless services. */
  readonly clusterIP: string;
  readonly ports: readonly ServicePort[];
  readonly source: SourceRef;
  readonly isSystem: boolean;
}

/** `apiVersion: rehearsal.dev/v1alpha1, kind: ExternalEndpoint`: something outside the cluster. */
export interface ExternalEndpoint {
  readonly name: string;
  readonly ip: string;
  readonly ports: readonly { readonly port: number; readonly protocol: Protocol }[];
  readonly hostnames: readonly string[];
  readonly source: SourceRef;
}

export interface IpBlock {
  readonly cidr: string;
  readonly except: readonly string[];
}

/** One element of `from`/`to`. `path` points at it (`spec.ingress[0].from[1]`). */
export type Peer =
  | {
      readonly kind: 'selector';
      /** Absent: all pods (in the selected namespaces). */
      readonly podSelector?: Selector;
      /** Absent: the policy's own namespace only. Present and empty: all namespaces. */
      readonly namespaceSelector?: Selector;
      readonly path: string;
    }
  | { readonly kind: 'ipBlock'; readonly ipBlock: IpBlock; readonly path: string };

export interface PortMatch {
  /** Defaults to TCP, as the API does. */
  readonly protocol: Protocol;
  /** Absent: all ports of the protocol. A string is a named port resolved on the destination pod. */
  readonly port?: number | string;
  readonly endPort?: number;
  readonly path: string;
}

export interface Rule {
  readonly index: number;
  /** `from`/`to` was missing or empty: every source/destination. */
  readonly matchesAllPeers: boolean;
  readonly peers: readonly Peer[];
  /** `ports` was missing or empty: every port. */
  readonly matchesAllPorts: boolean;
  readonly ports: readonly PortMatch[];
  readonly path: string;
}

export interface PolicyRef {
  readonly namespace: string;
  readonly name: string;
}

export interface Policy extends PolicyRef {
  readonly podSelector: Selector;
  /** After defaulting: Ingress always unless given; Egress when spec.egress is present. */
  readonly policyTypes: readonly Direction[];
  /** Whether spec.policyTypes was written (lint uses this). */
  readonly hasExplicitPolicyTypes: boolean;
  readonly ingress: readonly Rule[];
  readonly egress: readonly Rule[];
  readonly labels: Labels;
  readonly source: SourceRef;
}

/** The whole desired state of a sandbox: topology plus policies. Sorted, deterministic. */
export interface Cluster {
  readonly namespaces: readonly Namespace[];
  readonly pods: readonly Pod[];
  readonly services: readonly Service[];
  readonly externals: readonly ExternalEndpoint[];
  readonly policies: readonly Policy[];
  readonly podCidr: string;
  readonly serviceCidr: string;
  /** ClusterIP of the kube-dns service, which the local sandbox's resolver answers on. */
  readonly dnsServiceIp: string;
}

/** Something a flow starts or ends at. Services are translated to pods before evaluation. */
export type EndpointRef =
  | { readonly kind: 'pod'; readonly namespace: string; readonly name: string }
  | { readonly kind: 'external'; readonly name: string };

export type TargetRef =
  | EndpointRef
  | { readonly kind: 'service'; readonly namespace: string; readonly name: string };

/** `ns/pod`, `external/name` (and `svc/ns/name` for services): the text form used by the CLI and JSON output. */
export type EndpointKey = string;

export interface Flow {
  readonly from: EndpointRef;
  readonly to: EndpointRef;
  /** A number, or a port name resolved against the destination pod's containers. */
  readonly port: number | string;
  readonly protocol: Protocol;
  /** Which address family the connection uses; defaults to the destination's primary address family. */
  readonly ipFamily?: 'IPv4' | 'IPv6';
}

// ---- Scenarios (intent) ----

/** How an expectation names the pods on one side. Every selected pod must satisfy the expectation. */
export type ExpectationSide =
  | { readonly kind: 'pod'; readonly namespace: string; readonly name: string }
  | { readonly kind: 'workload'; readonly namespace: string; readonly name: string }
  | { readonly kind: 'service'; readonly namespace: string; readonly name: string }
  | { readonly kind: 'external'; readonly name: string }
  | {
      readonly kind: 'selector';
      /** Absent: every namespace. */
      readonly namespace?: string;
      readonly podSelector: Selector;
    };

export interface CniOverride {
  readonly cni: string;
  readonly allowed: boolean;
  /** Why this CNI differs, with its source (shown in drift reports). */
  readonly reason: string;
}

export interface Expectation {
  /** Stable id (given, or derived from the index): `expectations[3]` or the author's name. */
  readonly id: string;
  readonly description?: string;
  readonly from: ExpectationSide;
  readonly to: ExpectationSide;
  readonly port: number | string;
  readonly protocol: Protocol;
  readonly allowed: boolean;
  readonly overrides: readonly CniOverride[];
  readonly path: string;
  /** 1-based line of the expectation in its scenario file (absent when built in code). */
  readonly line?: number;
}

export interface ScenarioVariant {
  readonly name: string;
  readonly description: string;
  /** NetworkPolicies that replace same-named ones of the base (or are added). */
  readonly policies: readonly Policy[];
  /** Names (namespace/name) of base policies the variant removes. */
  readonly removes: readonly PolicyRef[];
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly teaches: readonly string[];
  readonly expectations: readonly Expectation[];
  /** Ids of expectations that fail on the base manifests by design (a debugging exercise); every variant passes all. */
  readonly brokenExpectations: readonly string[];
  readonly variants: readonly ScenarioVariant[];
  readonly source: SourceRef;
}

// ---- Verdicts (prediction) ----

export interface RuleMatch {
  readonly policy: PolicyRef;
  readonly direction: Direction;
  readonly ruleIndex: number;
  /** Null when the rule admits every peer (`from`/`to` empty). */
  readonly peerIndex: number | null;
  /** Null when the rule admits every port. */
  readonly portIndex: number | null;
  /** YAML path of the rule (`spec.ingress[0]`). */
  readonly path: string;
}

/** Why one part of a rule did not match the flow; rendered to text by explain.ts only. */
export type Mismatch =
  | { readonly kind: 'port'; readonly wanted: string; readonly ruleHas: string; readonly path: string }
  | { readonly kind: 'named-port-missing'; readonly portName: string; readonly pod: string; readonly path: string }
  | { readonly kind: 'protocol'; readonly wanted: Protocol; readonly ruleHas: Protocol; readonly path: string }
  | {
      readonly kind: 'pod-selector';
      readonly selector: Selector;
      readonly pod: string;
      readonly podLabels: Labels;
      readonly path: string;
    }
  | {
      readonly kind: 'namespace-selector';
      readonly selector: Selector;
      readonly namespace: string;
      readonly namespaceLabels: Labels;
      readonly path: string;
    }
  | { readonly kind: 'other-namespace'; readonly policyNamespace: string; readonly peerNamespace: string; readonly path: string }
  | { readonly kind: 'ip-not-in-cidr'; readonly ip: string; readonly cidr: string; readonly path: string }
  | { readonly kind: 'ip-excepted'; readonly ip: string; readonly cidr: string; readonly except: string; readonly path: string }
  | { readonly kind: 'peer-is-external'; readonly endpoint: string; readonly path: string }
  | { readonly kind: 'profile'; readonly profile: string; readonly note: string; readonly path: string };

export interface NearMiss {
  readonly policy: PolicyRef;
  readonly direction: Direction;
  readonly ruleIndex: number;
  readonly path: string;
  /** What did match (e.g. the port), to phrase "rule 0 matches port 80/TCP but ...". */
  readonly matched: readonly ('peer' | 'port')[];
  readonly mismatches: readonly Mismatch[];
}

export const DirectionOutcomes = {
  /** No policy isolates the pod for this direction. */
  notIsolated: 'not-isolated',
  /** Isolated, and at least one rule admits the flow. */
  allowedByRule: 'allowed-by-rule',
  /** Isolated, and no rule of the isolating policies admits the flow. */
  deniedNoRule: 'denied-no-rule',
  /** The endpoint is outside the cluster: no NetworkPolicy applies on its side. */
  notApplicable: 'not-applicable',
  /** The CNI profile enforces nothing (flannel). */
  notEnforced: 'not-enforced',
} as const;
export type DirectionOutcome = (typeof DirectionOutcomes)[keyof typeof DirectionOutcomes];

export interface DirectionVerdict {
  readonly direction: Direction;
  /** The pod whose policies decide this direction (`ns/name`), absent for external endpoints. */
  readonly subject?: string;
  readonly outcome: DirectionOutcome;
  readonly isAllowed: boolean;
  readonly isolatingPolicies: readonly PolicyRef[];
  readonly allowedBy: readonly RuleMatch[];
  /** For denials: the closest rule of each isolating policy, best first. */
  readonly nearMisses: readonly NearMiss[];
}

/** A documented CNI behaviour that changed this verdict compared with the API reference. */
export interface ProfileNote {
  readonly profile: string;
  readonly difference: string;
  readonly note: string;
  readonly source: string;
}

export interface ResolvedEndpoint {
  readonly key: EndpointKey;
  readonly ref: EndpointRef;
  readonly ip: string;
}

export interface Verdict {
  readonly from: ResolvedEndpoint;
  readonly to: ResolvedEndpoint;
  readonly port: number;
  /** The name when the flow asked for a named port. */
  readonly portName?: string;
  readonly protocol: Protocol;
  readonly isAllowed: boolean;
  readonly egress: DirectionVerdict;
  readonly ingress: DirectionVerdict;
  readonly profile: string;
  readonly profileNotes: readonly ProfileNote[];
}

/** Evaluation problems that are the caller's (unknown pod, port name the destination lacks). Data, not exceptions. */
export interface FlowError {
  readonly code: 'unknown-endpoint' | 'unknown-port-name' | 'no-address-in-family' | 'invalid-port' | 'unknown-profile';
  readonly message: string;
  readonly fix: string;
}

export type FlowResult = { readonly ok: true; readonly verdict: Verdict } | { readonly ok: false; readonly error: FlowError };
