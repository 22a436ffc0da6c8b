// Help text shaped like kubectl's: the root lists commands by group with exit codes; each command shows its
// description, Usage, Examples and Options (global options apart).
import type { Command, Help } from 'commander';
import { commandGroupTitles } from './command.ts';
import type { CommandEntry, CommandGroup, CommandModule } from './command.ts';
import { exitCodeHelp } from './exit-codes.ts';
import type { Palette } from './output/colour.ts';

export const rootDescription =
  'rehearse proves what Kubernetes NetworkPolicies really do: predict every flow with the policy engine, ' +
  'then watch real packets in a short-lived sandbox with the CNI of your choice.';

function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - text.length));
}

export function formatRootHelp(entries: readonly CommandEntry[], colour: Palette): string {
  const lines: string[] = [rootDescription, ''];
  const nameWidth = Math.max(...entries.map((entry) => entry.name.length), 4) + 2;
  for (const group of Object.keys(commandGroupTitles) as CommandGroup[]) {
    const members = entries.filter((entry) => entry.group === group);
    if (members.length === 0) continue;
    lines.push(colour.bold(`${commandGroupTitles[group]}:`));
    for (const entry of members) lines.push(`  ${colour.cyan(padEnd(entry.name, nameWidth))}${entry.summary}`);
    lines.push('');
  }
  lines.push(colour.bold('Usage:'), '  rehearse <command> [options]', '');
  lines.push(colour.bold('Global options:'));
  const globals: [string, string][] = [
    ['--no-color', 'disable colour (also when NO_COLOR is set or output is not a terminal)'],
    ['-v, --verbose', 'say what was read (files, object counts) on stderr'],
    ['-h, --help', 'show help for rehearse or for a command'],
  ];
  for (const [flag, text] of globals) lines.push(`  ${padEnd(flag, 16)}${text}`);
  lines.push('', colour.bold('Exit codes:'));
  for (const [code, text] of exitCodeHelp) lines.push(`  ${code}  ${text}`);
  lines.push('', 'Use "rehearse <command> --help" (or "rehearse help <command>") for more information about a command.', '');
  return lines.join('\n');
}

/** Replaces commander's layout for one command; commander still formats each option term and description. */
export function configureCommandHelp(command: Command, module: CommandModule, entry: CommandEntry, colour: Palette): void {
  command.configureHelp({
    formatHelp: (cmd: Command, helper: Help): string => {
      const termWidth = helper.padWidth(cmd, helper);
      const lines: string[] = [module.description ?? `${entry.summary}.`, ''];
      lines.push(colour.bold('Usage:'), `  rehearse ${module.usage}`, '');
      if (module.examples.length > 0) {
        lines.push(colour.bold('Examples:'));
        module.examples.forEach((example, i) => {
          if (i > 0) lines.push('');
          lines.push(colour.dim(`  # ${example.description}`), `  ${example.command}`);
        });
        lines.push('');
      }
      const args = helper.visibleArguments(cmd).map((argument) =>
        helper.formatItem(helper.argumentTerm(argument), termWidth, helper.argumentDescription(argument), helper),
      );
      if (args.length > 0) lines.push(...helper.formatItemList(colour.bold('Arguments:'), args, helper));
      const groups = helper.groupItems([...cmd.options], helper.visibleOptions(cmd), (option) => option.helpGroupHeading ?? 'Options:');
      // Command options first, the shared global ones last.
      const ordered = [...groups.entries()].sort(([a], [b]) => Number(a === 'Global options:') - Number(b === 'Global options:'));
      for (const [heading, options] of ordered) {
        const items = options.map((option) =>
          helper.formatItem(helper.optionTerm(option), termWidth, helper.optionDescription(option), helper),
        );
        lines.push(...helper.formatItemList(colour.bold(heading), items, helper));
      }
      return `${lines.join('\n').trimEnd()}\n`;
    },
  });
}
