// `rehearse serve` end to end with the real local provider (network namespaces + nftables; root): a sandbox made
// from a scenario over REST, a policy applied, expectations run with the results streamed on the terminal channel
// as they complete, the matrix's observation view filled from real packets, and a TTL of a few seconds tearing a
// sandbox down with the events announcing it and nothing left on the host.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig } from '../../server/config.ts';
import { createLogger } from '../../server/log.ts';
import { startServer } from '../../server/main.ts';
import type { RunningServer } from '../../server/main.ts';
import { canRunPrivileged } from '../helpers/env.ts';
import { FrameClient, pick, pickArray, readTerminalText, send, waitUntil, wsUrl } from '../unit/server/api/test-server.ts';
import { findLeftovers } from './local-helpers.ts';

const denyReporting = [
  'apiVersion: networking.k8s.io/v1',
  'kind: NetworkPolicy',
  'metadata:',
  '  name: deny-reporting',
  '  namespace: reporting',
  'spec:',
  '  podSelector: {}',
  '  policyTypes: [Ingress]',
].join('\n');

describe.runIf(canRunPrivileged())('rehearse serve with the local provider', () => {
  let dataDir = '';
  let server: RunningServer;
  let events: FrameClient;
  const logs: string[] = [];
  const created: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rh-serve-local-'));
    const loaded = loadServerConfig({ flags: { port: '0', dataDir, ttlWarnings: '3s', webDist: join(dataDir, 'none') }, env: {} });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    // The real composition root: every provider as `rehearse serve` builds them.
    server = await startServer({ config: loaded.config, log: createLogger({ level: 'info', write: (line) => logs.push(line) }), env: process.env, isResponseValidated: true });
    events = new FrameClient(wsUrl(server.origin, '/api/ws/events'));
    await events.opened;
  });

  afterAll(async () => {
    events.close();
    for (const id of created) await send(`${server.origin}/api/sandboxes/${id}`, { method: 'DELETE' });
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function createSandbox(body: Record<string, unknown>): Promise<string> {
    const response = await send(`${server.origin}/api/sandboxes`, { method: 'POST', body });
    expect(response.status, response.text).toBe(202);
    const id = String(pick(response.json, 'id'));
    created.push(id);
    const ready = await events.waitFor(
      (frame) => pick(frame, 'type') === 'sandbox' && pick(frame, 'sandbox', 'id') === id && ['ready', 'failed'].includes(String(pick(frame, 'sandbox', 'status'))),
      60_000,
    );
    expect(pick(ready, 'sandbox', 'status'), String(pick(ready, 'sandbox', 'failure'))).toBe('ready');
    return id;
  }

  it('lists the local provider as available on this host', async () => {
    const providers = await send(`${server.origin}/api/providers`);
    const local = pickArray(providers.json).find((provider) => pick(provider, 'provider') === 'local');
    expect(pick(local, 'isAvailable')).toBe(true);
    expect(pickArray(local, 'cnis')).toContain('calico');
  });

  it('creates a sandbox, applies a policy, runs expectations and streams real results to the terminal', async () => {
    const id = await createSandbox({ scenario: 'default-deny-ingress', cni: 'reference', ttlSeconds: 600 });
    expect(events.frames.some((frame) => pick(frame, 'type') === 'progress' && pick(frame, 'sandboxId') === id)).toBe(true);

    const applied = await send(`${server.origin}/api/sandboxes/${id}/policies`, { method: 'PUT', body: { yaml: denyReporting, mode: 'merge' } });
    expect(pick(applied.json, 'isApplied')).toBe(true);

    const terminal = new FrameClient(wsUrl(server.origin, `/api/ws/sandboxes/${id}/terminal`));
    await terminal.opened;
    await terminal.waitFor((frame) => pick(frame, 'type') === 'history');
    terminal.send({ type: 'input', data: 'run expectations\r' });
    await waitUntil(() => /\(expectations\) (passed|failed)/.test(readTerminalText(terminal)), 60_000, 'the run summary on the terminal');
    const text = readTerminalText(terminal);
    // Real packets: the worker reaches the ledger, the refund API is dropped by the default deny.
    expect(text).toMatch(/✔ allowed +payments\/invoice-worker-\d → payments\/ledger-\d 8080\/TCP/);
    expect(text).toMatch(/✘ denied +payments\/refund-api-\d → payments\/ledger-\d 8080\/TCP/);
    // The applied policy contradicts the scenario's intent for reporting: marked and explained.
    expect(text).toContain('MISMATCH policy');
    expect(text).toContain('your policies do not do what the scenario expects');
    expect(text).not.toContain('MISMATCH drift');
    terminal.close();

    const runs = await send(`${server.origin}/api/sandboxes/${id}/runs`);
    const runId = String(pick(runs.json, 0, 'id'));
    const run = await send(`${server.origin}/api/runs/${runId}`);
    expect(pick(run.json, 'summary', 'driftMismatches')).toBe(0);
    expect(pick(run.json, 'summary', 'errors')).toBe(0);

    const matrix = await send(`${server.origin}/api/sandboxes/${id}/matrix?port=8080`);
    const observed = pickArray(matrix.json, 'cells').filter((cell) => pick(cell, 'observation') !== undefined);
    expect(observed.length).toBeGreaterThan(0);
    expect(observed.every((cell) => pick(cell, 'observation') === pick(cell, 'prediction'))).toBe(true);

    const destroyed = await send(`${server.origin}/api/sandboxes/${id}`, { method: 'DELETE' });
    expect(pick(destroyed.json, 'status')).toBe('destroyed');
    expect(await findLeftovers(id)).toEqual([]);
  });

  it('tears a sandbox down within seconds of its TTL, announced on the events channel, leaving nothing', async () => {
    const id = await createSandbox({ scenario: 'default-deny-ingress', ttlSeconds: 8 });
    await events.waitFor((frame) => pick(frame, 'type') === 'ttl-warning' && pick(frame, 'sandboxId') === id, 15_000);
    const gone = await events.waitFor((frame) => pick(frame, 'type') === 'sandbox' && pick(frame, 'sandbox', 'id') === id && pick(frame, 'sandbox', 'status') === 'destroyed', 20_000);
    expect(pick(gone, 'reason')).toMatch(/^expired after \d+s$/);
    expect(Date.now() - Date.parse(String(pick(gone, 'sandbox', 'expiresAt')))).toBeLessThan(5000);
    expect(await findLeftovers(id)).toEqual([]);
  });
});
