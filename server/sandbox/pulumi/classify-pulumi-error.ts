// One factory that sorts Pulumi CLI failures (Automation API CommandError messages carry the CLI's stderr) into
// the few cases the driver acts on, each with what to tell the user. Matching is on the CLI's own wording,
// quoted beside each case; the raw text goes to logs only.

export const PulumiFailureKinds = {
  /** "the stack is currently locked by 1 lock(s)" (diy backend) / "Another update is currently in progress" (service). */
  locked: 'locked',
  /** "The current deployment has N resource(s) with pending operations" after an interrupted update. */
  pendingOperations: 'pending-operations',
  /** "no stack named 'x' found". */
  stackNotFound: 'stack-not-found',
  /** spawn ENOENT for the `pulumi` binary. */
  cliMissing: 'cli-missing',
  /** "no resource plugin 'aws' found" / "Could not automatically download and install resource plugin". */
  pluginMissing: 'plugin-missing',
  /** Cloud SDK credential chains failing inside the provider plugin. */
  credentials: 'credentials',
  /** "incorrect passphrase" / "passphrase must be set". */
  passphrase: 'passphrase',
  other: 'other',
} as const;
export type PulumiFailureKind = (typeof PulumiFailureKinds)[keyof typeof PulumiFailureKinds];

export interface PulumiFailure {
  readonly kind: PulumiFailureKind;
  /** What happened, in one line, without stack traces. */
  readonly summary: string;
  readonly fix: string;
}

const patterns: readonly { readonly kind: PulumiFailureKind; readonly pattern: RegExp; readonly fix: string }[] = [
  { kind: 'locked', pattern: /currently locked by \d+ lock|Another update is currently in progress|ConcurrentUpdateError/i, fix: 'wait for the other operation to end; a lock left by a dead process on this host is removed automatically, others need `pulumi cancel` in the stack' },
  { kind: 'pending-operations', pattern: /pending operations|interrupted while creating|pending_operations/i, fix: 'rehearsal clears pending operations and retries once; if this persists run `pulumi refresh --clear-pending-creates` on the stack' },
  { kind: 'stack-not-found', pattern: /no stack named|stack .* not found|StackNotFoundError/i, fix: 'the stack is already gone; nothing to do' },
  { kind: 'cli-missing', pattern: /spawn pulumi ENOENT|pulumi: not found|code: -2.*ENOENT/i, fix: 'install the Pulumi CLI: curl -fsSL https://get.pulumi.com | sh' },
  { kind: 'passphrase', pattern: /incorrect passphrase|passphrase must be set|PULUMI_CONFIG_PASSPHRASE/i, fix: 'set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the passphrase the stack was created with; rehearsal keeps its own in <REHEARSAL_HOME>/pulumi/passphrase' },
  { kind: 'plugin-missing', pattern: /no resource plugin '[\w-]+' found|could not automatically download and install (resource )?plugin|failed to download plugin/i, fix: 'the engine downloads provider plugins on first use; allow access to get.pulumi.com and github.com, or run `pulumi plugin install resource <name> <version>` once' },
  {
    kind: 'credentials',
    pattern: /No valid credential sources found|NoCredentialProviders|could not find default credentials|failed to refresh cached credentials|DefaultAzureCredential|az login|AuthorizationFailed|ExpiredToken|InvalidClientTokenId/i,
    fix: 'refresh the cloud credentials (aws sso login / gcloud auth application-default login / az login) and retry',
  },
];

/** The CLI's closing lines that say nothing beyond "it failed". */
const genericErrors = /^(update failed|preview failed|destroy failed|refresh failed|an error occurred)$/i;

/**
 * The diagnostic lines worth showing: the specific `error:` lines of the CLI output (CommandError messages
 * prefix the streams with `stdout:` / `stderr:`), else the first line that is not a stack frame.
 */
function summarize(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim().replace(/^(stdout|stderr):\s*/i, ''))
    .filter((line) => line !== '' && !/^code: -?\d+$/.test(line));
  const errors = lines.filter((line) => /^error:/i.test(line)).map((line) => line.replace(/^error:\s*/i, ''));
  const specific = errors.filter((line) => !genericErrors.test(line));
  const chosen =
    specific.length > 0 ? specific.slice(0, 3).join(' | ') : errors.length > 0 ? errors.slice(0, 3).join(' | ') : (lines.find((line) => !line.startsWith('at ')) ?? 'unknown failure');
  return chosen.length > 400 ? `${chosen.slice(0, 397)}...` : chosen;
}

export function classifyPulumiError(error: unknown): PulumiFailure {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  for (const entry of patterns) {
    if (entry.pattern.test(text)) return { kind: entry.kind, summary: summarize(error instanceof Error ? error.message : text), fix: entry.fix };
  }
  return { kind: 'other', summary: summarize(error instanceof Error ? error.message : text), fix: 'see the server log for the full Pulumi output' };
}
