// A throwaway router + pods + outside world built from network namespaces, just enough to push real packets
// through a compiled ruleset: the same shape the local provider builds (link-local gateway, /32 routes,
// one veth per pod). Every namespace is named `rh-test-nft-*` and removed by dispose().

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Cluster } from '../../server/policy/model.ts';

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with an argument array (never a shell), feeding `stdin` when given. */
export function runCommand(file: string, args: readonly string[], stdin?: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // A program that exits before reading its input closes the pipe; its exit code and stderr tell the story.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? '');
  });
}

export async function runChecked(file: string, args: readonly string[], stdin?: string): Promise<string> {
  const result = await runCommand(file, args, stdin);
  if (result.code !== 0) throw new Error(`${file} ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}

export const gatewayIp = '169.254.1.1';

// The pod side of a probe: connect to each target, report the errno (or `connected`), as JSON on stdout.
// With `hold`, it first connects once, exchanges a byte, waits for a line on stdin, then tries again on the
// same connection: a way to see whether a ruleset loaded in between cuts an established flow.
const clientSource = `
const net = require('node:net');
const request = JSON.parse(process.argv[1]);
function probe(t) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: t.ip, port: t.port });
    const timer = setTimeout(() => { socket.destroy(); resolve({ ...t, outcome: 'timeout' }); }, request.timeoutMs);
    socket.on('connect', () => { clearTimeout(timer); socket.end(); resolve({ ...t, outcome: 'connected' }); });
    socket.on('error', (e) => { clearTimeout(timer); resolve({ ...t, outcome: e.code || 'error' }); });
  });
}
function hold(t) {
  const socket = net.connect({ host: t.ip, port: t.port });
  socket.on('error', (e) => { process.stdout.write(JSON.stringify({ phase: 'error', code: e.code }) + '\\n'); });
  socket.once('data', () => {
    process.stdout.write(JSON.stringify({ phase: 'first-echo' }) + '\\n');
    process.stdin.once('data', () => {
      const timer = setTimeout(() => { process.stdout.write(JSON.stringify({ phase: 'no-second-echo' }) + '\\n'); process.exit(0); }, request.timeoutMs);
      socket.once('data', () => { clearTimeout(timer); process.stdout.write(JSON.stringify({ phase: 'second-echo' }) + '\\n'); process.exit(0); });
      socket.write('b');
    });
  });
  socket.on('connect', () => socket.write('a'));
}
if (request.hold) hold(request.hold);
else Promise.all(request.targets.map(probe)).then((r) => process.stdout.write(JSON.stringify(r)));
`;

// The pod side of a server: TCP echo on each port; prints `ready` once all listen.
const serverSource = `
const net = require('node:net');
const ports = JSON.parse(process.argv[1]);
let listening = 0;
for (const port of ports) {
  const server = net.createServer((c) => { c.on('data', (d) => c.write(d)); c.on('error', () => {}); });
  server.listen(port, '0.0.0.0', () => { listening += 1; if (listening === ports.length) process.stdout.write('ready\\n'); });
}
`;

export interface ProbeTarget {
  readonly key: string;
  readonly ip: string;
  readonly port: number;
}

export interface ProbeOutcome extends ProbeTarget {
  /** `connected`, or the errno the connect failed with (ENETUNREACH, EHOSTUNREACH, ECONNREFUSED), or `timeout`. */
  readonly outcome: string;
}

export interface Topology {
  readonly router: string;
  /** `ns/pod` → its netns. */
  readonly podNamespaces: ReadonlyMap<string, string>;
  /** `ns/pod` → router-side interface. */
  readonly interfaces: ReadonlyMap<string, string>;
  readonly externalIfname: string;
  loadRuleset(text: string): Promise<void>;
  probe(from: string, targets: readonly ProbeTarget[], timeoutMs: number): Promise<ProbeOutcome[]>;
  /** Opens a connection from a pod, lets `between` run, then reports whether the same connection still works. */
  holdConnection(from: string, target: ProbeTarget, between: () => Promise<void>, timeoutMs: number): Promise<string>;
  dispose(): Promise<void>;
}

function waitForReady(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start within 10 s: ${output}`)), 10_000);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      output += d;
      if (output.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${output}`));
    });
  });
}

/**
 * Builds router, one netns per pod (TCP echo servers on `serverPorts`) and one for the externals.
 * `prefix` must start with `rh-test-nft-`; names stay short because interface names are at most 15 bytes.
 */
export async function createTopology(options: { cluster: Cluster; prefix: string; serverPorts: readonly number[] }): Promise<Topology> {
  const { cluster, prefix } = options;
  if (!prefix.startsWith('rh-test-nft-')) throw new Error('test namespaces must be named rh-test-nft-*');
  const router = `${prefix}r`;
  const outside = `${prefix}ext`;
  const created: string[] = [];
  const servers: ChildProcess[] = [];
  const podNamespaces = new Map<string, string>();
  const interfaces = new Map<string, string>();
  const externalIfname = 'ext0';

  const dispose = async (): Promise<void> => {
    for (const server of servers) server.kill('SIGKILL');
    for (const name of created.reverse()) await runCommand('ip', ['netns', 'delete', name]);
  };

  try {
    for (const name of [router, outside]) {
      await runChecked('ip', ['netns', 'add', name]);
      created.push(name);
    }
    // Rejects answer with ICMP errors, which the kernel rate-limits per destination (about 6 in a burst, then
    // one a second): a pod probing a denied peer would see timeouts instead of the errno. No limit in the router.
    await runChecked('ip', [
      'netns', 'exec', router, 'sysctl', '-q', '-w',
      'net.ipv4.ip_forward=1', 'net.ipv4.icmp_ratemask=0', 'net.ipv6.icmp.ratelimit=0',
    ]);
    // The gateway address lives on lo: this kernel has no dummy interface driver, and any local address works
    // (the router answers ARP for it on every veth, arp_ignore=0).
    const routerBatch = ['link set lo up', `addr add ${gatewayIp}/32 dev lo`];
    for (const [i, pod] of cluster.pods.entries()) {
      const key = `${pod.namespace}/${pod.name}`;
      const netns = `${prefix}${i}`;
      await runChecked('ip', ['netns', 'add', netns]);
      created.push(netns);
      const ifname = `p${i}`;
      podNamespaces.set(key, netns);
      interfaces.set(key, ifname);
      await runChecked('ip', ['link', 'add', 'name', ifname, 'netns', router, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      const podBatch = ['link set lo up', 'link set eth0 up', ...pod.ips.map((ip) => `addr add ${ip}/32 dev eth0`)];
      podBatch.push(`route add ${gatewayIp} dev eth0 scope link`, `route add default via ${gatewayIp} dev eth0`);
      await runChecked('ip', ['-n', netns, '-batch', '-'], `${podBatch.join('\n')}\n`);
      routerBatch.push(`link set ${ifname} up`, ...pod.ips.map((ip) => `route add ${ip}/32 dev ${ifname}`));
    }
    await runChecked('ip', ['link', 'add', 'name', externalIfname, 'netns', router, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', outside]);
    const outsideBatch = ['link set lo up', 'link set eth0 up', ...cluster.externals.map((e) => `addr add ${e.ip}/32 dev eth0`)];
    outsideBatch.push(`route add ${gatewayIp} dev eth0 scope link`, `route add default via ${gatewayIp} dev eth0`);
    await runChecked('ip', ['-n', outside, '-batch', '-'], `${outsideBatch.join('\n')}\n`);
    routerBatch.push(`link set ${externalIfname} up`, ...cluster.externals.map((e) => `route add ${e.ip}/32 dev ${externalIfname}`));
    await runChecked('ip', ['-n', router, '-batch', '-'], `${routerBatch.join('\n')}\n`);

    for (const netns of [...podNamespaces.values(), outside]) {
      const server = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', serverSource, JSON.stringify(options.serverPorts)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      servers.push(server);
      await waitForReady(server, `echo server in ${netns}`);
    }
  } catch (error) {
    await dispose();
    throw error;
  }

  const clientNamespace = (from: string): string => {
    const netns = from.startsWith('external/') ? outside : podNamespaces.get(from);
    if (netns === undefined) throw new Error(`no namespace for ${from}`);
    return netns;
  };

  return {
    router,
    podNamespaces,
    interfaces,
    externalIfname,
    loadRuleset: async (text) => {
      await runChecked('ip', ['netns', 'exec', router, 'nft', '-f', '-'], text);
    },
    probe: async (from, targets, timeoutMs) => {
      const stdout = await runChecked('ip', ['netns', 'exec', clientNamespace(from), process.execPath, '-e', clientSource, JSON.stringify({ targets, timeoutMs })]);
      const parsed: unknown = JSON.parse(stdout);
      if (!Array.isArray(parsed)) throw new Error(`probe client printed ${stdout}`);
      return parsed.map((entry: unknown): ProbeOutcome => {
        if (typeof entry !== 'object' || entry === null || !('key' in entry) || !('ip' in entry) || !('port' in entry) || !('outcome' in entry)) {
          throw new Error(`probe client printed ${stdout}`);
        }
        const { key, ip, port, outcome } = entry;
        if (typeof key !== 'string' || typeof ip !== 'string' || typeof port !== 'number' || typeof outcome !== 'string') {
          throw new Error(`probe client printed ${stdout}`);
        }
        return { key, ip, port, outcome };
      });
    },
    holdConnection: (from, target, between, timeoutMs) =>
      new Promise((resolve, reject) => {
        const child = spawn('ip', ['netns', 'exec', clientNamespace(from), process.execPath, '-e', clientSource, JSON.stringify({ hold: target, timeoutMs })], {
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let output = '';
        child.on('error', reject);
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          output += d;
          if (output.includes('first-echo') && !output.includes('--sent--')) {
            output += '--sent--';
            between().then(
              () => child.stdin.write('go\n'),
              (error: unknown) => {
                child.kill('SIGKILL');
                reject(error instanceof Error ? error : new Error(String(error)));
              },
            );
          }
        });
        child.on('close', () => {
          const phase = /"phase":"(second-echo|no-second-echo|error)"/.exec(output);
          resolve(phase?.[1] ?? `unexpected: ${output}`);
        });
      }),
    dispose,
  };
}
