// The local sandbox on this host: ready time (9 and 100 pods), full-matrix probe time against the anchors' way
// (a fresh process per probe inside the source pod's namespace, as `kubectl exec ... agnhost connect` does),
// policy-change-to-enforced time, and memory per pod. Needs root, ip, nft and cc; otherwise every row says why not.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifests } from '../server/policy/index.ts';
import type { Cluster } from '../server/policy/index.ts';
import { planMatrixProbes, runMatrixProbes } from '../server/probe/run-matrix-probes.ts';
import type { PlannedProbe } from '../server/probe/run-matrix-probes.ts';
import type { SandboxHandle } from '../server/sandbox/contract.ts';
import { createLocalProvider } from '../server/sandbox/local/local-provider.ts';
import type { LocalProvider } from '../server/sandbox/local/local-provider.ts';
import { parseLocalState } from '../server/sandbox/local/local-state.ts';
import { generateSandboxId } from '../server/sandbox/local/names.ts';
import { runCommand } from '../server/sandbox/local/run-command.ts';
// Type-only: run.ts imports this module while it is still running, so a value import would deadlock.
import type { BenchRow } from './run.ts';

const repoRoot = join(import.meta.dirname, '..');
const readyRuns = 3;
const applyRuns = 10;
/** Upstream netpol e2e probes with 3 workers (k/k PR #97702 picked 3 as the speed/flake sweet spot). */
const upstreamWorkers = 3;
const ourConcurrency = 32;

// The anchor's probe: connect (TCP) or send-and-await-reply (UDP) with a timeout, exit 0 on success, like
// `agnhost connect --timeout=1s --protocol=tcp|udp`. C rather than Node so the anchor pays no runtime start-up:
// the ratio is conservative.
const connectToolSource = `
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc != 5) return 64;
  int udp = strcmp(argv[1], "udp") == 0;
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)atoi(argv[3]));
  if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1) return 64;
  int timeout = atoi(argv[4]);
  int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK, 0);
  if (fd < 0) return 3;
  if (udp) {
    int on = 1;
    setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof on);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) return 3;
    if (send(fd, "x\\n", 2, 0) < 0) return 3;
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, timeout) <= 0) return 2;
    char buf[256];
    return recv(fd, buf, sizeof buf, 0) > 0 ? 0 : 1;
  }
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) return 1;
  struct pollfd p = {fd, POLLOUT, 0};
  if (poll(&p, 1, timeout) <= 0) return 2;
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  return err == 0 ? 0 : 1;
}
`;

function ratioOf(ours: number, anchor: number): number | undefined {
  return ours > 0 ? anchor / ours : undefined;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function parseCluster(texts: readonly string[]): Cluster {
  const parsed = parseManifests(texts.map((text, i) => ({ file: `bench-${i}.yaml`, text })));
  const errors = parsed.issues.filter((issue) => issue.severity === 'error');
  if (errors.length > 0) throw new Error(`bench manifests do not parse: ${errors[0]?.message ?? ''}`);
  return parsed.cluster;
}

function hundredPodsYaml(): string {
  const documents: string[] = [];
  for (let n = 0; n < 10; n += 1) {
    documents.push(`apiVersion: v1\nkind: Namespace\nmetadata: {name: team-${n}, labels: {team: t${n}}}`);
    documents.push(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: team-${n}}
spec:
  replicas: 10
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 80}, {containerPort: 80, protocol: UDP}]}]}`);
    documents.push(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: same-team, namespace: team-${n}}
spec:
  podSelector: {}
  ingress: [{from: [{podSelector: {}}]}]`);
  }
  return documents.join('\n---\n');
}

const denyXYaml = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-x, namespace: x}
spec: {podSelector: {}, policyTypes: [Ingress]}`;

async function timeCreate(provider: LocalProvider, cluster: Cluster): Promise<{ readonly ms: number; readonly handle: SandboxHandle }> {
  const started = performance.now();
  const handle = await provider.create({ id: generateSandboxId(), cni: 'reference', ttlSeconds: 600, owner: 'bench', cluster });
  return { ms: performance.now() - started, handle };
}

/** The anchor: one fresh process per probe, inside the source pod's namespace. Returns ms and how many connected. */
async function runAnchorProbes(options: {
  readonly probes: readonly PlannedProbe[];
  readonly netnsOf: (key: string) => string | undefined;
  readonly ipOf: (key: string) => string | undefined;
  readonly tool: string;
  readonly workers: number;
}): Promise<{ readonly ms: number; readonly connected: number }> {
  const started = performance.now();
  let next = 0;
  let connected = 0;
  const worker = async (): Promise<void> => {
    while (next < options.probes.length) {
      const probe = options.probes[next];
      next += 1;
      if (probe === undefined) continue;
      const netns = options.netnsOf(probe.from);
      const ip = options.ipOf(probe.to);
      if (netns === undefined || ip === undefined) continue;
      const args = ['netns', 'exec', netns, options.tool, probe.protocol.toLowerCase(), ip, String(probe.port), '1000'];
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn('ip', args, { stdio: 'ignore' });
        child.on('close', resolve);
        child.on('error', () => resolve(null));
      });
      if (code === 0) connected += 1;
    }
  };
  await Promise.all(Array.from({ length: options.workers }, worker));
  return { ms: performance.now() - started, connected };
}

async function readMemoryKb(pid: number): Promise<{ readonly rssKb: number; readonly pssKb: number } | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
    const rss = /^Rss:\s+(\d+) kB/m.exec(text)?.[1];
    const pss = /^Pss:\s+(\d+) kB/m.exec(text)?.[1];
    return rss === undefined || pss === undefined ? undefined : { rssKb: Number(rss), pssKb: Number(pss) };
  } catch {
    return undefined;
  }
}

/** PSS of a bare Node process doing nothing: the least a Node supervisor or DNS server costs. */
async function measureIdleNodePssKb(): Promise<number | undefined> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1 << 30)'], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    return child.pid === undefined ? undefined : (await readMemoryKb(child.pid))?.pssKb;
  } finally {
    child.kill('SIGKILL');
  }
}

function skippedRows(reason: string): BenchRow[] {
  const figures = [
    'local sandbox ready, 9-pod upstream model',
    'local sandbox ready, 100 pods',
    'full matrix, 9 pods × 80/81 × TCP+UDP',
    'policy change to enforced',
    'memory per pod (agent PSS)',
    'memory per sandbox while idle (all its processes, PSS)',
  ];
  return figures.map((figure) => ({ figure, ours: `skipped: ${reason}`, anchor: '-', unit: '', note: '' }));
}

export async function run(): Promise<BenchRow[]> {
  const home = await mkdtemp(join(tmpdir(), 'rehearsal-bench-'));
  const provider = createLocalProvider({ stateHome: home });
  const handles: SandboxHandle[] = [];
  try {
    const availability = await provider.checkHost();
    if (!availability.isAvailable) return skippedRows(availability.problems.map((p) => `${p.check}: ${p.fix}`).join('; '));
    const modelYaml = await readFile(join(repoRoot, 'test', 'fixtures', 'upstream-model.yaml'), 'utf8');
    const model = parseCluster([modelYaml]);
    const hundred = parseCluster([hundredPodsYaml()]);
    const rows: BenchRow[] = [];

    // Ready time. The first create also compiles the agent (cached afterwards), so it is a warm-up, not a sample.
    const warmup = await timeCreate(provider, model);
    await warmup.handle.destroy();
    const readyNine: number[] = [];
    for (let i = 0; i < readyRuns; i += 1) {
      const { ms, handle } = await timeCreate(provider, model);
      readyNine.push(ms);
      await handle.destroy();
    }
    rows.push({
      figure: `local sandbox ready, 9-pod upstream model (+ DNS pod)`,
      ours: median(readyNine),
      anchor: 'skipped: kind needs Docker; its published cluster start is 30-60 s before any CNI or pod',
      unit: 'ms',
      note: `median of ${readyRuns} creates (record, supervisor, netns, veths, nft, 10 agents, DNS in the kube-dns agent); warm agent cache`,
    });
    const hundredRun = await timeCreate(provider, hundred);
    rows.push({
      figure: `local sandbox ready, ${hundred.pods.length} pods`,
      ours: hundredRun.ms,
      anchor: 'skipped: needs a kind cluster (Docker)',
      unit: 'ms',
      note: '10 namespaces × 10 replicas, 80 TCP+UDP, one policy per namespace; one create',
    });
    await hundredRun.handle.destroy();

    // Full matrix, ours against the anchor, on the same live sandbox.
    const { handle } = await timeCreate(provider, model);
    handles.push(handle);
    const plan = planMatrixProbes(model, { profile: 'reference' });
    const ours = await runMatrixProbes(handle, plan, { concurrency: ourConcurrency });
    const state = parseLocalState(handle.record().providerState);
    const netnsOf = (key: string): string | undefined => state?.pods.find((pod) => pod.key === key)?.netns;
    const ipOf = (key: string): string | undefined => model.pods.find((pod) => `${pod.namespace}/${pod.name}` === key)?.ips[0];
    const toolDir = await mkdtemp(join(tmpdir(), 'rehearsal-connect-'));
    const tool = join(toolDir, 'connect');
    await writeFile(join(toolDir, 'connect.c'), connectToolSource);
    await runCommand(process.env.CC ?? 'cc', ['-O2', '-o', tool, join(toolDir, 'connect.c')]);
    const anchorUpstream = await runAnchorProbes({ probes: plan.probes, netnsOf, ipOf, tool, workers: upstreamWorkers });
    const anchorSame = await runAnchorProbes({ probes: plan.probes, netnsOf, ipOf, tool, workers: ourConcurrency });
    await rm(toolDir, { recursive: true, force: true });
    const agreement = `ours ${ours.summary.observed.allowed} allowed of ${plan.probes.length}, anchor ${anchorUpstream.connected} connected`;
    rows.push({
      figure: `full matrix, 9 pods × 80/81 × TCP+UDP (${plan.probes.length} probes), vs exec per probe with ${upstreamWorkers} workers`,
      ours: ours.summary.durationMs,
      anchor: anchorUpstream.ms,
      unit: 'ms',
      ...(ratioOf(ours.summary.durationMs, anchorUpstream.ms) === undefined ? {} : { ratio: ratioOf(ours.summary.durationMs, anchorUpstream.ms) }),
      note: `ours: agents over unix sockets, ${ourConcurrency} in flight; anchor: ip netns exec + a C connect tool per probe, upstream's 3 workers; ${agreement}`,
    });
    rows.push({
      figure: `full matrix (${plan.probes.length} probes), vs exec per probe with ${ourConcurrency} workers`,
      ours: ours.summary.durationMs,
      anchor: anchorSame.ms,
      unit: 'ms',
      ...(ratioOf(ours.summary.durationMs, anchorSame.ms) === undefined ? {} : { ratio: ratioOf(ours.summary.durationMs, anchorSame.ms) }),
      note: `same concurrency on both sides; anchor ${anchorSame.connected} connected (no kubectl or API server in the anchor: real exec costs more)`,
    });

    // Policy change to enforced: alternate between no policy and a deny-all in x.
    const withDeny = parseCluster([modelYaml, denyXYaml]);
    const enforced: number[] = [];
    for (let i = 0; i < applyRuns; i += 1) enforced.push((await handle.apply(i % 2 === 0 ? withDeny : model)).enforcedAfterMs);
    rows.push({
      figure: 'policy change to enforced (apply, 9 pods)',
      ours: median(enforced),
      anchor: 'skipped: needs a real cluster; published: deny active in ~2 s (openshift/svt PR #796)',
      unit: 'ms',
      note: `median of ${applyRuns} applies, from the call to nft's completion of one atomic transaction`,
    });

    // Memory per pod: the agents of the live 9-pod sandbox.
    const memory = (await Promise.all((state?.pods ?? []).map((pod) => (pod.pid === undefined ? undefined : readMemoryKb(pod.pid))))).filter(
      (m): m is { rssKb: number; pssKb: number } => m !== undefined,
    );
    const dnsPid = state?.pods.find((pod) => pod.role === 'dns')?.pid;
    const dnsMemory = dnsPid === undefined ? undefined : await readMemoryKb(dnsPid);
    const supervisorMemory = state?.supervisorPid === undefined ? undefined : await readMemoryKb(state.supervisorPid);
    const outsideMemory = state?.outsidePid === undefined ? undefined : await readMemoryKb(state.outsidePid);
    const average = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
    const megabytes = (kb: number | undefined): string => ((kb ?? 0) / 1024).toFixed(2);
    const perSandbox =
      `DNS = the kube-dns agent, ${megabytes(dnsMemory?.pssKb)} MB PSS; per sandbox on top: idle supervisor ${megabytes(supervisorMemory?.pssKb)} MB PSS ` +
      `(${megabytes(supervisorMemory?.rssKb)} MB RSS), outside-world agent ${megabytes(outsideMemory?.pssKb)} MB PSS`;
    rows.push({
      figure: 'memory per pod (agent PSS)',
      ours: average(memory.map((m) => m.pssKb)) / 1024,
      anchor: 'skipped: agnhost pods need a container runtime (target: ≤ 10 MB per pod)',
      unit: 'MB',
      note: `${memory.length} agents, /proc/<pid>/smaps_rollup; ${perSandbox}`,
    });
    // Per sandbox: every process it keeps while idle. The anchor is what each of its two Node processes (DNS server,
    // supervisor) cost before they moved into the agent binary, at least: a bare idle Node, measured here.
    const sandboxPss = memory.reduce((sum, m) => sum + m.pssKb, 0) + (supervisorMemory?.pssKb ?? 0) + (outsideMemory?.pssKb ?? 0);
    const idleNodePss = await measureIdleNodePssKb();
    rows.push({
      figure: 'memory per sandbox while idle (all its processes, PSS)',
      ours: sandboxPss / 1024,
      anchor: idleNodePss === undefined ? 'skipped: could not measure an idle Node process' : (sandboxPss - (dnsMemory?.pssKb ?? 0) - (supervisorMemory?.pssKb ?? 0) + 2 * idleNodePss) / 1024,
      unit: 'MB',
      ...(idleNodePss === undefined ? {} : { ratio: (sandboxPss - (dnsMemory?.pssKb ?? 0) - (supervisorMemory?.pssKb ?? 0) + 2 * idleNodePss) / sandboxPss }),
      note: `${memory.length} pod agents + outside world + supervisor; anchor: the same with a Node DNS server and a Node supervisor (each counted as a bare idle Node, ${megabytes(idleNodePss)} MB PSS here)`,
    });
    rows.push({
      figure: 'memory per pod (agent RSS)',
      ours: average(memory.map((m) => m.rssKb)) / 1024,
      anchor: 'skipped: agnhost pods need a container runtime',
      unit: 'MB',
      note: 'RSS counts shared libc pages once per process; PSS shares them out',
    });
    return rows;
  } finally {
    for (const handle of handles) await handle.destroy().catch(() => undefined);
    // Only this run's own records: discover() would also list other state homes' sandboxes.
    for (const record of (await provider.store.list()).records) if (record.status !== 'destroyed') await provider.reap(record).catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  }
}
