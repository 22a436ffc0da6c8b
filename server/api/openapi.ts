// The OpenAPI 3.1 description of the REST API, built from the route table and the protocol's zod schemas (so it
// cannot drift from what the server validates), plus the websocket channels and their frames as an extension.
import { z } from 'zod';
import type { RouteDescription } from './route-table.ts';
import { errorBodySchema, eventClientFrameSchema, eventFrameSchema, terminalClientFrameSchema, terminalServerFrameSchema } from './protocol/schemas.ts';
import { tokenCookieName } from './auth.ts';

type JsonObject = Record<string, unknown>;

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });
  return rest;
}

const statusText: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted: the work continues; follow it on the events channel',
  400: 'The request is invalid; `error.issues` lists every problem with its path',
  401: 'A token is required',
  403: 'The Host or Origin is not allowed',
  404: 'Not found',
  409: 'Not now (the sandbox is provisioning, or the name is taken)',
  410: 'The sandbox is gone (destroyed, expired or failed)',
  413: 'The body is larger than the server accepts',
  422: 'Understood but refused (limits, invalid manifests, unknown CNI); `error.issues` says why',
  429: 'The server is full (sandboxes or provisioning)',
  500: 'Internal error: a safe message and a request id; details are in the server log',
  503: 'The provider is not available on this host, or the server is shutting down',
};

function describeParameters(schema: z.ZodType, location: 'path' | 'query'): JsonObject[] {
  if (!(schema instanceof z.ZodObject)) return [];
  const shape: Record<string, z.ZodType> = schema.shape;
  return Object.entries(shape).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || !property.safeParse(undefined).success,
    schema: toSchema(property, 'input'),
  }));
}

function describeRoute(route: RouteDescription): JsonObject {
  const errorResponse = { description: '', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } } };
  const errorStatuses = [...new Set([400, 401, 403, 500, ...route.errors])].sort((a, b) => a - b);
  const responses: JsonObject = {
    [String(route.status)]: { description: statusText[route.status] ?? 'OK', content: { 'application/json': { schema: toSchema(route.response, 'output') } } },
  };
  for (const status of errorStatuses) responses[String(status)] = { ...errorResponse, description: statusText[status] ?? 'Error' };
  return {
    summary: route.summary,
    tags: [route.tag],
    operationId: `${route.method}${route.path.replace(/\/:?([a-zA-Z]+)/g, (_, word: string) => word.charAt(0).toUpperCase() + word.slice(1))}`,
    parameters: [...describeParameters(route.params, 'path'), ...describeParameters(route.query, 'query')],
    ...(route.body === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: toSchema(route.body, 'input') } } } }),
    responses,
  };
}

export function buildOpenApiDocument(routes: readonly RouteDescription[], info: { readonly version: string }): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const route of routes) {
    const path = `/api${route.path.replace(/:([a-zA-Z]+)/g, '{$1}')}`;
    paths[path] = { ...paths[path], [route.method]: describeRoute(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'rehearsal',
      version: info.version,
      description:
        'Ephemeral sandbox clusters and a NetworkPolicy playground. Every body, query and parameter is validated; errors are ' +
        '{ error: { code, message, requestId, issues? } }. Live events and the terminal are websockets (see x-websockets).',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, { cookie: [] }, { queryToken: [] }, {}],
    paths,
    components: {
      schemas: { ErrorBody: toSchema(errorBodySchema, 'output') },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'The token printed at start (required when the server binds beyond loopback)' },
        cookie: { type: 'apiKey', in: 'cookie', name: tokenCookieName, description: 'Set after a visit with ?token=' },
        queryToken: { type: 'apiKey', in: 'query', name: 'token' },
      },
    },
    'x-websockets': {
      '/api/ws/events': {
        description: 'Server → client events: sandbox lifecycle and progress, TTL warnings, runs and results, policy changes. A slow reader loses frames and is told with a `dropped` frame.',
        serverFrames: toSchema(eventFrameSchema, 'output'),
        clientFrames: toSchema(eventClientFrameSchema, 'input'),
        query: { sandboxId: 'only this sandbox (optional)' },
      },
      '/api/ws/sandboxes/{id}/terminal': {
        description: "The sandbox's terminal (xterm.js-compatible ANSI). The first frame is `history` (recent output). A client that cannot keep up is disconnected with a reason; reconnecting replays the history.",
        serverFrames: toSchema(terminalServerFrameSchema, 'output'),
        clientFrames: toSchema(terminalClientFrameSchema, 'input'),
      },
    },
  };
}
