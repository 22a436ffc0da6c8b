// Options every command accepts, before or after its name: colour and verbosity.
import { Option } from 'commander';
import type { Command } from 'commander';

/** Long flags of the global options, so help can list them apart and the dispatcher can accept them first. */
export const globalFlags: ReadonlySet<string> = new Set(['--no-color', '-v', '--verbose']);

export function addGlobalOptions(command: Command): void {
  command.addOption(new Option('--no-color', 'disable colour (also when NO_COLOR is set or output is not a terminal)').helpGroup('Global options:'));
  command.addOption(new Option('-v, --verbose', 'say what was read (files, object counts) on stderr').helpGroup('Global options:'));
}

/** `--no-color` anywhere before `--` turns colour off; decided before parsing so errors are uncoloured too. */
export function isColourDisabledByArgs(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--no-color') return true;
  }
  return false;
}
