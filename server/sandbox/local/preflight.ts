// Can this host run local sandboxes? Each missing piece becomes a problem naming what is missing and the
// command that fixes it; nothing here changes the host (the netns check uses an anonymous, throw-away namespace).
import { readFile } from 'node:fs/promises';
import type { ProviderAvailability } from '../contract.ts';
import { CommandError, CommandErrorCodes, runCommand } from './run-command.ts';

type Problem = ProviderAvailability['problems'][number];

/** Capability bits from linux/capability.h. */
const capNetAdmin = 12;
const capSysAdmin = 21;

async function readEffectiveCapabilities(): Promise<bigint | undefined> {
  try {
    const status = await readFile('/proc/self/status', 'utf8');
    const match = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
    return match?.[1] === undefined ? undefined : BigInt(`0x${match[1]}`);
  } catch {
    return undefined;
  }
}

function hasCapability(capabilities: bigint, bit: number): boolean {
  return (capabilities & (1n << BigInt(bit))) !== 0n;
}

async function checkTool(options: { file: string; args: readonly string[]; check: string; fix: string }): Promise<Problem | undefined> {
  try {
    await runCommand(options.file, options.args, { timeoutMs: 10_000 });
    return undefined;
  } catch (error) {
    const message =
      error instanceof CommandError && error.code === CommandErrorCodes.notFound
        ? `'${options.file}' is not installed (not found on PATH)`
        : `'${options.file} ${options.args.join(' ')}' failed: ${error instanceof Error ? error.message : String(error)}`;
    return { check: options.check, message, fix: options.fix };
  }
}

export interface CheckHostOptions {
  /** The C compiler the agent is built with (`$CC` or `cc`); not needed when the agent binary is already built. */
  readonly compiler: string;
  readonly hasPrebuiltAgent: boolean;
  readonly cnis: readonly string[];
}

/** Runs every preflight check (they are independent; all problems are reported, not just the first). */
export async function checkHost(options: CheckHostOptions): Promise<ProviderAvailability> {
  const problems: Problem[] = [];
  if (process.platform !== 'linux') {
    problems.push({
      check: 'linux',
      message: `the local provider needs Linux network namespaces; this host runs ${process.platform}`,
      fix: 'run rehearsal on a Linux host or VM, or use the kind provider',
    });
    return { provider: 'local', isAvailable: false, cnis: options.cnis, problems };
  }
  const capabilities = await readEffectiveCapabilities();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot && (capabilities === undefined || !hasCapability(capabilities, capNetAdmin) || !hasCapability(capabilities, capSysAdmin))) {
    problems.push({
      check: 'privileges',
      message: 'creating network namespaces and nftables rules needs root, or CAP_NET_ADMIN plus CAP_SYS_ADMIN (for the netns mounts)',
      fix: 'run as root (sudo rehearse ...) or grant the capabilities: sudo setcap cap_net_admin,cap_sys_admin+ep "$(readlink -f "$(which node)")"',
    });
  }
  const toolChecks = await Promise.all([
    checkTool({ file: 'ip', args: ['-V'], check: 'iproute2', fix: 'apt-get install -y iproute2' }),
    checkTool({ file: 'nft', args: ['--version'], check: 'nftables', fix: 'apt-get install -y nftables' }),
    checkTool({ file: 'sysctl', args: ['-V'], check: 'procps', fix: 'apt-get install -y procps' }),
    checkTool({ file: 'unshare', args: ['--version'], check: 'util-linux', fix: 'apt-get install -y util-linux' }),
    options.hasPrebuiltAgent
      ? Promise.resolve(undefined)
      : checkTool({ file: options.compiler, args: ['--version'], check: 'c-compiler', fix: 'apt-get install -y gcc libc6-dev (the pod agent is a small C program built on first use)' }),
  ]);
  for (const problem of toolChecks) if (problem !== undefined) problems.push(problem);
  const hasTools = !problems.some((problem) => ['nftables', 'util-linux', 'privileges'].includes(problem.check));
  if (hasTools) {
    // One probe proves three things: a network namespace can be made, nf_tables is in the kernel, nft can talk to it.
    // The namespace is anonymous and vanishes when `unshare` exits: nothing to clean up.
    try {
      await runCommand('unshare', ['--net', '--', 'nft', 'add', 'table', 'inet', 'rehearsal_preflight'], { timeoutMs: 10_000 });
    } catch (error) {
      const detail = error instanceof CommandError ? error.stderr.trim() || error.message : String(error);
      problems.push({
        check: 'netns-nftables',
        message: `could not create a network namespace with an nftables table: ${detail}`,
        fix: 'the kernel needs CONFIG_NET_NS and nf_tables (modprobe nf_tables); inside a container, run it with --privileged',
      });
    }
  }
  return { provider: 'local', isAvailable: problems.length === 0, cnis: options.cnis, problems };
}

/** One paragraph listing every problem and its fix, for SANDBOX_HOST_UNSUPPORTED. */
export function formatHostProblems(availability: ProviderAvailability): string {
  const lines = availability.problems.map((problem) => `  - ${problem.check}: ${problem.message}. Fix: ${problem.fix}`);
  return `the local sandbox cannot run on this host:\n${lines.join('\n')}\nEngine-only commands (matrix, explain, lint, diff) still work.`;
}
