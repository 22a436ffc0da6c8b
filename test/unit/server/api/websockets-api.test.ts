// The websockets on a real server with real `ws` clients: the terminal channel (commands, line editing, Tab,
// streamed results, Ctrl-C, apply, watch, history on reconnect), frame validation, and slow consumers bounded.
// Uses the provider TEST DOUBLE (no root; outcomes are the engine's predictions).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventFrame } from '../../../../server/api/protocol/schemas.ts';
import { createProviderDouble } from '../services/provider-double.ts';
import { FrameClient, pick, readTerminalText, send, startTestServer, waitUntil, wsUrl } from './test-server.ts';
import type { TestServer } from './test-server.ts';

const bufferLimit = 64 * 1024;
let test: TestServer;
let sandboxId = '';

async function openTerminal(): Promise<FrameClient> {
  const client = new FrameClient(wsUrl(test.origin, `/api/ws/sandboxes/${sandboxId}/terminal`));
  await client.opened;
  await client.waitFor((frame) => pick(frame, 'type') === 'history');
  return client;
}

/** Sends keystrokes and waits until the output that follows them (not earlier output) shows `expected`. */
async function typeAndWait(client: FrameClient, input: string, expected: string | RegExp, timeoutMs = 10_000): Promise<string> {
  const start = readTerminalText(client).length;
  if (input !== '') client.send({ type: 'input', data: input });
  let text = '';
  await waitUntil(() => {
    text = readTerminalText(client).slice(start);
    return typeof expected === 'string' ? text.includes(expected) : expected.test(text);
  }, timeoutMs, `terminal to show ${String(expected)}`);
  return text;
}

beforeAll(async () => {
  test = await startTestServer({ provider: createProviderDouble({ probeDelayMs: 20 }), maxWsBufferedBytes: bufferLimit });
  const events = new FrameClient(wsUrl(test.origin, '/api/ws/events'));
  await events.opened;
  const created = await send(`${test.origin}/api/sandboxes`, { method: 'POST', body: { scenario: 'default-deny-ingress', cni: 'calico' } });
  sandboxId = String(pick(created.json, 'id'));
  await events.waitFor((frame) => pick(frame, 'type') === 'sandbox' && pick(frame, 'sandbox', 'status') === 'ready');
  events.close();
});

afterAll(async () => {
  await test.stop();
});

describe('terminal channel', () => {
  it('greets with the sandbox and a prompt, and runs commands', async () => {
    const terminal = await openTerminal();
    const greeting = readTerminalText(terminal);
    expect(greeting).toContain(`rehearsal terminal for ${sandboxId}`);
    expect(greeting).toContain(`rehearse ${sandboxId}> `);
    const text = await typeAndWait(terminal, 'pods\r', 'payments/ledger-0');
    expect(text).toContain('app.kubernetes.io/name=ledger');
    await typeAndWait(terminal, 'policies\r', 'payments/default-deny-ingress');
    terminal.close();
  });

  it('edits the line (left, insert, Ctrl-U) and completes with Tab', async () => {
    const terminal = await openTerminal();
    // "plicies", six times left, insert "o": "policies".
    await typeAndWait(terminal, 'plicies\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D' + 'o\r', 'payments/allow-invoice-worker-to-ledger');
    await typeAndWait(terminal, 'garbage\x15ttl\r', /expires at .* \(in \d+m/);
    await typeAndWait(terminal, 'expl\t', 'explain ');
    await typeAndWait(terminal, 'payments/invoice-worker-0 payments/led\t', 'payments/ledger-');
    await typeAndWait(terminal, '0 8080\r', /allowed[\s\S]*allow-invoice-worker-to-ledger/);
    terminal.close();
  });

  it('recalls history with the up arrow', async () => {
    const terminal = await openTerminal();
    await typeAndWait(terminal, 'services\r', 'svc/payments/ledger');
    const before = readTerminalText(terminal).split('svc/payments/ledger').length;
    await waitUntil(() => readTerminalText(terminal).endsWith('> '), 5000, 'prompt');
    terminal.send({ type: 'input', data: '\x1b[A\r' });
    await waitUntil(() => readTerminalText(terminal).split('svc/payments/ledger').length > before, 5000, 'services again');
    terminal.close();
  });

  it('streams run results line by line, coloured, with the deciding policy, then a summary', async () => {
    const terminal = await openTerminal();
    terminal.send({ type: 'input', data: 'run expectations\r' });
    await waitUntil(() => /passed|failed/.test(readTerminalText(terminal).split('run expectations').at(-1) ?? ''), 15_000, 'run summary');
    const raw = terminal.frames.filter((frame) => pick(frame, 'type') === 'output').map((frame) => String(pick(frame, 'data'))).join('');
    expect(raw).toContain('\x1b[32m✔ allowed');
    expect(raw).toContain('\x1b[31m✘ denied');
    const text = readTerminalText(terminal);
    expect(text).toContain('payments/invoice-worker-');
    expect(text).toContain('allow-invoice-worker-to-ledger');
    expect(text).toMatch(/run run-[0-9a-f]{12} \(expectations\) passed: \d+\/\d+ passed/);
    // Results arrived as separate frames, before the summary.
    const outputs = terminal.frames.filter((frame) => pick(frame, 'type') === 'output').map((frame) => String(pick(frame, 'data')).replace(/\x1b\[[0-9;]*m/g, ''));
    const firstResult = outputs.findIndex((data) => data.includes('✔') || data.includes('✘'));
    const summary = outputs.findIndex((data) => data.includes('(expectations) passed'));
    expect(firstResult).toBeGreaterThan(-1);
    expect(firstResult).toBeLessThan(summary);
    terminal.close();
  });

  it('marks a mismatch and explains it', async () => {
    const terminal = await openTerminal();
    const deny = ['apply', 'apiVersion: networking.k8s.io/v1', 'kind: NetworkPolicy', 'metadata:', '  name: deny-reporting', '  namespace: reporting', 'spec:', '  podSelector: {}', '  policyTypes: [Ingress]', '---end'];
    await typeAndWait(terminal, `${deny.join('\r')}\r`, /applied .*newly denies \d+ flows/);
    await typeAndWait(terminal, 'run expectations\r', /\(expectations\) failed/, 15_000);
    const text = readTerminalText(terminal);
    expect(text).toContain('MISMATCH policy');
    expect(text).toContain('your policies do not do what the scenario expects');
    await typeAndWait(terminal, 'delete policy deny-reporting\r', /applied .*newly allows/);
    terminal.close();
  });

  it('cancels a running command with Ctrl-C', async () => {
    const terminal = await openTerminal();
    terminal.send({ type: 'input', data: 'run matrix\r' });
    await waitUntil(() => (readTerminalText(terminal).split('run matrix').at(-1) ?? '').includes('✘'), 10_000, 'first matrix result');
    terminal.send({ type: 'input', data: '\x03' });
    await waitUntil(() => /\(matrix\) cancelled/.test(readTerminalText(terminal)), 10_000, 'cancelled');
    await typeAndWait(terminal, 'ttl\r', /expires at/);
    terminal.close();
  });

  it('watch shows results of runs started elsewhere, until Ctrl-C', async () => {
    const terminal = await openTerminal();
    await typeAndWait(terminal, 'watch\r', 'watching every probe result');
    const started = await send(`${test.origin}/api/sandboxes/${sandboxId}/runs`, { method: 'POST', body: { kind: 'probe', probe: { from: 'payments/refund-api-0', to: 'payments/ledger-0', port: 8080 } } });
    const runId = String(pick(started.json, 'id'));
    await waitUntil(() => readTerminalText(terminal).includes(`${runId} ✘ denied      payments/refund-api-0 → payments/ledger-0 8080/TCP`), 10_000, 'watched result');
    terminal.send({ type: 'input', data: '\x03' });
    await typeAndWait(terminal, 'ttl\r', /expires at/);
    terminal.close();
  });

  it('replays the recent history to a reconnecting client', async () => {
    const first = await openTerminal();
    await typeAndWait(first, 'help rules\r', "the dataplane's compiled ruleset");
    first.close();
    await first.closed;
    const second = await openTerminal();
    expect(readTerminalText(second)).toContain("the dataplane's compiled ruleset");
    second.close();
  });

  it('answers an invalid frame with an error frame and keeps the session', async () => {
    const terminal = await openTerminal();
    terminal.ws.send('not json');
    terminal.send({ type: 'input', data: 42 });
    await terminal.waitFor((frame) => pick(frame, 'type') === 'error' && pick(frame, 'code') === 'INVALID_FRAME');
    terminal.send({ type: 'ping' });
    await terminal.waitFor((frame) => pick(frame, 'type') === 'pong');
    terminal.close();
  });

  it('refuses a terminal for a sandbox that does not exist', async () => {
    const client = new FrameClient(wsUrl(test.origin, '/api/ws/sandboxes/sb-0000ffff/terminal'));
    await expect(client.opened).rejects.toThrow('404');
  });
});

describe('slow consumers', () => {
  it('an events client that never reads holds bounded buffers, then learns how much it missed', async () => {
    const slow = new FrameClient(wsUrl(test.origin, '/api/ws/events'));
    await slow.opened;
    await slow.waitFor((frame) => pick(frame, 'type') === 'hello');
    slow.ws.pause();
    const padding = 'x'.repeat(1000);
    const frame = (index: number): EventFrame => ({ type: 'policies', sandboxId, count: index, at: padding });
    let maxBuffered = 0;
    let maxQueued = 0;
    // 40 MB of events, far beyond what the kernel's socket buffers absorb.
    for (let batch = 0; batch < 40; batch++) {
      for (let i = 0; i < 1000; i++) test.server.bus.publish(frame(batch * 1000 + i));
      await new Promise((resolve) => setImmediate(resolve));
      for (const stats of test.server.api.gateway.stats().eventClients) {
        maxBuffered = Math.max(maxBuffered, stats.bufferedBytes);
        maxQueued = Math.max(maxQueued, stats.queuedBytes);
      }
    }
    expect(maxQueued).toBeLessThanOrEqual(bufferLimit);
    expect(maxBuffered).toBeLessThanOrEqual(bufferLimit + 2 * 1100);
    slow.ws.resume();
    const dropped = await slow.waitFor((candidate) => pick(candidate, 'type') === 'dropped', 15_000);
    expect(Number(pick(dropped, 'count'))).toBeGreaterThan(0);
    await slow.waitFor((candidate) => pick(candidate, 'type') === 'policies' && pick(candidate, 'count') === 39_999, 15_000);
    slow.close();
  });

  it('a terminal client that cannot keep up is disconnected with a reason; reconnecting works', async () => {
    const slow = await openTerminal();
    slow.ws.pause();
    for (let i = 0; i < 3000; i++) slow.send({ type: 'input', data: 'help\r' });
    await waitUntil(() => test.server.api.gateway.stats().terminalClients.length === 0, 20_000, 'the slow terminal to be cut');
    slow.ws.resume();
    const closed = await slow.closed;
    expect([1013, 1006]).toContain(closed.code);
    if (closed.code === 1013) expect(closed.reason).toContain('could not keep up');
    const again = await openTerminal();
    await typeAndWait(again, 'ttl\r', /expires at/);
    again.close();
  });

  it('closes the terminal with a reason when the sandbox is destroyed', async () => {
    const terminal = await openTerminal();
    await send(`${test.origin}/api/sandboxes/${sandboxId}`, { method: 'DELETE' });
    const closedFrame = await terminal.waitFor((frame) => pick(frame, 'type') === 'closed');
    expect(String(pick(closedFrame, 'reason'))).toContain('destroyed on request');
    await terminal.closed;
  });
});
