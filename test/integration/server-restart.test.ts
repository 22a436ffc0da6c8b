// kill -9 of `rehearse serve` with live sandboxes (real local provider; root). The restarted server loses
// nothing: the live sandbox is reattached (runs and results intact) and still torn down at its expiry; a sandbox
// whose expiry passed while no server ran is gone when the server is back (its own supervisor, or the start-up
// reaper, saw to it), and the host holds nothing of either.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canRunPrivileged } from '../helpers/env.ts';
import { FrameClient, pick, pickArray, send, waitUntil, wsUrl } from '../unit/server/api/test-server.ts';
import { findLeftovers, repoRoot } from './local-helpers.ts';

interface ServerProcess {
  readonly child: ChildProcess;
  readonly origin: string;
  readonly output: () => string;
}

function startServeProcess(dataDir: string): Promise<ServerProcess> {
  const child = spawn(join(repoRoot, 'bin', 'rehearse'), ['serve', '--port', '0', '--data-dir', dataDir, '--ttl-warnings', '2s', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within 60 s:\n${output}`)), 60_000);
    const check = (): void => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      resolve({ child, origin: match[1], output: () => output });
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${String(code)} before listening:\n${output}`));
    });
  });
}

function killHard(server: ServerProcess): Promise<void> {
  return new Promise((resolve) => {
    server.child.once('exit', () => resolve());
    server.child.kill('SIGKILL');
  });
}

async function createReady(origin: string, body: Record<string, unknown>): Promise<string> {
  const response = await send(`${origin}/api/sandboxes`, { method: 'POST', body });
  expect(response.status, response.text).toBe(202);
  const id = String(pick(response.json, 'id'));
  await waitUntil(async () => pick((await send(`${origin}/api/sandboxes/${id}`)).json, 'status') === 'ready', 60_000, `${id} ready`);
  return id;
}

describe.runIf(canRunPrivileged())('kill -9 of rehearse serve', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rh-serve-kill-'));
  const processes: ServerProcess[] = [];

  afterAll(async () => {
    for (const server of processes) if (server.child.exitCode === null && server.child.signalCode === null) await killHard(server);
    // Sandboxes a failed assertion left behind are torn down by their own supervisors (TTLs here are 30 s at most).
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('restarts with nothing lost; the live sandbox is reaped at expiry, the expired one already is', async () => {
    const first = await startServeProcess(dataDir);
    processes.push(first);
    const live = await createReady(first.origin, { scenario: 'default-deny-ingress', ttlSeconds: 30 });
    const shortLived = await createReady(first.origin, { scenario: 'default-deny-ingress', ttlSeconds: 6 });
    const run = await send(`${first.origin}/api/sandboxes/${live}/runs`, { method: 'POST', body: { kind: 'expectations' } });
    const runId = String(pick(run.json, 'id'));
    await waitUntil(async () => pick((await send(`${first.origin}/api/runs/${runId}`)).json, 'status') !== 'running', 60_000, 'the run to end');
    const resultsBefore = pickArray((await send(`${first.origin}/api/runs/${runId}`)).json, 'results');
    expect(resultsBefore.length).toBeGreaterThan(10);

    await killHard(first);
    // No server now: the short-lived sandbox's expiry passes while nobody but its supervisor watches.
    await new Promise((resolve) => setTimeout(resolve, 8000));

    const second = await startServeProcess(dataDir);
    processes.push(second);
    const events = new FrameClient(wsUrl(second.origin, '/api/ws/events'));
    await events.opened;

    const liveView = await send(`${second.origin}/api/sandboxes/${live}`);
    expect(pick(liveView.json, 'status'), second.output()).toBe('ready');
    expect(pickArray(liveView.json, 'pods').length).toBeGreaterThan(5);
    expect(pickArray((await send(`${second.origin}/api/runs/${runId}`)).json, 'results')).toEqual(resultsBefore);
    // Reattached for real: it still answers probes.
    const probe = await send(`${second.origin}/api/sandboxes/${live}/runs`, {
      method: 'POST',
      body: { kind: 'probe', probe: { from: 'payments/invoice-worker-0', to: 'payments/ledger-0', port: 8080 } },
    });
    const probeId = String(pick(probe.json, 'id'));
    await waitUntil(async () => pick((await send(`${second.origin}/api/runs/${probeId}`)).json, 'status') !== 'running', 30_000, 'the probe');
    expect(pick((await send(`${second.origin}/api/runs/${probeId}`)).json, 'results', 0, 'observed')).toBe('allowed');

    expect(pick((await send(`${second.origin}/api/sandboxes/${shortLived}`)).json, 'status')).toBe('destroyed');
    expect(await findLeftovers(shortLived)).toEqual([]);

    const gone = await events.waitFor((frame) => pick(frame, 'type') === 'sandbox' && pick(frame, 'sandbox', 'id') === live && pick(frame, 'sandbox', 'status') === 'destroyed', 40_000);
    expect(String(pick(gone, 'reason'))).toMatch(/^expired after/);
    expect(await findLeftovers(live)).toEqual([]);
    events.close();

    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
    expect(second.output()).toContain('stopping');
  }, 180_000);
});
