// Starts the long-lived processes inside a sandbox's namespaces: one agent per pod, one for the outside world,
// the cluster DNS server in the DNS pod. Each is started detached (its own session, so it outlives `rehearse up`)
// via `ip netns exec`, which execs the program in place: the pid we record is the program's own.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SandboxError, SandboxErrorCodes } from '../contract.ts';
import type { AgentListener } from './agent/agent-protocol.ts';
import { formatAgentArgs, parseAgentReadyLine } from './agent/agent-protocol.ts';
import { CommandError, releaseDetached, startDetached, waitForFileLine, waitForLine } from './run-command.ts';

export const dnsServerMainPath = fileURLToPath(new URL('./dns/dns-server-main.ts', import.meta.url));

export interface StartedProcess {
  readonly pid: number;
  /** Listeners the kernel cannot serve (`sctp:80` without the SCTP module): probes to them are `unsupported`. */
  readonly unsupportedListeners: readonly string[];
}

export interface StartAgentOptions {
  readonly netns: string;
  readonly agentBinary: string;
  readonly controlPath: string;
  readonly identity: string;
  readonly listeners: readonly AgentListener[];
  readonly nameserver?: string;
  readonly search?: readonly string[];
  readonly logDir: string;
  /** Log file name inside logDir (`p3.log`). */
  readonly logName: string;
  readonly readyTimeoutMs: number;
}

function failStart(what: string, error: unknown, logFile: string): SandboxError {
  const detail = error instanceof Error ? error.message : String(error);
  return new SandboxError(SandboxErrorCodes.provisionFailed, `${what} did not start: ${detail} (its log: ${logFile})`, { cause: error });
}

/** Starts a pod agent and waits for its READY line; a listener that failed to bind fails the start. */
export async function startAgent(options: StartAgentOptions): Promise<StartedProcess> {
  const args = formatAgentArgs({
    controlPath: options.controlPath,
    identity: options.identity,
    listeners: options.listeners,
    ...(options.nameserver === undefined ? {} : { nameserver: options.nameserver }),
    ...(options.search === undefined ? {} : { search: options.search }),
  });
  const logFile = join(options.logDir, options.logName);
  const what = `the agent of ${options.identity}`;
  const child = startDetached('ip', ['netns', 'exec', options.netns, options.agentBinary, ...args], { stderrFile: logFile, stdout: 'pipe' });
  let line: string;
  try {
    line = await waitForLine(child, { prefix: 'READY', timeoutMs: options.readyTimeoutMs, what });
  } catch (error) {
    child.kill('SIGKILL');
    throw failStart(what, error, logFile);
  }
  const pid = child.pid;
  releaseDetached(child);
  if (pid === undefined) throw failStart(what, new Error('no pid'), logFile);
  const ready = parseAgentReadyLine(line);
  if (!ready.ok) throw failStart(what, new Error(ready.problem), logFile);
  const failed = ready.value.filter((listener) => listener.status.state === 'error');
  if (failed.length > 0) {
    const list = failed.map((listener) => `${listener.spec} (${listener.status.state === 'error' ? listener.status.errno : ''})`).join(', ');
    throw new SandboxError(SandboxErrorCodes.provisionFailed, `${what} could not serve ${list}; two containers of one pod may declare the same port`);
  }
  return { pid, unsupportedListeners: ready.value.filter((listener) => listener.status.state === 'unsupported').map((listener) => listener.spec) };
}

export interface StartDnsServerOptions {
  readonly netns: string;
  readonly recordsFile: string;
  readonly listenIp: string;
  readonly identity: string;
  readonly logDir: string;
  readonly logName: string;
  readonly readyTimeoutMs: number;
}

/** Starts the cluster DNS server (a Node process) inside the DNS pod's namespace, answering on the pod's IP. */
export async function startDnsServer(options: StartDnsServerOptions): Promise<StartedProcess> {
  const logFile = join(options.logDir, options.logName);
  const stdoutFile = join(options.logDir, `${options.logName}.out`);
  const what = `the DNS server of ${options.identity}`;
  const child = startDetached(
    'ip',
    ['netns', 'exec', options.netns, process.execPath, '--disable-warning=ExperimentalWarning', dnsServerMainPath, '--records', options.recordsFile, '--listen', options.listenIp],
    // Its stdout is a file, not a pipe: it prints RELOADED on every SIGHUP, long after the creator has exited.
    { stderrFile: logFile, stdout: { file: stdoutFile } },
  );
  try {
    await waitForFileLine(child, { file: stdoutFile, prefix: 'READY', timeoutMs: options.readyTimeoutMs, what });
  } catch (error) {
    child.kill('SIGKILL');
    throw failStart(what, error instanceof CommandError ? error : new Error(String(error)), logFile);
  }
  const pid = child.pid;
  releaseDetached(child);
  if (pid === undefined) throw failStart(what, new Error('no pid'), logFile);
  return { pid, unsupportedListeners: [] };
}
