// The ONE error map: every error code the server knows → HTTP status, the JSON error body, and the websocket
// error frame. Known errors render their (path-scrubbed) message; anything else becomes a safe 500 naming the
// request id, with the detail (stack, cause) in the log only.
import type { z } from 'zod';
import type { Issue } from '../policy/index.ts';
import type { Logger } from '../log.ts';
import type { errorBodySchema } from './protocol/schemas.ts';

export const ApiErrorCodes = {
  invalidRequest: 'INVALID_REQUEST',
  invalidJson: 'INVALID_JSON',
  invalidFrame: 'INVALID_FRAME',
  unauthorized: 'UNAUTHORIZED',
  forbiddenOrigin: 'FORBIDDEN_ORIGIN',
  forbiddenHost: 'FORBIDDEN_HOST',
  notFound: 'NOT_FOUND',
  payloadTooLarge: 'PAYLOAD_TOO_LARGE',
  unsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  internal: 'INTERNAL',
  responseInvalid: 'RESPONSE_INVALID',
} as const;

/** A failure at the HTTP edge (validation, auth, routing), with the status it maps to in the table below. */
export class ApiError extends Error {
  readonly code: string;
  readonly issues: readonly Issue[];
  constructor(code: string, message: string, options: { readonly issues?: readonly Issue[]; readonly cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.issues = options.issues ?? [];
  }
}

/** Status per stable code. Codes of every layer meet here: API edge, services, providers, store. */
const statusByCode: Readonly<Record<string, number>> = {
  INVALID_REQUEST: 400,
  INVALID_JSON: 400,
  INVALID_FRAME: 400,
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN_ORIGIN: 403,
  FORBIDDEN_HOST: 403,
  NOT_FOUND: 404,
  SANDBOX_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  SCENARIO_NOT_FOUND: 404,
  POD_NOT_FOUND: 404,
  POLICY_NOT_FOUND: 404,
  SANDBOX_NOT_READY: 409,
  SANDBOX_NAME_TAKEN: 409,
  SANDBOX_BUSY: 409,
  SANDBOX_ABORTED: 409,
  SANDBOX_GONE: 410,
  SANDBOX_EXPIRED: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  MANIFESTS_INVALID: 422,
  CNI_UNSUPPORTED: 422,
  TTL_LIMIT_EXCEEDED: 422,
  POD_LIMIT_EXCEEDED: 422,
  POLICY_LIMIT_EXCEEDED: 422,
  RUN_PLAN_INVALID: 422,
  FLOW_INVALID: 422,
  PROVIDER_UNKNOWN: 422,
  SANDBOX_INVALID_NAME: 422,
  SANDBOX_LIMIT_EXCEEDED: 422,
  SANDBOX_QUOTA_EXCEEDED: 429,
  PROVISIONING_QUOTA_EXCEEDED: 429,
  SANDBOX_PROVISION_FAILED: 502,
  SANDBOX_APPLY_FAILED: 502,
  SANDBOX_TEARDOWN_FAILED: 502,
  PROVIDER_UNAVAILABLE: 503,
  SANDBOX_HOST_UNSUPPORTED: 503,
  SERVER_SHUTTING_DOWN: 503,
};

export type ErrorBody = z.infer<typeof errorBodySchema>;

export interface RenderedError {
  readonly status: number;
  readonly body: ErrorBody;
  /** Unknown errors: the client sees a safe message; the log gets everything. */
  readonly isInternal: boolean;
}

function readCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code: unknown = Reflect.get(error, 'code');
  return typeof code === 'string' ? code : undefined;
}

function readIssues(error: unknown): Issue[] {
  if (!(error instanceof Error)) return [];
  const issues: unknown = Reflect.get(error, 'issues');
  if (!Array.isArray(issues)) return [];
  return issues.filter(
    (issue): issue is Issue =>
      typeof issue === 'object' && issue !== null && typeof Reflect.get(issue, 'code') === 'string' && typeof Reflect.get(issue, 'message') === 'string',
  );
}

// Absolute paths (not `ns/pod` keys, CIDRs like 10.0.0.0/8 or 80/TCP, which follow a word character).
const absolutePathPattern = /(?<![\w.\-:/])\/(?:[\w.@+-]+\/)*[\w.@+-]+\/?/g;

/** A message safe for clients: host paths replaced, control characters removed, length bounded. */
export function scrubMessage(message: string): string {
  const scrubbed = message.replace(absolutePathPattern, '<path>').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
  return scrubbed.length > 2000 ? `${scrubbed.slice(0, 2000)}…` : scrubbed;
}

function scrubIssue(issue: Issue): Issue {
  return { ...issue, file: scrubMessage(issue.file), message: scrubMessage(issue.message), fix: scrubMessage(issue.fix) };
}

/** Body-parser (express.json) failures carry a `type`; map them to our codes. */
function readBodyParserCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const type: unknown = Reflect.get(error, 'type');
  if (type === 'entity.too.large') return ApiErrorCodes.payloadTooLarge;
  if (type === 'entity.parse.failed') return ApiErrorCodes.invalidJson;
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return ApiErrorCodes.unsupportedMediaType;
  if (type === 'request.aborted' || type === 'request.size.invalid' || type === 'stream.encoding.set') return ApiErrorCodes.invalidRequest;
  return undefined;
}

const bodyParserMessages: Readonly<Record<string, string>> = {
  PAYLOAD_TOO_LARGE: 'the request body is larger than this server accepts',
  INVALID_JSON: 'the request body is not valid JSON',
  UNSUPPORTED_MEDIA_TYPE: 'the request body encoding is not supported; send UTF-8 JSON',
  INVALID_REQUEST: 'the request body could not be read',
};

export function renderError(error: unknown, context: { readonly requestId: string; readonly maxBodyBytes?: number }): RenderedError {
  const parserCode = readBodyParserCode(error);
  if (parserCode !== undefined) {
    const base = bodyParserMessages[parserCode] ?? 'the request body could not be read';
    const message = parserCode === ApiErrorCodes.payloadTooLarge && context.maxBodyBytes !== undefined ? `${base} (${context.maxBodyBytes} bytes)` : base;
    return { status: statusByCode[parserCode] ?? 400, body: { error: { code: parserCode, message, requestId: context.requestId } }, isInternal: false };
  }
  const code = readCode(error);
  const status = code === undefined ? undefined : statusByCode[code];
  if (code === undefined || status === undefined || !(error instanceof Error)) {
    return {
      status: 500,
      body: { error: { code: ApiErrorCodes.internal, message: `internal error; the server log has the details under request id ${context.requestId}`, requestId: context.requestId } },
      isInternal: true,
    };
  }
  const issues = readIssues(error).map(scrubIssue);
  return {
    status,
    body: { error: { code, message: scrubMessage(error.message), requestId: context.requestId, ...(issues.length === 0 ? {} : { issues }) } },
    isInternal: false,
  };
}

/** The error as a websocket frame (same codes and scrubbing as HTTP). */
export function toErrorFrame(error: unknown, requestId: string): { readonly type: 'error'; readonly code: string; readonly message: string } {
  const rendered = renderError(error, { requestId });
  return { type: 'error', code: rendered.body.error.code, message: rendered.body.error.message };
}

export function getStatusForCode(code: string): number | undefined {
  return statusByCode[code];
}

/** Logs a rendered error: internal ones in full at error level, client mistakes briefly at debug. */
export function logRenderedError(log: Logger, rendered: RenderedError, error: unknown, fields: Readonly<Record<string, unknown>>): void {
  if (rendered.isInternal || rendered.status >= 500) log.error('request failed', { ...fields, status: rendered.status, error });
  else log.debug('request refused', { ...fields, status: rendered.status, code: rendered.body.error.code });
}
