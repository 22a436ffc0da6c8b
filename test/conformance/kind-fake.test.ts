// The kind provider against fakes at its two client boundaries (the Automation API seam and the Kubernetes seam):
// the shared provider contract, then what only a Pulumi-driven provider does: progress from engine events,
// preflight errors, cleanup of half-created stacks, stale locks, pending operations, TTL destroy, restarts.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent, SandboxProvider } from '../../server/sandbox/contract.ts';
import { SandboxError } from '../../server/sandbox/contract.ts';
import { createKindProvider } from '../../server/sandbox/kind/kind-provider.ts';
import type { PulumiProviderDeps } from '../../server/sandbox/pulumi/stack-provider.ts';
import { makeContractCluster, describeProviderContract } from './provider-contract.ts';
import { FakeAutomation } from './fakes/fake-automation.ts';
import { createFakeClock, createRecordingLogger, makeTestId, waitUntil } from './fakes/fake-clock.ts';
import type { FakeClock, RecordingLogger } from './fakes/fake-clock.ts';
import { makeFakeHost } from './fakes/fake-host.ts';

interface Rig {
  readonly provider: SandboxProvider;
  readonly automation: FakeAutomation;
  readonly clock: FakeClock;
  readonly logger: RecordingLogger;
  readonly home: string;
}

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rehearsal-kind-fake-'));
});

let rigCount = 0;
function makeRig(overrides: Partial<PulumiProviderDeps> & { readonly automation?: FakeAutomation; readonly home?: string } = {}): Rig {
  rigCount += 1;
  const home = overrides.home ?? join(root, `home-${rigCount}`);
  const automation = overrides.automation ?? new FakeAutomation({ backendDirectory: join(home, 'pulumi', 'state') });
  const clock = createFakeClock();
  const logger = createRecordingLogger();
  const provider = createKindProvider({
    openAutomation: async () => automation,
    createKubeClient: automation.createKubeClient,
    clock,
    logger,
    host: makeFakeHost(),
    home,
    hostname: 'test-host',
    timings: { pollMs: 1_000, gateTimeoutMs: 60_000, enforcementWindowMs: 10_000 },
    ...overrides,
  });
  return { provider, automation, clock, logger, home };
}

const contractRig: { current?: Rig } = {};
describeProviderContract(
  'kind (fake Pulumi + fake Kubernetes)',
  () => {
    contractRig.current = makeRig();
    return contractRig.current.provider;
  },
  {
    cni: 'kindnet',
    makeId: makeTestId,
    skip: { attribution: 'a real CNI drops packets silently; naming the dropping policy needs CNI flow logs (Hubble, Calico flow logs), which kind sandboxes do not collect' },
    findLeftovers: async (record) => {
      const rig = contractRig.current;
      if (rig === undefined) return ['no rig'];
      return [
        ...(rig.automation.stacks.has(record.id) ? [`Pulumi stack ${record.id}`] : []),
        ...(rig.automation.clusters.has(`fake-kubeconfig:${record.id}`) ? [`kind cluster of ${record.id}`] : []),
        ...(existsSync(join(rig.home, 'sandboxes', 'kind', record.id)) ? [`sandbox files of ${record.id}`] : []),
      ];
    },
  },
);

async function createSandbox(rig: Rig, options: { readonly cni?: string; readonly ttlSeconds?: number; readonly events?: ProgressEvent[] } = {}) {
  return rig.provider.create({
    id: makeTestId(),
    cni: options.cni ?? 'kindnet',
    ttlSeconds: options.ttlSeconds ?? 600,
    owner: 'qa',
    cluster: makeContractCluster(),
    ...(options.events === undefined ? {} : { onProgress: (event: ProgressEvent) => options.events?.push(event) }),
  });
}

describe('kind provider through the Automation API seam', () => {
  it('streams pulumi resource steps, then the readiness gate, canary and enforcement check, in order', async () => {
    const rig = makeRig();
    const events: ProgressEvent[] = [];
    const handle = await createSandbox(rig, { events });
    const steps = events.map((event) => event.step).filter((step, index, all) => all[index - 1] !== step);
    expect(steps).toEqual(['cluster', 'readiness', 'cni', 'dns', 'pods', 'canary', 'enforcement', 'policies', 'ready']);
    expect(events.map((event) => event.message)).toEqual(
      expect.arrayContaining([`creating command:local:Command ${handle.id}-kind`, `created ${handle.id}-kind`, 'done in 42 s', 'cluster created']),
    );
    expect(events.every((event) => event.sandboxId === handle.id)).toBe(true);
    const fractions = events.flatMap((event) => (event.fraction === undefined ? [] : [event.fraction]));
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions.at(-1)).toBe(1);
    expect(handle.record().providerState['enforcement']).toMatch(/^enforced: a deny-all ingress policy/);
    await handle.destroy();
  });

  it('passes the sandbox as stack config the program accepts: id, provider, CNI, expiry, owner', async () => {
    const rig = makeRig({ stackSettings: { nodeCount: '3', podSubnet: '10.200.0.0/16' } });
    const handle = await createSandbox(rig, { cni: 'calico' });
    expect(rig.automation.stacks.get(handle.id)?.config).toMatchObject({
      sandboxId: handle.id,
      provider: 'kind',
      cni: 'calico',
      nodeCount: '3',
      podSubnet: '10.200.0.0/16',
      owner: 'qa',
      expiresAt: handle.record().expiresAt,
    });
    await handle.destroy();
  });

  it('applies every object by server-side apply with the rehearsal field manager', async () => {
    const rig = makeRig();
    const handle = await createSandbox(rig);
    const cluster = rig.automation.clusters.get(`fake-kubeconfig:${handle.id}`);
    expect(cluster?.calls.applies.length).toBeGreaterThan(0);
    expect(new Set(cluster?.calls.applies.map((call) => call.fieldManager))).toEqual(new Set(['rehearsal']));
    await handle.destroy();
  });

  it('sends one exec per source pod, however many probes it carries', async () => {
    const rig = makeRig();
    const handle = await createSandbox(rig);
    const cluster = rig.automation.clusters.get(`fake-kubeconfig:${handle.id}`);
    const before = cluster?.calls.execs.length ?? 0;
    const requests = Array.from({ length: 30 }, (_, index) => ({
      id: `p${index}`,
      from: { kind: 'pod' as const, namespace: index % 2 === 0 ? 'alpha' : 'beta', name: index % 2 === 0 ? 'client' : 'other' },
      to: { kind: 'pod' as const, namespace: 'alpha', name: 'server' },
      port: 80,
      protocol: 'TCP' as const,
      timeoutMs: 1000,
    }));
    const results = [];
    for await (const result of handle.probe(requests)) results.push(result);
    expect(results).toHaveLength(30);
    expect(cluster?.calls.execs.slice(before)).toEqual([
      { pod: 'alpha/client', probeCount: 15 },
      { pod: 'beta/other', probeCount: 15 },
    ]);
    await handle.destroy();
  });

  it('refuses to start without Docker, kind and Pulumi, saying what to install', async () => {
    const rig = makeRig({
      host: makeFakeHost({
        tools: {
          pulumi: { kind: 'missing' },
          kind: { kind: 'missing' },
          docker: { kind: 'exited', exitCode: 1, stdout: '', stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n' },
        },
      }),
    });
    const availability = await rig.provider.checkHost();
    expect(availability.isAvailable).toBe(false);
    expect(availability.problems.map((problem) => problem.check)).toEqual(['pulumi-cli', 'docker-daemon', 'kind']);
    expect(availability.problems[1]?.message).toContain('unix:///var/run/docker.sock');
    expect(availability.problems[2]?.fix).toContain('kind.sigs.k8s.io/dl/');
    const failure = await createSandbox(rig).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SandboxError);
    expect(failure instanceof SandboxError ? failure.code : '').toBe('SANDBOX_HOST_UNSUPPORTED');
    expect(failure instanceof Error ? failure.message : '').toMatch(/kind: cannot create sandboxes on this host \(3 problems\)/);
    expect(rig.automation.log).toEqual([]);
  });

  it('destroys a half-created stack when up fails, and says why it failed', async () => {
    const rig = makeRig();
    rig.automation.failures.push({
      operation: 'up',
      error: new Error('code: 255\n stderr: error: update failed\nerror: command:local:Command rehearsal-kind: ERROR: failed to create cluster: node(s) already exist for a cluster with the name "x"'),
      times: 1,
    });
    const failure = await createSandbox(rig).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SandboxError);
    expect(failure instanceof Error ? failure.message : '').toMatch(/^pulumi up of stack sb-[0-9a-f]{8} failed: command:local:Command rehearsal-kind: ERROR: failed to create cluster: node\(s\) already exist/);
    const id = rig.automation.log[0]?.split(' ')[1] ?? '';
    expect(rig.automation.log).toEqual([`up ${id}`, `destroy ${id}`, `rm ${id}`]);
    expect(existsSync(join(rig.home, 'sandboxes', 'kind', id))).toBe(false);
  });

  it('keeps the record as failed when the half-created stack cannot be destroyed either', async () => {
    const rig = makeRig();
    rig.automation.failures.push({ operation: 'up', error: new Error('error: boom'), times: 1 }, { operation: 'destroy', error: new Error('error: cluster unreachable'), times: 2 });
    const failure = await createSandbox(rig).catch((error: unknown) => error);
    expect(failure instanceof Error ? failure.message : '').toMatch(/could not be destroyed .*run 'rehearse down sb-/s);
    const found = await rig.provider.discover();
    expect(found).toHaveLength(1);
    expect(found[0]?.status).toBe('failed');
  });

  it('removes a stale lock left by a dead process on this host and retries once', async () => {
    const rig = makeRig();
    const id = makeTestId();
    const lockDirectory = join(rig.home, 'pulumi', 'state', '.pulumi', 'locks', 'organization', 'rehearsal', id);
    await mkdir(lockDirectory, { recursive: true });
    const lockFile = join(lockDirectory, 'dead.json');
    await writeFile(lockFile, JSON.stringify({ pid: 2 ** 22 + 17, username: 'root', hostname: 'test-host', timestamp: '2026-11-21T10:00:00Z' }));
    rig.automation.failures.push({ operation: 'up', error: new Error('error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.'), times: 1 });
    const handle = await rig.provider.create({ id, cni: 'kindnet', ttlSeconds: 600, owner: 'qa', cluster: makeContractCluster() });
    expect(existsSync(lockFile)).toBe(false);
    expect(rig.automation.log.filter((line) => line === `up ${id}`)).toHaveLength(2);
    expect(rig.logger.entries.some((entry) => entry.message.includes('removed a stale Pulumi stack lock'))).toBe(true);
    await handle.destroy();
  });

  it('never steals a lock held by a live process: the error names its holder', async () => {
    const rig = makeRig();
    const id = makeTestId();
    const lockDirectory = join(rig.home, 'pulumi', 'state', '.pulumi', 'locks', 'organization', 'rehearsal', id);
    await mkdir(lockDirectory, { recursive: true });
    await writeFile(join(lockDirectory, 'live.json'), JSON.stringify({ pid: process.pid, hostname: 'test-host' }));
    rig.automation.failures.push({ operation: 'up', error: new Error('error: the stack is currently locked by 1 lock(s).'), times: 1 });
    const failure = await rig.provider.create({ id, cni: 'kindnet', ttlSeconds: 600, owner: 'qa', cluster: makeContractCluster() }).catch((error: unknown) => error);
    expect(failure instanceof SandboxError ? failure.code : '').toBe('SANDBOX_BUSY');
    expect(failure instanceof Error ? failure.message : '').toContain(`pid ${process.pid} on test-host`);
  });

  it('clears pending operations left by an interrupted update and retries', async () => {
    const rig = makeRig();
    const id = makeTestId();
    await rig.automation.openStack({ stackName: id, create: true });
    const state = rig.automation.stacks.get(id);
    if (state !== undefined) state.pendingOperations = 2;
    const handle = await rig.provider.create({ id, cni: 'kindnet', ttlSeconds: 600, owner: 'qa', cluster: makeContractCluster() });
    expect(rig.automation.log).toEqual([`up ${id}`, `clear-pending ${id}`, `up ${id}`]);
    await handle.destroy();
  });

  it('destroys the stack when the TTL passes, with nobody holding the handle', async () => {
    const rig = makeRig();
    const handle = await createSandbox(rig, { ttlSeconds: 60 });
    await handle.detach();
    await rig.clock.advance(61_000);
    await waitUntil(() => !rig.automation.stacks.has(handle.id), 'the stack is removed');
    expect(rig.automation.log).toContain(`destroy ${handle.id}`);
  });

  it('after a restart, finds its stacks, marks expired ones, and reattaches with real pod IPs', async () => {
    const first = makeRig();
    const handle = await createSandbox(first, { ttlSeconds: 600 });
    const addresses = handle.cluster().pods.map((pod) => pod.ips[0]);
    const restarted = makeRig({ automation: first.automation, home: first.home });
    const found = await restarted.provider.discover();
    expect(found.map((record) => [record.id, record.status])).toEqual([[handle.id, 'ready']]);
    const attached = await restarted.provider.attach(handle.record());
    expect(attached?.cluster().pods.map((pod) => pod.ips[0])).toEqual(addresses);
    await restarted.clock.advance(3_600_000);
    await waitUntil(() => !first.automation.stacks.has(handle.id), 'the reattached sandbox expires');
  });

  it('reports a stack that outlived its expiry as expiring, so the startup sweep reaps it', async () => {
    const first = makeRig();
    const handle = await createSandbox(first, { ttlSeconds: 600 });
    const state = first.automation.stacks.get(handle.id);
    if (state !== undefined) state.config = { ...state.config, expiresAt: '2020-01-01T00:00:00.000Z' };
    const restarted = makeRig({ automation: first.automation, home: first.home });
    const [record] = await restarted.provider.discover();
    expect(record?.status).toBe('expiring');
    if (record !== undefined) await restarted.provider.reap(record);
    expect(first.automation.stacks.has(handle.id)).toBe(false);
  });

  it('with bare flannel, reports the missing enforcement as documented instead of failing', async () => {
    const rig = makeRig();
    const events: ProgressEvent[] = [];
    const handle = await createSandbox(rig, { cni: 'flannel', events });
    expect(handle.record().providerState['enforcement']).toMatch(/^not-enforced: /);
    expect(events.some((event) => event.step === 'enforcement' && event.message.startsWith('as documented for this CNI'))).toBe(true);
    await handle.destroy();
  });

  it('rejects stack settings the program would reject, before running Pulumi', async () => {
    const rig = makeRig({ stackSettings: { nodeCount: '99' } });
    const failure = await createSandbox(rig).catch((error: unknown) => error);
    expect(failure instanceof Error ? failure.message : '').toContain('rehearsal:nodeCount');
    expect(rig.automation.log).toEqual([]);
  });
});

afterAll(() => {
  delete contractRig.current;
});
