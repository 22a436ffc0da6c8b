// The batched probe script, run for real by /bin/sh against a stand-in for /agnhost: one invocation carries many
// probes, arguments are never interpreted as shell, and agnhost's exit codes and stderr prefixes map to outcomes.
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { BatchProbe } from '../../../../../server/sandbox/k8s/probe-batch.ts';
import {
  buildProbeCommand,
  classifyConnectResult,
  createLineSplitter,
  formatProbeTarget,
  parseBatchLine,
  probeScript,
  timeoutDetail,
} from '../../../../../server/sandbox/k8s/probe-batch.ts';

const run = promisify(execFile);

/** Behaves like `agnhost connect` for a few fixed targets (connect.go: exit 1 with a TIMEOUT/REFUSED/... prefix). */
const fakeAgnhost = `#!/bin/sh
[ "$1" = connect ] || { echo "UNKNOWN: not connect" >&2; exit 1; }
case "$3" in --protocol=*) ;; *) echo "UNKNOWN: bad protocol flag $3" >&2; exit 1 ;; esac
case "$4" in --timeout=*ms) ;; *) echo "UNKNOWN: bad timeout flag $4" >&2; exit 1 ;; esac
case "$2" in
  10.0.0.1:80) exit 0 ;;
  10.0.0.2:80) echo "TIMEOUT: dial tcp 10.0.0.2:80: i/o timeout" >&2; exit 1 ;;
  10.0.0.3:81) echo "REFUSED: dial tcp 10.0.0.3:81: connect: connection refused" >&2; exit 1 ;;
  web.prod.svc.cluster.local:80) echo "DNS: lookup web.prod.svc.cluster.local: no such host" >&2; exit 1 ;;
  10.0.0.4:9) echo "OTHER: socket: protocol not supported" >&2; exit 1 ;;
  *) echo "OTHER: unexpected target $2" >&2; exit 1 ;;
esac
`;

async function runBatch(probes: readonly BatchProbe[]): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'rehearsal-agnhost-'));
  const agnhost = join(directory, 'agnhost');
  await writeFile(agnhost, fakeAgnhost);
  await chmod(agnhost, 0o755);
  const [shell = '', flag = '', script = '', ...rest] = buildProbeCommand(probes);
  const { stdout } = await run(shell, [flag, script.replaceAll('/agnhost', agnhost), ...rest]);
  return stdout;
}

describe('batched agnhost connect', () => {
  it('runs every probe of the batch in one shell and prints one result line each', async () => {
    const probes: BatchProbe[] = [
      { index: 0, target: '10.0.0.1:80', protocol: 'tcp', timeoutMs: 1000 },
      { index: 1, target: '10.0.0.2:80', protocol: 'tcp', timeoutMs: 1000 },
      { index: 2, target: '10.0.0.3:81', protocol: 'udp', timeoutMs: 500 },
      { index: 3, target: 'web.prod.svc.cluster.local:80', protocol: 'tcp', timeoutMs: 1000 },
      { index: 4, target: '10.0.0.4:9', protocol: 'sctp', timeoutMs: 1000 },
    ];
    const lines = (await runBatch(probes)).split('\n').flatMap((line) => parseBatchLine(line) ?? []);
    const outcomes = new Map(lines.map((line) => [line.index, classifyConnectResult(line)]));
    expect([...outcomes.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(outcomes.get(0)).toEqual({ outcome: 'allowed' });
    expect(outcomes.get(1)).toEqual({ outcome: 'denied', detail: timeoutDetail });
    expect(outcomes.get(2)?.outcome).toBe('refused');
    expect(outcomes.get(3)).toEqual({ outcome: 'error', detail: 'DNS lookup failed: DNS: lookup web.prod.svc.cluster.local: no such host' });
    expect(outcomes.get(4)?.outcome).toBe('unsupported');
    for (const line of lines) expect(line.latencyMs === undefined || line.latencyMs >= 0).toBe(true);
  });

  it('passes probes as arguments: the script text is the same whatever the targets are', () => {
    const first = buildProbeCommand([{ index: 0, target: '10.0.0.1:80', protocol: 'tcp', timeoutMs: 1000 }]);
    const second = buildProbeCommand([{ index: 7, target: '[fd00::1]:443', protocol: 'udp', timeoutMs: 250 }]);
    expect(first[2]).toBe(probeScript);
    expect(second[2]).toBe(probeScript);
    expect(second.slice(3)).toEqual(['sh', '7', '[fd00::1]:443', 'udp', '250ms']);
  });

  it('accepts only IPs and DNS names as targets, and ports in range', () => {
    expect(formatProbeTarget('10.244.1.5', 80)).toBe('10.244.1.5:80');
    expect(formatProbeTarget('fd00::5', 80)).toBe('[fd00::5]:80');
    expect(formatProbeTarget('web.prod.svc.cluster.local', 8080)).toBe('web.prod.svc.cluster.local:8080');
    expect(formatProbeTarget('$(reboot)', 80)).toBeUndefined();
    expect(formatProbeTarget('a;b', 80)).toBeUndefined();
    expect(formatProbeTarget('10.0.0.1', 0)).toBeUndefined();
    expect(formatProbeTarget('10.0.0.1', 70000)).toBeUndefined();
  });

  it('keeps a partial line until the rest of it arrives', () => {
    const lines: string[] = [];
    const splitter = createLineSplitter((line) => lines.push(line));
    splitter.push('RH\t0\t0\t1\t2\t\nRH\t1\t1');
    expect(lines).toEqual(['RH\t0\t0\t1\t2\t']);
    splitter.push('\t3\t4\tTIMEOUT: x\n');
    expect(lines).toHaveLength(2);
    expect(parseBatchLine(lines[1] ?? '')).toEqual({ index: 1, exitCode: 1, output: 'TIMEOUT: x' });
  });

  it('measures latency from the pod clock when it has nanoseconds', () => {
    expect(parseBatchLine('RH\t3\t0\t1700000000000000000\t1700000000012500000\t')?.latencyMs).toBe(12.5);
    expect(parseBatchLine('RH\t3\t0\t%s%N\t%s%N\t')?.latencyMs).toBeUndefined();
    expect(parseBatchLine('noise')).toBeUndefined();
  });

  it('tells a missing agnhost apart from a denial', () => {
    expect(classifyConnectResult({ index: 0, exitCode: 127, output: 'sh: /agnhost: not found' }).outcome).toBe('error');
    expect(classifyConnectResult({ index: 0, exitCode: 1, output: '' }).outcome).toBe('error');
  });
});
