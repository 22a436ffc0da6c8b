// Lifecycle and leaks: a sandbox leaves no namespace, link, nft table, process or socket behind, whether it ends
// by `destroy`, by its TTL after the creating command has exited, by an aborted creation, or by kill -9 of the
// creating command half-way (the supervisor, or the next rehearsal command, finishes the job).
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxRecord } from '../../server/sandbox/contract.ts';
import { parseLocalState } from '../../server/sandbox/local/local-state.ts';
import { generateSandboxId, getPodNetns } from '../../server/sandbox/local/names.ts';
import { listNetns } from '../../server/sandbox/local/netns-plumbing.ts';
import { isProcessAlive } from '../../server/sandbox/local/processes.ts';
import { createStateStore } from '../../server/sandbox/local/state-store.ts';
import { canRunPrivileged } from '../helpers/env.ts';
import { makeCluster, makeNamespace, makePod } from '../helpers/builders.ts';
import { findLeftovers, makeTempHome, makeTestProvider, reapOwnSandboxes, repoRoot, waitFor } from './local-helpers.ts';

const rehearse = join(repoRoot, 'bin', 'rehearse');

function smallCluster() {
  return makeCluster({ namespaces: [makeNamespace('x')], pods: [makePod('x', 'a', { ports: [[80, 'TCP'], [80, 'UDP']] }), makePod('x', 'b', { ports: [[80, 'TCP']] })] });
}

function manyPodsYaml(replicas: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: big}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 80}, {containerPort: 80, protocol: UDP}]}]}
`;
}

interface CliRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runRehearse(args: readonly string[], stateHome: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(rehearse, [...args], { env: { ...process.env, REHEARSAL_HOME: stateHome, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}

async function readNewRecord(stateHome: string, known: ReadonlySet<string>): Promise<SandboxRecord | undefined> {
  const { records } = await createStateStore(stateHome).list();
  return records.find((record) => !known.has(record.id));
}

describe.runIf(canRunPrivileged())('local sandbox lifecycle: nothing leaks', () => {
  let home: Awaited<ReturnType<typeof makeTempHome>> | undefined;
  const dir = (): string => {
    if (home === undefined) throw new Error('no state home');
    return home.dir;
  };
  beforeAll(async () => {
    home = await makeTempHome('lifecycle');
  });
  afterAll(async () => {
    // Anything a failed test left is reaped here, so one failure does not leak into the next run.
    const provider = makeTestProvider(dir());
    await reapOwnSandboxes(provider);
    await home?.dispose();
  });

  it('destroy removes every namespace, process, socket and file, and marks the record destroyed', async () => {
    const provider = makeTestProvider(dir());
    const handle = await provider.create({ id: generateSandboxId(), cni: 'calico', ttlSeconds: 300, owner: 'lifecycle', cluster: smallCluster() });
    const id = handle.id;
    expect(await findLeftovers(id)).not.toEqual([]);
    await handle.destroy();
    expect(await findLeftovers(id)).toEqual([]);
    expect((await provider.store.read(id))?.status).toBe('destroyed');
  });

  it('an aborted creation removes what it had built', async () => {
    const provider = makeTestProvider(dir());
    const controller = new AbortController();
    const id = generateSandboxId();
    const failure = await provider
      .create({
        id,
        cni: 'reference',
        ttlSeconds: 300,
        owner: 'lifecycle',
        cluster: smallCluster(),
        signal: controller.signal,
        onProgress: (event) => {
          if (event.step === 'policies') controller.abort();
        },
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure instanceof Error && 'code' in failure ? failure.code : undefined).toBe('SANDBOX_ABORTED');
    expect(await findLeftovers(id)).toEqual([]);
    expect((await provider.store.read(id))?.status).toBe('failed');
  });

  it('the TTL is enforced by the supervisor after `rehearse up` has exited', async () => {
    const manifests = join(dir(), 'small.yaml');
    await writeFile(manifests, 'apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\nspec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}\n');
    const up = await runRehearse(['up', '-f', manifests, '--ttl', '5s', '--name', 'short-lived', '-o', 'json'], dir());
    expect(up.exitCode, up.stderr).toBe(0);
    const summary: unknown = JSON.parse(up.stdout);
    const id = typeof summary === 'object' && summary !== null && 'id' in summary && typeof summary.id === 'string' ? summary.id : '';
    expect(id).toMatch(/^sb-/);
    // The creator is gone; the sandbox lives on until its expiry.
    expect((await createStateStore(dir()).read(id))?.status).toBe('ready');
    expect(await findLeftovers(id)).not.toEqual([]);
    await waitFor(async () => (await createStateStore(dir()).read(id))?.status === 'destroyed', { timeoutMs: 20_000, what: `the supervisor to reap ${id}` });
    expect(await findLeftovers(id)).toEqual([]);
  });

  it('the idle supervisor is the small agent binary; it follows extend and reaps at the new expiry', async () => {
    const provider = makeTestProvider(dir());
    const handle = await provider.create({ id: generateSandboxId(), cni: 'reference', ttlSeconds: 4, owner: 'lifecycle', cluster: smallCluster() });
    const id = handle.id;
    const supervisorPid = parseLocalState(handle.record().providerState)?.supervisorPid ?? 0;
    const argv = (await readFile(`/proc/${supervisorPid}/cmdline`, 'utf8')).split('\0');
    expect(argv[1]).toBe('--supervise');
    const pssKb = Number(/^Pss:\s+(\d+) kB/m.exec(await readFile(`/proc/${supervisorPid}/smaps_rollup`, 'utf8'))?.[1]);
    expect(pssKb).toBeGreaterThan(0);
    expect(pssKb).toBeLessThan(4 * 1024);
    await handle.extend(new Date(Date.now() + 12_000));
    await handle.detach();
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    // Past the first deadline and still there: the supervisor re-read the record instead of reaping.
    expect((await provider.store.read(id))?.status).toBe('ready');
    expect(await isProcessAlive(supervisorPid)).toBe(true);
    await waitFor(async () => (await provider.store.read(id))?.status === 'destroyed', { timeoutMs: 20_000, what: `the supervisor to reap ${id} at its new expiry` });
    // The supervisor marks the record destroyed, then exits: the last of the sandbox's processes to go.
    await waitFor(async () => !(await isProcessAlive(supervisorPid)), { timeoutMs: 5_000, what: 'the supervisor to exit' });
    expect(await findLeftovers(id)).toEqual([]);
  });

  it('an expired sandbox whose supervisor died is reaped by the next command', async () => {
    const provider = makeTestProvider(dir());
    const handle = await provider.create({ id: generateSandboxId(), cni: 'reference', ttlSeconds: 5, owner: 'lifecycle', cluster: smallCluster() });
    const id = handle.id;
    const supervisorPid = parseLocalState(handle.record().providerState)?.supervisorPid;
    expect(supervisorPid).toBeDefined();
    if (supervisorPid !== undefined) process.kill(supervisorPid, 'SIGKILL');
    await handle.detach();
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    const ls = await runRehearse(['ls'], dir());
    expect(ls.stderr).toContain(`reaped ${id}: expired`);
    expect(await findLeftovers(id)).toEqual([]);
  });

  describe('kill -9 of `rehearse up` mid-creation', () => {
    async function killMidCreation(options: { readonly killSupervisor: boolean }): Promise<string> {
      const manifests = join(dir(), 'many.yaml');
      await writeFile(manifests, manyPodsYaml(120));
      const known = new Set((await createStateStore(dir()).list()).records.map((existing) => existing.id));
      const child = spawn(rehearse, ['up', '-f', manifests, '--ttl', '10m'], { env: { ...process.env, REHEARSAL_HOME: dir() }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      let record: SandboxRecord | undefined;
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`rehearse up exited (${child.exitCode}) before it could be killed: ${stderr}`);
          record = await readNewRecord(dir(), known);
          return record !== undefined && record.status === 'provisioning' && (await listNetns()).includes(getPodNetns(record.id, 0));
        },
        { timeoutMs: 60_000, what: 'the creation to reach its network namespaces' },
      );
      if (record === undefined) throw new Error('no record');
      const id = record.id;
      const closed = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGKILL');
      const supervisorPid = parseLocalState((await createStateStore(dir()).read(id))?.providerState ?? {})?.supervisorPid;
      if (options.killSupervisor && supervisorPid !== undefined) process.kill(supervisorPid, 'SIGKILL');
      await closed;
      // With its supervisor alive, the sandbox may already be reaped by now; otherwise it is stuck half-built.
      const status = (await createStateStore(dir()).read(id))?.status;
      if (options.killSupervisor) expect(status).toBe('provisioning');
      else expect(['provisioning', 'expiring', 'destroyed']).toContain(status);
      return id;
    }

    it('with its supervisor killed too, the next rehearsal command reaps the half-built sandbox', async () => {
      const id = await killMidCreation({ killSupervisor: true });
      expect(await findLeftovers(id)).not.toEqual([]);
      const ls = await runRehearse(['ls'], dir());
      expect(ls.stderr).toContain(`reaped ${id}: half-built`);
      expect(await findLeftovers(id)).toEqual([]);
      expect((await createStateStore(dir()).read(id))?.status).toBe('destroyed');
    });

    it('with its supervisor alive, the supervisor reaps it on its own', async () => {
      const id = await killMidCreation({ killSupervisor: false });
      const supervisorPid = parseLocalState((await createStateStore(dir()).read(id))?.providerState ?? {})?.supervisorPid;
      await waitFor(async () => (await createStateStore(dir()).read(id))?.status === 'destroyed', { timeoutMs: 20_000, what: `the supervisor to reap ${id}` });
      // The supervisor writes "destroyed" as its last act and then exits; until it has, it is (rightly) one of
      // the sandbox's processes, so wait for it before asking whether anything else was left behind.
      if (supervisorPid !== undefined) await waitFor(async () => !(await isProcessAlive(supervisorPid)), { timeoutMs: 5_000, what: 'the supervisor to exit' });
      expect(await findLeftovers(id)).toEqual([]);
    });
  });
});
