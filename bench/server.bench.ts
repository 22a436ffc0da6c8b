// The server's two costs that users feel: how fast live events reach many browsers, and what the server adds to
// each probe. Anchors, measured in the same run: a plain `ws` broadcast loop (stringify per client, no bounds, as
// the xterm.js demo server does) for fan-out, and calling the sandbox handle directly for probes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import type { BenchRow } from './run.ts';
import type { EventFrame, RunResult } from '../server/api/protocol/schemas.ts';
import { loadServerConfig } from '../server/config.ts';
import { createLogger } from '../server/log.ts';
import { startServer } from '../server/main.ts';
import type { RunningServer } from '../server/main.ts';
import type { ProbeRequest } from '../server/sandbox/contract.ts';
import { privilegedUnavailableReason } from '../test/helpers/env.ts';

const clientCount = 50;
const eventCount = 4000;
const probeRounds = 30;

const sampleResult: RunResult = {
  id: 'p-0042',
  from: 'payments/invoice-worker-0',
  to: 'payments/ledger-1',
  port: 8080,
  protocol: 'TCP',
  expectationId: 'worker-to-ledger',
  expected: 'allowed',
  predicted: 'allowed',
  observed: 'allowed',
  latencyMs: 0.41,
  reason: 'ingress allowed by payments/allow-invoice-worker-to-ledger spec.ingress[0]',
  mismatch: 'none',
  isFlaky: false,
  attempts: [{ observed: 'allowed', latencyMs: 0.41, at: '2026-01-01T00:00:00.000Z' }],
};

function makeFrame(index: number, sandboxId: string): EventFrame {
  return { type: 'result', runId: 'run-0000000bench0', sandboxId, result: { ...sampleResult, id: `p-${index}` } };
}

/** Opens `count` clients and resolves with a promise that settles when each has seen `expected` result frames. */
async function openCounters(url: string, count: number, expected: number): Promise<{ readonly done: Promise<void>; close(): void }> {
  const sockets: WebSocket[] = [];
  const finished: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const ws = new WebSocket(url);
    sockets.push(ws);
    let seen = 0;
    finished.push(
      new Promise((resolve) => {
        ws.on('message', (data) => {
          if (data.toString().startsWith('{"type":"result"')) seen += 1;
          if (seen === expected) resolve();
        });
      }),
    );
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
  }
  return { done: Promise.all(finished).then(() => undefined), close: () => sockets.forEach((ws) => ws.close()) };
}

async function startBenchServer(dataDir: string, providers: 'none' | 'default'): Promise<RunningServer> {
  const loaded = loadServerConfig({ flags: { port: '0', dataDir, webDist: join(dataDir, 'none') }, env: {} });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return startServer({ config: loaded.config, log: createLogger({ level: 'error', write: () => undefined }), env: process.env, ...(providers === 'none' ? { providers: [] } : {}) });
}

async function measureOurFanOut(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rh-bench-events-'));
  const server = await startBenchServer(dataDir, 'none');
  try {
    const counters = await openCounters(`${server.origin.replace('http', 'ws')}/api/ws/events`, clientCount, eventCount);
    const started = performance.now();
    for (let i = 0; i < eventCount; i++) {
      server.events.publish(makeFrame(i, 'sb-0000bec0'));
      // Publishers are services awaiting probes; yield now and then as they do.
      if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
    await counters.done;
    const elapsedMs = performance.now() - started;
    counters.close();
    return (eventCount * clientCount) / (elapsedMs / 1000);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function measureAnchorFanOut(): Promise<number> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  try {
    const counters = await openCounters(`ws://127.0.0.1:${port}/`, clientCount, eventCount);
    const started = performance.now();
    for (let i = 0; i < eventCount; i++) {
      const frame = makeFrame(i, 'sb-0000bec0');
      for (const client of server.clients) client.send(JSON.stringify(frame));
      if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
    await counters.done;
    const elapsedMs = performance.now() - started;
    counters.close();
    return (eventCount * clientCount) / (elapsedMs / 1000);
  } finally {
    for (const client of server.clients) client.terminate();
    server.close();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function postJson(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return response.json();
}

function readString(value: unknown, key: string): string {
  const found: unknown = typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
  if (typeof found !== 'string') throw new Error(`response has no ${key}: ${JSON.stringify(value)}`);
  return found;
}

async function measureProbeOverhead(): Promise<BenchRow[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rh-bench-probe-'));
  const server = await startBenchServer(dataDir, 'default');
  try {
    const created = await postJson(`${server.origin}/api/sandboxes`, { scenario: 'default-deny-ingress', ttlSeconds: 600 });
    const sandboxId = readString(created, 'id');
    for (let i = 0; i < 600 && server.sandboxes.findLive(sandboxId) === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const live = server.sandboxes.requireLive(sandboxId);
    const events = new WebSocket(`${server.origin.replace('http', 'ws')}/api/ws/events?sandboxId=${sandboxId}`);
    await new Promise<void>((resolve) => events.once('open', () => resolve()));
    const waiters = new Map<string, () => void>();
    events.on('message', (data) => {
      const text = data.toString();
      const runId = /^\{"type":"result","runId":"(run-[0-9a-f]{12})"/.exec(text)?.[1];
      if (runId !== undefined) waiters.get(runId)?.();
    });

    const request: ProbeRequest = {
      id: 'bench',
      from: { kind: 'pod', namespace: 'payments', name: 'invoice-worker-0' },
      to: { kind: 'pod', namespace: 'payments', name: 'ledger-0' },
      port: 8080,
      protocol: 'TCP',
      timeoutMs: 1000,
    };
    const direct: number[] = [];
    const viaServer: number[] = [];
    const viaServices: number[] = [];
    for (let round = 0; round < probeRounds; round++) {
      const serviceStarted = performance.now();
      const started = server.runs.start(sandboxId, { kind: 'probe', probe: { from: 'payments/invoice-worker-0', to: 'payments/ledger-0', port: 8080, protocol: 'TCP' } });
      await started.session.done;
      viaServices.push(performance.now() - serviceStarted);
    }
    for (let round = 0; round < probeRounds; round++) {
      let started = performance.now();
      for await (const _ of live.handle.probe([request])) direct.push(performance.now() - started);
      started = performance.now();
      // Register before posting: the result can beat the 202 response.
      let resolveResult: () => void = () => undefined;
      const resultSeen = new Promise<void>((resolve) => {
        resolveResult = resolve;
      });
      const pending = postJson(`${server.origin}/api/sandboxes/${sandboxId}/runs`, {
        kind: 'probe',
        probe: { from: 'payments/invoice-worker-0', to: 'payments/ledger-0', port: 8080 },
      });
      const runId = readString(await pending, 'id');
      waiters.set(runId, resolveResult);
      await Promise.race([resultSeen, new Promise((resolve) => setTimeout(resolve, 5000))]);
      viaServer.push(performance.now() - started);
    }
    events.close();
    await fetch(`${server.origin}/api/sandboxes/${sandboxId}`, { method: 'DELETE' });
    const ours = median(viaServer);
    const anchor = median(direct);
    const services = median(viaServices);
    return [
      {
        figure: 'one probe through the run service (plan, run, store, events)',
        ours: services,
        anchor,
        unit: 'ms',
        ratio: anchor / services,
        note: `median of ${probeRounds}; no HTTP: runs.start() until done; overhead ≈ ${(services - anchor).toFixed(2)} ms`,
      },
      {
        figure: 'one probe round trip (REST POST + ws result)',
        ours,
        anchor,
        unit: 'ms',
        ratio: anchor / ours,
        note: `median of ${probeRounds}; anchor: handle.probe() on the same local sandbox; server overhead ≈ ${(ours - anchor).toFixed(2)} ms (plan, store, validate, HTTP, ws)`,
      },
    ];
  } finally {
    await server.stop({ teardown: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchRow[]> {
  const ours = await measureOurFanOut();
  const anchor = await measureAnchorFanOut();
  const rows: BenchRow[] = [
    {
      figure: `events delivered to ${clientCount} websocket clients (${eventCount} result frames)`,
      ours,
      anchor,
      unit: 'events/s',
      // A rate: ours / anchor, so above 1 still means faster.
      ratio: ours / anchor,
      note: 'ours: validated + serialized once + bounded per-client queues; anchor: plain ws loop, stringify per client, unbounded',
    },
  ];
  const reason = privilegedUnavailableReason();
  if (reason !== undefined) {
    rows.push({ figure: 'one probe round trip (REST POST + ws result)', ours: `skipped: ${reason}`, anchor: '-', unit: '', note: 'needs a real local sandbox' });
    return rows;
  }
  rows.push(...(await measureProbeOverhead()));
  return rows;
}
