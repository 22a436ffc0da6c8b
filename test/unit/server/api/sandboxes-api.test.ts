// The REST API end to end on a real server (ephemeral port, real HTTP), with the provider TEST DOUBLE: no root,
// no packets; observed outcomes are the engine's predictions unless scripted. Enforcement is tested with the
// real local provider in test/integration/server-local.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameClient, pick, send, startTestServer, waitUntil, wsUrl } from './test-server.ts';
import type { TestServer } from './test-server.ts';

const denyReporting = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-reporting
  namespace: reporting
spec:
  podSelector: {}
  policyTypes: [Ingress]
`;

let test: TestServer;
let events: FrameClient;
let sandboxId = '';

async function waitForRun(runId: string): Promise<unknown> {
  let run: unknown;
  await waitUntil(async () => {
    run = (await send(`${test.origin}/api/runs/${runId}`)).json;
    return pick(run, 'status') !== 'running';
  }, 10_000, `run ${runId} to end`);
  return run;
}

beforeAll(async () => {
  test = await startTestServer();
  events = new FrameClient(wsUrl(test.origin, '/api/ws/events'));
  await events.opened;
});

afterAll(async () => {
  events.close();
  await test.stop();
});

describe('sandboxes over REST', () => {
  it('creates a sandbox from a scenario: 202 at once, progress and ready follow as events', async () => {
    const created = await send(`${test.origin}/api/sandboxes`, { method: 'POST', body: { scenario: 'default-deny-ingress', cni: 'calico', ttlSeconds: 600 } });
    expect(created.status).toBe(202);
    expect(pick(created.json, 'status')).toBe('provisioning');
    sandboxId = String(pick(created.json, 'id'));
    expect(sandboxId).toMatch(/^sb-[0-9a-f]{8}$/);
    await events.waitFor((frame) => pick(frame, 'type') === 'progress' && pick(frame, 'sandboxId') === sandboxId);
    await events.waitFor((frame) => pick(frame, 'type') === 'sandbox' && pick(frame, 'sandbox', 'id') === sandboxId && pick(frame, 'sandbox', 'status') === 'ready');
    const detail = await send(`${test.origin}/api/sandboxes/${sandboxId}`);
    expect(detail.status).toBe(200);
    expect(pick(detail.json, 'scenario')).toBe('default-deny-ingress');
    const pods = pick(detail.json, 'pods');
    expect(Array.isArray(pods) && pods.map((pod) => pick(pod, 'key'))).toContain('payments/ledger-0');
    const policies = pick(detail.json, 'policies');
    expect(Array.isArray(policies) && policies.map((policy) => pick(policy, 'name'))).toEqual(['allow-invoice-worker-to-ledger', 'default-deny-ingress']);
    expect(String(pick(detail.json, 'policies', 1, 'yaml'))).toContain('kind: NetworkPolicy');
    const progress = pick(detail.json, 'progress');
    expect(Array.isArray(progress) && progress.length).toBeGreaterThan(0);
  });

  it('lists it', async () => {
    const list = await send(`${test.origin}/api/sandboxes`);
    expect(Array.isArray(list.json) && list.json.map((view) => pick(view, 'id'))).toContain(sandboxId);
  });

  it('dryRun of a policy change says what it newly denies and applies nothing', async () => {
    const response = await send(`${test.origin}/api/sandboxes/${sandboxId}/policies`, { method: 'PUT', body: { yaml: denyReporting, mode: 'merge', dryRun: true } });
    expect(response.status).toBe(200);
    expect(pick(response.json, 'isApplied')).toBe(false);
    const denied = Number(pick(response.json, 'changes', 'newlyDenied'));
    expect(denied).toBeGreaterThan(0);
    expect(pick(response.json, 'summary')).toBe(`this change newly denies ${denied} flows`);
    expect(pick(response.json, 'flows', 0, 'to')).toBe('reporting/report-builder-0');
    const policies = await send(`${test.origin}/api/sandboxes/${sandboxId}/policies`);
    expect(Array.isArray(policies.json) && policies.json.length).toBe(2);
  });

  it('returns YAML problems as data with their paths, and applies nothing', async () => {
    const broken = denyReporting.replace('podSelector: {}', 'podSelector: {}\n  ingress:\n    - from:\n        - ipBlock:\n            cidr: 10.0.0.0/33');
    const response = await send(`${test.origin}/api/sandboxes/${sandboxId}/policies`, { method: 'PUT', body: { yaml: broken, mode: 'merge' } });
    expect(response.status).toBe(200);
    expect(pick(response.json, 'isApplied')).toBe(false);
    expect(pick(response.json, 'issues', 0, 'path')).toBe('spec.ingress[0].from[0].ipBlock.cidr');
    expect(pick(response.json, 'issues', 0, 'file')).toBe('policies.yaml');
  });

  it('refuses objects that are not policies, naming them', async () => {
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: intruder\n  namespace: payments\nspec:\n  containers: [{name: c, image: x}]\n';
    const response = await send(`${test.origin}/api/sandboxes/${sandboxId}/policies`, { method: 'PUT', body: { yaml: pod, mode: 'merge' } });
    expect(pick(response.json, 'isApplied')).toBe(false);
    expect(pick(response.json, 'issues', 0, 'code')).toBe('not-a-policy');
  });

  it('applies a policy and announces the change', async () => {
    const response = await send(`${test.origin}/api/sandboxes/${sandboxId}/policies`, { method: 'PUT', body: { yaml: denyReporting, mode: 'merge' } });
    expect(pick(response.json, 'isApplied')).toBe(true);
    expect(typeof pick(response.json, 'enforcedAfterMs')).toBe('number');
    const policies = pick(response.json, 'policies');
    expect(Array.isArray(policies) && policies.length).toBe(3);
    await events.waitFor((frame) => pick(frame, 'type') === 'policies' && pick(frame, 'sandboxId') === sandboxId && pick(frame, 'count') === 3);
  });

  it('runs the scenario expectations; every result is stored and streamed, and the new policy shows as a mismatch', async () => {
    const started = await send(`${test.origin}/api/sandboxes/${sandboxId}/runs`, { method: 'POST', body: { kind: 'expectations' } });
    expect(started.status).toBe(202);
    const runId = String(pick(started.json, 'id'));
    const run = await waitForRun(runId);
    // The scenario expects reporting to stay open; deny-reporting closes it: intent ≠ prediction.
    expect(pick(run, 'status')).toBe('failed');
    expect(Number(pick(run, 'summary', 'policyMismatches'))).toBeGreaterThan(0);
    const results = pick(run, 'results');
    const mismatched = Array.isArray(results) ? results.filter((result) => pick(result, 'mismatch') !== 'none') : [];
    expect(mismatched.length).toBeGreaterThan(0);
    expect(mismatched.every((result) => String(pick(result, 'to')).startsWith('reporting/') && pick(result, 'mismatch') === 'policy')).toBe(true);
    expect(Array.isArray(results) && results.length).toBeGreaterThan(10);
    const streamed = () => events.frames.filter((frame) => pick(frame, 'type') === 'result' && pick(frame, 'runId') === runId).length;
    await waitUntil(() => Array.isArray(results) && streamed() === results.length, 5000, 'every result streamed');
    const list = await send(`${test.origin}/api/sandboxes/${sandboxId}/runs`);
    expect(pick(list.json, 0, 'id')).toBe(runId);
  });

  it('shows the matrix with intent, prediction and observation per cell', async () => {
    const matrixRun = await send(`${test.origin}/api/sandboxes/${sandboxId}/runs`, { method: 'POST', body: { kind: 'matrix', port: 8080 } });
    await waitForRun(String(pick(matrixRun.json, 'id')));
    const response = await send(`${test.origin}/api/sandboxes/${sandboxId}/matrix?port=8080`);
    expect(response.status).toBe(200);
    const cells = pick(response.json, 'cells');
    if (!Array.isArray(cells)) throw new Error('no cells');
    const cell = cells.find((candidate) => pick(candidate, 'from') === 'payments/invoice-worker-0' && pick(candidate, 'to') === 'payments/ledger-0');
    expect(pick(cell, 'intent')).toBe('allowed');
    expect(pick(cell, 'prediction')).toBe('allowed');
    expect(pick(cell, 'observation')).toBe('allowed');
    expect(pick(cell, 'mismatch')).toBe('none');
    const refund = cells.find((candidate) => pick(candidate, 'from') === 'payments/refund-api-0' && pick(candidate, 'to') === 'payments/ledger-0');
    expect(pick(refund, 'intent')).toBe('denied');
    expect(pick(response.json, 'observedRunId')).toBe(pick(matrixRun.json, 'id'));
  });

  it('explains one flow: the deciding policy and rule', async () => {
    const response = await send(`${test.origin}/api/sandboxes/${sandboxId}/explain?from=payments/invoice-worker-0&to=payments/ledger-0&port=8080`);
    expect(response.status).toBe(200);
    expect(pick(response.json, 'isAllowed')).toBe(true);
    expect(String(pick(response.json, 'summary'))).toContain('allow-invoice-worker-to-ledger');
    const unknown = await send(`${test.origin}/api/sandboxes/${sandboxId}/explain?from=payments/nobody&to=payments/ledger-0&port=8080`);
    expect(unknown.status).toBe(422);
    expect(pick(unknown.json, 'error', 'code')).toBe('FLOW_INVALID');
  });

  it('lints a policy set against the sandbox', async () => {
    const typo = denyReporting.replace('podSelector: {}', 'podSelector:\n    matchLabels:\n      app.kubernetes.io/name: report-bilder');
    const response = await send(`${test.origin}/api/lint`, { method: 'POST', body: { yaml: typo, sandboxId } });
    expect(response.status).toBe(200);
    const issues = pick(response.json, 'issues');
    expect(Array.isArray(issues) && issues.some((issue) => String(pick(issue, 'message')).includes('report-bilder'))).toBe(true);
  });

  it('relabels a pod and says what that does to traffic', async () => {
    const response = await send(`${test.origin}/api/sandboxes/${sandboxId}/pods/payments/refund-api-0`, {
      method: 'PATCH',
      body: { labels: { 'app.kubernetes.io/name': 'invoice-worker' } },
    });
    expect(response.status).toBe(200);
    expect(pick(response.json, 'pod', 'labels', 'app.kubernetes.io/name')).toBe('invoice-worker');
    expect(String(pick(response.json, 'summary'))).toMatch(/newly allows/);
  });

  it('deletes a policy', async () => {
    const response = await send(`${test.origin}/api/sandboxes/${sandboxId}/policies/reporting/deny-reporting`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(pick(response.json, 'isApplied')).toBe(true);
    const missing = await send(`${test.origin}/api/sandboxes/${sandboxId}/policies/reporting/deny-reporting`, { method: 'DELETE' });
    expect(missing.status).toBe(404);
    expect(pick(missing.json, 'error', 'code')).toBe('POLICY_NOT_FOUND');
  });

  it('shows the ruleset', async () => {
    const response = await send(`${test.origin}/api/sandboxes/${sandboxId}/rules`);
    expect(pick(response.json, 'text')).toContain('test double');
  });

  it('extends within the bound, and refuses past it with what is allowed', async () => {
    const before = String(pick((await send(`${test.origin}/api/sandboxes/${sandboxId}`)).json, 'expiresAt'));
    const extended = await send(`${test.origin}/api/sandboxes/${sandboxId}/extend`, { method: 'POST', body: { bySeconds: 600 } });
    expect(extended.status).toBe(200);
    expect(Date.parse(String(pick(extended.json, 'expiresAt'))) - Date.parse(before)).toBe(600_000);
    for (let i = 0; i < 4; i++) await send(`${test.origin}/api/sandboxes/${sandboxId}/extend`, { method: 'POST', body: { bySeconds: 3600 } });
    const refused = await send(`${test.origin}/api/sandboxes/${sandboxId}/extend`, { method: 'POST', body: { bySeconds: 3600 } });
    expect(refused.status).toBe(422);
    expect(pick(refused.json, 'error', 'code')).toBe('TTL_LIMIT_EXCEEDED');
    expect(String(pick(refused.json, 'error', 'message'))).toMatch(/at most 4h left, so extend by at most/);
  });

  it('destroys it; afterwards it is gone (410) and the events said so', async () => {
    const response = await send(`${test.origin}/api/sandboxes/${sandboxId}`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(pick(response.json, 'status')).toBe('destroyed');
    await events.waitFor((frame) => pick(frame, 'type') === 'sandbox' && pick(frame, 'sandbox', 'id') === sandboxId && pick(frame, 'sandbox', 'status') === 'destroyed');
    const run = await send(`${test.origin}/api/sandboxes/${sandboxId}/runs`, { method: 'POST', body: { kind: 'matrix' } });
    expect(run.status).toBe(410);
    expect(pick(run.json, 'error', 'code')).toBe('SANDBOX_GONE');
    const again = await send(`${test.origin}/api/sandboxes/${sandboxId}`, { method: 'DELETE' });
    expect(pick(again.json, 'status')).toBe('destroyed');
  });
});

describe('TTL', () => {
  it('warns, then tears the sandbox down within seconds of expiry, and the events announce it', async () => {
    const created = await send(`${test.origin}/api/sandboxes`, { method: 'POST', body: { scenario: 'default-deny-ingress', ttlSeconds: 5 } });
    const id = String(pick(created.json, 'id'));
    await events.waitFor((frame) => pick(frame, 'type') === 'ttl-warning' && pick(frame, 'sandboxId') === id && pick(frame, 'secondsLeft') === 2, 10_000);
    const gone = await events.waitFor((frame) => pick(frame, 'type') === 'sandbox' && pick(frame, 'sandbox', 'id') === id && pick(frame, 'sandbox', 'status') === 'destroyed', 10_000);
    expect(pick(gone, 'reason')).toBe('expired after 5s');
    const expiresAt = Date.parse(String(pick(gone, 'sandbox', 'expiresAt')));
    expect(Date.now() - expiresAt).toBeLessThan(3000);
  });
});
