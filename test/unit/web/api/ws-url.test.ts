import { describe, expect, it } from 'vitest';
import { buildTerminalPath, buildWebSocketUrl } from '../../../../web/src/api/ws-url.ts';

describe('buildWebSocketUrl', () => {
  it('uses ws: beside http: and wss: beside https:, on the page host and port', () => {
    expect(buildWebSocketUrl({ protocol: 'http:', host: '127.0.0.1:7070' }, '/api/ws/events')).toBe('ws://127.0.0.1:7070/api/ws/events');
    expect(buildWebSocketUrl({ protocol: 'https:', host: 'rehearsal.example' }, 'api/ws/events')).toBe('wss://rehearsal.example/api/ws/events');
  });

  it('builds the terminal path of a sandbox', () => {
    expect(buildTerminalPath('sb-1a2b3c4d')).toBe('/api/ws/sandboxes/sb-1a2b3c4d/terminal');
  });
});
