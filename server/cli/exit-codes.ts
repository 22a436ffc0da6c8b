// The process exit codes of `rehearse`, documented in `rehearse --help`; CI scripts branch on them.

export const ExitCodes = {
  ok: 0,
  /** Lint found an error-severity problem, a test had a mismatch, a diff was asked to fail on changes. */
  findings: 1,
  /** Bad command line or bad input files (YAML, schema, unknown pod). */
  usage: 2,
  /** The environment or a provider failed: missing tool, no permission, sandbox gone, internal error. */
  environment: 3,
} as const;
export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes];

/** The lines `rehearse --help` prints under "Exit codes:". */
export const exitCodeHelp: readonly (readonly [ExitCode, string])[] = [
  [ExitCodes.ok, 'success'],
  [ExitCodes.findings, 'findings: lint errors, expectation mismatches'],
  [ExitCodes.usage, 'usage or input error: bad flags, unreadable or invalid manifests, unknown endpoints'],
  [ExitCodes.environment, 'environment or provider error: missing tools or permissions, sandbox failures'],
];
