// Building the pod agent: compiled once into the cache, reused, and a clear typed error without a compiler.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SandboxError } from '../../../../../../server/sandbox/contract.ts';
import { ensureAgentBinary } from '../../../../../../server/sandbox/local/agent/build-agent.ts';

const hasCompiler = ((): boolean => {
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn('\n*** SKIPPING agent build tests: no C compiler (apt-get install -y gcc). ***\n');
    return false;
  }
})();

const cacheDir = mkdtempSync(join(tmpdir(), 'rh-test-agent-cache-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe('ensureAgentBinary', () => {
  it('fails with LOCAL_AGENT_BUILD_FAILED and the apt-get fix when the compiler is missing', async () => {
    const error: unknown = await ensureAgentBinary({ cacheDir, compiler: '/nonexistent/cc' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandboxError);
    expect(error).toMatchObject({
      code: 'LOCAL_AGENT_BUILD_FAILED',
      message: 'the local sandbox builds a small C agent for its pods and needs a C compiler: apt-get install -y gcc',
      cause: expect.any(Error),
    });
  });

  it.runIf(hasCompiler)('compiles once, shares a concurrent build and reuses the cached binary', async () => {
    const [first, second] = await Promise.all([ensureAgentBinary({ cacheDir }), ensureAgentBinary({ cacheDir })]);
    expect(first).toBe(second);
    expect(first.startsWith(cacheDir)).toBe(true);
    const builtAt = statSync(first).mtimeMs;
    const again = await ensureAgentBinary({ cacheDir });
    expect(again).toBe(first);
    expect(statSync(again).mtimeMs).toBe(builtAt);
    // Only the binary is left: the temporary file was renamed into place.
    expect(readdirSync(cacheDir)).toEqual([first.slice(cacheDir.length + 1)]);
    expect(statSync(first).mode & 0o111).not.toBe(0);
  });

  it.runIf(hasCompiler)('the built agent refuses to start without its required options', async () => {
    const binary = await ensureAgentBinary({ cacheDir });
    let stderr = '';
    try {
      execFileSync(binary, ['--identity', 'x/a'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    } catch (error) {
      stderr = error instanceof Error && 'stderr' in error && typeof error.stderr === 'string' ? error.stderr : '';
    }
    expect(stderr).toContain('--control is required');
  });
});
