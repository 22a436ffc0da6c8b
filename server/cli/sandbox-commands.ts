// What the sandbox commands (up, down, ls, apply, probe, sandbox) share: the local provider for this state home
// (stale sandboxes reaped before anything else), finding a sandbox by id or name, TTLs and expiry countdowns.
import { userInfo } from 'node:os';
import type { SandboxRecord } from '../sandbox/contract.ts';
import { SandboxError, SandboxErrorCodes, SandboxStatuses } from '../sandbox/contract.ts';
import { createLocalProvider, defaultMaxPods } from '../sandbox/local/local-provider.ts';
import type { LocalProvider } from '../sandbox/local/local-provider.ts';
import { parseLocalState } from '../sandbox/local/local-state.ts';
import { isSandboxId } from '../sandbox/local/names.ts';
import { resolveStateHome } from '../sandbox/local/state-store.ts';
import { CliError, CliErrorCodes } from './cli-error.ts';
import type { CliIo } from './io.ts';

export const ttlLimits = { minSeconds: 5, maxSeconds: 4 * 60 * 60 } as const;

/** `30m`, `2h`, `90s`, `1h30m` → seconds, within ttlLimits. */
export function parseTtl(text: string, flag = '--ttl'): number {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  const seconds = match === null ? Number.NaN : Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
  if (match === null || text.trim() === '' || seconds === 0) {
    throw new CliError(CliErrorCodes.usage, `invalid ${flag} "${text}": use a duration like 30m, 2h, 90s or 1h30m`);
  }
  if (seconds < ttlLimits.minSeconds || seconds > ttlLimits.maxSeconds) {
    throw new CliError(CliErrorCodes.usage, `${flag} ${text} is out of range: a sandbox lives between ${ttlLimits.minSeconds}s and 4h`, {
      hints: ['Every sandbox has a TTL; extend a running one with: rehearse sandbox extend <id> --ttl 1h'],
    });
  }
  return seconds;
}

/** `29m 58s`, `1h 2m`, `45s`; `expired` at or after the deadline. */
export function formatRemaining(milliseconds: number): string {
  if (milliseconds <= 0) return 'expired';
  const total = Math.ceil(milliseconds / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m ${seconds}s`;
  return `${seconds}s`;
}

export function getOwner(env: Readonly<Record<string, string | undefined>>): string {
  try {
    return env.SUDO_USER ?? userInfo().username;
  } catch {
    return env.USER ?? 'unknown';
  }
}

function readMaxPods(env: Readonly<Record<string, string | undefined>>): number {
  const text = env.REHEARSAL_MAX_PODS;
  if (text === undefined || text === '') return defaultMaxPods;
  if (!/^[1-9][0-9]{0,5}$/.test(text)) throw new CliError(CliErrorCodes.usage, `REHEARSAL_MAX_PODS must be a positive integer, got "${text}"`);
  return Number(text);
}

/**
 * The local provider for this state home. Before anything else, sandboxes past their expiry or half-built by a
 * killed command are reaped (and said so on stderr): the TTL holds even when every supervisor died.
 */
export async function openLocalProvider(io: CliIo): Promise<LocalProvider> {
  const provider = createLocalProvider({ stateHome: resolveStateHome(io.env), maxPods: readMaxPods(io.env) });
  const reaped = await provider.reapStale();
  for (const sandbox of reaped) {
    io.stderr.write(`${io.stderr.colour.dim(`reaped ${sandbox.id}${sandbox.name === undefined ? '' : ` (${sandbox.name})`}: ${sandbox.reason}`)}\n`);
  }
  return provider;
}

/** Pods of a local sandbox, from its record. */
export function countPods(record: SandboxRecord): number | undefined {
  return parseLocalState(record.providerState)?.pods.length;
}

/** The live sandbox an id or name refers to, or a SANDBOX_NOT_FOUND error pointing at `rehearse ls`. */
export async function findSandbox(provider: LocalProvider, idOrName: string): Promise<SandboxRecord> {
  const candidates = await provider.discover();
  const found = isSandboxId(idOrName) ? candidates.find((record) => record.id === idOrName) : candidates.find((record) => record.name === idOrName);
  if (found === undefined || found.status === SandboxStatuses.destroyed) {
    throw new SandboxError(SandboxErrorCodes.notFound, `no live sandbox '${idOrName}'; 'rehearse ls' lists them (expired ones are reaped automatically)`);
  }
  return found;
}
