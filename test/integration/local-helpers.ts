// Shared by the local-sandbox integration tests: a private state home per test file, the leak inspector that
// proves a teardown left nothing, and small probe helpers.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProbeRequest, ProbeResult, SandboxHandle } from '../../server/sandbox/contract.ts';
import { createLocalProvider, defaultRunRoot } from '../../server/sandbox/local/local-provider.ts';
import type { LocalProvider } from '../../server/sandbox/local/local-provider.ts';
import { getRuntimePaths } from '../../server/sandbox/local/names.ts';
import { runCommand } from '../../server/sandbox/local/run-command.ts';
import { findProcessesOfSandbox, listSandboxNetns } from '../../server/sandbox/local/teardown.ts';

export const repoRoot = join(import.meta.dirname, '..', '..');

/** A throw-away state home so tests never see (or reap) anybody else's sandboxes. */
export async function makeTempHome(prefix: string): Promise<{ readonly dir: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `rehearsal-${prefix}-`));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

export function makeTestProvider(stateHome: string): LocalProvider {
  return createLocalProvider({ stateHome });
}

/**
 * Reaps every sandbox recorded in the provider's own state home, for afterAll clean-ups. Never discover(): that
 * also lists namespaces of other state homes (other test files, other users) which must not be touched.
 */
export async function reapOwnSandboxes(provider: LocalProvider): Promise<void> {
  const { records } = await provider.store.list();
  for (const record of records) if (record.status !== 'destroyed') await provider.reap(record);
}

/**
 * Everything of a sandbox still on the host: its namespaces, its processes (by runtime-dir argv or by namespace),
 * its runtime dir and sockets, links named like its router interfaces in the host namespace. Empty when clean.
 * (Links and the nft table live only inside its namespaces, so no namespace means no link and no table.)
 */
export async function findLeftovers(sandboxId: string, runRoot: string = defaultRunRoot): Promise<string[]> {
  const leftovers: string[] = [];
  const netns = await listSandboxNetns(sandboxId);
  for (const name of netns) leftovers.push(`netns ${name}`);
  for (const pid of await findProcessesOfSandbox({ sandboxId, runRoot }, netns)) leftovers.push(`process ${pid}`);
  const runDir = getRuntimePaths(runRoot, sandboxId).dir;
  if (existsSync(runDir)) leftovers.push(`runtime dir ${runDir} (${(await readdir(runDir)).join(', ')})`);
  const { stdout } = await runCommand('ip', ['-o', 'link', 'show']);
  for (const line of stdout.split('\n')) {
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
    if (name !== undefined && /^r[px]\d+$/.test(name)) leftovers.push(`host link ${name}`);
  }
  return leftovers;
}

export async function collectProbes(handle: SandboxHandle, requests: readonly ProbeRequest[]): Promise<Map<string, ProbeResult>> {
  const results = new Map<string, ProbeResult>();
  for await (const result of handle.probe(requests)) results.set(result.id, result);
  return results;
}

export function podProbe(id: string, from: string, to: string, port: number, protocol: 'TCP' | 'UDP' = 'TCP', timeoutMs = 1000): ProbeRequest {
  const [fromNs = '', fromName = ''] = from.split('/');
  const [toNs = '', toName = ''] = to.split('/');
  return { id, from: { kind: 'pod', namespace: fromNs, name: fromName }, to: { kind: 'pod', namespace: toNs, name: toName }, port, protocol, timeoutMs };
}

export async function waitFor(condition: () => Promise<boolean>, options: { readonly timeoutMs: number; readonly what: string }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`);
}
