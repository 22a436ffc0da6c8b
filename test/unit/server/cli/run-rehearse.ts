// Runs the real `bin/rehearse` as a subprocess (the repo's Node first on PATH), as a user or CI script would.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '..', '..', '..', '..');
export const upstreamModel = 'test/fixtures/upstream-model.yaml';
export const policyFixture = (name: string): string => `test/fixtures/policies/${name}.yaml`;

export interface RehearseRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runRehearse(args: readonly string[], options: { readonly stdin?: string; readonly env?: Record<string, string> } = {}): Promise<RehearseRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(resolve(repoRoot, 'bin/rehearse'), [...args], {
      cwd: repoRoot,
      env: {
        ...process.env,
        PATH: `${resolve(repoRoot, 'node_modules/.bin')}:${process.env.PATH ?? ''}`,
        NO_COLOR: '1',
        REHEARSAL_DEBUG: '',
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rehearse ${args.join(' ')} did not finish in 30 s`));
    }, 30_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}
