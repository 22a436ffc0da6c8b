// The CLI's typed failure: a message for the user, a stable code, and the exit code it maps to.
import type { ExitCode } from './exit-codes.ts';
import { ExitCodes } from './exit-codes.ts';

export const CliErrorCodes = {
  usage: 'CLI_USAGE',
  unknownCommand: 'CLI_UNKNOWN_COMMAND',
  invalidInput: 'CLI_INVALID_INPUT',
  unknownEndpoint: 'CLI_UNKNOWN_ENDPOINT',
  unreadableInput: 'CLI_UNREADABLE_INPUT',
  unknownScenario: 'CLI_UNKNOWN_SCENARIO',
  unknownCni: 'CLI_UNKNOWN_CNI',
} as const;
export type CliErrorCode = (typeof CliErrorCodes)[keyof typeof CliErrorCodes];

export class CliError extends Error {
  readonly code: CliErrorCode;
  readonly exitCode: ExitCode;
  /** Extra lines printed after the message ("Did you mean this?", "Run 'rehearse matrix --help' for usage."). */
  readonly hints: readonly string[];
  constructor(code: CliErrorCode, message: string, options: { hints?: readonly string[]; exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.exitCode = options.exitCode ?? ExitCodes.usage;
    this.hints = options.hints ?? [];
  }
}
