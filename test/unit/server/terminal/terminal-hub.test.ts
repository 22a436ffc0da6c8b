// The shared per-sandbox terminal: transcript bounded and replayed, type-ahead kept while a command runs, the end
// of a sandbox closing every client with the reason. The backend here is a small in-test object (the terminal's
// own interface), not the services: the server-level behaviour is tested over websockets in test/unit/server/api.
import { describe, expect, it } from 'vitest';
import type { SandboxDetail, TerminalServerFrame } from '../../../../server/api/protocol/schemas.ts';
import { createTerminalHub } from '../../../../server/terminal/index.ts';
import type { TerminalBackend } from '../../../../server/terminal/index.ts';

const detail: SandboxDetail = {
  id: 'sb-0000abcd',
  provider: 'local',
  cni: 'reference',
  owner: 'qa',
  status: 'ready',
  createdAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2099-01-01T00:00:00.000Z',
  progress: [],
  pods: [{ key: 'x/a', namespace: 'x', name: 'a', ips: ['10.244.0.17'], labels: { app: 'a' }, ports: [{ port: 80, protocol: 'TCP' }], isSystem: false }],
  policies: [],
  services: [],
  externals: [],
};

function makeBackend(options: { readonly rulesDelayMs?: number } = {}): TerminalBackend {
  const refuse = (): never => {
    throw new Error('not used in this test');
  };
  return {
    sandboxId: detail.id,
    snapshot: () => detail,
    applyPolicies: async () => refuse(),
    deletePolicy: async () => refuse(),
    labelPod: async () => refuse(),
    explain: () => refuse(),
    matrix: () => refuse(),
    startRun: () => refuse(),
    describeMismatch: () => undefined,
    extend: async () => refuse(),
    rules: () => new Promise((resolve) => setTimeout(() => resolve('table inet rehearsal {}'), options.rulesDelayMs ?? 0)),
    watch: () => ({ dispose: () => undefined }),
  };
}

/** Errors with a string code are known (as the server's error map would say); the rest are bugs. */
function describeError(error: unknown): { code: string; message: string; issues: [] } | undefined {
  const code: unknown = error instanceof Error ? Reflect.get(error, 'code') : undefined;
  return typeof code === 'string' && error instanceof Error ? { code, message: error.message, issues: [] } : undefined;
}

function strip(text: string): string {
  return text.replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '').replace(/\r/g, '');
}

function collect(frames: TerminalServerFrame[]): string {
  return strip(frames.map((frame) => (frame.type === 'output' || frame.type === 'history' ? frame.data : '')).join(''));
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
}

describe('createTerminalHub', () => {
  it('sends the transcript first, then live output, to every client of the sandbox', () => {
    const hub = createTerminalHub({ createBackend: () => makeBackend(), historyBytes: 64 * 1024, onInternalError: () => undefined, describeError });
    const first: TerminalServerFrame[] = [];
    const attachment = hub.attach(detail.id, { send: (frame) => first.push(frame), close: () => undefined });
    expect(first[0]?.type).toBe('history');
    expect(collect(first)).toContain('rehearsal terminal for sb-0000abcd');
    const second: TerminalServerFrame[] = [];
    hub.attach(detail.id, { send: (frame) => second.push(frame), close: () => undefined });
    attachment.input('pods\r');
    expect(collect(first)).toContain('10.244.0.17');
    expect(collect(second)).toContain('10.244.0.17');
    hub.dispose();
  });

  it('keeps the transcript within its byte bound', () => {
    const hub = createTerminalHub({ createBackend: () => makeBackend(), historyBytes: 4096, onInternalError: () => undefined, describeError });
    const attachment = hub.attach(detail.id, { send: () => undefined, close: () => undefined });
    for (let i = 0; i < 200; i++) attachment.input('help\r');
    const late: TerminalServerFrame[] = [];
    hub.attach(detail.id, { send: (frame) => late.push(frame), close: () => undefined });
    const history = late[0];
    expect(history?.type).toBe('history');
    expect(Buffer.byteLength(history?.type === 'history' ? history.data : '')).toBeLessThanOrEqual(4096 + 16);
    hub.dispose();
  });

  it('runs what was typed while a command ran, once it ends', async () => {
    const hub = createTerminalHub({ createBackend: () => makeBackend({ rulesDelayMs: 50 }), historyBytes: 64 * 1024, onInternalError: () => undefined, describeError });
    const frames: TerminalServerFrame[] = [];
    const attachment = hub.attach(detail.id, { send: (frame) => frames.push(frame), close: () => undefined });
    attachment.input('rules\r');
    attachment.input('pods\r');
    await until(() => collect(frames).includes('10.244.0.17'));
    const text = collect(frames);
    expect(text.indexOf('table inet rehearsal')).toBeLessThan(text.indexOf('10.244.0.17'));
    hub.dispose();
  });

  it('discards type-ahead on Ctrl-C', async () => {
    const hub = createTerminalHub({ createBackend: () => makeBackend({ rulesDelayMs: 50 }), historyBytes: 64 * 1024, onInternalError: () => undefined, describeError });
    const frames: TerminalServerFrame[] = [];
    const attachment = hub.attach(detail.id, { send: (frame) => frames.push(frame), close: () => undefined });
    attachment.input('rules\r');
    attachment.input('pods\r');
    attachment.input('\x03');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(collect(frames)).not.toContain('10.244.0.17');
    hub.dispose();
  });

  it('ends the terminal with the sandbox: a closed frame and a close for every client', () => {
    const hub = createTerminalHub({ createBackend: () => makeBackend(), historyBytes: 64 * 1024, onInternalError: () => undefined, describeError });
    const frames: TerminalServerFrame[] = [];
    const closes: string[] = [];
    hub.attach(detail.id, { send: (frame) => frames.push(frame), close: (reason) => closes.push(reason) });
    hub.end(detail.id, 'sandbox sb-0000abcd is gone: expired after 30m');
    expect(frames.at(-1)).toEqual({ type: 'closed', reason: 'sandbox sb-0000abcd is gone: expired after 30m' });
    expect(closes).toEqual(['sandbox sb-0000abcd is gone: expired after 30m']);
    expect(hub.sessionCount).toBe(0);
  });

  it('shows a safe line for a failure without a code and reports it to the owner', async () => {
    const errors: unknown[] = [];
    const hub = createTerminalHub({
      createBackend: () => ({ ...makeBackend(), rules: async () => Promise.reject(new Error('boom at /secret/path')) }),
      historyBytes: 64 * 1024,
      onInternalError: (error) => errors.push(error),
      describeError,
    });
    const frames: TerminalServerFrame[] = [];
    const attachment = hub.attach(detail.id, { send: (frame) => frames.push(frame), close: () => undefined });
    attachment.input('rules\r');
    await until(() => collect(frames).includes('internal error'));
    expect(collect(frames)).not.toContain('/secret/path');
    expect(errors).toHaveLength(1);
    hub.dispose();
  });
});
