// The server's edge: validation with every issue, the body limit, the one error map (no stack traces or host
// paths to clients), the token on REST and websocket upgrades, Origin and Host checks, limits with clear errors.
// Uses the provider TEST DOUBLE (no root).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Limits } from '../../../../server/api/protocol/limits.ts';
import { createProviderDouble } from '../services/provider-double.ts';
import { FrameClient, pick, send, startTestServer, wsUrl } from './test-server.ts';
import type { TestServer } from './test-server.ts';

describe('validation and errors', () => {
  let test: TestServer;
  beforeAll(async () => {
    const double = createProviderDouble();
    test = await startTestServer({
      provider: {
        ...double,
        checkHost: async () => {
          throw new Error('cannot stat /root/.secrets/agent.sock: EACCES');
        },
      },
      flags: { maxSandboxes: '1' },
    });
  });
  afterAll(async () => {
    await test.stop();
  });

  it('refuses an invalid body with every issue and its path', async () => {
    const response = await send(`${test.origin}/api/sandboxes`, { method: 'POST', body: { ttlSeconds: 1, cni: '', colour: 'red' } });
    expect(response.status).toBe(400);
    expect(pick(response.json, 'error', 'code')).toBe('INVALID_REQUEST');
    const issues = pick(response.json, 'error', 'issues');
    const paths = Array.isArray(issues) ? issues.map((issue) => pick(issue, 'path')) : [];
    expect(paths).toEqual(expect.arrayContaining(['ttlSeconds', 'cni']));
    expect(Array.isArray(issues) && issues.some((issue) => String(pick(issue, 'message')).includes('colour'))).toBe(true);
    expect(typeof pick(response.json, 'error', 'requestId')).toBe('string');
    expect(response.headers['x-request-id']).toBe(pick(response.json, 'error', 'requestId'));
  });

  it('validates path parameters and queries', async () => {
    expect((await send(`${test.origin}/api/sandboxes/sb-NOTHEX`)).status).toBe(400);
    expect((await send(`${test.origin}/api/sandboxes/sb-0000abcd`)).status).toBe(404);
    expect((await send(`${test.origin}/api/scenarios/..%2Fetc`)).status).toBe(400);
    const badQuery = await send(`${test.origin}/api/sandboxes/sb-0000abcd/matrix?port=80&colour=red`);
    expect(badQuery.status).toBe(400);
  });

  it('refuses a body over the limit with 413 before reading it all', async () => {
    const big = 'x'.repeat(Limits.maxBodyBytes + 1);
    const response = await send(`${test.origin}/api/lint`, { method: 'POST', rawBody: JSON.stringify({ yaml: big }), headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(413);
    expect(pick(response.json, 'error', 'code')).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses YAML over the manifest limit with the field named', async () => {
    const response = await send(`${test.origin}/api/lint`, { method: 'POST', body: { yaml: 'x'.repeat(Limits.maxManifestBytes + 1) } });
    expect(response.status).toBe(400);
    expect(pick(response.json, 'error', 'issues', 0, 'path')).toBe('yaml');
  });

  it('refuses bodies that are not JSON', async () => {
    const wrongType = await send(`${test.origin}/api/lint`, { method: 'POST', rawBody: 'yaml: x', headers: { 'content-type': 'text/plain' } });
    expect(wrongType.status).toBe(415);
    const broken = await send(`${test.origin}/api/lint`, { method: 'POST', rawBody: '{"yaml":', headers: { 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
    expect(pick(broken.json, 'error', 'code')).toBe('INVALID_JSON');
  });

  it('turns an unexpected failure into a safe 500: request id, no stack, no host path; details in the log', async () => {
    const response = await send(`${test.origin}/api/sandboxes`, { method: 'POST', body: { scenario: 'default-deny-ingress' } });
    expect(response.status).toBe(500);
    expect(pick(response.json, 'error', 'code')).toBe('INTERNAL');
    const requestId = String(pick(response.json, 'error', 'requestId'));
    expect(response.text).not.toContain('/root');
    expect(response.text).not.toContain('at ');
    expect(response.text).toContain(requestId);
    const logged = test.logs.find((line) => line.includes(requestId) && line.includes('"level":"error"'));
    expect(logged).toContain('/root/.secrets/agent.sock');
    expect(logged).toContain('stack');
  });

  it('answers unknown API routes with a JSON 404', async () => {
    const response = await send(`${test.origin}/api/nothing-here`);
    expect(response.status).toBe(404);
    expect(pick(response.json, 'error', 'code')).toBe('NOT_FOUND');
  });

  it('refuses a scenario that does not exist, listing the known ones', async () => {
    const response = await send(`${test.origin}/api/scenarios/no-such-scenario`);
    expect(response.status).toBe(404);
    expect(String(pick(response.json, 'error', 'message'))).toContain('three-tier');
  });
});

describe('limits', () => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer({ provider: createProviderDouble({ stepDelayMs: 200 }), flags: { maxSandboxes: '1', maxPods: '5', maxTtl: '1h', defaultTtl: '20m' } });
  });
  afterAll(async () => {
    await test.stop();
  });

  it('refuses a TTL over the maximum', async () => {
    const response = await send(`${test.origin}/api/sandboxes`, { method: 'POST', body: { scenario: 'default-deny-ingress', ttlSeconds: 7200 } });
    expect(response.status).toBe(422);
    expect(pick(response.json, 'error', 'code')).toBe('TTL_LIMIT_EXCEEDED');
  });

  it('refuses more pods than a sandbox may have', async () => {
    const response = await send(`${test.origin}/api/sandboxes`, { method: 'POST', body: { scenario: 'default-deny-ingress' } });
    expect(response.status).toBe(422);
    expect(pick(response.json, 'error', 'code')).toBe('POD_LIMIT_EXCEEDED');
    expect(String(pick(response.json, 'error', 'message'))).toContain('more than this server allows per sandbox (5)');
  });

  it('refuses invalid manifests with every issue', async () => {
    const response = await send(`${test.origin}/api/sandboxes`, { method: 'POST', body: { manifests: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: BAD_NAME\n' } });
    expect(response.status).toBe(422);
    expect(pick(response.json, 'error', 'code')).toBe('MANIFESTS_INVALID');
  });

  it('gives a sandbox without a TTL the configured default, and refuses one past the server limit, saying how to free one', async () => {
    const small = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  namespace: x\nspec:\n  containers: [{name: c, image: i, ports: [{containerPort: 80}]}]\n';
    const first = await send(`${test.origin}/api/sandboxes`, { method: 'POST', body: { manifests: small } });
    expect(first.status).toBe(202);
    expect(Date.parse(String(pick(first.json, 'expiresAt'))) - Date.parse(String(pick(first.json, 'createdAt')))).toBe(20 * 60 * 1000);
    const second = await send(`${test.origin}/api/sandboxes`, { method: 'POST', body: { manifests: small } });
    expect(second.status).toBe(429);
    expect(pick(second.json, 'error', 'code')).toBe('SANDBOX_QUOTA_EXCEEDED');
    expect(String(pick(second.json, 'error', 'message'))).toContain('destroy one');
  });
});

describe('token, Origin and Host', () => {
  let test: TestServer;
  const token = 'test-token-0123456789abcdef';
  beforeAll(async () => {
    test = await startTestServer({ flags: { token } });
  });
  afterAll(async () => {
    await test.stop();
  });

  it('refuses REST without the token, accepts Bearer, ?token= and then the cookie', async () => {
    expect((await send(`${test.origin}/api/health`)).status).toBe(401);
    expect((await send(`${test.origin}/api/health`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    expect((await send(`${test.origin}/api/health`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const viaQuery = await send(`${test.origin}/?token=${token}`);
    expect(viaQuery.status).toBe(200);
    const cookie = String(viaQuery.headers['set-cookie'] ?? '');
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const cookieValue = cookie.split(';')[0] ?? '';
    expect((await send(`${test.origin}/api/health`, { headers: { cookie: cookieValue } })).status).toBe(200);
  });

  it('never logs the token', () => {
    expect(test.logs.join('\n')).not.toContain(token);
  });

  it('refuses a websocket upgrade without the token (401) and accepts it with one', async () => {
    const refused = new FrameClient(wsUrl(test.origin, '/api/ws/events'));
    await expect(refused.opened).rejects.toThrow('401');
    const accepted = new FrameClient(wsUrl(test.origin, `/api/ws/events?token=${token}`));
    await accepted.opened;
    await accepted.waitFor((frame) => pick(frame, 'type') === 'hello');
    accepted.close();
  });

  it('refuses a websocket from another Origin (403), and a state-changing request from one', async () => {
    const foreign = new FrameClient(wsUrl(test.origin, `/api/ws/events?token=${token}`), { origin: 'http://evil.example' });
    await expect(foreign.opened).rejects.toThrow('403');
    const own = new FrameClient(wsUrl(test.origin, `/api/ws/events?token=${token}`), { origin: test.origin });
    await own.opened;
    own.close();
    const post = await send(`${test.origin}/api/lint`, { method: 'POST', body: { yaml: '' }, headers: { authorization: `Bearer ${token}`, origin: 'http://evil.example' } });
    expect(post.status).toBe(403);
    expect(pick(post.json, 'error', 'code')).toBe('FORBIDDEN_ORIGIN');
  });

  it('refuses a Host that is not loopback on a loopback bind (DNS rebinding)', async () => {
    const response = await send(`${test.origin}/api/health`, { headers: { host: 'rebind.example:7070', authorization: `Bearer ${token}` } });
    expect(response.status).toBe(403);
    expect(pick(response.json, 'error', 'code')).toBe('FORBIDDEN_HOST');
  });

  it('refuses unknown websocket paths with 404', async () => {
    const client = new FrameClient(wsUrl(test.origin, `/api/ws/nothing?token=${token}`));
    await expect(client.opened).rejects.toThrow('404');
  });
});

describe('OpenAPI and the web UI', () => {
  let test: TestServer;
  let webDist: string;
  beforeAll(async () => {
    webDist = mkdtempSync(join(tmpdir(), 'rh-web-'));
    test = await startTestServer({ flags: { webDist } });
  });
  afterAll(async () => {
    await test.stop();
    rmSync(webDist, { recursive: true, force: true });
  });

  it('describes every route at /api/openapi.json', async () => {
    const response = await send(`${test.origin}/api/openapi.json`);
    expect(response.status).toBe(200);
    expect(pick(response.json, 'openapi')).toBe('3.1.0');
    const paths = pick(response.json, 'paths');
    for (const route of test.server.api.routes) {
      const path = `/api${route.path.replace(/:([a-zA-Z]+)/g, '{$1}')}`;
      expect(pick(paths, path, route.method), `${route.method} ${path}`).toBeDefined();
    }
    expect(pick(paths, '/api/sandboxes', 'post', 'requestBody', 'content', 'application/json', 'schema', 'properties', 'ttlSeconds', 'maximum')).toBe(Limits.maxTtlSeconds);
    expect(pick(response.json, 'x-websockets', '/api/ws/events', 'serverFrames')).toBeDefined();
  });

  it('says how to build the UI when web/dist is missing', async () => {
    const response = await send(`${test.origin}/`);
    expect(response.status).toBe(200);
    expect(response.text).toContain('npm run build:web');
  });

  it('serves the built UI, with app routes falling back to index.html', async () => {
    writeFileSync(join(webDist, 'index.html'), '<!doctype html><title>rehearsal ui</title>');
    mkdirSync(join(webDist, 'assets'));
    writeFileSync(join(webDist, 'assets', 'app.js'), 'console.log(1)');
    expect((await send(`${test.origin}/`)).text).toContain('rehearsal ui');
    expect((await send(`${test.origin}/sandboxes/sb-0000abcd`)).text).toContain('rehearsal ui');
    expect((await send(`${test.origin}/assets/app.js`)).text).toContain('console.log');
    expect((await send(`${test.origin}/assets/missing.js`)).status).toBe(404);
  });
});
