// Capability gates for tests that need root + nftables or a browser. Outside CI they skip loudly;
// with REHEARSAL_REQUIRE_PRIVILEGED=1 (set by .ci/run) a missing capability is a failure, not a skip.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const isStrict = process.env.REHEARSAL_REQUIRE_PRIVILEGED === '1';

function probeCommand(file: string, args: readonly string[]): boolean {
  try {
    execFileSync(file, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Why privileged network tests cannot run here, or undefined when they can. */
export function privilegedUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'needs root (or CAP_NET_ADMIN)';
  if (!probeCommand('ip', ['-V'])) return "needs the 'ip' tool: apt-get install -y iproute2";
  if (!probeCommand('nft', ['--version'])) return "needs the 'nft' tool: apt-get install -y nftables";
  if (!probeCommand('cc', ['--version'])) return "needs a C compiler for the pod agent: apt-get install -y gcc";
  return undefined;
}

export const browserPath = process.env.REHEARSAL_CHROMIUM ?? '/usr/bin/chromium';

export function browserUnavailableReason(): string | undefined {
  if (!existsSync(browserPath)) return `needs Chromium at ${browserPath}: apt-get install -y chromium`;
  return undefined;
}

function gate(reason: string | undefined, what: string): boolean {
  if (reason === undefined) return true;
  if (isStrict) throw new Error(`${what} tests must run here (REHEARSAL_REQUIRE_PRIVILEGED=1) but cannot: ${reason}`);
  // Loud on purpose: a skipped integration test is a gap in what this run proves.
  console.warn(`\n*** SKIPPING ${what} tests: ${reason}. CI runs them (.ci/run sets REHEARSAL_REQUIRE_PRIVILEGED=1). ***\n`);
  return false;
}

/** True when root + ip + nft + cc are present. Use as `describe.runIf(canRunPrivileged())`. */
export function canRunPrivileged(): boolean {
  return gate(privilegedUnavailableReason(), 'privileged network');
}

export function canRunBrowser(): boolean {
  return gate(browserUnavailableReason(), 'browser');
}
