// Websocket addresses derive from the page's own origin: same host and port, ws: for http: and wss: for
// https:, so the auth cookie and the server's Origin check both see the origin they expect.

export interface PageLocation {
  readonly protocol: string;
  readonly host: string;
}

export function buildWebSocketUrl(location: PageLocation, path: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const normalizedPath = path.startsWith('/') ? path : `/${path}`;
  return `${scheme}//${location.host}${normalizedPath}`;
}

export function buildTerminalPath(sandboxId: string): string {
  return `/api/ws/sandboxes/${encodeURIComponent(sandboxId)}/terminal`;
}

export const eventsPath = '/api/ws/events';
