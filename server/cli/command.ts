// The contract of a `rehearse` command: a one-line registry entry (commands/index.ts) plus a module that
// declares its options and runs it. Modules load lazily, so `rehearse matrix` never loads Pulumi.
import type { Command } from 'commander';
import type { ExitCode } from './exit-codes.ts';
import type { CliIo } from './io.ts';

export const CommandGroups = { engine: 'engine', sandbox: 'sandbox', test: 'test', server: 'server' } as const;
export type CommandGroup = (typeof CommandGroups)[keyof typeof CommandGroups];

/** Headings of `rehearse --help`, in the order they print. */
export const commandGroupTitles: Readonly<Record<CommandGroup, string>> = {
  engine: 'Engine commands (no sandbox needed)',
  sandbox: 'Sandbox commands',
  test: 'Test commands',
  server: 'Server',
};

/** One line of commands/index.ts. `summary` is the text shown in `rehearse --help`. */
export interface CommandEntry {
  readonly name: string;
  readonly group: CommandGroup;
  readonly summary: string;
  readonly load: () => Promise<{ readonly command: CommandModule }>;
}

export interface CommandExample {
  /** What the example does, printed as a `# comment` line. */
  readonly description: string;
  /** The command line, starting with `rehearse`. */
  readonly command: string;
}

export interface CommandContext {
  readonly io: CliIo;
  /** Option values as commander parsed them; validate them (parseCommandOptions) before use. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Positional arguments. */
  readonly args: readonly string[];
  readonly isVerbose: boolean;
  /** Aborted on the first Ctrl-C; long-running commands stop and clean up when it fires. */
  readonly signal: AbortSignal;
}

export interface CommandModule {
  /** Longer help text printed above Usage; the registry's summary is used when absent. */
  readonly description?: string;
  /** The usage line after `rehearse `, e.g. `matrix -f PATH... [--port PORT] [-o table|json]`. */
  readonly usage: string;
  readonly examples: readonly CommandExample[];
  /**
   * True for commands that watch `context.signal` and clean up on Ctrl-C (serve, test, up). Others end at once
   * on Ctrl-C (exit 130), which is what a user waiting on `-f -` expects.
   */
  readonly handlesInterrupt?: boolean;
  /** Declare options and arguments on the command (its name and description are set already). */
  configure(command: Command): void;
  /** Do the work; return the exit code. Throw CliError for usage problems, typed errors for failures. */
  run(context: CommandContext): Promise<ExitCode>;
}
