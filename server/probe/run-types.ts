// The shapes of a test run: what is planned (intent + prediction per probe), what each probe observed, and the
// run as the server and web UI show it. RunResult, RunSummary and RunView match the wire schemas in
// server/api/protocol/schemas.ts field for field (a unit test proves the two mutually assignable).
import type { CniOverride, Cluster, EndpointKey, PolicyRef, ProfileNote, Protocol } from '../policy/index.ts';
import type { ProbeOutcome, ProbeRequest } from '../sandbox/contract.ts';

export const RunKinds = { expectations: 'expectations', matrix: 'matrix', generated: 'generated', probe: 'probe' } as const;
export type RunKind = (typeof RunKinds)[keyof typeof RunKinds];

export const RunStatuses = { running: 'running', passed: 'passed', failed: 'failed', cancelled: 'cancelled', error: 'error' } as const;
export type RunStatus = (typeof RunStatuses)[keyof typeof RunStatuses];

/**
 * Which of the three views disagree. `policy`: intent ≠ prediction (the policies are wrong). `drift`: prediction ≠
 * observation (the network differs from the API semantics). `both`: both at once.
 */
export const MismatchKinds = { none: 'none', policy: 'policy', drift: 'drift', both: 'both' } as const;
export type MismatchKind = (typeof MismatchKinds)[keyof typeof MismatchKinds];

/** A verdict as one word: what a person expects, or what the engine predicts. */
export type Reachability = 'allowed' | 'denied';

export interface RunAttempt {
  readonly observed: ProbeOutcome;
  readonly latencyMs: number;
  /** ISO time the attempt finished. */
  readonly at: string;
}

/** Which side dropped a denied probe (the contract's DropAttribution, with plain arrays as the wire has them). */
export interface RunAttribution {
  readonly direction: 'Egress' | 'Ingress';
  readonly subject: string;
  readonly policies: PolicyRef[];
  readonly evidence: string;
}

// Arrays in the wire shapes are plain (not readonly) so the zod-inferred types and these are mutually assignable.

/** One probe of a run with its three views (the wire's `runResultSchema`). */
export interface RunResult {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly portName?: string | undefined;
  readonly protocol: Protocol;
  readonly expectationId?: string | undefined;
  /** Intent: what a person wrote (absent for matrix probes). */
  readonly expected?: Reachability | undefined;
  readonly predicted: Reachability;
  /** The last attempt's outcome (after a re-probe, the settled one). */
  readonly observed: ProbeOutcome;
  readonly latencyMs: number;
  /** One line from the engine: which policy and rule decided it. */
  readonly reason: string;
  readonly attribution?: RunAttribution | undefined;
  readonly detail?: string | undefined;
  readonly mismatch: MismatchKind;
  /** The attempts disagreed with each other: reported, never hidden. */
  readonly isFlaky: boolean;
  readonly attempts: RunAttempt[];
}

export interface RunSummary {
  readonly total: number;
  /** Results whose three views agree (unsupported, refused-by-nothing-listening and errors never pass). */
  readonly passed: number;
  /** Results with mismatch `policy` or `both`. */
  readonly policyMismatches: number;
  /** Results with mismatch `drift` or `both`. */
  readonly driftMismatches: number;
  readonly unsupported: number;
  /** Probes that proved nothing: `error`, or `refused` where the flow is predicted allowed (nothing listening). */
  readonly errors: number;
  readonly flaky: number;
}

/** A run as the server stores and the web UI shows it (the wire's `runViewSchema`). */
export interface RunView {
  readonly id: string;
  readonly sandboxId: string;
  readonly kind: RunKind;
  readonly cni: string;
  readonly policyDigest: string;
  readonly status: RunStatus;
  readonly startedAt: string;
  readonly finishedAt?: string | undefined;
  readonly summary: RunSummary;
  readonly results: RunResult[];
}

/** What a run is asked to do (the wire's `startRunRequestSchema` without concurrency). */
export interface RunRequest {
  readonly kind: RunKind;
  /** Matrix runs: only this port (a number or a container port name). */
  readonly port?: number | string;
  readonly protocol?: Protocol;
  /** Probe runs: the one flow (`ns/pod`, `external/name`, `svc/ns/name`). */
  readonly probe?: { readonly from: EndpointKey; readonly to: EndpointKey; readonly port: number | string; readonly protocol: Protocol };
}

/** A service backend's own prediction, for probes through a ClusterIP (the router picks the backend). */
export interface BackendPrediction {
  readonly backend: EndpointKey;
  readonly predicted: Reachability;
  readonly reason: string;
}

/** One probe to send, with everything known before any packet: intent, prediction and the engine's explanation. */
export interface PlannedRunProbe {
  readonly request: ProbeRequest;
  readonly from: EndpointKey;
  /** The pod or external endpoint, or `svc/ns/name` when the probe goes through the Service's ClusterIP. */
  readonly to: EndpointKey;
  readonly port: number;
  readonly portName?: string;
  readonly protocol: Protocol;
  readonly expectationId?: string;
  readonly expected?: Reachability;
  /** The scenario's per-CNI override that set `expected`, with its documented reason. */
  readonly override?: CniOverride;
  readonly predicted: Reachability;
  /** One line: which policy and rule decided it. */
  readonly reason: string;
  /** The engine's full explanation (explainVerdict), one line per entry. */
  readonly explanation: readonly string[];
  /** `ns/policy spec.ingress[0]` of admitting rules, or the isolating policies of a denial. */
  readonly decidedBy: readonly string[];
  /** For a denial: the closest rule and why it does not match; for an allowed flow: the rule that admits it. */
  readonly nearestRule?: string;
  /** Documented CNI behaviours that changed this prediction compared with the API reference. */
  readonly profileNotes: readonly ProfileNote[];
  /** Service probes: each backend's prediction (they all agree, or the probe would target backends directly). */
  readonly backends?: readonly BackendPrediction[];
}

/** An expectation of the scenario (or a generated one) as a test case: one JUnit testcase over its probes. */
export interface PlannedExpectation {
  readonly id: string;
  readonly description?: string;
  /** `<from> -> <to> <port>/<proto> expect <allowed|denied>`. */
  readonly label: string;
  readonly expected: Reachability;
  readonly override?: CniOverride;
  /** Ids of the probes that check it. */
  readonly probeIds: readonly string[];
  /** Listed in the scenario's brokenExpectations (fails on the base manifests by design). */
  readonly isKnownBroken: boolean;
  /** Where it is written (`scenarios/x.yaml:42 expectations[3]`), when known. */
  readonly location?: string;
}

export interface SkippedRunFlow {
  readonly from: EndpointKey;
  readonly to: EndpointKey;
  readonly port: number | string;
  readonly protocol: Protocol;
  readonly expectationId?: string;
  readonly why: string;
}

/** A problem of the input found while planning (unknown pod, empty selector, no scenario): data, with a fix. */
export interface RunPlanProblem {
  readonly code: string;
  readonly message: string;
  readonly fix: string;
  readonly expectationId?: string;
  /** YAML path of the part at fault (`expectations[2].to`). */
  readonly path?: string;
}

export interface RunPlan {
  readonly kind: RunKind;
  /** The CNI profile predictions and overrides are computed for. */
  readonly profile: string;
  /** sha256 of the policy set, so a stored run names exactly what it tested. */
  readonly policyDigest: string;
  /** The desired state the probes were planned against. */
  readonly cluster: Cluster;
  readonly scenarioName?: string;
  readonly probes: readonly PlannedRunProbe[];
  /** Expectation and generated runs: the test cases, in scenario order. */
  readonly expectations: readonly PlannedExpectation[];
  readonly skipped: readonly SkippedRunFlow[];
  readonly problems: readonly RunPlanProblem[];
}

/** A finished run: the view plus the plan it ran (reports need the explanations and test cases). */
export interface CompletedRun {
  readonly view: RunView;
  readonly plan: RunPlan;
}

/** How strict the exit code is; see docs/ci.md. */
export const FailOnModes = { mismatch: 'mismatch', drift: 'drift', any: 'any' } as const;
export type FailOnMode = (typeof FailOnModes)[keyof typeof FailOnModes];
