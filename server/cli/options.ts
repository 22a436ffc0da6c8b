// Options shared by several commands (-f, -o, --port, --protocol, --cni) and the one way to validate what
// commander parsed: a zod schema per command, its problems turned into usage errors (exit 2).
import { Option } from 'commander';
import type { Command } from 'commander';
import { z } from 'zod';
import { CliError, CliErrorCodes } from './cli-error.ts';
import { findClosestMatch, getCniProfile, listCniProfileNames } from '../policy/index.ts';
import type { Protocol } from '../policy/index.ts';

/** argParser for repeatable options: `-f a -f b` → ['a', 'b']. */
export function collectRepeated(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `-f` like kubectl: repeatable, files, directories, or `-` for stdin. */
export function addFileOption(command: Command, description = 'manifests: a file, a directory, or - for stdin (repeatable)'): void {
  command.addOption(new Option('-f, --filename <path>', description).argParser(collectRepeated));
  // Starts as [] (so schemas may say z.array(z.string())) without commander printing "(default: [])" in help.
  command.setOptionValue('filename', []);
}

export function addOutputOption(command: Command, formats: readonly string[], defaultFormat: string): void {
  command.addOption(new Option('-o, --output <format>', 'output format').choices(formats).default(defaultFormat));
}

export function addCniOption(command: Command): void {
  command.addOption(
    new Option('--cni <name>', `predict as this CNI enforces: ${listCniProfileNames().join(', ')} (reference = the Kubernetes API semantics)`).default(
      'reference',
    ),
  );
}

export function addPortOptions(command: Command, portDescription: string): void {
  command.addOption(new Option('--port <port>', portDescription));
  command.addOption(
    new Option('--protocol <protocol>', 'TCP, UDP or SCTP').argParser((value: string) => {
      const upper = value.toUpperCase();
      if (upper !== 'TCP' && upper !== 'UDP' && upper !== 'SCTP') {
        throw new CliError(CliErrorCodes.usage, `invalid --protocol "${value}": use TCP, UDP or SCTP`);
      }
      return upper;
    }),
  );
}

export const protocolSchema = z.enum(['TCP', 'UDP', 'SCTP']);

/** A port number 1-65535 or an IANA service name (a named container port), as the API accepts them. */
export function parsePortText(text: string, flag = '--port'): number | string {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value >= 1 && value <= 65535) return value;
    throw new CliError(CliErrorCodes.usage, `invalid ${flag} "${text}": a port number is 1-65535`);
  }
  if (/^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/.test(text) && /[a-z]/.test(text) && !text.includes('--')) return text;
  throw new CliError(CliErrorCodes.usage, `invalid ${flag} "${text}": use a number (80) or a named container port (http)`);
}

/** `--port` and `--protocol` as a filter to spread into matrix, diff and probe options; absent flags stay absent. */
export interface PortFilter {
  readonly port?: number | string;
  readonly protocol?: Protocol;
}

export function parsePortFilter(options: { readonly port?: string | undefined; readonly protocol?: Protocol | undefined }): PortFilter {
  return {
    ...(options.port === undefined ? {} : { port: parsePortText(options.port) }),
    ...(options.protocol === undefined ? {} : { protocol: options.protocol }),
  };
}

export function parseProtocol(value: unknown): Protocol | undefined {
  const parsed = protocolSchema.optional().safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Validate commander's values with a schema. Keys are option attribute names (`filename`, `output`); a failure
 * names the flag the user typed.
 */
export function parseCommandOptions<T>(schema: z.ZodType<T>, values: Readonly<Record<string, unknown>>, commandName: string): T {
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = issue?.path[0];
  const flag = typeof key === 'string' ? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : 'options';
  throw new CliError(CliErrorCodes.usage, `${flag}: ${issue?.message ?? 'invalid value'}`, {
    hints: [`Run 'rehearse ${commandName} --help' for usage.`],
  });
}

/** -f is required for engine commands (kubectl: "must specify one of -f and -k"). */
export function requireFiles(files: readonly string[], commandName: string): readonly string[] {
  if (files.length > 0) return files;
  throw new CliError(CliErrorCodes.usage, 'must specify -f (a file, a directory, or - for stdin)', {
    hints: [`Example: rehearse ${commandName} -f manifests/`, `Run 'rehearse ${commandName} --help' for usage.`],
  });
}

/** `--cni` must name a profile; an unknown one is a usage error with the closest name and the full list. */
export function resolveCniProfile(name: string): string {
  if (getCniProfile(name) !== undefined) return name;
  const known = listCniProfileNames();
  const suggestion = findClosestMatch(name, known);
  throw new CliError(CliErrorCodes.unknownCni, `unknown --cni "${name}"`, {
    hints: [...(suggestion === undefined ? [] : [`Did you mean "${suggestion}"?`]), `Known CNI profiles: ${known.join(', ')}`],
  });
}
