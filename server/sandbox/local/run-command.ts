// The one way the local sandbox runs a program: an argument array (never a shell), a timeout, and failures
// as a typed CommandError whose code says which kind of failure it was; stderr travels in the error, not to the user.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export const CommandErrorCodes = {
  notFound: 'COMMAND_NOT_FOUND',
  permissionDenied: 'COMMAND_PERMISSION_DENIED',
  failed: 'COMMAND_FAILED',
  timedOut: 'COMMAND_TIMED_OUT',
  aborted: 'COMMAND_ABORTED',
  killed: 'COMMAND_KILLED',
} as const;
export type CommandErrorCode = (typeof CommandErrorCodes)[keyof typeof CommandErrorCodes];

/** A program failed to start, exited non-zero, or ran out of time. `stderr` is for logs, not for users. */
export class CommandError extends Error {
  readonly code: CommandErrorCode;
  readonly file: string;
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(
    code: CommandErrorCode,
    message: string,
    details: { file: string; args: readonly string[]; exitCode: number | null; stderr: string; cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'CommandError';
    this.code = code;
    this.file = details.file;
    this.args = details.args;
    this.exitCode = details.exitCode;
    this.stderr = details.stderr;
  }
}

export interface RunCommandOptions {
  /** Written to the program's stdin, then stdin is closed (`nft -f -`, `ip -batch -`). */
  readonly input?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
}

const defaultTimeoutMs = 30_000;
/** Output beyond this is cut: these programs print rulesets and listings, never bulk data. */
const maxOutputBytes = 16 * 1024 * 1024;

function describeCommand(file: string, args: readonly string[]): string {
  const shown = [file, ...args].join(' ');
  return shown.length > 160 ? `${shown.slice(0, 157)}...` : shown;
}

function firstLines(text: string): string {
  const lines = text.trim().split('\n').filter((line) => line.trim() !== '');
  return lines.slice(0, 4).join(' | ');
}

/** Runs `file args...` to completion. Resolves with its output on exit 0; otherwise rejects with CommandError. */
export function runCommand(file: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandOutput> {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted === true) {
      reject(new CommandError(CommandErrorCodes.aborted, `${describeCommand(file, args)}: aborted before start`, { file, args, exitCode: null, stderr: '' }));
      return;
    }
    const child = spawn(file, [...args], {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: options.env === undefined ? process.env : { ...options.env },
    });
    const stdoutChunks: Buffer[] = [];
    const stderrChunks: Buffer[] = [];
    let stdoutBytes = 0;
    let endReason: 'timeout' | 'abort' | undefined;
    let isSettled = false;

    const timer = setTimeout(() => {
      endReason = 'timeout';
      child.kill('SIGKILL');
    }, timeoutMs);
    const onAbort = (): void => {
      endReason = 'abort';
      child.kill('SIGKILL');
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const settle = (action: () => void): void => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      action();
    };

    child.stdout?.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes <= maxOutputBytes) stdoutChunks.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderrChunks.push(chunk);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      const code =
        error.code === 'ENOENT' ? CommandErrorCodes.notFound : error.code === 'EACCES' ? CommandErrorCodes.permissionDenied : CommandErrorCodes.failed;
      const what = code === CommandErrorCodes.notFound ? `'${file}' is not installed or not on PATH` : `could not start '${file}': ${error.message}`;
      settle(() => reject(new CommandError(code, what, { file, args, exitCode: null, stderr: '', cause: error })));
    });
    child.on('close', (exitCode, signalName) => {
      const stderr = Buffer.concat(stderrChunks).toString('utf8');
      const stdout = Buffer.concat(stdoutChunks).toString('utf8');
      settle(() => {
        if (endReason === 'timeout') {
          reject(new CommandError(CommandErrorCodes.timedOut, `${describeCommand(file, args)}: no result within ${timeoutMs} ms`, { file, args, exitCode, stderr }));
        } else if (endReason === 'abort') {
          reject(new CommandError(CommandErrorCodes.aborted, `${describeCommand(file, args)}: aborted`, { file, args, exitCode, stderr }));
        } else if (exitCode === 0) {
          resolve({ stdout, stderr });
        } else if (exitCode === null) {
          reject(new CommandError(CommandErrorCodes.killed, `${describeCommand(file, args)}: killed by ${signalName ?? 'a signal'}`, { file, args, exitCode, stderr }));
        } else {
          const detail = firstLines(stderr);
          reject(
            new CommandError(CommandErrorCodes.failed, `${describeCommand(file, args)} exited with ${exitCode}${detail === '' ? '' : `: ${detail}`}`, {
              file,
              args,
              exitCode,
              stderr,
            }),
          );
        }
      });
    });
    if (options.input !== undefined && child.stdin !== null) {
      // EPIPE when the program exits before reading everything; the exit status reports the real problem.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}

export interface StartDetachedOptions {
  /** Where the program's stderr goes (a log file in the sandbox's runtime dir). */
  readonly stderrFile: string;
  /**
   * `pipe`: stdout stays a pipe for a readiness line (only for programs that never write again, or ignore EPIPE
   * once this process has gone). A path: stdout is appended to that file (programs that keep writing).
   * Default: stdout goes to stderrFile.
   */
  readonly stdout?: 'pipe' | { readonly file: string };
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Starts a long-lived program in its own process group (so it outlives the command that started it and a
 * Ctrl-C in the terminal does not reach it). The caller owns the returned process until it hands it off with
 * `releaseDetached`.
 */
export function startDetached(file: string, args: readonly string[], options: StartDetachedOptions): ChildProcess {
  const logFd = openSync(options.stderrFile, 'a');
  const stdoutFd = options.stdout !== undefined && options.stdout !== 'pipe' ? openSync(options.stdout.file, 'a') : undefined;
  try {
    return spawn(file, [...args], {
      detached: true,
      stdio: ['ignore', options.stdout === 'pipe' ? 'pipe' : (stdoutFd ?? logFd), logFd],
      env: options.env === undefined ? process.env : { ...options.env },
    });
  } finally {
    closeSync(logFd);
    if (stdoutFd !== undefined) closeSync(stdoutFd);
  }
}

/** Waits for a line starting with `prefix` in a file a detached process writes its stdout to. */
export async function waitForFileLine(
  child: ChildProcess,
  options: { readonly file: string; readonly prefix: string; readonly timeoutMs: number; readonly what: string },
): Promise<string> {
  const deadline = Date.now() + options.timeoutMs;
  let exit: string | undefined;
  let startError: Error | undefined;
  const onExit = (exitCode: number | null, signalName: string | null): void => {
    exit = exitCode === null ? `killed by ${signalName ?? 'a signal'}` : `exited with ${exitCode}`;
  };
  const onError = (error: Error): void => {
    startError = error;
  };
  child.once('exit', onExit);
  child.once('error', onError);
  try {
    for (;;) {
      const text = await readFile(options.file, 'utf8').catch(() => '');
      const line = text.split('\n').find((candidate) => candidate.startsWith(options.prefix));
      if (line !== undefined) return line.trim();
      const fail = (code: CommandErrorCode, message: string): CommandError => new CommandError(code, message, { file: options.what, args: [], exitCode: null, stderr: '' });
      if (startError !== undefined) throw fail(CommandErrorCodes.failed, `${options.what} could not start: ${startError.message}`);
      if (exit !== undefined) throw fail(CommandErrorCodes.failed, `${options.what} ${exit} before it was ready`);
      if (Date.now() >= deadline) throw fail(CommandErrorCodes.timedOut, `${options.what} was not ready within ${options.timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    child.off('exit', onExit);
    child.off('error', onError);
  }
}

/** Stops tracking a detached process so this process can exit while it keeps running. */
export function releaseDetached(child: ChildProcess): void {
  child.stdout?.destroy();
  child.unref();
}

/** Waits for a line starting with `prefix` on a detached process's stdout, or fails if it exits or times out first. */
export function waitForLine(child: ChildProcess, options: { readonly prefix: string; readonly timeoutMs: number; readonly what: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdout = child.stdout;
    if (stdout === null) {
      reject(new CommandError(CommandErrorCodes.failed, `${options.what}: stdout is not a pipe`, { file: options.what, args: [], exitCode: null, stderr: '' }));
      return;
    }
    let buffered = '';
    const cleanup = (): void => {
      clearTimeout(timer);
      stdout.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line.startsWith(options.prefix)) {
          cleanup();
          resolve(line);
          return;
        }
        newline = buffered.indexOf('\n');
      }
    };
    const onExit = (exitCode: number | null, signalName: string | null): void => {
      cleanup();
      const how = exitCode === null ? `killed by ${signalName ?? 'a signal'}` : `exited with ${exitCode}`;
      reject(new CommandError(CommandErrorCodes.failed, `${options.what} ${how} before it was ready`, { file: options.what, args: [], exitCode, stderr: '' }));
    };
    const onError = (error: NodeJS.ErrnoException): void => {
      cleanup();
      const code = error.code === 'ENOENT' ? CommandErrorCodes.notFound : CommandErrorCodes.failed;
      reject(new CommandError(code, `${options.what} could not start: ${error.message}`, { file: options.what, args: [], exitCode: null, stderr: '', cause: error }));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new CommandError(CommandErrorCodes.timedOut, `${options.what} was not ready within ${options.timeoutMs} ms`, { file: options.what, args: [], exitCode: null, stderr: '' }));
    }, options.timeoutMs);
    stdout.on('data', onData);
    child.on('exit', onExit);
    child.on('error', onError);
  });
}
