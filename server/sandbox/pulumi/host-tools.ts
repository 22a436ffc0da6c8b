// How the preflight runs host tools (pulumi, docker, kind, aws, gcloud, az): an argument array, never a shell,
// a timeout, and the result as data. Tests pass a fake; the composition root passes `runHostTool`.
import { spawn } from 'node:child_process';

export type ToolResult =
  | { readonly kind: 'exited'; readonly exitCode: number; readonly stdout: string; readonly stderr: string }
  /** Not on PATH (ENOENT). */
  | { readonly kind: 'missing' }
  | { readonly kind: 'failed'; readonly reason: string };

export type RunTool = (file: string, args: readonly string[], options: { readonly timeoutMs: number; readonly env?: Readonly<Record<string, string>> }) => Promise<ToolResult>;

const maxOutputChars = 64 * 1024;

export const runHostTool: RunTool = (file, args, options) =>
  new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let isSettled = false;
    const settle = (result: ToolResult): void => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const child = spawn(file, [...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env === undefined ? process.env : { ...process.env, ...options.env },
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle({ kind: 'failed', reason: `'${file} ${args.join(' ')}' did not finish within ${options.timeoutMs} ms` });
    }, options.timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < maxOutputChars) stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < maxOutputChars) stderr += chunk;
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      settle(error.code === 'ENOENT' ? { kind: 'missing' } : { kind: 'failed', reason: `${file}: ${error.message}` });
    });
    child.on('close', (code, signal) => {
      settle(code === null ? { kind: 'failed', reason: `${file} was killed by ${signal ?? 'a signal'}` } : { kind: 'exited', exitCode: code, stdout, stderr });
    });
  });

/** The first non-empty line of a tool's output, trimmed, for messages. */
export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line !== '') ?? ''
  );
}
