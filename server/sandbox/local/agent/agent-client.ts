// Talks to one pod agent over its unix control socket: many requests in flight on one connection, matched by id.
// Any line the agent writes that this client does not expect ends the connection: a confused agent is not trusted.

import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { SandboxError } from '../../contract.ts';
import { AgentErrorCodes, checkAgentRequest, encodeAgentRequest, parseAgentResponse } from './agent-protocol.ts';
import type { AgentProtocol, AgentReloaded, AgentRequest, AgentResponse, AgentResult, AgentStats } from './agent-protocol.ts';

export interface AgentConnectOptions {
  readonly signal?: AbortSignal;
  /** Default 5000. */
  readonly connectTimeoutMs?: number;
  /** Extra time beyond a probe's own timeout before the client gives up on the agent. Default 2000. */
  readonly timeoutSlackMs?: number;
  /** How long PING and STATS may take. Default 5000. */
  readonly commandTimeoutMs?: number;
}

export interface AgentProbeRequest {
  readonly protocol: AgentProtocol;
  readonly ip: string;
  readonly port: number;
  readonly timeoutMs: number;
  readonly sourceIp?: string;
}

export interface AgentProbeNameRequest {
  readonly protocol: AgentProtocol;
  readonly hostname: string;
  readonly port: number;
  readonly timeoutMs: number;
  readonly sourceIp?: string;
}

export interface AgentRequestOptions {
  readonly signal?: AbortSignal;
}

interface Pending {
  readonly expects: AgentResponse['kind'];
  readonly resolve: (response: AgentResponse) => void;
  readonly reject: (error: SandboxError) => void;
  readonly timer: NodeJS.Timeout;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

type RequestWithoutId = AgentRequest extends infer R ? (R extends AgentRequest ? Omit<R, 'id'> : never) : never;

// Far above any legal line (1 KiB requests, short answers); more without a newline means the stream is not ours.
const maxBufferedChars = 64 * 1024;

export class AgentClient implements AsyncDisposable {
  readonly socketPath: string;
  private readonly socket: Socket;
  private readonly timeoutSlackMs: number;
  private readonly commandTimeoutMs: number;
  private readonly pending = new Map<string, Pending>();
  /** Ids whose caller gave up (abort, timeout): their late answers are expected and dropped. */
  private readonly abandoned = new Set<string>();
  private buffer = '';
  private nextId = 1;
  private failure: SandboxError | undefined;
  private readonly closed: Promise<void>;

  private constructor(socketPath: string, socket: Socket, options: AgentConnectOptions) {
    this.socketPath = socketPath;
    this.socket = socket;
    this.timeoutSlackMs = options.timeoutSlackMs ?? 2000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 5000;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (error) => {
      this.fail(new SandboxError(AgentErrorCodes.closed, `the pod agent at ${this.socketPath} connection failed: ${error.message}`, { cause: error }));
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.fail(new SandboxError(AgentErrorCodes.closed, `the pod agent at ${this.socketPath} closed the connection; check that it is still running`));
        resolve();
      });
    });
  }

  /** Opens a control connection. Fails with LOCAL_AGENT_CONNECT_FAILED when nothing accepts on the socket. */
  static async connect(socketPath: string, options: AgentConnectOptions = {}): Promise<AgentClient> {
    const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    options.signal?.throwIfAborted();
    const socket = createConnection({ path: socketPath });
    await new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        socket.off('connect', onConnect);
        socket.off('error', onError);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const failWith = (error: SandboxError): void => {
        cleanup();
        socket.destroy();
        reject(error);
      };
      const onConnect = (): void => {
        cleanup();
        resolve();
      };
      const onError = (error: NodeJS.ErrnoException): void => {
        failWith(
          new SandboxError(
            AgentErrorCodes.connectFailed,
            `cannot reach the pod agent at ${socketPath} (${error.code ?? error.message}); the agent is not running or the sandbox was torn down`,
            { cause: error },
          ),
        );
      };
      const onAbort = (): void => {
        failWith(new SandboxError(AgentErrorCodes.aborted, `connecting to the pod agent at ${socketPath} was aborted`, { cause: options.signal?.reason }));
      };
      const timer = setTimeout(() => {
        failWith(new SandboxError(AgentErrorCodes.connectFailed, `the pod agent at ${socketPath} did not accept within ${connectTimeoutMs} ms`));
      }, connectTimeoutMs);
      socket.once('connect', onConnect);
      socket.once('error', onError);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    return new AgentClient(socketPath, socket, options);
  }

  /** Connects to an address. The result says how it went (connected, refused, net-/host-unreachable, timeout...). */
  probe(request: AgentProbeRequest, options: AgentRequestOptions = {}): Promise<AgentResult> {
    return this.requestResult({ kind: 'probe', ...request }, request.timeoutMs, options);
  }

  /** Resolves a name with the pod's resolver settings, then connects to the first address. */
  probeName(request: AgentProbeNameRequest, options: AgentRequestOptions = {}): Promise<AgentResult> {
    return this.requestResult({ kind: 'probe-name', ...request }, request.timeoutMs, options);
  }

  /** Resolves a name (A record) as the pod would; status `resolved` with `resolvedIp`, or a dns-* status. */
  resolve(request: { readonly hostname: string; readonly timeoutMs: number }, options: AgentRequestOptions = {}): Promise<AgentResult> {
    return this.requestResult({ kind: 'resolve', ...request }, request.timeoutMs, options);
  }

  async ping(options: AgentRequestOptions = {}): Promise<void> {
    await this.send({ kind: 'ping' }, 'pong', this.commandTimeoutMs, options);
  }

  async stats(options: AgentRequestOptions = {}): Promise<AgentStats> {
    const response = await this.send({ kind: 'stats' }, 'stats', this.commandTimeoutMs, options);
    if (response.kind !== 'stats') throw this.mismatch(response);
    return response;
  }

  /** A DNS agent reads its records file again; rejects (LOCAL_AGENT_REJECTED) when the file is broken or this agent serves no DNS. */
  async reloadDns(options: AgentRequestOptions = {}): Promise<AgentReloaded> {
    const response = await this.send({ kind: 'reload' }, 'reloaded', this.commandTimeoutMs, options);
    if (response.kind !== 'reloaded') throw this.mismatch(response);
    return response;
  }

  /** Number of requests awaiting an answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Rejects every pending request with LOCAL_AGENT_CLOSED and closes the connection. The agent keeps running. */
  async close(): Promise<void> {
    this.fail(new SandboxError(AgentErrorCodes.closed, `the client of the pod agent at ${this.socketPath} was closed`));
    this.socket.destroy();
    await this.closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async requestResult(request: RequestWithoutId, timeoutMs: number, options: AgentRequestOptions): Promise<AgentResult> {
    const response = await this.send(request, 'result', timeoutMs + this.timeoutSlackMs, options);
    if (response.kind !== 'result') throw this.mismatch(response);
    return response;
  }

  private mismatch(response: AgentResponse): SandboxError {
    return new SandboxError(AgentErrorCodes.protocol, `the pod agent at ${this.socketPath} answered ${response.kind} where a different answer was due`);
  }

  private send(request: RequestWithoutId, expects: AgentResponse['kind'], waitMs: number, options: AgentRequestOptions): Promise<AgentResponse> {
    const id = `r${this.nextId}`;
    this.nextId += 1;
    const full: AgentRequest = { ...request, id };
    const problem = checkAgentRequest(full);
    if (problem !== undefined) {
      return Promise.reject(new SandboxError(AgentErrorCodes.badRequest, `cannot send this request to the pod agent: ${problem}`));
    }
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const signal = options.signal;
    if (signal?.aborted === true) {
      return Promise.reject(new SandboxError(AgentErrorCodes.aborted, 'the request was aborted before it was sent', { cause: signal.reason }));
    }
    return new Promise<AgentResponse>((resolve, reject) => {
      const giveUp = (error: SandboxError): void => {
        if (!this.settle(id)) return;
        this.abandoned.add(id);
        reject(error);
      };
      const onAbort = (): void => giveUp(new SandboxError(AgentErrorCodes.aborted, `request ${id} to the pod agent was aborted`, { cause: signal?.reason }));
      const timer = setTimeout(() => {
        giveUp(
          new SandboxError(
            AgentErrorCodes.timeout,
            `the pod agent at ${this.socketPath} did not answer request ${id} within ${waitMs} ms; it may be overloaded or stuck`,
          ),
        );
      }, waitMs);
      this.pending.set(id, { expects, resolve, reject, timer, signal, onAbort });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.socket.write(encodeAgentRequest(full));
    });
  }

  /** Removes a pending request and its timer and listener; false when it was already settled. */
  private settle(id: string): boolean {
    const entry = this.pending.get(id);
    if (entry === undefined) return false;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    entry.signal?.removeEventListener('abort', entry.onAbort);
    return true;
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline = this.buffer.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      this.onLine(line);
      if (this.failure !== undefined) return;
      newline = this.buffer.indexOf('\n');
    }
    if (this.buffer.length > maxBufferedChars) {
      this.failProtocol(`the pod agent at ${this.socketPath} sent ${this.buffer.length} characters without a newline`);
    }
  }

  private onLine(line: string): void {
    const parsed = parseAgentResponse(line);
    if (!parsed.ok) {
      this.failProtocol(`the pod agent at ${this.socketPath} sent a line this client does not understand: ${parsed.problem}`);
      return;
    }
    const response = parsed.value;
    if (response.kind === 'error' && response.id === undefined) {
      this.failProtocol(`the pod agent at ${this.socketPath} rejected a request without naming it: ${response.message}`);
      return;
    }
    const id = response.id ?? '';
    const entry = this.pending.get(id);
    if (entry === undefined) {
      if (this.abandoned.delete(id)) return;
      this.failProtocol(`the pod agent at ${this.socketPath} answered request ${id}, which this client never sent or already has an answer for`);
      return;
    }
    this.settle(id);
    if (response.kind === 'error') {
      entry.reject(new SandboxError(AgentErrorCodes.rejected, `the pod agent rejected request ${id}: ${response.message}`));
      return;
    }
    if (response.kind !== entry.expects) {
      entry.reject(this.mismatch(response));
      this.failProtocol(`the pod agent at ${this.socketPath} answered request ${id} with ${response.kind} instead of ${entry.expects}`);
      return;
    }
    entry.resolve(response);
  }

  private failProtocol(message: string): void {
    this.fail(new SandboxError(AgentErrorCodes.protocol, message));
    this.socket.destroy();
  }

  /** Records the first failure and rejects everything pending with it; later requests reject at once. */
  private fail(error: SandboxError): void {
    this.failure ??= error;
    for (const [id, entry] of [...this.pending]) {
      this.settle(id);
      entry.reject(this.failure);
    }
    this.abandoned.clear();
  }
}
