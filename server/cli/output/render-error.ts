// The CLI's one error map: a thrown error becomes stderr lines and an exit code. Users never see a stack
// trace unless REHEARSAL_DEBUG=1; unknown errors are reported as internal with how to get the detail.
import { CliError } from '../cli-error.ts';
import { ExitCodes } from '../exit-codes.ts';
import type { ExitCode } from '../exit-codes.ts';
import type { Palette } from './colour.ts';

export interface RenderedError {
  readonly text: string;
  readonly exitCode: ExitCode;
}

function readCode(error: Error): string | undefined {
  const code: unknown = Reflect.get(error, 'code');
  return typeof code === 'string' ? code : undefined;
}

function describeStack(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    if (current instanceof Error) {
      lines.push(depth === 0 ? (current.stack ?? String(current)) : `caused by: ${current.stack ?? String(current)}`);
      current = current.cause;
    } else {
      lines.push(`${depth === 0 ? '' : 'caused by: '}${String(current)}`);
      current = undefined;
    }
  }
  return lines.join('\n');
}

export function renderError(error: unknown, options: { readonly colour: Palette; readonly isDebug: boolean }): RenderedError {
  const prefix = options.colour.red('error:');
  const debug = options.isDebug ? `\n${describeStack(error)}\n` : '';
  if (error instanceof CliError) {
    const hints = error.hints.length > 0 ? `\n${error.hints.join('\n')}` : '';
    return { text: `${prefix} ${error.message}${hints}\n${debug}`, exitCode: error.exitCode };
  }
  if (error instanceof Error) {
    const code = readCode(error);
    // Typed operational errors (SandboxError and friends) carry a stable code and a message meant for users.
    if (code !== undefined) return { text: `${prefix} ${error.message} (${code})\n${debug}`, exitCode: ExitCodes.environment };
    const hint = options.isDebug ? '' : '\nThis is a bug in rehearse. Set REHEARSAL_DEBUG=1 to print the stack trace and report it.';
    return { text: `${prefix} internal error: ${error.message}${hint}\n${debug}`, exitCode: ExitCodes.environment };
  }
  return { text: `${prefix} internal error: ${String(error)}\n${debug}`, exitCode: ExitCodes.environment };
}
