// ReconnectingSocket against a real websocket server (the `ws` package on an ephemeral port) and Node's
// own WebSocket client: frames validated both ways, reconnect after the server drops us, stop when told.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { terminalClientFrameSchema, terminalServerFrameSchema, type TerminalServerFrame } from '../../../../server/api/protocol/index.ts';
import { ReconnectingSocket, type SocketStatus } from '../../../../web/src/api/reconnecting-socket.ts';

const fastBackoff = { initialDelayMs: 20, maxDelayMs: 80, multiplier: 2 };

let server: WebSocketServer;
let url: string;
const connections: ServerSocket[] = [];
const received: unknown[] = [];

beforeEach(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/ws/sandboxes/sb-00000001/terminal`;
  connections.length = 0;
  received.length = 0;
  server.on('connection', (socket) => {
    connections.push(socket);
    socket.on('message', (data) => received.push(JSON.parse(String(data))));
  });
});

afterEach(async () => {
  for (const socket of server.clients) socket.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function createSocket(): ReconnectingSocket<typeof terminalServerFrameSchema, typeof terminalClientFrameSchema> {
  return new ReconnectingSocket({ url: () => url, serverFrameSchema: terminalServerFrameSchema, clientFrameSchema: terminalClientFrameSchema, backoff: fastBackoff, random: () => 0.5 });
}

function waitFor<T>(subscribe: (listener: (value: T) => void) => { dispose(): void }, predicate: (value: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => {
    const subscription = subscribe((value) => {
      if (!predicate(value)) return;
      subscription.dispose();
      resolve(value);
    });
  });
}

async function waitUntil(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('ReconnectingSocket', () => {
  it('delivers server frames that match the protocol and reports the ones that do not', async () => {
    const socket = createSocket();
    await waitFor(socket.onOpen);
    const frames: TerminalServerFrame[] = [];
    const invalid: string[] = [];
    socket.onFrame((frame) => frames.push(frame));
    socket.onInvalidFrame((error) => invalid.push(error));
    connections[0]?.send(JSON.stringify({ type: 'output', data: 'allowed' }));
    connections[0]?.send(JSON.stringify({ type: 'launch-missiles' }));
    connections[0]?.send(JSON.stringify({ type: 'history', data: 'h' }));
    await waitUntil(() => frames.length === 2);
    expect(frames).toEqual([{ type: 'output', data: 'allowed' }, { type: 'history', data: 'h' }]);
    expect(invalid).toHaveLength(1);
    socket.dispose();
  });

  it('sends valid client frames and refuses invalid ones without sending them', async () => {
    const socket = createSocket();
    await waitFor(socket.onOpen);
    expect(socket.send({ type: 'input', data: 'pods\r' })).toBe(true);
    expect(socket.send({ type: 'resize', cols: 1, rows: 1 })).toBe(false);
    expect(socket.send({ type: 'ping' })).toBe(true);
    await waitUntil(() => received.length === 2);
    expect(received).toEqual([{ type: 'input', data: 'pods\r' }, { type: 'ping' }]);
    socket.dispose();
  });

  it('reconnects after the server drops the connection, and says it is a reconnect', async () => {
    const socket = createSocket();
    const statuses: SocketStatus[] = [];
    socket.onStatus((status) => statuses.push(status));
    expect(await waitFor(socket.onOpen)).toEqual({ isReconnect: false });
    connections[0]?.terminate();
    expect(await waitFor(socket.onOpen)).toEqual({ isReconnect: true });
    expect(connections).toHaveLength(2);
    const waiting = statuses.find((s) => s.state === 'waiting');
    expect(waiting).toMatchObject({ attempt: 1, retryInMs: 15 });
    expect(socket.status).toEqual({ state: 'open', attempt: 0 });
    socket.dispose();
  });

  it('keeps retrying with growing delays while the server is down', async () => {
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const socket = createSocket();
    const delays: number[] = [];
    await waitFor(socket.onStatus, (status) => {
      if (status.state === 'waiting' && status.retryInMs !== undefined) delays.push(status.retryInMs);
      return delays.length === 4;
    });
    expect(delays).toEqual([15, 30, 60, 60]);
    // The server comes back on the same port: the next attempt succeeds.
    server = new WebSocketServer({ host: '127.0.0.1', port });
    await once(server, 'listening');
    await waitFor(socket.onOpen);
    socket.dispose();
  });

  it('stops for good on a final close code, and after stop()', async () => {
    const socket = createSocket();
    await waitFor(socket.onOpen);
    connections[0]?.close(4404, 'no such sandbox');
    const stopped = await waitFor(socket.onStatus, (s) => s.state === 'stopped');
    expect(stopped.reason).toBe('no such sandbox (code 4404)');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(connections).toHaveLength(1);

    const other = createSocket();
    await waitFor(other.onOpen);
    other.stop('session closed');
    expect(other.status).toEqual({ state: 'stopped', attempt: 0, reason: 'session closed' });
    expect(other.send({ type: 'ping' })).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(connections).toHaveLength(2);
    socket.dispose();
    other.dispose();
  });

  it('replaces a connection that stops answering pings', async () => {
    // This server swallows pings: the heartbeat must notice and reconnect.
    const socket = new ReconnectingSocket({
      url: () => url,
      serverFrameSchema: terminalServerFrameSchema,
      clientFrameSchema: terminalClientFrameSchema,
      backoff: fastBackoff,
      random: () => 0,
      heartbeat: { intervalMs: 30, timeoutMs: 30, ping: { type: 'ping' } },
    });
    await waitFor(socket.onOpen);
    const reconnect = await waitFor(socket.onOpen);
    expect(reconnect.isReconnect).toBe(true);
    expect(received.some((frame) => JSON.stringify(frame) === '{"type":"ping"}')).toBe(true);
    socket.dispose();
  });
});
