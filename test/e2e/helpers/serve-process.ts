// A real `rehearse serve` for browser tests: the web UI built into a temporary directory, the server started as a
// subprocess on an ephemeral port with its own data directory, stopped (tearing its sandboxes down) afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '..', '..', '..');

export interface ServeProcess {
  readonly origin: string;
  readonly webDistDir: string;
  /** What the server wrote to stderr (its log), for failure messages. */
  readonly logText: () => string;
  stop(): Promise<void>;
}

/** Runs a command to completion with the repository's Node, failing with its output. */
function runNode(args: readonly string[], options: { readonly timeoutMs: number }): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise();
      else reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });
}

/** Builds the current web UI with Vite into `outDir` (not web/dist, which belongs to whoever runs the tests). */
export async function buildWebUi(outDir: string): Promise<void> {
  await runNode([join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(repoRoot, 'web', 'vite.config.ts'), '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    timeoutMs: 120_000,
  });
}

const ansiPattern = /\x1b\[[0-9;]*m/g;

function waitForListening(child: ChildProcess, log: () => string, timeoutMs: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`rehearse serve did not start within ${timeoutMs} ms:\n${stdout}\n${log()}`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString().replace(ansiPattern, '');
      const match = /listening on (http:\/\/[^\s/]+)\//.exec(stdout);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolvePromise(match[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`rehearse serve exited with ${code} before listening:\n${stdout}\n${log()}`));
    });
  });
}

export async function startServe(options: { readonly extraArgs?: readonly string[] } = {}): Promise<ServeProcess> {
  const workDir = await mkdtemp(join(tmpdir(), 'rehearsal-e2e-'));
  const webDistDir = join(workDir, 'web-dist');
  await buildWebUi(webDistDir);
  const args = [
    '--disable-warning=ExperimentalWarning',
    join(repoRoot, 'server', 'cli', 'main.ts'),
    'serve',
    '--port',
    '0',
    '--data-dir',
    join(workDir, 'data'),
    '--web-dist',
    webDistDir,
    '--teardown-on-exit',
    '--log-level',
    'warn',
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let log = '';
  child.stderr.on('data', (chunk: Buffer) => {
    // Keep the tail only: a long run must not grow the test's memory without bound.
    log = (log + chunk.toString()).slice(-64 * 1024);
  });
  const logText = (): string => log;
  let origin: string;
  try {
    origin = await waitForListening(child, logText, 60_000);
  } catch (error) {
    child.kill('SIGKILL');
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    origin,
    webDistDir,
    logText,
    stop(): Promise<void> {
      stopping ??= new Promise<void>((resolvePromise) => {
        if (child.exitCode !== null) {
          resolvePromise();
          return;
        }
        // --teardown-on-exit: SIGTERM destroys the sandboxes this run created before the server exits.
        const killTimer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.once('exit', () => {
          clearTimeout(killTimer);
          resolvePromise();
        });
        child.kill('SIGTERM');
      }).then(() => rm(workDir, { recursive: true, force: true }));
      return stopping;
    },
  };
}
