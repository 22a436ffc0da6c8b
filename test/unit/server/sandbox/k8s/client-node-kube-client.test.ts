// The real client-node adapter against a loopback HTTP server that answers like an API server: server-side apply
// goes out as PATCH application/apply-patch+yaml with fieldManager=rehearsal and force=true, 404s read as absent,
// list passes the label selector, and API failures carry their HTTP status.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createClientNodeKubeClient } from '../../../../../server/sandbox/k8s/client-node-kube-client.ts';
import { KubeApiError } from '../../../../../server/sandbox/k8s/kube-client.ts';
import type { KubeClient } from '../../../../../server/sandbox/k8s/kube-client.ts';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly contentType: string | undefined;
  readonly body: string;
}

const seen: Seen[] = [];
const coreResources = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: 'v1',
  resources: [
    { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['create', 'delete', 'get', 'list', 'patch'] },
    { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['create', 'delete', 'get', 'list', 'patch'] },
  ],
};
const status = (code: number, reason: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: reason, reason, code });

function respond(request: IncomingMessage, response: ServerResponse, body: string): void {
  const url = request.url ?? '';
  seen.push({ method: request.method ?? '', url, contentType: request.headers['content-type'], body });
  const send = (code: number, payload: unknown): void => {
    response.writeHead(code, { 'content-type': 'application/json' });
    response.end(JSON.stringify(payload));
  };
  if (url === '/version') return send(200, { major: '1', minor: '33', gitVersion: 'v1.33.1', gitCommit: 'x', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.24', compiler: 'gc', platform: 'linux/amd64' });
  if (url === '/api/v1') return send(200, coreResources);
  if (request.method === 'PATCH' && url.startsWith('/api/v1/namespaces/prod/pods/web')) return send(201, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'prod', generation: 1 } });
  if (request.method === 'PATCH' && url.startsWith('/api/v1/namespaces/forbidden-ns/pods/')) return send(403, status(403, 'Forbidden'));
  if (request.method === 'GET' && url.startsWith('/api/v1/namespaces/prod/pods?')) {
    return send(200, { apiVersion: 'v1', kind: 'PodList', metadata: {}, items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'prod' } }] });
  }
  return send(404, status(404, 'NotFound'));
}

let client: KubeClient;
let close: () => Promise<void>;

beforeAll(async () => {
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => respond(request, response, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address: AddressInfo | string | null = server.address();
  if (address === null || typeof address === 'string') throw new Error('the test server has no TCP address');
  const { port } = address;
  close = () => new Promise((resolve) => server.close(() => resolve()));
  client = createClientNodeKubeClient(
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'loop', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'test-token' } }],
      contexts: [{ name: 'c', context: { cluster: 'loop', user: 'u' } }],
      'current-context': 'c',
    }),
  );
});

afterAll(async () => {
  await close();
});

describe('client-node KubeClient', () => {
  it('applies with server-side apply: PATCH apply-patch+yaml, fieldManager=rehearsal, force=true', async () => {
    seen.length = 0;
    await client.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'prod' }, spec: { containers: [] } }, { fieldManager: 'rehearsal' });
    const patch = seen.find((entry) => entry.method === 'PATCH');
    expect(patch?.contentType).toBe('application/apply-patch+yaml');
    const query = new URL(patch?.url ?? '', 'http://x').searchParams;
    expect(query.get('fieldManager')).toBe('rehearsal');
    expect(query.get('force')).toBe('true');
    expect(JSON.parse(patch?.body ?? '{}')).toMatchObject({ kind: 'Pod', metadata: { name: 'web', namespace: 'prod' } });
  });

  it('reads a missing object as undefined and deletes it without error', async () => {
    expect(await client.read({ apiVersion: 'v1', kind: 'Pod', namespace: 'prod', name: 'missing' })).toBeUndefined();
    await expect(client.delete({ apiVersion: 'v1', kind: 'Pod', namespace: 'prod', name: 'missing' })).resolves.toBeUndefined();
  });

  it('lists with the label selector and returns the items', async () => {
    seen.length = 0;
    const items = await client.list('v1', 'Pod', { namespace: 'prod', labelSelector: 'rehearsal.dev/sandbox-id=sb-0a1b2c3d' });
    expect(items).toHaveLength(1);
    const list = seen.find((entry) => entry.url.startsWith('/api/v1/namespaces/prod/pods?'));
    expect(new URL(list?.url ?? '', 'http://x').searchParams.get('labelSelector')).toBe('rehearsal.dev/sandbox-id=sb-0a1b2c3d');
  });

  it('turns API failures into KubeApiError with the status', async () => {
    const failure = await client.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', namespace: 'forbidden-ns' } }, { fieldManager: 'rehearsal' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KubeApiError);
    expect(failure instanceof KubeApiError ? failure.status : 0).toBe(403);
    expect(failure instanceof Error ? failure.message : '').toContain('server-side apply of Pod forbidden-ns/x');
  });

  it('reads the server version', async () => {
    expect(await client.readVersion()).toBe('v1.33.1');
  });
});
