// Validation at the HTTP and websocket edge: zod issues become the engine's Issue shape (path, message, fix), so
// a bad request reads like a bad manifest. Throws ApiError(INVALID_REQUEST) with every issue.
import type { z } from 'zod';
import type { Issue } from '../policy/index.ts';
import { ApiError, ApiErrorCodes } from './errors.ts';

export type RequestPart = 'body' | 'query' | 'params' | 'frame';

function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text;
}

export function toIssues(error: z.ZodError, part: RequestPart): Issue[] {
  return error.issues.map((issue) => ({
    code: `invalid-${part}`,
    severity: 'error',
    file: part,
    line: 0,
    path: formatPath(issue.path),
    message: issue.message,
    fix: part === 'frame' ? 'send frames as the protocol schema defines them' : 'see the request schema in /api/openapi.json',
  }));
}

export function parseRequestPart<S extends z.ZodType>(schema: S, value: unknown, part: RequestPart): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = toIssues(parsed.error, part);
  const first = issues[0];
  const summary = first === undefined ? '' : `: ${first.path === '' ? '' : `${first.path}: `}${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`;
  throw new ApiError(ApiErrorCodes.invalidRequest, `invalid request ${part}${summary}`, { issues });
}
