// A real server on an ephemeral port for API tests, with the provider TEST DOUBLE (no root, no packets: see
// ../services/provider-double.ts), plus plain HTTP and websocket clients that let a test set every header.
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { ClientOptions, RawData } from 'ws';
import { loadServerConfig } from '../../../../server/config.ts';
import type { ConfigFlags } from '../../../../server/config.ts';
import { createLogger } from '../../../../server/log.ts';
import { startServer } from '../../../../server/main.ts';
import type { RunningServer } from '../../../../server/main.ts';
import type { SandboxProvider } from '../../../../server/sandbox/contract.ts';
import { createProviderDouble } from '../services/provider-double.ts';

export interface TestServer {
  readonly server: RunningServer;
  readonly origin: string;
  readonly dataDir: string;
  /** Every log line the server wrote (JSON). */
  readonly logs: string[];
  stop(options?: { readonly keepDataDir?: boolean }): Promise<void>;
}

export interface StartTestServerOptions {
  readonly provider?: SandboxProvider;
  readonly flags?: ConfigFlags;
  readonly dataDir?: string;
  readonly maxWsBufferedBytes?: number;
}

export async function startTestServer(options: StartTestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'rh-api-'));
  const loaded = loadServerConfig({
    flags: { port: '0', dataDir, webDist: join(dataDir, 'no-web-dist'), ttlWarnings: '2s', ...options.flags },
    env: {},
  });
  if (!loaded.ok) throw new Error(`test config invalid: ${JSON.stringify(loaded.problems)}`);
  const logs: string[] = [];
  const log = createLogger({ level: 'debug', write: (line) => logs.push(line), secrets: loaded.config.token === undefined ? [] : [loaded.config.token] });
  const server = await startServer({
    config: loaded.config,
    log,
    env: {},
    providers: [options.provider ?? createProviderDouble()],
    isResponseValidated: true,
    settleMs: 0,
    ...(options.maxWsBufferedBytes === undefined ? {} : { maxWsBufferedBytes: options.maxWsBufferedBytes }),
  });
  return {
    server,
    origin: server.origin,
    dataDir,
    logs,
    async stop(stopOptions = {}) {
      await server.stop();
      if (stopOptions.keepDataDir !== true && options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly json: unknown;
}

/** HTTP with full control of headers (Host, Origin, Cookie), unlike fetch. */
export function send(url: string, init: { readonly method?: string; readonly headers?: Record<string, string>; readonly body?: unknown; readonly rawBody?: string } = {}): Promise<HttpResponse> {
  const body = init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  const headers: Record<string, string> = { ...(body === undefined || init.rawBody !== undefined ? {} : { 'content-type': 'application/json' }), ...init.headers };
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Reads a nested field of an unknown JSON value by path, for assertions. */
export function pick(value: unknown, ...path: (string | number)[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = Reflect.get(current, key);
  }
  return current;
}

/** A nested array of an unknown JSON value ([] when it is not one). */
export function pickArray(value: unknown, ...path: (string | number)[]): unknown[] {
  const found = pick(value, ...path);
  return Array.isArray(found) ? found : [];
}

/** A websocket client that records every JSON frame and lets a test wait for one. */
export class FrameClient {
  readonly ws: WebSocket;
  readonly frames: unknown[] = [];
  #waiters: { predicate: (frame: unknown) => boolean; resolve: (frame: unknown) => void }[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(url: string, options: ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused: ${response.statusCode}`)));
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('message', (data: RawData) => {
      const frame: unknown = JSON.parse(data.toString());
      this.frames.push(frame);
      for (const waiter of [...this.#waiters]) {
        if (waiter.predicate(frame)) {
          this.#waiters = this.#waiters.filter((entry) => entry !== waiter);
          waiter.resolve(frame);
        }
      }
    });
  }

  /** The first recorded or future frame matching the predicate. */
  waitFor(predicate: (frame: unknown) => boolean, timeoutMs = 10_000): Promise<unknown> {
    const found = this.frames.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`)), timeoutMs);
      this.#waiters.push({
        predicate,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      });
    });
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }

  close(): void {
    this.ws.close();
  }
}

/** Everything the terminal printed so far (output and history frames), escape sequences removed. */
export function readTerminalText(client: FrameClient): string {
  return client.frames
    .map((frame) => (pick(frame, 'type') === 'output' || pick(frame, 'type') === 'history' ? String(pick(frame, 'data')) : ''))
    .join('')
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\r/g, '');
}

export function wsUrl(origin: string, path: string): string {
  return `${origin.replace(/^http/, 'ws')}${path}`;
}

export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}
