// The websocket side of the server (ws, noServer): upgrade requests are routed by path, checked like REST
// (Host, Origin, token) and refused with a real HTTP status before any handshake; accepted sockets become an
// EventsSocket or a TerminalSocket. Dead peers are found by ping/pong and cut.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { Logger } from '../../log.ts';
import type { ApiServices } from '../api-services.ts';
import type { Auth } from '../auth.ts';
import { ApiError, ApiErrorCodes, renderError } from '../errors.ts';
import { Limits } from '../protocol/limits.ts';
import { sandboxIdSchema } from '../protocol/schemas.ts';
import { EventsSocket } from './events-socket.ts';
import type { EventsSocketStats } from './events-socket.ts';
import { rejectUpgrade } from './reject-upgrade.ts';
import { TerminalCloseCodes, TerminalSocket } from './terminal-socket.ts';

export interface WsGatewayOptions {
  readonly services: ApiServices;
  readonly auth: Auth;
  readonly log: Logger;
  readonly newRequestId: () => string;
  /** Default Limits.maxWsBufferedBytes. */
  readonly maxBufferedBytes?: number;
  /** Ping interval; a peer that misses one is cut. Default 30 s. */
  readonly heartbeatMs?: number;
}

export interface WsGatewayStats {
  readonly eventClients: readonly EventsSocketStats[];
  readonly terminalClients: readonly { readonly bufferedBytes: number }[];
}

export interface WsGateway {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every socket (shutdown), with a reason the client can show. */
  closeAll(reason: string): void;
  stats(): WsGatewayStats;
  dispose(): void;
}

const terminalPath = /^\/api\/ws\/sandboxes\/([^/]+)\/terminal$/;

export function createWsGateway(options: WsGatewayOptions): WsGateway {
  const { services, log } = options;
  const maxBufferedBytes = options.maxBufferedBytes ?? Limits.maxWsBufferedBytes;
  // Input frames are at most maxTerminalInputBytes of data plus the JSON envelope.
  const server = new WebSocketServer({ noServer: true, maxPayload: Limits.maxTerminalInputBytes + 1024, perMessageDeflate: false });
  const eventSockets = new Set<EventsSocket>();
  const terminalSockets = new Set<TerminalSocket>();
  const alive = new WeakMap<WebSocket, boolean>();

  const heartbeat = setInterval(() => {
    for (const ws of server.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, options.heartbeatMs ?? 30_000);
  heartbeat.unref();

  const track = (ws: WebSocket): void => {
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
  };

  const refuse = (socket: Duplex, error: unknown, requestId: string): void => {
    const rendered = renderError(error, { requestId });
    if (rendered.isInternal) log.error('websocket upgrade failed', { requestId, error });
    rejectUpgrade(socket, rendered.status, rendered.body);
  };

  return {
    handleUpgrade(request, socket, head) {
      const requestId = options.newRequestId();
      socket.on('error', (error) => log.debug('upgrade socket error', { requestId, error }));
      try {
        const url = new URL(request.url ?? '/', 'http://placeholder');
        const refusal = options.auth.checkUpgrade(request);
        if (refusal !== undefined) {
          log.info('websocket refused', { requestId, path: url.pathname, code: refusal.code });
          refuse(socket, refusal, requestId);
          return;
        }
        if (url.pathname === '/api/ws/events') {
          const sandboxParam = url.searchParams.get('sandboxId');
          const sandboxId = sandboxParam === null ? undefined : sandboxIdSchema.safeParse(sandboxParam).data;
          if (sandboxParam !== null && sandboxId === undefined) throw new ApiError(ApiErrorCodes.invalidRequest, 'sandboxId must look like sb-1a2b3c4d');
          server.handleUpgrade(request, socket, head, (ws) => {
            track(ws);
            const events = new EventsSocket(ws, { bus: services.bus, log, maxBufferedBytes, serverVersion: services.info.version, ...(sandboxId === undefined ? {} : { sandboxId }) });
            eventSockets.add(events);
            ws.on('close', () => eventSockets.delete(events));
          });
          return;
        }
        const terminalMatch = terminalPath.exec(url.pathname);
        if (terminalMatch !== null) {
          const id = sandboxIdSchema.safeParse(terminalMatch[1]);
          if (!id.success) throw new ApiError(ApiErrorCodes.invalidRequest, 'the sandbox id in the path must look like sb-1a2b3c4d');
          services.sandboxes.requireLive(id.data);
          server.handleUpgrade(request, socket, head, (ws) => {
            track(ws);
            try {
              const terminal = new TerminalSocket(ws, { sandboxId: id.data, terminals: services.terminals, log, maxBufferedBytes });
              terminalSockets.add(terminal);
              ws.on('close', () => terminalSockets.delete(terminal));
            } catch (error) {
              const rendered = renderError(error, { requestId });
              ws.send(JSON.stringify({ type: 'error', code: rendered.body.error.code, message: rendered.body.error.message }));
              ws.close(TerminalCloseCodes.policy, rendered.body.error.message.slice(0, 120));
            }
          });
          return;
        }
        throw new ApiError(ApiErrorCodes.notFound, `no websocket at ${url.pathname}; use /api/ws/events or /api/ws/sandboxes/{id}/terminal`);
      } catch (error) {
        refuse(socket, error, requestId);
      }
    },
    closeAll(reason) {
      for (const ws of server.clients) ws.close(TerminalCloseCodes.goingAway, reason.slice(0, 120));
    },
    stats() {
      return {
        eventClients: [...eventSockets].map((socket) => socket.stats),
        terminalClients: [...terminalSockets].map((socket) => ({ bufferedBytes: socket.bufferedBytes })),
      };
    },
    dispose() {
      clearInterval(heartbeat);
      for (const ws of server.clients) ws.terminate();
      server.close();
    },
  };
}
