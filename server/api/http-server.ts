// Listening and stopping: an http.Server for the express app with websocket upgrades handed to the gateway.
// Stopping refuses new connections, closes websockets with a reason, and cuts idle keep-alive connections.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiApp } from './app.ts';

export const HttpServerErrorCodes = { addressInUse: 'SERVER_ADDRESS_IN_USE', listenFailed: 'SERVER_LISTEN_FAILED' } as const;

export class HttpServerError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpServerError';
    this.code = code;
  }
}

export interface RunningHttpServer {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:7070` (IPv6 hosts bracketed). */
  readonly origin: string;
  /** Stops accepting, closes websockets, waits up to `graceMs` for requests in flight, then cuts the rest. */
  close(options: { readonly graceMs: number; readonly reason: string }): Promise<void>;
}

export async function startHttpServer(input: { readonly api: ApiApp; readonly host: string; readonly port: number }): Promise<RunningHttpServer> {
  const server = createServer({ requestTimeout: 60_000, headersTimeout: 20_000 }, input.api.app);
  server.on('upgrade', (request, socket, head) => input.api.gateway.handleUpgrade(request, socket, head));
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      const code: unknown = Reflect.get(error, 'code');
      reject(
        code === 'EADDRINUSE'
          ? new HttpServerError(HttpServerErrorCodes.addressInUse, `port ${input.port} on ${input.host} is in use; stop what uses it or pass --port`, { cause: error })
          : new HttpServerError(HttpServerErrorCodes.listenFailed, `cannot listen on ${input.host}:${input.port}: ${error.message}`, { cause: error }),
      );
    };
    server.once('error', onError);
    server.listen(input.port, input.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? (address satisfies AddressInfo).port : input.port;
  const host = input.host.includes(':') && !input.host.startsWith('[') ? `[${input.host}]` : input.host;
  let closing: Promise<void> | undefined;
  return {
    server,
    host: input.host,
    port,
    origin: `http://${host}:${port}`,
    close(options) {
      closing ??= new Promise<void>((resolve) => {
        input.api.gateway.closeAll(options.reason);
        const timer = setTimeout(() => server.closeAllConnections(), options.graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      }).finally(() => input.api.dispose());
      return closing;
    },
  };
}
