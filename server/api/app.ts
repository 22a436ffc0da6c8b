// The express app factory (no listen, so tests drive it on an ephemeral port): request ids, security headers,
// Host/Origin/token checks, body limits, every /api route from the route table with validation, the OpenAPI
// description, the static web UI, and the one error handler. The websocket gateway comes with it.
import { randomBytes } from 'node:crypto';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log.ts';
import type { ApiServices } from './api-services.ts';
import { createAuth } from './auth.ts';
import type { AuthOptions } from './auth.ts';
import { ApiError, ApiErrorCodes, logRenderedError, renderError } from './errors.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { Limits } from './protocol/limits.ts';
import { createRouteTable, readRequestId } from './route-table.ts';
import type { RouteDescription } from './route-table.ts';
import { registerMetaRoutes } from './routes/meta-routes.ts';
import { registerPolicyRoutes } from './routes/policy-routes.ts';
import { registerRunRoutes } from './routes/run-routes.ts';
import { registerSandboxRoutes } from './routes/sandbox-routes.ts';
import { registerScenarioRoutes } from './routes/scenario-routes.ts';
import { createStaticSite } from './static-site.ts';
import { createWsGateway } from './ws/ws-gateway.ts';
import type { WsGateway } from './ws/ws-gateway.ts';

export interface CreateApiAppOptions {
  readonly services: ApiServices;
  readonly log: Logger;
  readonly auth: AuthOptions;
  readonly webDistDir: string;
  /** Check every response against its schema (tests); a mismatch is a logged 500. */
  readonly isResponseValidated?: boolean;
  /** Default Limits.maxWsBufferedBytes (tests lower it). */
  readonly maxWsBufferedBytes?: number;
  readonly heartbeatMs?: number;
}

export interface ApiApp {
  readonly app: express.Express;
  readonly gateway: WsGateway;
  readonly routes: readonly RouteDescription[];
  dispose(): void;
}

function newRequestId(): string {
  return `req-${randomBytes(6).toString('hex')}`;
}

const bodyMethods = new Set(['POST', 'PUT', 'PATCH']);

export function createApiApp(options: CreateApiAppOptions): ApiApp {
  const { services, log } = options;
  const auth = createAuth(options.auth);
  const table = createRouteTable();
  registerMetaRoutes(table, services);
  registerScenarioRoutes(table, services);
  registerSandboxRoutes(table, services);
  registerPolicyRoutes(table, services);
  registerRunRoutes(table, services);
  const openApi = buildOpenApiDocument(table.routes, { version: services.info.version });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((request: Request, response: Response, next: NextFunction) => {
    const requestId = newRequestId();
    response.locals['requestId'] = requestId;
    response.setHeader('X-Request-Id', requestId);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Referrer-Policy', 'no-referrer');
    const started = performance.now();
    response.on('finish', () => {
      // The path only: a query string may carry the token.
      log.debug('request', { requestId, method: request.method, path: request.path, status: response.statusCode, durationMs: Math.round(performance.now() - started) });
    });
    next();
  });
  app.use(auth.middleware);
  app.use('/api', (request: Request, _response: Response, next: NextFunction) => {
    const length = Number(request.headers['content-length'] ?? 0);
    const isChunked = request.headers['transfer-encoding'] !== undefined;
    if (bodyMethods.has(request.method) && (length > 0 || isChunked) && !request.is('application/json')) {
      next(new ApiError(ApiErrorCodes.unsupportedMediaType, 'send the body as JSON (Content-Type: application/json)'));
      return;
    }
    next();
  });
  app.use('/api', express.json({ limit: Limits.maxBodyBytes, type: 'application/json', strict: true }));

  const api = express.Router();
  api.get('/openapi.json', (_request: Request, response: Response) => {
    response.json(openApi);
  });
  table.mount(api, { log, isResponseValidated: options.isResponseValidated ?? false });
  api.use((request: Request, _response: Response, next: NextFunction) => {
    next(new ApiError(ApiErrorCodes.notFound, `no API route ${request.method} /api${request.path}; /api/openapi.json lists them`));
  });
  app.use('/api', api);
  app.use(createStaticSite(options.webDistDir));
  app.use((request: Request, _response: Response, next: NextFunction) => {
    next(new ApiError(ApiErrorCodes.notFound, `nothing at ${request.path}`));
  });

  // The one error handler: known errors render themselves, everything else is a safe 500 with the request id.
  app.use((error: unknown, request: Request, response: Response, _next: NextFunction) => {
    const requestId = readRequestId(response);
    const rendered = renderError(error, { requestId, maxBodyBytes: Limits.maxBodyBytes });
    logRenderedError(log, rendered, error, { requestId, method: request.method, path: request.path });
    if (response.headersSent) {
      response.end();
      return;
    }
    response.status(rendered.status).json(rendered.body);
  });

  const gateway = createWsGateway({
    services,
    auth,
    log,
    newRequestId,
    ...(options.maxWsBufferedBytes === undefined ? {} : { maxBufferedBytes: options.maxWsBufferedBytes }),
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
  });
  return { app, gateway, routes: table.routes, dispose: () => gateway.dispose() };
}
