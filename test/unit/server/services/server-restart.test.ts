// A server restart loses nothing: sandboxes are reattached, runs and results and terminal history are still
// there, a sandbox whose expiry passed while the server was down is reaped at start, and --teardown-on-exit
// destroys what lives. Two server instances share the provider TEST DOUBLE's "host" (no root, no packets); the
// kill -9 variant with the real local provider is test/integration/server-restart.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../../server/store/index.ts';
import { FrameClient, pick, pickArray, readTerminalText, send, startTestServer, waitUntil, wsUrl } from '../api/test-server.ts';
import type { TestServer } from '../api/test-server.ts';
import { createDoubleHost, createProviderDouble } from './provider-double.ts';

const dirs: string[] = [];
const servers: TestServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop({ keepDataDir: true });
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(dataDir: string, host: ReturnType<typeof createDoubleHost>, options: { probeDelayMs?: number } = {}): Promise<TestServer> {
  const server = await startTestServer({ dataDir, provider: createProviderDouble({ host, ...options }) });
  servers.push(server);
  return server;
}

async function createReady(server: TestServer, ttlSeconds: number): Promise<string> {
  const created = await send(`${server.origin}/api/sandboxes`, { method: 'POST', body: { scenario: 'default-deny-ingress', ttlSeconds } });
  const id = String(pick(created.json, 'id'));
  await waitUntil(async () => pick((await send(`${server.origin}/api/sandboxes/${id}`)).json, 'status') === 'ready', 10_000, 'ready');
  return id;
}

function makeDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rh-restart-'));
  dirs.push(dir);
  return dir;
}

describe('server restart', () => {
  it('reattaches a live sandbox; its runs, results, events and terminal history survive', async () => {
    const dataDir = makeDataDir();
    const host = createDoubleHost();
    const first = await start(dataDir, host);
    const id = await createReady(first, 600);
    const run = await send(`${first.origin}/api/sandboxes/${id}/runs`, { method: 'POST', body: { kind: 'expectations' } });
    const runId = String(pick(run.json, 'id'));
    await waitUntil(async () => pick((await send(`${first.origin}/api/runs/${runId}`)).json, 'status') !== 'running', 10_000, 'run end');
    const resultsBefore = pick((await send(`${first.origin}/api/runs/${runId}`)).json, 'results');
    const terminal = new FrameClient(wsUrl(first.origin, `/api/ws/sandboxes/${id}/terminal`));
    await terminal.opened;
    terminal.send({ type: 'input', data: 'pods\r' });
    await waitUntil(() => readTerminalText(terminal).includes('payments/ledger-0'), 5000, 'pods output');
    await first.stop({ keepDataDir: true });
    servers.splice(servers.indexOf(first), 1);
    expect(host.sandboxes.has(id)).toBe(true);

    const second = await start(dataDir, host);
    const detail = await send(`${second.origin}/api/sandboxes/${id}`);
    expect(pick(detail.json, 'status')).toBe('ready');
    expect(Array.isArray(pick(detail.json, 'pods'))).toBe(true);
    expect(pick((await send(`${second.origin}/api/runs/${runId}`)).json, 'results')).toEqual(resultsBefore);
    const events = await send(`${second.origin}/api/events?sandboxId=${id}`);
    const reasons = pickArray(events.json, 'events').map((event) => pick(event, 'frame', 'reason'));
    expect(reasons).toContain('reattached after a server restart');
    const again = new FrameClient(wsUrl(second.origin, `/api/ws/sandboxes/${id}/terminal`));
    await again.opened;
    await again.waitFor((frame) => pick(frame, 'type') === 'history');
    expect(readTerminalText(again)).toContain('payments/ledger-0');
    again.close();
  });

  it('reaps at start a sandbox whose expiry passed while the server was down', async () => {
    const dataDir = makeDataDir();
    const host = createDoubleHost();
    const first = await start(dataDir, host);
    const id = await createReady(first, 5);
    await first.stop({ keepDataDir: true });
    servers.splice(servers.indexOf(first), 1);
    await new Promise((resolve) => setTimeout(resolve, 5500));
    const second = await start(dataDir, host);
    const view = await send(`${second.origin}/api/sandboxes/${id}`);
    expect(pick(view.json, 'status')).toBe('destroyed');
    expect(host.reaped).toContain(id);
    const events = await send(`${second.origin}/api/events?sandboxId=${id}`);
    const reasons = pickArray(events.json, 'events').map((event) => String(pick(event, 'frame', 'reason')));
    expect(reasons.some((reason) => reason.includes('while the server was down'))).toBe(true);
  });

  it('cancels runs on shutdown and keeps their results; a run a killed server left running is marked error', async () => {
    const dataDir = makeDataDir();
    const host = createDoubleHost();
    const first = await start(dataDir, host, { probeDelayMs: 50 });
    const id = await createReady(first, 600);
    const run = await send(`${first.origin}/api/sandboxes/${id}/runs`, { method: 'POST', body: { kind: 'matrix' } });
    const runId = String(pick(run.json, 'id'));
    await waitUntil(async () => pickArray((await send(`${first.origin}/api/runs/${runId}`)).json, 'results').length > 2, 10_000, 'some results');
    await first.stop({ keepDataDir: true });
    servers.splice(servers.indexOf(first), 1);

    const store = openStore({ dataDir });
    const stored = store.getRun(runId);
    expect(stored?.status).toBe('cancelled');
    expect(stored?.results.length).toBeGreaterThan(2);
    // What kill -9 leaves: a run header still saying running.
    if (stored !== undefined) {
      const { results: _results, ...header } = stored;
      store.putRun({ ...header, id: 'run-00000000dead', status: 'running' });
    }
    store.close();
    const second = await start(dataDir, host);
    expect(pick((await send(`${second.origin}/api/runs/run-00000000dead`)).json, 'status')).toBe('error');
  });

  it('with teardown on exit, destroys what lives', async () => {
    const dataDir = makeDataDir();
    const host = createDoubleHost();
    const server = await start(dataDir, host);
    const id = await createReady(server, 600);
    await server.server.stop({ teardown: true });
    expect(host.destroyed).toContain(id);
    const store = openStore({ dataDir });
    expect(store.getSandbox(id)?.record.status).toBe('destroyed');
    store.close();
  });
});
