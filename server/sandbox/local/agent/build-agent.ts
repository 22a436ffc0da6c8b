// Compiles the pod agent once per source and compiler, into a cache shared by every sandbox on this host. One binary:
// the agent (agent.c), the cluster DNS server its kube-dns pod runs (../dns/dns-server.c) and the idle TTL
// supervisor (`agent --supervise`, supervise.c).

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { access, chmod, constants, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SandboxError } from '../../contract.ts';
import { AgentErrorCodes } from './agent-protocol.ts';

export const agentSourcePath = fileURLToPath(new URL('./agent.c', import.meta.url));

/** Every file the binary is built from: the .c files are compiled, the headers only change the cache key. */
export const agentSourcePaths: readonly string[] = [
  agentSourcePath,
  fileURLToPath(new URL('./supervise.c', import.meta.url)),
  fileURLToPath(new URL('../dns/dns-server.c', import.meta.url)),
  fileURLToPath(new URL('./udp-reply.c', import.meta.url)),
];
const agentHeaderPaths: readonly string[] = [
  fileURLToPath(new URL('./supervise.h', import.meta.url)),
  fileURLToPath(new URL('../dns/dns-server.h', import.meta.url)),
  fileURLToPath(new URL('./udp-reply.h', import.meta.url)),
];

/** The flags the agent is written against; part of the cache key. */
export const agentCompilerFlags: readonly string[] = ['-O2', '-std=c11', '-D_GNU_SOURCE', '-Wall', '-Wextra', '-Werror'];

export interface EnsureAgentOptions {
  /** Default `$REHEARSAL_CACHE_DIR`, else `~/.cache/rehearsal`. */
  readonly cacheDir?: string;
  /** Default `cc`. */
  readonly compiler?: string;
}

const missingCompilerMessage = 'the local sandbox builds a small C agent for its pods and needs a C compiler: apt-get install -y gcc';

// Builds in flight, per compiler and cache dir: concurrent sandboxes share one instead of racing the compiler.
const builds = new Map<string, Promise<string>>();

export function getDefaultCacheDir(): string {
  const fromEnv = process.env.REHEARSAL_CACHE_DIR;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(homedir(), '.cache', 'rehearsal');
}

interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { encoding: 'utf8', timeout: 120_000, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null) {
        reject(Object.assign(error, { stderr }));
        return;
      }
      resolve({ stdout, stderr });
    });
  });
}

function isMissingCompiler(error: unknown): boolean {
  return error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'EACCES');
}

async function identifyCompiler(compiler: string): Promise<string> {
  try {
    const { stdout } = await run(compiler, ['--version']);
    return stdout;
  } catch (error) {
    if (isMissingCompiler(error)) throw new SandboxError(AgentErrorCodes.buildFailed, missingCompilerMessage, { cause: error });
    throw new SandboxError(AgentErrorCodes.buildFailed, `${compiler} --version failed; ${missingCompilerMessage}`, { cause: error });
  }
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function build(compiler: string, cacheDir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const path of [...agentSourcePaths, ...agentHeaderPaths]) hash.update(path.slice(path.lastIndexOf('/') + 1)).update('\0').update(await readFile(path)).update('\0');
  const version = await identifyCompiler(compiler);
  const key = hash.update(compiler).update('\0').update(version).update('\0').update(agentCompilerFlags.join(' ')).digest('hex').slice(0, 16);
  const binary = join(cacheDir, `rehearsal-agent-${key}`);
  if (await isExecutable(binary)) return binary;
  await mkdir(cacheDir, { recursive: true, mode: 0o700 });
  // Compile beside the target and rename: another process building the same key never sees a half-written file.
  const temporary = `${binary}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await run(compiler, [...agentCompilerFlags, '-o', temporary, ...agentSourcePaths]);
    await chmod(temporary, 0o755);
    await rename(temporary, binary);
  } catch (error) {
    await rm(temporary, { force: true });
    if (isMissingCompiler(error)) throw new SandboxError(AgentErrorCodes.buildFailed, missingCompilerMessage, { cause: error });
    const stderr = error instanceof Error && 'stderr' in error && typeof error.stderr === 'string' ? error.stderr : '';
    const firstLine = stderr.split('\n').find((line) => line.includes('error')) ?? stderr.split('\n')[0] ?? '';
    throw new SandboxError(
      AgentErrorCodes.buildFailed,
      `compiling the pod agent (${agentSourcePaths.join(', ')}) with ${compiler} failed${firstLine === '' ? '' : `: ${firstLine}`}; the compiler output is in this error's cause`,
      { cause: error },
    );
  }
  return binary;
}

/** The path of a compiled agent for the current agent.c, compiling it when the cache lacks it. */
export function ensureAgentBinary(options: EnsureAgentOptions = {}): Promise<string> {
  const compiler = options.compiler ?? 'cc';
  const cacheDir = options.cacheDir ?? getDefaultCacheDir();
  const key = `${compiler}\0${cacheDir}`;
  const existing = builds.get(key);
  if (existing !== undefined) return existing;
  // Only the build in flight is shared; the next call checks the cache again (it may have been cleaned, or the
  // compiler installed after a failure).
  const promise = build(compiler, cacheDir).finally(() => builds.delete(key));
  builds.set(key, promise);
  return promise;
}
