// Who may talk to the server. Three checks, for REST and websocket upgrades alike: the Host header names this
// server (DNS rebinding), a browser's Origin is this server's own (or explicitly allowed), and, when a token is
// configured, the request carries it (Authorization: Bearer, ?token=, or the cookie set after a ?token= visit).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { ApiError, ApiErrorCodes } from './errors.ts';

export const tokenCookieName = 'rehearsal_token';

export interface AuthOptions {
  /** Required on every request when set. */
  readonly token: string | undefined;
  /** The interface the server is bound to; any Host header is accepted when it is not loopback (a token guards it). */
  readonly isLoopbackBind: boolean;
  /** Extra browser origins (a Vite dev server). */
  readonly allowedOrigins: readonly string[];
}

export interface Auth {
  /** Express middleware: host, origin (state-changing methods), token; sets the cookie after a ?token= visit. */
  readonly middleware: (request: Request, response: Response, next: NextFunction) => void;
  /** The same checks for a websocket upgrade; an ApiError when refused. */
  checkUpgrade(request: IncomingMessage): ApiError | undefined;
}

const loopbackNames = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const equals = part.indexOf('=');
    if (equals === -1) continue;
    if (part.slice(0, equals).trim() === name) {
      try {
        return decodeURIComponent(part.slice(equals + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function readHeader(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readQueryToken(request: IncomingMessage): string | undefined {
  const url = new URL(request.url ?? '/', 'http://placeholder');
  return url.searchParams.get('token') ?? undefined;
}

/** `localhost:7070` → `localhost`; `[::1]:7070` → `[::1]`. */
function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

export function createAuth(options: AuthOptions): Auth {
  const expected = options.token === undefined ? undefined : digest(options.token);

  const isTokenValid = (candidate: string | undefined): boolean => {
    if (expected === undefined) return true;
    return candidate !== undefined && timingSafeEqual(digest(candidate), expected);
  };

  const findToken = (request: IncomingMessage): { readonly token: string | undefined; readonly isFromQuery: boolean } => {
    const authorization = readHeader(request, 'authorization');
    if (authorization !== undefined && /^Bearer\s+/i.test(authorization)) return { token: authorization.replace(/^Bearer\s+/i, '').trim(), isFromQuery: false };
    const fromQuery = readQueryToken(request);
    if (fromQuery !== undefined) return { token: fromQuery, isFromQuery: true };
    return { token: readCookie(readHeader(request, 'cookie'), tokenCookieName), isFromQuery: false };
  };

  const checkHost = (request: IncomingMessage): ApiError | undefined => {
    if (!options.isLoopbackBind) return undefined;
    const host = readHeader(request, 'host');
    if (host !== undefined && loopbackNames.has(hostnameOf(host).toLowerCase())) return undefined;
    return new ApiError(ApiErrorCodes.forbiddenHost, `this server answers only to localhost addresses, not to Host "${host ?? ''}"; open it as http://127.0.0.1 or http://localhost`);
  };

  const checkOrigin = (request: IncomingMessage): ApiError | undefined => {
    const origin = readHeader(request, 'origin');
    if (origin === undefined) return undefined;
    const host = readHeader(request, 'host');
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return new ApiError(ApiErrorCodes.forbiddenOrigin, `the Origin "${origin}" is not a URL`);
    }
    if (host !== undefined && originHost.toLowerCase() === host.toLowerCase()) return undefined;
    if (options.allowedOrigins.includes(origin)) return undefined;
    return new ApiError(ApiErrorCodes.forbiddenOrigin, `requests from the page at ${origin} are not allowed; only this server's own UI (or --allowed-origin) may call it`);
  };

  const checkToken = (request: IncomingMessage): ApiError | undefined => {
    if (isTokenValid(findToken(request).token)) return undefined;
    return new ApiError(ApiErrorCodes.unauthorized, 'a valid token is required: open the URL with ?token=... printed when the server started, or send Authorization: Bearer <token>');
  };

  return {
    middleware(request, response, next) {
      const refusal =
        checkHost(request) ??
        (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS' ? undefined : checkOrigin(request)) ??
        checkToken(request);
      if (refusal !== undefined) {
        next(refusal);
        return;
      }
      const found = findToken(request);
      if (options.token !== undefined && found.isFromQuery) {
        // A browser that arrived with ?token= keeps working (REST and websockets) through the cookie.
        response.cookie(tokenCookieName, options.token, { httpOnly: true, sameSite: 'strict', path: '/' });
      }
      next();
    },
    checkUpgrade(request) {
      return checkHost(request) ?? checkOrigin(request) ?? checkToken(request);
    },
  };
}
