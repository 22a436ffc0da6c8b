// Refusing a websocket upgrade with a real HTTP response (status + the JSON error body) before any handshake, so
// a browser's devtools and a CLI client both see why.
import type { Duplex } from 'node:stream';
import type { ErrorBody } from '../errors.ts';

const reasons: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function rejectUpgrade(socket: Duplex, status: number, body: ErrorBody): void {
  const text = JSON.stringify(body);
  const head = [
    `HTTP/1.1 ${status} ${reasons[status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(text)}`,
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  if (socket.writable) socket.end(head + text);
  socket.destroy();
}
