// Wire shapes of the REST API and websocket frames, as zod schemas: the server validates every request
// and frame with them, the web UI validates every response and frame. Imports only engine types.
import { z } from 'zod';
import { Limits } from './limits.ts';

export const sandboxIdSchema = z.string().regex(/^sb-[0-9a-f]{8}$/, 'a sandbox id looks like sb-1a2b3c4d');
export const runIdSchema = z.string().regex(/^run-[0-9a-f]{12}$/, 'a run id looks like run-1a2b3c4d5e6f');
export const dnsLabelSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'lowercase letters, digits and "-", starting and ending alphanumeric');
export const protocolSchema = z.enum(['TCP', 'UDP', 'SCTP']);
export const providerNameSchema = z.enum(['local', 'kind', 'eks', 'gke', 'aks', 'cluster']);
export const sandboxStatusSchema = z.enum(['provisioning', 'ready', 'expiring', 'destroyed', 'failed']);
export const probeOutcomeSchema = z.enum(['allowed', 'denied', 'refused', 'unsupported', 'error']);
export const runKindSchema = z.enum(['expectations', 'matrix', 'generated', 'probe']);
export const runStatusSchema = z.enum(['running', 'passed', 'failed', 'cancelled', 'error']);
export const mismatchSchema = z.enum(['none', 'policy', 'drift', 'both']);
/** `ns/pod`, `external/name`, `svc/ns/name`. */
export const endpointKeySchema = z.string().min(3).max(300).regex(/^[a-z0-9][-a-z0-9.]*(\/[a-z0-9][-a-z0-9.]*){1,2}$/);
export const portSchema = z.union([z.int().min(1).max(65535), z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(15)]);

// ---- requests ----

export const createSandboxRequestSchema = z.strictObject({
  provider: providerNameSchema.default('local'),
  cni: z.string().min(1).max(40).default('reference'),
  /** Absent: the server's default (GET /api/info defaultTtlSeconds, normally Limits.defaultTtlSeconds). */
  ttlSeconds: z.int().min(Limits.minTtlSeconds).max(Limits.maxTtlSeconds).optional(),
  name: dnsLabelSchema.optional(),
  scenario: dnsLabelSchema.optional(),
  /** Extra manifests (YAML text) applied on top of the scenario. */
  manifests: z.string().max(Limits.maxManifestBytes).optional(),
  kubeconfig: z.string().max(256 * 1024).optional(),
});
export type CreateSandboxRequest = z.infer<typeof createSandboxRequestSchema>;

export const extendSandboxRequestSchema = z.strictObject({
  bySeconds: z.int().min(1).max(Limits.maxExtendSeconds),
});

export const policiesRequestSchema = z.strictObject({
  yaml: z.string().max(Limits.maxManifestBytes),
  /** replace: the YAML is the whole policy set; merge: add/replace same-named policies. */
  mode: z.enum(['replace', 'merge']).default('replace'),
  dryRun: z.boolean().default(false),
});

export const probeSpecSchema = z.strictObject({
  from: endpointKeySchema,
  to: endpointKeySchema,
  port: portSchema,
  protocol: protocolSchema.default('TCP'),
});

export const startRunRequestSchema = z.strictObject({
  kind: runKindSchema,
  port: portSchema.optional(),
  protocol: protocolSchema.optional(),
  probe: probeSpecSchema.optional(),
  concurrency: z.int().min(1).max(256).optional(),
});
export type StartRunRequest = z.infer<typeof startRunRequestSchema>;

export const lintRequestSchema = z.strictObject({
  yaml: z.string().max(Limits.maxManifestBytes),
  sandboxId: sandboxIdSchema.optional(),
});

/** A Kubernetes label key (optional DNS-subdomain prefix + name) and value; null removes the label. */
export const labelKeySchema = z
  .string()
  .min(1)
  .max(317)
  .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, 'a label key is [prefix/]name');
export const labelValueSchema = z
  .string()
  .max(63)
  .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/, 'a label value is up to 63 of A-Z a-z 0-9 - _ . starting and ending alphanumeric');

export const labelPodRequestSchema = z.strictObject({
  labels: z.record(labelKeySchema, labelValueSchema.nullable()),
});

export const matrixQuerySchema = z.strictObject({
  port: z.string().max(15).optional(),
  protocol: protocolSchema.optional(),
});

export const explainQuerySchema = z.strictObject({
  from: endpointKeySchema,
  to: endpointKeySchema,
  port: z.string().min(1).max(15),
  protocol: protocolSchema.default('TCP'),
});

export const eventsQuerySchema = z.strictObject({
  /** Events after this sequence number. */
  since: z.string().regex(/^\d{1,15}$/).optional(),
  sandboxId: sandboxIdSchema.optional(),
  limit: z.string().regex(/^\d{1,4}$/).optional(),
});

// ---- responses ----

export const issueSchema = z.object({
  code: z.string(),
  severity: z.enum(['error', 'warning', 'info']),
  file: z.string(),
  line: z.number(),
  path: z.string(),
  message: z.string(),
  fix: z.string(),
  object: z.string().optional(),
});

export const providerViewSchema = z.object({
  provider: providerNameSchema,
  isAvailable: z.boolean(),
  cnis: z.array(z.string()),
  problems: z.array(z.object({ check: z.string(), message: z.string(), fix: z.string() })),
});

export const scenarioSummarySchema = z.object({
  name: z.string(),
  title: z.string(),
  description: z.string(),
});

export const scenarioViewSchema = scenarioSummarySchema.extend({
  teaches: z.array(z.string()),
  yaml: z.string(),
  expectations: z.number(),
  pods: z.number(),
  policies: z.number(),
});

export const podViewSchema = z.object({
  key: z.string(),
  namespace: z.string(),
  name: z.string(),
  ips: z.array(z.string()),
  labels: z.record(z.string(), z.string()),
  ports: z.array(z.object({ name: z.string().optional(), port: z.number(), protocol: protocolSchema })),
  isSystem: z.boolean(),
});

export const policyViewSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  policyTypes: z.array(z.enum(['Ingress', 'Egress'])),
  yaml: z.string(),
});

export const sandboxViewSchema = z.object({
  id: sandboxIdSchema,
  name: z.string().optional(),
  provider: providerNameSchema,
  cni: z.string(),
  owner: z.string(),
  scenario: z.string().optional(),
  status: sandboxStatusSchema,
  createdAt: z.string(),
  expiresAt: z.string(),
  failure: z.string().optional(),
  progress: z.array(z.object({ step: z.string(), message: z.string(), fraction: z.number().optional(), at: z.string() })),
});
export type SandboxView = z.infer<typeof sandboxViewSchema>;

export const sandboxDetailSchema = sandboxViewSchema.extend({
  pods: z.array(podViewSchema),
  policies: z.array(policyViewSchema),
  services: z.array(z.object({ key: z.string(), clusterIP: z.string(), ports: z.array(z.object({ port: z.number(), protocol: protocolSchema })) })),
  externals: z.array(z.object({ key: z.string(), ip: z.string(), ports: z.array(z.object({ port: z.number(), protocol: protocolSchema })) })),
});
export type SandboxDetail = z.infer<typeof sandboxDetailSchema>;

export const attributionSchema = z.object({
  direction: z.enum(['Egress', 'Ingress']),
  subject: z.string(),
  policies: z.array(z.object({ namespace: z.string(), name: z.string() })),
  evidence: z.string(),
});

/** One probe of a run with its three views. */
export const runResultSchema = z.object({
  id: z.string(),
  from: z.string(),
  to: z.string(),
  port: z.number(),
  portName: z.string().optional(),
  protocol: protocolSchema,
  expectationId: z.string().optional(),
  /** Intent: what a person wrote (absent for matrix probes). */
  expected: z.enum(['allowed', 'denied']).optional(),
  predicted: z.enum(['allowed', 'denied']),
  observed: probeOutcomeSchema,
  latencyMs: z.number(),
  /** One line from the engine: which policy and rule decided it. */
  reason: z.string(),
  attribution: attributionSchema.optional(),
  detail: z.string().optional(),
  mismatch: mismatchSchema,
  isFlaky: z.boolean(),
  attempts: z.array(z.object({ observed: probeOutcomeSchema, latencyMs: z.number(), at: z.string() })),
});
export type RunResult = z.infer<typeof runResultSchema>;

export const runSummarySchema = z.object({
  total: z.number(),
  passed: z.number(),
  policyMismatches: z.number(),
  driftMismatches: z.number(),
  unsupported: z.number(),
  errors: z.number(),
  flaky: z.number(),
});

export const runViewSchema = z.object({
  id: z.string(),
  sandboxId: sandboxIdSchema,
  kind: runKindSchema,
  cni: z.string(),
  policyDigest: z.string(),
  status: runStatusSchema,
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  summary: runSummarySchema,
  results: z.array(runResultSchema),
});
export type RunView = z.infer<typeof runViewSchema>;

export const matrixCellSchema = z.object({
  from: z.string(),
  to: z.string(),
  port: z.number(),
  portName: z.string().optional(),
  protocol: protocolSchema,
  intent: z.enum(['allowed', 'denied']).optional(),
  prediction: z.enum(['allowed', 'denied']),
  observation: probeOutcomeSchema.optional(),
  mismatch: mismatchSchema,
  isLoopback: z.boolean(),
});

export const matrixViewSchema = z.object({
  sandboxId: sandboxIdSchema,
  port: z.number().optional(),
  protocol: protocolSchema.optional(),
  rows: z.array(z.string()),
  columns: z.array(z.string()),
  cells: z.array(matrixCellSchema),
  observedRunId: z.string().optional(),
});
export type MatrixView = z.infer<typeof matrixViewSchema>;

export const explainViewSchema = z.object({
  from: z.string(),
  to: z.string(),
  port: z.number(),
  protocol: protocolSchema,
  isAllowed: z.boolean(),
  summary: z.string(),
  lines: z.array(z.string()),
});

/** One flow a policy change flips, with the deciding policies before and after. */
export const flowChangeSchema = z.object({
  change: z.enum(['newly-allowed', 'newly-denied']),
  from: z.string(),
  to: z.string(),
  port: z.number(),
  portName: z.string().optional(),
  protocol: protocolSchema,
  before: z.string(),
  after: z.string(),
});

export const applyPoliciesResponseSchema = z.object({
  isApplied: z.boolean(),
  issues: z.array(issueSchema),
  lint: z.array(issueSchema),
  enforcedAfterMs: z.number().optional(),
  changes: z.object({ newlyAllowed: z.number(), newlyDenied: z.number() }),
  /** One line: "newly denies 3 flows, newly allows 1" (or "changes no flow"). */
  summary: z.string(),
  /** The flipped flows, at most `maxListedFlowChanges` of them (`changes` has the full counts). */
  flows: z.array(flowChangeSchema),
  policies: z.array(policyViewSchema),
});
export type ApplyPoliciesResponse = z.infer<typeof applyPoliciesResponseSchema>;
export const maxListedFlowChanges = 200;

export const labelPodResponseSchema = z.object({
  pod: podViewSchema,
  /** What the relabelling does to traffic: "this change newly denies 2 flows". */
  summary: z.string(),
});
export type LabelPodResponse = z.infer<typeof labelPodResponseSchema>;

export const lintResponseSchema = z.object({ issues: z.array(issueSchema) });

export const rulesViewSchema = z.object({ sandboxId: sandboxIdSchema, text: z.string() });

export const runListSchema = z.array(runViewSchema.omit({ results: true }));

export const healthSchema = z.object({ status: z.literal('ok'), version: z.string(), uptimeSeconds: z.number() });

/** What this server allows, so the UI can bound its inputs (the server's configuration, within Limits). */
export const serverInfoSchema = z.object({
  version: z.string(),
  defaultTtlSeconds: z.number(),
  maxTtlSeconds: z.number(),
  maxLiveSandboxes: z.number(),
  maxProvisioning: z.number(),
  maxPodsPerSandbox: z.number(),
  maxProbesPerRun: z.number(),
  ttlWarningSeconds: z.array(z.number()),
  isTokenRequired: z.boolean(),
});

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    requestId: z.string(),
    issues: z.array(issueSchema).optional(),
  }),
});

// ---- websocket: events channel (/api/ws/events), server → client ----

export const eventFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), serverVersion: z.string(), at: z.string() }),
  /** Lifecycle: created, ready, extended, expiring, destroyed, failed. `reason` says why (e.g. "expired after 30m"). */
  z.object({ type: z.literal('sandbox'), sandbox: sandboxViewSchema, reason: z.string().optional() }),
  z.object({
    type: z.literal('progress'),
    sandboxId: sandboxIdSchema,
    step: z.string(),
    message: z.string(),
    fraction: z.number().optional(),
    at: z.string(),
  }),
  z.object({ type: z.literal('ttl-warning'), sandboxId: sandboxIdSchema, secondsLeft: z.number(), at: z.string() }),
  z.object({ type: z.literal('run'), run: runViewSchema.omit({ results: true }) }),
  z.object({ type: z.literal('result'), runId: z.string(), sandboxId: sandboxIdSchema, result: runResultSchema }),
  /** The enforced state changed (policies applied or deleted, pod labels): `change` says what, in one line. */
  z.object({ type: z.literal('policies'), sandboxId: sandboxIdSchema, count: z.number(), at: z.string(), change: z.string().optional() }),
  /** Frames were dropped because this client read too slowly. */
  z.object({ type: z.literal('dropped'), count: z.number() }),
  z.object({ type: z.literal('pong'), at: z.string() }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
export type EventFrame = z.infer<typeof eventFrameSchema>;

/** What a client may send on the events channel: only keep-alive pings (the channel is server → client). */
export const eventClientFrameSchema = z.discriminatedUnion('type', [z.object({ type: z.literal('ping') })]);
export type EventClientFrame = z.infer<typeof eventClientFrameSchema>;

/** Stored events (GET /api/events), oldest first, for a client catching up after a reconnect. */
export const eventListSchema = z.object({ events: z.array(z.object({ seq: z.number(), frame: eventFrameSchema })) });

// ---- websocket: terminal channel (/api/ws/sandboxes/:id/terminal), both directions ----

export const terminalClientFrameSchema = z.discriminatedUnion('type', [
  /** Keystrokes as typed (xterm onData). */
  z.object({ type: z.literal('input'), data: z.string().max(Limits.maxTerminalInputBytes) }),
  z.object({ type: z.literal('resize'), cols: z.int().min(10).max(1000), rows: z.int().min(2).max(500) }),
  z.object({ type: z.literal('ping') }),
]);
export type TerminalClientFrame = z.infer<typeof terminalClientFrameSchema>;

export const terminalServerFrameSchema = z.discriminatedUnion('type', [
  /** ANSI text to write to the terminal. */
  z.object({ type: z.literal('output'), data: z.string() }),
  /** Replayed recent output after a (re)connect. */
  z.object({ type: z.literal('history'), data: z.string() }),
  z.object({ type: z.literal('pong') }),
  z.object({ type: z.literal('closed'), reason: z.string() }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
export type TerminalServerFrame = z.infer<typeof terminalServerFrameSchema>;
