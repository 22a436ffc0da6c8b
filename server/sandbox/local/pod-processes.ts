// Starts the long-lived processes inside a sandbox's namespaces: one agent per pod (the kube-dns pod's agent also
// serves the cluster DNS), one for the outside world. Each is started detached (its own session, so it outlives
// `rehearse up`) and enters its namespace itself (`--netns`): one process per pod, and its pid is the agent's own.
import { join } from 'node:path';
import { SandboxError, SandboxErrorCodes } from '../contract.ts';
import type { AgentDnsOptions, AgentListener } from './agent/agent-protocol.ts';
import { formatAgentArgs, parseAgentReadyLine } from './agent/agent-protocol.ts';
import { releaseDetached, startDetached, waitForLine } from './run-command.ts';

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
  /** The kube-dns pod: serve the cluster DNS from this records file. */
  readonly dns?: AgentDnsOptions;
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
    netns: options.netns,
    controlPath: options.controlPath,
    identity: options.identity,
    listeners: options.listeners,
    ...(options.nameserver === undefined ? {} : { nameserver: options.nameserver }),
    ...(options.search === undefined ? {} : { search: options.search }),
    ...(options.dns === undefined ? {} : { dns: options.dns }),
  });
  const logFile = join(options.logDir, options.logName);
  const what = `the agent of ${options.identity}`;
  const child = startDetached(options.agentBinary, args, { stderrFile: logFile, stdout: 'pipe' });
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
    const hint = failed.every((listener) => listener.spec.startsWith('dns:'))
      ? 'the cluster DNS needs UDP and TCP port 53 of the kube-dns pod'
      : 'two containers of one pod may declare the same port';
    throw new SandboxError(SandboxErrorCodes.provisionFailed, `${what} could not serve ${list}; ${hint}`);
  }
  if (options.dns !== undefined && !ready.value.some((listener) => listener.spec.startsWith('dns:'))) {
    throw new SandboxError(SandboxErrorCodes.provisionFailed, `${what} was asked to serve DNS and its READY line does not say it does: ${line}`);
  }
  return { pid, unsupportedListeners: ready.value.filter((listener) => listener.status.state === 'unsupported').map((listener) => listener.spec) };
}
