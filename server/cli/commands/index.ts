// Every `rehearse` command, one line each. To add one: write commands/<name>.ts exporting
// `command: CommandModule` (see ../command.ts) and append its line here, in the group it belongs to.
import type { CommandEntry } from '../command.ts';

export const commandEntries: readonly CommandEntry[] = [
  { name: 'matrix', group: 'engine', summary: 'Predict who can reach whom, as a truth table per port', load: () => import('./matrix.ts') },
  { name: 'explain', group: 'engine', summary: 'Explain which policy and rule decide one flow', load: () => import('./explain.ts') },
  { name: 'lint', group: 'engine', summary: 'Find mistakes in NetworkPolicies: typos, DNS, hidden allow-alls', load: () => import('./lint.ts') },
  { name: 'diff', group: 'engine', summary: 'Show the flows a policy change newly allows or denies', load: () => import('./diff.ts') },
  { name: 'generate', group: 'engine', summary: 'Generate expectations that probe just inside and outside every rule', load: () => import('./generate.ts') },
  { name: 'scenarios', group: 'engine', summary: 'List the canned scenarios or show one', load: () => import('./scenarios.ts') },
  { name: 'up', group: 'sandbox', summary: 'Create a sandbox (local, kind, eks, gke, aks, cluster) from manifests; it ends at its TTL', load: () => import('./up.ts') },
  { name: 'ls', group: 'sandbox', summary: 'List sandboxes with their CNI, pods, status and time left', load: () => import('./ls.ts') },
  { name: 'apply', group: 'sandbox', summary: 'Reconcile a running sandbox to new manifests (one atomic ruleset change)', load: () => import('./apply.ts') },
  { name: 'sandbox', group: 'sandbox', summary: "Show a sandbox's enforced ruleset (rules) or move its expiry (extend)", load: () => import('./sandbox.ts') },
  { name: 'down', group: 'sandbox', summary: 'Destroy a sandbox now, leaving nothing behind', load: () => import('./down.ts') },
  { name: 'reap', group: 'sandbox', summary: 'Remove expired sandboxes of every provider (and half-built local ones)', load: () => import('./reap.ts') },
  { name: 'providers', group: 'sandbox', summary: 'List providers: available here or not, their CNIs, and what is missing', load: () => import('./providers.ts') },
  { name: 'probe', group: 'test', summary: 'Probe the full matrix in a throw-away sandbox and compare with the prediction', load: () => import('./probe.ts') },
  { name: 'test', group: 'test', summary: 'Test expectations with real packets per CNI; JUnit/JSON/TAP reports and exit codes for CI', load: () => import('./test.ts') },
  { name: 'drift', group: 'test', summary: 'Run the same manifests under several CNIs and show the flows whose outcome differs', load: () => import('./drift.ts') },
  { name: 'serve', group: 'server', summary: 'Serve the web UI, REST API and websockets; sandboxes on request, torn down at their TTL', load: () => import('./serve.ts') },
];
