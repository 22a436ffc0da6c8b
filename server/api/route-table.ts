// Routes declared once as data (method, path, schemas, handler): the table registers them on express with
// validation of params, query and body, and the same table is what /api/openapi.json describes.
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { Logger } from '../log.ts';
import { ApiError, ApiErrorCodes } from './errors.ts';
import { parseRequestPart } from './validate.ts';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteInput<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  readonly params: z.output<P>;
  readonly query: z.output<Q>;
  readonly body: z.output<B>;
  readonly requestId: string;
}

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType> {
  readonly method: HttpMethod;
  /** Express path under /api, e.g. `/sandboxes/:id`. */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly params: P;
  readonly query: Q;
  /** `noBody` for routes that take none. */
  readonly body: B;
  readonly response: R;
  /** The success status (200, 201, 202). */
  readonly status: number;
  /** Error statuses worth documenting besides 400/401/500. */
  readonly errors?: readonly number[];
  handle(input: RouteInput<P, Q, B>): Promise<z.input<R>> | z.input<R>;
}

/** A route as the OpenAPI builder sees it (handler erased). */
export interface RouteDescription {
  readonly method: HttpMethod;
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly params: z.ZodType;
  readonly query: z.ZodType;
  readonly body: z.ZodType | undefined;
  readonly response: z.ZodType;
  readonly status: number;
  readonly errors: readonly number[];
}

export const noParams = z.strictObject({});
export const noQuery = z.strictObject({});
/** Routes without a body ignore whatever is sent (a DELETE with a stray body is not an error). */
export const noBody: z.ZodType<undefined, unknown> = z.unknown().transform(() => undefined);

function isNoBody(schema: z.ZodType): boolean {
  return schema === noBody;
}

export interface RouteTable {
  add<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(spec: RouteSpec<P, Q, B, R>): void;
  readonly routes: readonly RouteDescription[];
  /** Registers every route on the router. */
  mount(router: Router, options: { readonly log: Logger; readonly isResponseValidated: boolean }): void;
}

/** The query without the auth token (it may come as ?token= and is not part of any route's query). */
function readQuery(request: Request): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(request.query)) if (key !== 'token') query[key] = value;
  return query;
}

export function readRequestId(response: Response): string {
  const id: unknown = response.locals['requestId'];
  return typeof id === 'string' ? id : 'unknown';
}

export function createRouteTable(): RouteTable {
  const registrations: ((router: Router, options: { readonly log: Logger; readonly isResponseValidated: boolean }) => void)[] = [];
  const routes: RouteDescription[] = [];
  return {
    routes,
    add(spec) {
      routes.push({
        method: spec.method,
        path: spec.path,
        summary: spec.summary,
        tag: spec.tag,
        params: spec.params,
        query: spec.query,
        body: isNoBody(spec.body) ? undefined : spec.body,
        response: spec.response,
        status: spec.status,
        errors: spec.errors ?? [],
      });
      registrations.push((router, options) => {
        router[spec.method](spec.path, async (request: Request, response: Response) => {
          const requestId = readRequestId(response);
          const params = parseRequestPart(spec.params, { ...request.params }, 'params');
          const query = parseRequestPart(spec.query, readQuery(request), 'query');
          const body = parseRequestPart(spec.body, isNoBody(spec.body) ? undefined : (request.body ?? {}), 'body');
          const result = await spec.handle({ params, query, body, requestId });
          if (options.isResponseValidated) {
            const checked = spec.response.safeParse(result);
            if (!checked.success) {
              options.log.error('response does not match its schema', { path: spec.path, issues: checked.error.issues.slice(0, 5) });
              throw new ApiError(ApiErrorCodes.responseInvalid, 'the server produced a response that does not match its schema');
            }
          }
          response.status(spec.status).json(result);
        });
      });
    },
    mount(router, options) {
      for (const register of registrations) register(router, options);
    },
  };
}
