// One exec carries many probes: a constant shell script inside the source pod runs `agnhost connect` for each
// (id, target, protocol, timeout) quadruple given as ARGUMENTS, all at once, and prints one tab-separated line per
// probe. Nothing a user typed reaches the script text; targets are validated IPs, DNS names and ports.
// Outcome mapping follows kubernetes test/images/agnhost/connect/connect.go: exit 0 = connected; otherwise
// stderr starts with TIMEOUT, REFUSED, DNS, UNKNOWN or OTHER.
import { isIP } from 'node:net';
import type { ProbeOutcome } from '../contract.ts';

export const probeScript = [
  'while [ "$#" -ge 4 ]; do',
  '  (',
  '    start=$(date +%s%N 2>/dev/null)',
  '    out=$(/agnhost connect "$2" --protocol="$3" --timeout="$4" 2>&1)',
  '    rc=$?',
  '    end=$(date +%s%N 2>/dev/null)',
  '    out=$(printf "%s" "$out" | tr "\\t\\n\\r" "   " | cut -c1-300)',
  '    printf "RH\\t%s\\t%s\\t%s\\t%s\\t%s\\n" "$1" "$rc" "$start" "$end" "$out"',
  '  ) &',
  '  shift 4',
  'done',
  'wait',
].join('\n');

export interface BatchProbe {
  /** Index into the batch, echoed back; never a caller string. */
  readonly index: number;
  /** `10.244.1.5:80`, `[fd00::5]:80` or `web.prod.svc.cluster.local:80`. */
  readonly target: string;
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  readonly timeoutMs: number;
}

const dnsNamePattern = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*\.?$/;

export function isValidDnsName(hostname: string): boolean {
  return dnsNamePattern.test(hostname);
}

/** `host:port` for agnhost; undefined when the host is neither an IP nor a DNS name or the port is out of range. */
export function formatProbeTarget(host: string, port: number): string | undefined {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  const family = isIP(host);
  if (family === 6) return `[${host}]:${port}`;
  if (family === 4) return `${host}:${port}`;
  return isValidDnsName(host) ? `${host}:${port}` : undefined;
}

/** The argv of one batched exec: `sh -c <script> sh <quadruples...>` (`$0` is the placeholder `sh`). */
export function buildProbeCommand(probes: readonly BatchProbe[]): readonly string[] {
  return [
    '/bin/sh',
    '-c',
    probeScript,
    'sh',
    ...probes.flatMap((probe) => [String(probe.index), probe.target, probe.protocol, `${Math.max(1, Math.round(probe.timeoutMs))}ms`]),
  ];
}

export interface BatchLine {
  readonly index: number;
  readonly exitCode: number;
  /** From the pod's own clock when its `date` has nanoseconds; undefined otherwise. */
  readonly latencyMs?: number;
  readonly output: string;
}

/** Parses one output line; undefined for anything that is not a result line. */
export function parseBatchLine(line: string): BatchLine | undefined {
  const fields = line.split('\t');
  if (fields[0] !== 'RH' || fields.length < 6) return undefined;
  const index = Number.parseInt(fields[1] ?? '', 10);
  const exitCode = Number.parseInt(fields[2] ?? '', 10);
  if (!Number.isInteger(index) || !Number.isInteger(exitCode)) return undefined;
  const start = fields[3] ?? '';
  const end = fields[4] ?? '';
  const latencyMs = /^\d+$/.test(start) && /^\d+$/.test(end) && start.length > 12 ? Number((BigInt(end) - BigInt(start)) / 1000n) / 1000 : undefined;
  return { index, exitCode, ...(latencyMs === undefined ? {} : { latencyMs }), output: fields.slice(5).join(' ').trim() };
}

/** Splits streamed stdout into complete lines, keeping a partial last line for the next chunk. */
export function createLineSplitter(onLine: (line: string) => void): { push(chunk: string): void; flush(): void } {
  let pending = '';
  return {
    push(chunk) {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    },
    flush() {
      if (pending !== '') onLine(pending);
      pending = '';
    },
  };
}

export interface ClassifiedOutcome {
  readonly outcome: ProbeOutcome;
  readonly detail?: string;
}

export const timeoutDetail = 'dropped (timeout); attribution needs CNI flow logs';

/** agnhost connect's exit status and stderr prefix → probe outcome. */
export function classifyConnectResult(line: BatchLine): ClassifiedOutcome {
  if (line.exitCode === 0) return { outcome: 'allowed' };
  const output = line.output;
  if (line.exitCode === 126 || line.exitCode === 127) {
    return { outcome: 'error', detail: `agnhost could not run in the source pod (exit ${line.exitCode}): ${output}` };
  }
  if (output.startsWith('TIMEOUT')) return { outcome: 'denied', detail: timeoutDetail };
  if (output.startsWith('REFUSED')) return { outcome: 'refused', detail: 'connection refused: nothing listening on that port' };
  if (output.startsWith('DNS')) return { outcome: 'error', detail: `DNS lookup failed: ${output}` };
  if (/protocol not supported|address family not supported|protocol not available/i.test(output)) {
    return { outcome: 'unsupported', detail: `the protocol is not supported in this cluster: ${output}` };
  }
  if (/connection refused/i.test(output)) return { outcome: 'refused', detail: output };
  if (/i\/o timeout|deadline exceeded/i.test(output)) return { outcome: 'denied', detail: timeoutDetail };
  return { outcome: 'error', detail: output === '' ? `agnhost connect exited ${line.exitCode} without a message` : output };
}
