// What the sandbox commands (up, down, ls, apply, probe, sandbox, reap, providers) share: one provider session per
// command, which builds the local provider and, through sandbox/providers.ts, kind, eks, gke, aks and cluster; the
// sweep that reaps each touched provider's expired and half-built sandboxes before anything else (a kind or cloud
// sandbox has no supervisor process: its TTL timer dies with the command that made it, so the next command is what
// enforces its expiry); finding a sandbox by id or name across providers; TTLs and expiry countdowns.
import { userInfo } from 'node:os';
import type { ProviderAvailability, ProviderName, SandboxProvider, SandboxRecord } from '../sandbox/contract.ts';
import { ProviderNames, SandboxError, SandboxErrorCodes, SandboxStatuses } from '../sandbox/contract.ts';
import type { Logger } from '../sandbox/k8s/runtime-deps.ts';
import { createSandboxFiles } from '../sandbox/k8s/sandbox-files.ts';
import { createLocalProvider, defaultMaxPods } from '../sandbox/local/local-provider.ts';
import type { LocalProvider } from '../sandbox/local/local-provider.ts';
import { parseLocalState } from '../sandbox/local/local-state.ts';
import { isSandboxId } from '../sandbox/local/names.ts';
import { resolveStateHome } from '../sandbox/local/state-store.ts';
import { createProviderByName, getDefaultCni, getEngineProfileOf, listProviderCnis, realClusterProviderNames } from '../sandbox/providers.ts';
import type { RunTool, ToolResult } from '../sandbox/pulumi/host-tools.ts';
import { runHostTool } from '../sandbox/pulumi/host-tools.ts';
import { formatProblems } from '../sandbox/pulumi/preflight.ts';
import { findClosestMatch } from '../policy/index.ts';
import { CliError, CliErrorCodes } from './cli-error.ts';
import type { CliIo } from './io.ts';
import type { CommandContext } from './command.ts';
import type { Command } from 'commander';

export const ttlLimits = { minSeconds: 5, maxSeconds: 4 * 60 * 60 } as const;

/** Every provider, in the order `rehearse providers` and `rehearse ls` show them. */
export const providerNameList: readonly ProviderName[] = Object.values(ProviderNames);

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

function isProviderName(text: string): text is ProviderName {
  return (providerNameList as readonly string[]).includes(text);
}

/** `--provider` → a provider name, or a usage error with the closest name. */
export function parseProviderName(text: string): ProviderName {
  if (isProviderName(text)) return text;
  const suggestion = findClosestMatch(text, [...providerNameList]);
  throw new CliError(CliErrorCodes.usage, `unknown --provider "${text}"`, {
    hints: [...(suggestion === undefined ? [] : [`Did you mean "${suggestion}"?`]), `Providers: ${providerNameList.join(', ')} ('rehearse providers' shows which run here)`],
  });
}

/** `--cni` for a provider (its default when absent) → the CNI name, or a usage error listing what the provider offers. */
export function resolveProviderCni(provider: ProviderName, cni: string | undefined): string {
  if (cni === undefined) return getDefaultCni(provider);
  if (getEngineProfileOf(provider, cni) !== undefined) return cni;
  const known = listProviderCnis(provider);
  const suggestion = findClosestMatch(cni, [...known]);
  throw new CliError(CliErrorCodes.unknownCni, `--provider ${provider} does not offer the CNI "${cni}"`, {
    hints: [...(suggestion === undefined ? [] : [`Did you mean "${suggestion}"?`]), `${provider} offers: ${known.join(', ')}`],
  });
}

/** `--provider` and `--kubeconfig` of the commands that create a sandbox (up, probe). */
export function addProviderOptions(command: Command, providerDescription: string): void {
  command.option('--provider <name>', `${providerDescription}: ${providerNameList.join(', ')}`, 'local');
  command.option('--kubeconfig <path>', 'for --provider cluster: the kubeconfig (default: first KUBECONFIG entry, else ~/.kube/config)');
}

export interface ProviderChoice {
  readonly providerName: ProviderName;
  readonly cni: string;
}

/** `--provider`, `--kubeconfig` and `--cni` of a sandbox-creating command, checked together. */
export function resolveProviderChoice(options: { readonly provider: string; readonly kubeconfig?: string | undefined; readonly cni?: string | undefined }): ProviderChoice {
  const providerName = parseProviderName(options.provider);
  if (options.kubeconfig !== undefined && providerName !== 'cluster') throw new CliError(CliErrorCodes.usage, '--kubeconfig is for --provider cluster');
  return { providerName, cni: resolveProviderCni(providerName, options.cni) };
}

/**
 * The provider a sandbox-creating command asked for, swept; undefined after telling the user why it cannot run
 * here (the command then exits with ExitCodes.environment).
 */
export async function openRequestedProvider(
  context: Pick<CommandContext, 'io' | 'isVerbose'>,
  request: { readonly providerName: ProviderName; readonly kubeconfigPath?: string | undefined },
): Promise<SandboxProvider | undefined> {
  const { providerName, kubeconfigPath } = request;
  const session = createProviderSession({ io: context.io, isVerbose: context.isVerbose, ...(kubeconfigPath === undefined ? {} : { kubeconfigPath }) });
  const provider = await session.open(providerName);
  if (provider === undefined) reportUnavailable(context.io, await session.checkHost(providerName));
  return provider;
}

/** Pods of a local sandbox, from its record. */
export function countPods(record: SandboxRecord): number | undefined {
  return parseLocalState(record.providerState)?.pods.length;
}

/** `sb-1a2b3c4d (demo)`. */
export function describeSandbox(record: Pick<SandboxRecord, 'id' | 'name'>): string {
  return record.name === undefined ? record.id : `${record.id} (${record.name})`;
}

/**
 * Due for reaping by the sweep of a kind, cloud or cluster provider: past its expiry (discover() marks those
 * `expiring`). A `failed` one is not reaped before then: a create running in another terminal saves its record
 * before its stack exists, and looks exactly like a record whose stack is gone.
 */
export function isDueForReaping(record: SandboxRecord, now: Date): boolean {
  if (record.status === SandboxStatuses.destroyed) return false;
  return record.status === SandboxStatuses.expiring || Date.parse(record.expiresAt) <= now.getTime();
}

/** Tells a user at a terminal that a provider cannot run here: the preflight block, then where to look next. */
export function reportUnavailable(io: CliIo, availability: ProviderAvailability): void {
  io.stderr.write(`${io.stderr.colour.red('error:')} ${formatProblems(availability.provider, availability.problems)}\n`);
  io.stderr.write("'rehearse providers' lists every provider and what it needs on this host.\n");
}

export interface ReapedSandbox {
  readonly id: string;
  readonly name?: string;
  readonly provider: ProviderName;
  /** `expired`, `half-built`, `failed: ...`, `vanished`. */
  readonly reason: string;
}

/** A provider whose sandboxes the sweep could not look at, and what it knows about them from this state home. */
export interface UnreachableProvider {
  readonly availability: ProviderAvailability;
  /** Records saved in this state home for that provider (they may still exist and cost money). */
  readonly saved: readonly SandboxRecord[];
}

export interface ProviderSessionOptions {
  readonly io: CliIo;
  readonly isVerbose: boolean;
  /** `--kubeconfig` for the cluster provider. */
  readonly kubeconfigPath?: string;
  /** Told about every sandbox a sweep removes. Default: a dim `reaped ...` line on stderr. */
  readonly onReaped?: (reaped: ReapedSandbox) => void;
}

export interface FoundSandbox {
  readonly record: SandboxRecord;
  readonly provider: SandboxProvider;
}

/** Providers for one command, each built and swept at most once. */
export interface ProviderSession {
  readonly home: string;
  /** The local provider, after reaping this state home's stale local sandboxes. */
  local(): Promise<LocalProvider>;
  /** The provider, built once (no sweep, no preflight): for reaping a record whose provider may be unavailable. */
  build(name: ProviderName): Promise<SandboxProvider>;
  /** The provider's preflight (memoized; a check that throws or hangs is a problem, not a crash). */
  checkHost(name: ProviderName): Promise<ProviderAvailability>;
  /**
   * The provider, swept: its expired, failed and half-built sandboxes reaped. Undefined (and nothing printed)
   * when its preflight fails; `checkHost` says why.
   */
  open(name: ProviderName): Promise<SandboxProvider | undefined>;
  /** Live sandboxes of a provider after its sweep; empty when the provider cannot run here. */
  listLive(name: ProviderName): Promise<readonly SandboxRecord[]>;
  /** Every provider swept (what is reaped goes to onReaped); which providers could not be looked at. */
  sweepAll(): Promise<{ readonly unreachable: readonly UnreachableProvider[] }>;
  /** Records of the non-local providers saved in this state home (no preflight, no network). */
  listSaved(name: ProviderName): Promise<readonly SandboxRecord[]>;
  /** The live sandbox an id or name refers to, in any provider, with its provider (swept first). */
  find(idOrName: string): Promise<FoundSandbox>;
}

const hostCheckTimeoutMs = 20_000;

/** One host tool run per command line: kind, eks, gke and aks each ask for `pulumi version`. */
function memoizeRunTool(runTool: RunTool): RunTool {
  const results = new Map<string, Promise<ToolResult>>();
  return (file, args, options) => {
    const key = JSON.stringify([file, args, options.env ?? null]);
    let result = results.get(key);
    if (result === undefined) {
      result = runTool(file, args, options);
      results.set(key, result);
    }
    return result;
  };
}

/** Provider logs for a terminal: warnings and errors always, one line each; progress detail only with --verbose. */
function createCliLogger(io: CliIo, component: string, isVerbose: boolean): Logger {
  const write = (level: string, message: string, fields?: Readonly<Record<string, unknown>>): void => {
    const detail = fields === undefined || Object.keys(fields).length === 0 ? '' : ` ${JSON.stringify(fields)}`;
    io.stderr.write(`${io.stderr.colour.dim(`${component} ${level}: ${message}${detail}`)}\n`);
  };
  return {
    info: (message, fields) => {
      if (isVerbose) write('info', message, fields);
    },
    warn: (message, fields) => write('warning', message, fields),
    error: (message, fields) => write('error', message, fields),
  };
}

function unavailableBecause(name: ProviderName, error: unknown): ProviderAvailability {
  return {
    provider: name,
    isAvailable: false,
    cnis: listProviderCnis(name),
    problems: [{ check: 'host-check', message: `checking the host failed: ${error instanceof Error ? error.message : String(error)}`, fix: 'run again with -v for the provider log' }],
  };
}

async function checkWithTimeout(name: ProviderName, provider: SandboxProvider): Promise<ProviderAvailability> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProviderAvailability>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          provider: name,
          isAvailable: false,
          cnis: listProviderCnis(name),
          problems: [{ check: 'host-check', message: `checking the host took longer than ${hostCheckTimeoutMs / 1000} s`, fix: 'check the tools and the network the provider needs, then retry' }],
        }),
      hostCheckTimeoutMs,
    );
    timer.unref();
  });
  try {
    return await Promise.race([provider.checkHost().catch((error: unknown) => unavailableBecause(name, error)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function matchesTarget(record: SandboxRecord, idOrName: string): boolean {
  return isSandboxId(idOrName) ? record.id === idOrName : record.name === idOrName;
}

function describeFailure(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createProviderSession(options: ProviderSessionOptions): ProviderSession {
  const { io } = options;
  const home = resolveStateHome(io.env);
  const runTool = memoizeRunTool(runHostTool);
  const onReaped =
    options.onReaped ??
    ((reaped: ReapedSandbox): void => {
      io.stderr.write(`${io.stderr.colour.dim(`reaped ${describeSandbox(reaped)}${reaped.provider === 'local' ? '' : ` [${reaped.provider}]`}: ${reaped.reason}`)}\n`);
    });
  const built = new Map<ProviderName, Promise<SandboxProvider>>();
  const checked = new Map<ProviderName, Promise<ProviderAvailability>>();
  const swept = new Map<ProviderName, Promise<readonly SandboxRecord[] | undefined>>();
  let localProvider: Promise<LocalProvider> | undefined;

  const local = (): Promise<LocalProvider> => {
    localProvider ??= (async () => {
      const provider = createLocalProvider({ stateHome: home, maxPods: readMaxPods(io.env) });
      for (const stale of await provider.reapStale()) {
        onReaped({ id: stale.id, ...(stale.name === undefined ? {} : { name: stale.name }), provider: 'local', reason: stale.reason });
      }
      return provider;
    })();
    return localProvider;
  };

  const build = (name: ProviderName): Promise<SandboxProvider> => {
    let provider = built.get(name);
    if (provider === undefined) {
      provider =
        name === 'local'
          ? local()
          : createProviderByName(name, {
              home,
              env: io.env,
              createLocalProvider: local,
              ...(options.kubeconfigPath === undefined ? {} : { kubeconfigPath: options.kubeconfigPath }),
              logger: createCliLogger(io, name, options.isVerbose),
              runTool,
            });
      built.set(name, provider);
    }
    return provider;
  };

  const checkHost = (name: ProviderName): Promise<ProviderAvailability> => {
    let availability = checked.get(name);
    if (availability === undefined) {
      availability = build(name).then(
        (provider) => checkWithTimeout(name, provider),
        (error: unknown) => unavailableBecause(name, error),
      );
      checked.set(name, availability);
    }
    return availability;
  };

  /** Reaps what is due and returns the rest; undefined when the provider cannot run here. */
  const sweep = (name: ProviderName): Promise<readonly SandboxRecord[] | undefined> => {
    let result = swept.get(name);
    if (result === undefined) {
      result = (async () => {
        if (name === 'local') return (await local()).discover();
        if (!(await checkHost(name)).isAvailable) return undefined;
        const provider = await build(name);
        const now = new Date();
        const live: SandboxRecord[] = [];
        for (const record of await provider.discover()) {
          if (!isDueForReaping(record, now)) {
            live.push(record);
            continue;
          }
          const reason = `expired at ${record.expiresAt}`;
          try {
            await provider.reap(record);
            onReaped({ id: record.id, ...(record.name === undefined ? {} : { name: record.name }), provider: name, reason });
          } catch (error) {
            // Not fatal to this command: the sandbox is listed as it is, and the next command tries again.
            io.stderr.write(`could not reap ${describeSandbox(record)} [${name}] (${reason}): ${describeFailure(error)}\n`);
            live.push(record);
          }
        }
        return live;
      })();
      swept.set(name, result);
    }
    return result;
  };

  const listSaved = async (name: ProviderName): Promise<readonly SandboxRecord[]> => {
    if (name === 'local') return (await (await local()).store.list()).records.filter((record) => record.status !== SandboxStatuses.destroyed);
    const { records, unreadable } = await createSandboxFiles(home, name).list();
    for (const path of unreadable) io.stderr.write(`unreadable ${name} sandbox record: ${path} (remove it by hand if the sandbox is gone)\n`);
    return records;
  };

  const open = async (name: ProviderName): Promise<SandboxProvider | undefined> => ((await sweep(name)) === undefined ? undefined : build(name));

  const listLive = async (name: ProviderName): Promise<readonly SandboxRecord[]> => (await sweep(name)) ?? [];

  return {
    home,
    local,
    build,
    checkHost,
    open,
    listLive,
    listSaved,
    async sweepAll() {
      const unreachable: UnreachableProvider[] = [];
      // One provider after another: each sweep may print, and lines must not interleave.
      for (const name of providerNameList) {
        if ((await sweep(name)) !== undefined) continue;
        unreachable.push({ availability: await checkHost(name), saved: await listSaved(name) });
      }
      return { unreachable };
    },
    async find(idOrName) {
      const localRecords = (await listLive('local')).filter((record) => record.status !== SandboxStatuses.destroyed);
      const candidates: SandboxRecord[] = localRecords.filter((record) => matchesTarget(record, idOrName));
      for (const name of realClusterProviderNames) candidates.push(...(await listSaved(name)).filter((record) => matchesTarget(record, idOrName)));
      if (candidates.length === 0 && isSandboxId(idOrName)) {
        // Not saved here: a stack or namespace made from another state home; ask the providers that can answer.
        for (const name of realClusterProviderNames) candidates.push(...(await listLive(name)).filter((record) => matchesTarget(record, idOrName)));
      }
      const unique = [...new Map(candidates.map((record) => [record.id, record])).values()];
      if (unique.length > 1) {
        throw new SandboxError(
          SandboxErrorCodes.invalidName,
          `'${idOrName}' names ${unique.length} sandboxes: ${unique.map((record) => `${record.id} [${record.provider}]`).join(', ')}; use the id`,
        );
      }
      const found = unique[0];
      if (found === undefined) {
        throw new SandboxError(SandboxErrorCodes.notFound, `no live sandbox '${idOrName}'; 'rehearse ls' lists them (expired ones are reaped automatically)`);
      }
      if (found.provider === 'local') return { record: found, provider: await local() };
      // Sweep its provider first: a sandbox past its expiry is reaped now, not handed out.
      const live = await sweep(found.provider);
      if (live === undefined) {
        const availability = await checkHost(found.provider);
        throw new SandboxError(SandboxErrorCodes.hostUnsupported, `${describeSandbox(found)} is a ${found.provider} sandbox, and ${formatProblems(found.provider, availability.problems)}`);
      }
      const current = live.find((record) => record.id === found.id);
      if (current === undefined) {
        throw new SandboxError(SandboxErrorCodes.notFound, `${describeSandbox(found)} [${found.provider}] is gone (expired and reaped, or removed); 'rehearse ls' lists live sandboxes`);
      }
      return { record: current, provider: await build(found.provider) };
    },
  };
}

/**
 * The local provider for this state home. Before anything else, sandboxes past their expiry or half-built by a
 * killed command are reaped (and said so on stderr): the TTL holds even when every supervisor died.
 */
export async function openLocalProvider(io: CliIo): Promise<LocalProvider> {
  return createProviderSession({ io, isVerbose: false }).local();
}
