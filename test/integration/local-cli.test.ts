// The sandbox commands as users and CI run them: `rehearse probe -o json` (one document, exit code from the
// comparison, nothing left behind, also when SIGTERM arrives mid-run) and a host without privileges (a clear
// message listing what is missing, while engine-only commands keep working).
import { spawn } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateStore } from '../../server/sandbox/local/state-store.ts';
import { canRunPrivileged } from '../helpers/env.ts';
import { findLeftovers, makeTempHome, makeTestProvider, reapOwnSandboxes, repoRoot, waitFor } from './local-helpers.ts';

const rehearse = join(repoRoot, 'bin', 'rehearse');
const model = join(repoRoot, 'test', 'fixtures', 'upstream-model.yaml');

interface Run {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], env: Readonly<Record<string, string>>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}

function readProbeDocument(text: string): { sandboxId: string; results: readonly Record<string, unknown>[]; summary: Record<string, unknown> } {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || !('sandbox' in parsed) || !('results' in parsed) || !('summary' in parsed)) throw new Error('not a probe document');
  const sandbox = parsed.sandbox;
  const sandboxId = typeof sandbox === 'object' && sandbox !== null && 'id' in sandbox && typeof sandbox.id === 'string' ? sandbox.id : '';
  const results = Array.isArray(parsed.results) ? parsed.results.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null) : [];
  const summary = typeof parsed.summary === 'object' && parsed.summary !== null ? { ...parsed.summary } : {};
  return { sandboxId, results, summary };
}

describe.runIf(canRunPrivileged())('rehearse sandbox commands', () => {
  let home: Awaited<ReturnType<typeof makeTempHome>> | undefined;
  const dir = (): string => {
    if (home === undefined) throw new Error('no state home');
    return home.dir;
  };
  beforeAll(async () => {
    home = await makeTempHome('cli');
    await chmod(home.dir, 0o777);
  });
  afterAll(async () => {
    const provider = makeTestProvider(dir());
    await reapOwnSandboxes(provider);
    await home?.dispose();
  });

  it('probe -o json prints one document with every flow, predicted and observed, and tears the sandbox down', async () => {
    const result = await run(rehearse, ['probe', '-f', model, '--port', '80', '--protocol', 'TCP', '-o', 'json'], { REHEARSAL_HOME: dir() });
    expect(result.exitCode, result.stderr).toBe(0);
    const document = readProbeDocument(result.stdout);
    expect(document.results).toHaveLength(9 * 8);
    for (const row of document.results) {
      expect(Object.keys(row)).toEqual(expect.arrayContaining(['from', 'to', 'port', 'protocol', 'predicted', 'observed', 'latencyMs', 'reason', 'match']));
      expect(row.match).toBe(true);
    }
    expect(document.summary).toMatchObject({ probes: 72, matched: 72, mismatched: 0 });
    expect(await findLeftovers(document.sandboxId)).toEqual([]);
  });

  it('probe exits 1 when an observation differs from the prediction (an SCTP port this kernel cannot serve)', async () => {
    const sctp = join(repoRoot, 'test', 'fixtures', 'upstream-model-sctp.yaml');
    const result = await run(rehearse, ['probe', '-f', sctp, '--port', '80', '--protocol', 'SCTP', '-o', 'json'], { REHEARSAL_HOME: dir() });
    const document = readProbeDocument(result.stdout);
    const unsupported = document.results.filter((row) => row.observed === 'unsupported').length;
    // Where the kernel has SCTP the probes pass; where it lacks it they are reported unsupported and fail the run.
    expect(result.exitCode).toBe(unsupported > 0 ? 1 : 0);
    expect(await findLeftovers(document.sandboxId)).toEqual([]);
  });

  it('probe tears the sandbox down when SIGTERM arrives mid-run', async () => {
    const manifests = join(dir(), 'many.yaml');
    await writeFile(
      manifests,
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: big}\nspec:\n  replicas: 60\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}\n',
    );
    const known = new Set((await createStateStore(dir()).list()).records.map((record) => record.id));
    const child = spawn(rehearse, ['probe', '-f', manifests, '-o', 'json'], { env: { ...process.env, REHEARSAL_HOME: dir() }, stdio: 'ignore' });
    let id = '';
    await waitFor(
      async () => {
        const fresh = (await createStateStore(dir()).list()).records.find((record) => !known.has(record.id));
        id = fresh?.id ?? '';
        return fresh !== undefined;
      },
      { timeoutMs: 60_000, what: 'the probe to create its sandbox' },
    );
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
    child.kill('SIGTERM');
    const exitCode = await closed;
    expect(exitCode).not.toBe(0);
    expect(await findLeftovers(id)).toEqual([]);
  });

  it('without privileges, up says what is missing and how to fix it, and engine commands still work', async () => {
    const nobody = ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all'];
    const nobodyHome = join(dir(), 'nobody');
    await mkdir(nobodyHome, { mode: 0o777 });
    await chmod(nobodyHome, 0o777);
    const env = { REHEARSAL_HOME: nobodyHome, REHEARSAL_CACHE_DIR: join(nobodyHome, 'cache'), HOME: nobodyHome };
    const up = await run('setpriv', [...nobody, rehearse, 'up', '-f', model], env);
    expect(up.exitCode).toBe(3);
    expect(up.stderr).toMatch(/privileges: .*root.*Fix: /);
    expect(up.stderr).toContain('SANDBOX_HOST_UNSUPPORTED');
    const matrix = await run('setpriv', [...nobody, rehearse, 'matrix', '-f', model, '--port', '80'], env);
    expect(matrix.exitCode, matrix.stderr).toBe(0);
  });
});
