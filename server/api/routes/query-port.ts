// A port in a query string (`80`, `http`) as the engine takes it: a number, or a container port name.
import { ApiError, ApiErrorCodes } from '../errors.ts';

export function parseQueryPort(text: string, field: string): number | string {
  if (/^\d{1,5}$/.test(text)) {
    const port = Number(text);
    if (port >= 1 && port <= 65535) return port;
  } else if (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(text) && text.length <= 15) {
    return text;
  }
  throw new ApiError(ApiErrorCodes.invalidRequest, `invalid request query: ${field}: "${text}" is not a port (1-65535) or a port name`, {
    issues: [{ code: 'invalid-query', severity: 'error', file: 'query', line: 0, path: field, message: `"${text}" is not a port`, fix: 'use a number from 1 to 65535 or a container port name' }],
  });
}
