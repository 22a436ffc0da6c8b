// Dispatch a `rehearse` command line: root help, `help <cmd>`, unknown commands with a did-you-mean, then the
// command's own parse (commander) and run. Returns the exit code; never calls process.exit.
import { Command, CommanderError, Option } from 'commander';
import { findClosestMatch } from '../policy/index.ts';
import { CliError, CliErrorCodes } from './cli-error.ts';
import type { CommandEntry, CommandModule } from './command.ts';
import { commandEntries } from './commands/index.ts';
import { ExitCodes } from './exit-codes.ts';
import type { ExitCode } from './exit-codes.ts';
import { addGlobalOptions, globalFlags } from './global-options.ts';
import { configureCommandHelp, formatRootHelp } from './help.ts';
import type { CliIo } from './io.ts';
import { renderError } from './output/render-error.ts';

export interface RunCliOptions {
  /** Arguments after the program name. */
  readonly argv: readonly string[];
  readonly io: CliIo;
  readonly entries?: readonly CommandEntry[];
  /** Aborted on Ctrl-C by main.ts; commands stop and clean up when it fires. */
  readonly signal?: AbortSignal;
  /** Told before a command runs whether it handles Ctrl-C itself (CommandModule.handlesInterrupt). */
  readonly onInterruptMode?: (mode: 'graceful' | 'exit') => void;
}

const neverAborted = new AbortController().signal;

function unknownCommand(name: string, entries: readonly CommandEntry[]): CliError {
  const suggestion = findClosestMatch(
    name,
    entries.map((entry) => entry.name),
    { maxDistance: Math.max(2, Math.floor(name.length / 3)) },
  );
  const hints = suggestion === undefined ? [] : ['', 'Did you mean this?', `\t${suggestion}`, ''];
  return new CliError(CliErrorCodes.unknownCommand, `unknown command "${name}" for "rehearse"`, {
    hints: [...hints, "Run 'rehearse --help' for usage."],
  });
}

interface BuiltCommand {
  readonly command: Command;
  readonly module: CommandModule;
  readonly run: () => Promise<ExitCode>;
}

async function buildCommand(entry: CommandEntry, io: CliIo, signal: AbortSignal): Promise<BuiltCommand> {
  const { command: module } = await entry.load();
  const command = new Command(entry.name);
  command.description(module.description ?? entry.summary);
  addGlobalOptions(command);
  command.addHelpOption(new Option('-h, --help', `show help for ${entry.name}`).helpGroup('Global options:'));
  module.configure(command);
  configureCommandHelp(command, module, entry, io.stdout.colour);
  command.exitOverride();
  command.configureOutput({
    writeOut: (text) => io.stdout.write(text),
    writeErr: (text) => io.stderr.write(text),
    // Commander's messages already read "error: unknown option '--prot'"; add where to look next.
    outputError: (text, write) => write(`${text.trimEnd()}\nRun 'rehearse ${entry.name} --help' for usage.\n`),
  });
  let run: () => Promise<ExitCode> = () => Promise.resolve(ExitCodes.ok);
  command.action(() => {
    const options: Readonly<Record<string, unknown>> = command.opts();
    const args = [...command.args];
    run = () =>
      module.run({
        io,
        options,
        args,
        isVerbose: options.verbose === true,
        signal,
      });
  });
  return { command, module, run: () => run() };
}

export async function runCli(options: RunCliOptions): Promise<ExitCode> {
  const entries = options.entries ?? commandEntries;
  const { io } = options;
  const isDebug = io.env.REHEARSAL_DEBUG === '1';
  try {
    const argv = [...options.argv];
    const leading: string[] = [];
    while (argv.length > 0 && (argv[0] ?? '').startsWith('-')) leading.push(argv.shift() ?? '');
    const name = argv.shift();
    const unknownFlag = leading.find((flag) => !globalFlags.has(flag) && flag !== '-h' && flag !== '--help');
    if (unknownFlag !== undefined) {
      throw new CliError(CliErrorCodes.usage, `unknown flag: ${unknownFlag}`, { hints: ["Run 'rehearse --help' for usage."] });
    }
    if (leading.includes('-h') || leading.includes('--help') || name === undefined) {
      io.stdout.write(formatRootHelp(entries, io.stdout.colour));
      return ExitCodes.ok;
    }
    if (name === 'help') {
      const target = argv[0];
      if (target === undefined) {
        io.stdout.write(formatRootHelp(entries, io.stdout.colour));
        return ExitCodes.ok;
      }
      const entry = entries.find((e) => e.name === target);
      if (entry === undefined) throw unknownCommand(target, entries);
      const { command } = await buildCommand(entry, io, neverAborted);
      io.stdout.write(command.helpInformation());
      return ExitCodes.ok;
    }
    const entry = entries.find((e) => e.name === name);
    if (entry === undefined) throw unknownCommand(name, entries);
    const { command, module, run } = await buildCommand(entry, io, options.signal ?? neverAborted);
    try {
      await command.parseAsync([...leading, ...argv], { from: 'user' });
    } catch (error) {
      if (error instanceof CommanderError) {
        // Help and version end the parse with a "success" error; everything else is a usage error (exit 2).
        return error.exitCode === 0 ? ExitCodes.ok : ExitCodes.usage;
      }
      throw error;
    }
    options.onInterruptMode?.(module.handlesInterrupt === true ? 'graceful' : 'exit');
    return await run();
  } catch (error) {
    const rendered = renderError(error, { colour: io.stderr.colour, isDebug });
    io.stderr.write(rendered.text);
    return rendered.exitCode;
  }
}
