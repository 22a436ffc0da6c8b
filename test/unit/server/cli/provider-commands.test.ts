// The real-cluster providers through the CLI, as a user runs it: `up --provider kind` on a host without Pulumi,
// Docker or kind stops at the preflight with every problem and its fix (exit 3, nothing created); `providers` lists
// all six providers with CNIs and problems; `reap`, `ls` and `down` reach an existing cluster's sandboxes (a
// loopback server answering like an API server) and find each sandbox's provider from its record.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runRehearse, upstreamModel } from './run-rehearse.ts';

const work = mkdtempSync(join(tmpdir(), 'rehearsal-provider-cli-'));

/** A PATH holding only what bin/rehearse itself needs: no pulumi, docker, kind, aws, gcloud or az, whatever the host has. */
function makeBarePath(): string {
  const bin = join(work, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const tool of ['readlink', 'dirname']) {
    const found = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    symlinkSync(found, join(bin, tool));
  }
  return bin;
}

const barePath = makeBarePath();

/** An environment in which no cloud credentials, kubeconfig or cloud project can be found. */
function bareEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: barePath, HOME: join(home, 'user'), REHEARSAL_HOME: home, KUBECONFIG: join(home, 'no-kubeconfig') };
  for (const name of Object.keys(process.env)) {
    if (/^(AWS_|GOOGLE_|CLOUDSDK_|ARM_|AZURE_|REHEARSAL_SKIP)/.test(name)) env[name] = '';
  }
  return { ...env, ...extra };
}

function makeHome(name: string): string {
  const home = join(work, name);
  mkdirSync(join(home, 'user'), { recursive: true });
  return home;
}

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('rehearse up --provider kind on a host without Pulumi, Docker and kind', () => {
  it('prints the preflight block, one problem per missing piece with its fix, exits 3 and creates nothing', async () => {
    const home = makeHome('up-kind');
    const run = await runRehearse(['up', '-f', upstreamModel, '--provider', 'kind', '--cni', 'calico'], { env: bareEnv(home) });
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain('kind: cannot create sandboxes on this host (3 problems):');
    for (const check of ['pulumi-cli', 'docker', 'kind']) expect(run.stderr).toMatch(new RegExp(`✗ ${check}: .+\\n    fix: .+`));
    expect(run.stderr).toContain("'rehearse providers' lists every provider");
    expect(run.stdout).toBe('');
    expect(existsSync(join(home, 'sandboxes')) ? readdirSync(join(home, 'sandboxes')) : []).toEqual([]);
  });

  it('rejects a CNI kind does not offer as a usage error (exit 2), listing the ones it does', async () => {
    const run = await runRehearse(['up', '-f', upstreamModel, '--provider', 'kind', '--cni', 'weave'], { env: bareEnv(makeHome('up-kind-cni')) });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--provider kind does not offer the CNI "weave"');
    expect(run.stderr).toContain('kind offers: kindnet, calico, cilium');
  });

  it('rejects an unknown provider with the closest name', async () => {
    const run = await runRehearse(['up', '-f', upstreamModel, '--provider', 'kinf'], { env: bareEnv(makeHome('up-typo')) });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown --provider "kinf"');
    expect(run.stderr).toContain('Did you mean "kind"?');
  });
});

interface ProviderRow {
  readonly provider: string;
  readonly isAvailable: boolean;
  readonly cnis: readonly string[];
  readonly problems: readonly { readonly check: string; readonly message: string; readonly fix: string }[];
}

function readProviders(text: string): readonly ProviderRow[] {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || !('providers' in parsed) || !Array.isArray(parsed.providers)) throw new Error(`not a providers document: ${text}`);
  return parsed.providers.map((row: unknown): ProviderRow => {
    if (typeof row !== 'object' || row === null) throw new Error('not a provider row');
    const provider = 'provider' in row && typeof row.provider === 'string' ? row.provider : '';
    const isAvailable = 'isAvailable' in row && row.isAvailable === true;
    const cnis = 'cnis' in row && Array.isArray(row.cnis) ? row.cnis.filter((cni): cni is string => typeof cni === 'string') : [];
    const problems =
      'problems' in row && Array.isArray(row.problems)
        ? row.problems.map((problem: unknown) => ({
            check: typeof problem === 'object' && problem !== null && 'check' in problem && typeof problem.check === 'string' ? problem.check : '',
            message: typeof problem === 'object' && problem !== null && 'message' in problem && typeof problem.message === 'string' ? problem.message : '',
            fix: typeof problem === 'object' && problem !== null && 'fix' in problem && typeof problem.fix === 'string' ? problem.fix : '',
          }))
        : [];
    return { provider, isAvailable, cnis, problems };
  });
}

describe('rehearse providers', () => {
  it('lists all six providers with their CNIs, and every failed check with a fix', async () => {
    const run = await runRehearse(['providers', '-o', 'json'], { env: bareEnv(makeHome('providers')) });
    expect(run.code, run.stderr).toBe(0);
    const rows = readProviders(run.stdout);
    expect(rows.map((row) => row.provider)).toEqual(['local', 'kind', 'eks', 'gke', 'aks', 'cluster']);
    const byName = new Map(rows.map((row) => [row.provider, row]));
    expect(byName.get('kind')).toMatchObject({ isAvailable: false, cnis: expect.arrayContaining(['kindnet', 'calico', 'cilium', 'flannel']) });
    expect(byName.get('kind')?.problems.map((problem) => problem.check)).toEqual(['pulumi-cli', 'docker', 'kind']);
    expect(byName.get('eks')?.problems.map((problem) => problem.check)).toEqual(expect.arrayContaining(['pulumi-cli', 'aws-credentials']));
    expect(byName.get('gke')?.problems.map((problem) => problem.check)).toEqual(expect.arrayContaining(['gcp-credentials', 'gcp-project']));
    expect(byName.get('aks')?.problems.map((problem) => problem.check)).toEqual(expect.arrayContaining(['azure-credentials']));
    expect(byName.get('cluster')?.problems.map((problem) => problem.check)).toEqual(['kubeconfig']);
    for (const row of rows.filter((candidate) => !candidate.isAvailable)) {
      expect(row.problems.length, `${row.provider} is unavailable without saying why`).toBeGreaterThan(0);
      for (const problem of row.problems) expect(problem.fix, `${row.provider} ${problem.check} has no fix`).not.toBe('');
    }
  });

  it('prints a table with the default CNI first, then each unavailable provider’s preflight block', async () => {
    const run = await runRehearse(['providers'], { env: bareEnv(makeHome('providers-table')) });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^PROVIDER\s+AVAILABLE\s+CNIS \(default first\)$/m);
    expect(run.stdout).toMatch(/^kind\s+no\s+kindnet, calico/m);
    expect(run.stdout).toMatch(/^eks\s+no\s+vpc-cni, /m);
    expect(run.stdout).toMatch(/^cluster\s+no\s+existing, /m);
    expect(run.stdout).toContain('kind: cannot create sandboxes on this host (3 problems):');
  });
});

// ---- an existing cluster, answered by a loopback server ----

interface FakeNamespace {
  readonly name: string;
  readonly sandboxId: string;
  readonly expiresAt: string;
}

const hourMs = 60 * 60 * 1000;
const expiredId = 'sb-0e0e0e01';
const liveId = 'sb-0a0a0a02';
const namespaces: FakeNamespace[] = [];
const deleted: string[] = [];
let kubeconfigPath = '';
let closeServer: () => Promise<void> = () => Promise.resolve();

function resetCluster(): void {
  namespaces.length = 0;
  deleted.length = 0;
  const expired = new Date(Date.now() - hourMs).toISOString();
  const live = new Date(Date.now() + hourMs).toISOString();
  namespaces.push(
    { name: 'shop', sandboxId: expiredId, expiresAt: expired },
    { name: 'shop-db', sandboxId: expiredId, expiresAt: expired },
    { name: 'team-a', sandboxId: liveId, expiresAt: live },
  );
}

function renderNamespace(namespace: FakeNamespace): unknown {
  const record = { id: namespace.sandboxId, owner: 'ci', createdAt: new Date(Date.parse(namespace.expiresAt) - hourMs).toISOString(), expiresAt: namespace.expiresAt, cni: 'existing' };
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: namespace.name,
      labels: { 'rehearsal.dev/sandbox-id': namespace.sandboxId, 'rehearsal.dev/owner': 'ci' },
      annotations: { 'rehearsal.dev/record': JSON.stringify(record) },
    },
  };
}

function answer(request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://fake');
  const send = (code: number, payload: unknown): void => {
    response.writeHead(code, { 'content-type': 'application/json' });
    response.end(JSON.stringify(payload));
  };
  if (url.pathname === '/version') return send(200, { major: '1', minor: '33', gitVersion: 'v1.33.1', gitCommit: 'x', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.24', compiler: 'gc', platform: 'linux/amd64' });
  if (url.pathname === '/api/v1') {
    return send(200, {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'v1',
      resources: [{ name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['create', 'delete', 'get', 'list', 'patch'] }],
    });
  }
  if (request.method === 'GET' && url.pathname === '/api/v1/namespaces') {
    const selector = url.searchParams.get('labelSelector') ?? '';
    const wanted = selector.includes('=') ? selector.slice(selector.indexOf('=') + 1) : undefined;
    const items = namespaces.filter((namespace) => wanted === undefined || namespace.sandboxId === wanted).map(renderNamespace);
    return send(200, { apiVersion: 'v1', kind: 'NamespaceList', metadata: {}, items });
  }
  const match = /^\/api\/v1\/namespaces\/([a-z0-9-]+)$/.exec(url.pathname);
  if (request.method === 'DELETE' && match?.[1] !== undefined) {
    const name = match[1];
    const index = namespaces.findIndex((namespace) => namespace.name === name);
    if (index < 0) return send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
    namespaces.splice(index, 1);
    deleted.push(name);
    return send(200, { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 200 });
  }
  return send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
}

beforeAll(async () => {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => answer(request, response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address: AddressInfo | string | null = server.address();
  if (address === null || typeof address === 'string') throw new Error('the fake API server has no TCP address');
  closeServer = () => new Promise((resolve) => server.close(() => resolve()));
  kubeconfigPath = join(work, 'kubeconfig.yaml');
  writeFileSync(
    kubeconfigPath,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'loop', cluster: { server: `http://127.0.0.1:${address.port}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'test-token' } }],
      contexts: [{ name: 'c', context: { cluster: 'loop', user: 'u' } }],
      'current-context': 'c',
    }),
  );
});

afterAll(async () => {
  await closeServer();
});

describe('rehearse reap, ls and down with an existing cluster', () => {
  it('reap removes the expired sandbox’s namespaces, leaves the live one, and prints what it removed', async () => {
    resetCluster();
    const home = makeHome('reap-cluster');
    const run = await runRehearse(['reap'], { env: bareEnv(home, { KUBECONFIG: kubeconfigPath }) });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^removed ${expiredId} \\[cluster\\]: expired at `, 'm'));
    expect(run.stdout).not.toContain(liveId);
    expect(deleted.sort()).toEqual(['shop', 'shop-db']);
    expect(namespaces.map((namespace) => namespace.name)).toEqual(['team-a']);

    const again = await runRehearse(['reap', '-o', 'json'], { env: bareEnv(home, { KUBECONFIG: kubeconfigPath }) });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ reaped: [], notReaped: [] });
  });

  it('reap exits 3 naming an expired sandbox whose provider cannot run here, and what to fix', async () => {
    resetCluster();
    const home = makeHome('reap-stuck');
    const stuckId = 'sb-0c0c0c03';
    const dir = join(home, 'sandboxes', 'kind', stuckId);
    mkdirSync(dir, { recursive: true });
    const expiresAt = new Date(Date.now() - hourMs).toISOString();
    writeFileSync(
      join(dir, 'record.json'),
      JSON.stringify({ id: stuckId, provider: 'kind', cni: 'calico', owner: 'ci', createdAt: expiresAt, expiresAt, status: 'ready', providerState: { stackName: stuckId } }),
    );
    const run = await runRehearse(['reap'], { env: bareEnv(home, { KUBECONFIG: kubeconfigPath }) });
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(new RegExp(`^removed ${expiredId} \\[cluster\\]`, 'm'));
    expect(run.stderr).toContain(`${stuckId} [kind] expired at ${expiresAt} but cannot be reaped: pulumi-cli:`);
    expect(run.stderr).toContain('fix: install it');
  });

  it('ls shows the cluster sandbox beside local ones, after reaping the expired one', async () => {
    resetCluster();
    const run = await runRehearse(['ls', '-o', 'json'], { env: bareEnv(makeHome('ls-cluster'), { KUBECONFIG: kubeconfigPath }) });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`reaped ${expiredId} [cluster]: expired at`);
    const parsed: unknown = JSON.parse(run.stdout);
    const sandboxes = typeof parsed === 'object' && parsed !== null && 'sandboxes' in parsed && Array.isArray(parsed.sandboxes) ? parsed.sandboxes : [];
    expect(sandboxes).toEqual(expect.arrayContaining([expect.objectContaining({ id: liveId, provider: 'cluster', cni: 'existing', status: 'ready' })]));
    expect(sandboxes).not.toEqual(expect.arrayContaining([expect.objectContaining({ id: expiredId })]));
  });

  it('down <id> finds the provider from the record and deletes that sandbox’s namespaces only', async () => {
    resetCluster();
    const run = await runRehearse(['down', liveId], { env: bareEnv(makeHome('down-cluster'), { KUBECONFIG: kubeconfigPath }) });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`destroyed ${liveId} [cluster]\n`);
    expect(deleted).toContain('team-a');
    const unknown = await runRehearse(['down', 'sb-0f0f0f0f'], { env: bareEnv(makeHome('down-unknown'), { KUBECONFIG: kubeconfigPath }) });
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain("no live sandbox 'sb-0f0f0f0f'");
  });
});
