// Established connections and a new deny: Calico lets an open connection live on ("existing connections are
// affected only after they are re-established" [CAL1]); Cilium evaluates policy per packet and cuts it [CIL10].
// A small echo pair holds a real TCP connection open across `apply` and checks whether it still carries data.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../server/policy/model.ts';
import type { SandboxHandle } from '../../server/sandbox/contract.ts';
import { parseLocalState } from '../../server/sandbox/local/local-state.ts';
import { generateSandboxId } from '../../server/sandbox/local/names.ts';
import { canRunPrivileged } from '../helpers/env.ts';
import { makeCluster, makeNamespace, makePod, makePolicy, sel } from '../helpers/builders.ts';
import { collectProbes, makeTempHome, makeTestProvider, podProbe } from './local-helpers.ts';

/** A port no agent serves, so the held connection is the helper's alone. */
const heldPort = 9090;

const echoServerScript = `
const net = require('node:net');
const server = net.createServer((socket) => { socket.on('error', () => {}); socket.pipe(socket); });
server.listen(${heldPort}, process.argv[1], () => console.log('READY'));
`;

// Reads commands on stdin: each 'ping' sends a line over the held connection and prints 'echo' or 'no-echo'.
const holderScript = `
const net = require('node:net');
const readline = require('node:readline');
const socket = net.connect({ host: process.argv[1], port: ${heldPort} });
let waiting;
socket.on('connect', () => console.log('CONNECTED'));
socket.on('error', (error) => { console.log('error ' + error.code); });
socket.on('data', () => { if (waiting) { clearTimeout(waiting); waiting = undefined; console.log('echo'); } });
readline.createInterface({ input: process.stdin }).on('line', () => {
  socket.write('ping\\n');
  waiting = setTimeout(() => { waiting = undefined; console.log('no-echo'); }, 1500);
});
`;

interface LineProcess {
  readonly child: ChildProcess;
  next(): Promise<string>;
}

function startInNetns(netns: string, script: string, args: readonly string[]): LineProcess {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  if (child.stdout === null) throw new Error('no stdout');
  createInterface({ input: child.stdout }).on('line', (line) => {
    const waiter = waiters.shift();
    if (waiter === undefined) lines.push(line);
    else waiter(line);
  });
  return {
    child,
    next: () => {
      const line = lines.shift();
      if (line !== undefined) return Promise.resolve(line);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no output from the helper in ${netns} within 20 s`)), 20_000);
        waiters.push((value) => {
          clearTimeout(timer);
          resolve(value);
        });
      });
    },
  };
}

function makeTwoPods(policies: Cluster['policies'] = []): Cluster {
  return makeCluster({
    namespaces: [makeNamespace('x', { ns: 'x' })],
    pods: [makePod('x', 'a', { labels: { pod: 'a' } }), makePod('x', 'b', { labels: { pod: 'b' }, ports: [[80, 'TCP']] })],
    policies,
  });
}

const denyAllIngressOfB = makePolicy('x', 'deny-b', { podSelector: sel({ pod: 'b' }), ingress: [] });

function describeEstablished(profile: 'calico' | 'cilium', expectation: 'echo' | 'no-echo'): void {
  describe(`${profile}: an open connection after a new deny`, () => {
    let home: Awaited<ReturnType<typeof makeTempHome>> | undefined;
    let handle: SandboxHandle | undefined;
    const helpers: ChildProcess[] = [];
    beforeAll(async () => {
      home = await makeTempHome(`established-${profile}`);
      handle = await makeTestProvider(home.dir).create({ id: generateSandboxId(), cni: profile, ttlSeconds: 300, owner: 'established', cluster: makeTwoPods() });
    });
    afterAll(async () => {
      for (const child of helpers) child.kill('SIGKILL');
      await handle?.destroy();
      await home?.dispose();
    });

    it(expectation === 'echo' ? 'keeps carrying data (existing connections survive)' : 'stops carrying data (policy applies per packet)', async () => {
      if (handle === undefined) throw new Error('sandbox not created');
      const state = parseLocalState(handle.record().providerState);
      const netnsOf = (key: string): string => state?.pods.find((pod) => pod.key === key)?.netns ?? '';
      const serverIp = handle.cluster().pods.find((pod) => pod.name === 'b')?.ips[0] ?? '';

      const server = startInNetns(netnsOf('x/b'), echoServerScript, [serverIp]);
      helpers.push(server.child);
      expect(await server.next()).toBe('READY');
      const holder = startInNetns(netnsOf('x/a'), holderScript, [serverIp]);
      helpers.push(holder.child);
      expect(await holder.next()).toBe('CONNECTED');
      holder.child.stdin?.write('ping\n');
      expect(await holder.next()).toBe('echo');

      const applied = await handle.apply(makeTwoPods([denyAllIngressOfB]));
      expect(applied.policiesChanged).toBe(1);
      // A new connection is denied on every enforcing CNI: the premise of the comparison.
      const fresh = await collectProbes(handle, [{ ...podProbe('new', 'x/a', 'x/b', heldPort), timeoutMs: 1000 }]);
      expect(fresh.get('new')?.outcome).toBe('denied');

      holder.child.stdin?.write('ping\n');
      expect(await holder.next()).toBe(expectation);
    });
  });
}

describe.runIf(canRunPrivileged())('local sandbox: established connections on policy change', () => {
  describeEstablished('calico', 'echo');
  describeEstablished('cilium', 'no-echo');
});
