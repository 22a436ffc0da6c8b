// The typed REST client: one method per endpoint, request bodies checked against the protocol schema
// before sending, every response parsed with its schema. Same-origin fetch, so the auth cookie the server
// set (from `/?token=…`) rides along.
import { z } from 'zod';
import {
  applyPoliciesResponseSchema,
  createSandboxRequestSchema,
  errorBodySchema,
  eventListSchema,
  explainViewSchema,
  extendSandboxRequestSchema,
  lintRequestSchema,
  lintResponseSchema,
  matrixViewSchema,
  policiesRequestSchema,
  providerViewSchema,
  runListSchema,
  runViewSchema,
  sandboxDetailSchema,
  sandboxViewSchema,
  scenarioSummarySchema,
  scenarioViewSchema,
  serverInfoSchema,
  startRunRequestSchema,
} from '../../../server/api/protocol/index.ts';
import { ApiError, clientErrorCodes } from './api-error.ts';

export type ServerInfo = z.infer<typeof serverInfoSchema>;
export type ProviderView = z.infer<typeof providerViewSchema>;
export type ScenarioSummary = z.infer<typeof scenarioSummarySchema>;
export type ScenarioView = z.infer<typeof scenarioViewSchema>;
export type SandboxView = z.infer<typeof sandboxViewSchema>;
export type SandboxDetail = z.infer<typeof sandboxDetailSchema>;
export type ApplyPoliciesResponse = z.infer<typeof applyPoliciesResponseSchema>;
export type MatrixView = z.infer<typeof matrixViewSchema>;
export type MatrixCell = MatrixView['cells'][number];
export type ExplainView = z.infer<typeof explainViewSchema>;
export type RunView = z.infer<typeof runViewSchema>;
export type RunSummaryView = z.infer<typeof runListSchema>[number];
export type RunResult = RunView['results'][number];
export type EventList = z.infer<typeof eventListSchema>;
export type CreateSandboxInput = z.input<typeof createSandboxRequestSchema>;
export type ApplyPoliciesInput = z.input<typeof policiesRequestSchema>;
export type StartRunInput = z.input<typeof startRunRequestSchema>;

export interface MatrixQuery {
  readonly port?: string;
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
}

export interface FlowQuery {
  readonly from: string;
  readonly to: string;
  readonly port: string;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
}

interface RequestOptions<S extends z.ZodType> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly responseSchema: S;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
}

const pathSegment = (value: string): string => encodeURIComponent(value);

function describeZodError(error: z.ZodError): string {
  const first = error.issues[0];
  if (first === undefined) return 'invalid';
  return first.path.length === 0 ? first.message : `${first.path.join('.')}: ${first.message}`;
}

export class RestClient {
  readonly #baseUrl: string;

  /** `baseUrl` is '' in the browser (same origin); tests pass the server's address. */
  constructor(baseUrl = '') {
    this.#baseUrl = baseUrl;
  }

  getInfo(signal?: AbortSignal): Promise<ServerInfo> {
    return this.#request({ method: 'GET', path: '/api/info', responseSchema: serverInfoSchema, signal });
  }

  listProviders(signal?: AbortSignal): Promise<ProviderView[]> {
    return this.#request({ method: 'GET', path: '/api/providers', responseSchema: z.array(providerViewSchema), signal });
  }

  listScenarios(signal?: AbortSignal): Promise<ScenarioSummary[]> {
    return this.#request({ method: 'GET', path: '/api/scenarios', responseSchema: z.array(scenarioSummarySchema), signal });
  }

  getScenario(name: string, signal?: AbortSignal): Promise<ScenarioView> {
    return this.#request({ method: 'GET', path: `/api/scenarios/${pathSegment(name)}`, responseSchema: scenarioViewSchema, signal });
  }

  listSandboxes(signal?: AbortSignal): Promise<SandboxView[]> {
    return this.#request({ method: 'GET', path: '/api/sandboxes', responseSchema: z.array(sandboxViewSchema), signal });
  }

  getSandbox(id: string, signal?: AbortSignal): Promise<SandboxDetail> {
    return this.#request({ method: 'GET', path: `/api/sandboxes/${pathSegment(id)}`, responseSchema: sandboxDetailSchema, signal });
  }

  createSandbox(input: CreateSandboxInput): Promise<SandboxView> {
    const body = this.#checkBody(createSandboxRequestSchema, input);
    return this.#request({ method: 'POST', path: '/api/sandboxes', responseSchema: sandboxViewSchema, body });
  }

  extendSandbox(id: string, bySeconds: number): Promise<SandboxView> {
    const body = this.#checkBody(extendSandboxRequestSchema, { bySeconds });
    return this.#request({ method: 'POST', path: `/api/sandboxes/${pathSegment(id)}/extend`, responseSchema: sandboxViewSchema, body });
  }

  destroySandbox(id: string): Promise<SandboxView> {
    return this.#request({ method: 'DELETE', path: `/api/sandboxes/${pathSegment(id)}`, responseSchema: sandboxViewSchema });
  }

  applyPolicies(id: string, input: ApplyPoliciesInput, signal?: AbortSignal): Promise<ApplyPoliciesResponse> {
    const body = this.#checkBody(policiesRequestSchema, input);
    return this.#request({ method: 'PUT', path: `/api/sandboxes/${pathSegment(id)}/policies`, responseSchema: applyPoliciesResponseSchema, body, signal });
  }

  lint(yaml: string, sandboxId?: string, signal?: AbortSignal): Promise<z.infer<typeof lintResponseSchema>> {
    const body = this.#checkBody(lintRequestSchema, { yaml, sandboxId });
    return this.#request({ method: 'POST', path: '/api/lint', responseSchema: lintResponseSchema, body, signal });
  }

  getMatrix(id: string, query: MatrixQuery, signal?: AbortSignal): Promise<MatrixView> {
    const search = new URLSearchParams();
    if (query.port !== undefined) search.set('port', query.port);
    if (query.protocol !== undefined) search.set('protocol', query.protocol);
    const suffix = search.size === 0 ? '' : `?${search.toString()}`;
    return this.#request({ method: 'GET', path: `/api/sandboxes/${pathSegment(id)}/matrix${suffix}`, responseSchema: matrixViewSchema, signal });
  }

  explain(id: string, flow: FlowQuery, signal?: AbortSignal): Promise<ExplainView> {
    const search = new URLSearchParams({ from: flow.from, to: flow.to, port: flow.port, protocol: flow.protocol });
    return this.#request({ method: 'GET', path: `/api/sandboxes/${pathSegment(id)}/explain?${search.toString()}`, responseSchema: explainViewSchema, signal });
  }

  startRun(id: string, input: StartRunInput): Promise<RunView> {
    const body = this.#checkBody(startRunRequestSchema, input);
    return this.#request({ method: 'POST', path: `/api/sandboxes/${pathSegment(id)}/runs`, responseSchema: runViewSchema, body });
  }

  listRuns(id: string, signal?: AbortSignal): Promise<RunSummaryView[]> {
    return this.#request({ method: 'GET', path: `/api/sandboxes/${pathSegment(id)}/runs`, responseSchema: runListSchema, signal });
  }

  getRun(runId: string, signal?: AbortSignal): Promise<RunView> {
    return this.#request({ method: 'GET', path: `/api/runs/${pathSegment(runId)}`, responseSchema: runViewSchema, signal });
  }

  listEvents(query: { readonly since?: number; readonly sandboxId?: string }, signal?: AbortSignal): Promise<EventList> {
    const search = new URLSearchParams();
    if (query.since !== undefined) search.set('since', String(query.since));
    if (query.sandboxId !== undefined) search.set('sandboxId', query.sandboxId);
    return this.#request({ method: 'GET', path: `/api/events?${search.toString()}`, responseSchema: eventListSchema, signal });
  }

  #checkBody<S extends z.ZodType>(schema: S, input: z.input<S>): z.output<S> {
    const parsed = schema.safeParse(input);
    if (!parsed.success) {
      throw new ApiError({ code: clientErrorCodes.badRequest, message: `request refused before sending: ${describeZodError(parsed.error)}`, status: 0 });
    }
    return parsed.data;
  }

  async #request<S extends z.ZodType>(options: RequestOptions<S>): Promise<z.output<S>> {
    let response: Response;
    try {
      response = await fetch(`${this.#baseUrl}${options.path}`, {
        method: options.method,
        headers: options.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
        credentials: 'same-origin',
      });
    } catch (error) {
      if (options.signal?.aborted === true) throw new ApiError({ code: clientErrorCodes.aborted, message: 'request cancelled', status: 0, cause: error });
      throw new ApiError({ code: clientErrorCodes.network, message: `cannot reach the rehearsal server (${options.method} ${options.path})`, status: 0, cause: error });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch (error) {
      throw new ApiError({ code: clientErrorCodes.badResponse, message: `${options.method} ${options.path} answered ${response.status} with non-JSON`, status: response.status, cause: error });
    }
    if (!response.ok) {
      const parsedError = errorBodySchema.safeParse(json);
      if (parsedError.success) {
        const { code, message, requestId, issues } = parsedError.data.error;
        throw new ApiError({ code, message, status: response.status, requestId, issues });
      }
      throw new ApiError({ code: clientErrorCodes.badResponse, message: `${options.method} ${options.path} failed with HTTP ${response.status}`, status: response.status });
    }
    const parsed = options.responseSchema.safeParse(json);
    if (!parsed.success) {
      throw new ApiError({
        code: clientErrorCodes.badResponse,
        message: `${options.method} ${options.path}: the server's answer does not match the protocol (${describeZodError(parsed.error)})`,
        status: response.status,
      });
    }
    return parsed.data;
  }
}
