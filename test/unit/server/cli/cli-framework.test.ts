// The CLI framework in-process: the command registry contract every team's command must meet, the error map,
// and the colour decision. The io is an in-memory seam; the commands and commander are the real ones.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CliError, CliErrorCodes } from '../../../../server/cli/cli-error.ts';
import { commandEntries } from '../../../../server/cli/commands/index.ts';
import type { CommandEntry } from '../../../../server/cli/command.ts';
import type { CliIo, OutputStream } from '../../../../server/cli/io.ts';
import { createPalette, shouldUseColour } from '../../../../server/cli/output/colour.ts';
import { renderError } from '../../../../server/cli/output/render-error.ts';
import { runCli } from '../../../../server/cli/run-cli.ts';
import { SandboxError } from '../../../../server/sandbox/contract.ts';

function makeIo(): { io: CliIo; stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  const stream = (append: (text: string) => void): OutputStream => ({ write: append, isTty: false, colour: createPalette(false) });
  const io: CliIo = {
    stdout: stream((text) => {
      out += text;
    }),
    stderr: stream((text) => {
      err += text;
    }),
    stdin: new PassThrough(),
    env: {},
    cwd: process.cwd(),
  };
  return { io, stdout: () => out, stderr: () => err };
}

describe('command registry', () => {
  it('has unique names, and every command loads with a usage line, an example and its own help', async () => {
    const names = commandEntries.map((entry) => entry.name);
    expect(new Set(names).size).toBe(names.length);
    for (const entry of commandEntries) {
      const { command } = await entry.load();
      expect(command.usage.startsWith(entry.name), entry.name).toBe(true);
      expect(command.examples.length, entry.name).toBeGreaterThan(0);
      for (const example of command.examples) expect(example.command, entry.name).toContain('rehearse ');
      const { io, stdout } = makeIo();
      expect(await runCli({ argv: [entry.name, '--help'], io })).toBe(0);
      expect(stdout(), entry.name).toContain(`rehearse ${command.usage}`);
    }
  });

  it('a new command is one entry: runCli dispatches to it, passes options and returns its exit code', async () => {
    const entry: CommandEntry = {
      name: 'echo-test',
      group: 'test',
      summary: 'Echo for the framework test',
      load: () =>
        Promise.resolve({
          command: {
            usage: 'echo-test [--word WORD]',
            examples: [{ description: 'say hi', command: 'rehearse echo-test --word hi' }],
            configure: (command) => {
              command.option('--word <word>', 'what to say');
            },
            run: (context) => {
              context.io.stdout.write(`${String(context.options.word)} ${String(context.isVerbose)}\n`);
              return Promise.resolve(1);
            },
          },
        }),
    };
    const { io, stdout } = makeIo();
    expect(await runCli({ argv: ['-v', 'echo-test', '--word', 'hi'], io, entries: [...commandEntries, entry] })).toBe(1);
    expect(stdout()).toBe('hi true\n');
    const help = makeIo();
    await runCli({ argv: ['--help'], io: help.io, entries: [...commandEntries, entry] });
    const text = help.stdout();
    expect(text).toMatch(/^ {2}echo-test +Echo for the framework test$/m);
    expect(text.indexOf('  echo-test')).toBeGreaterThan(text.indexOf('Test commands:'));
  });
});

describe('runCli dispatch', () => {
  it('rejects an unknown flag before the command name (exit 2) rather than printing help', async () => {
    const { io, stdout, stderr } = makeIo();
    expect(await runCli({ argv: ['-x', 'matrix'], io })).toBe(2);
    expect(stderr()).toContain('error: unknown flag: -x');
    expect(stdout()).toBe('');
  });

  it('prints root help for no arguments, --help and `help`', async () => {
    for (const argv of [[], ['--help'], ['help'], ['--no-color', '-h']]) {
      const { io, stdout } = makeIo();
      expect(await runCli({ argv, io })).toBe(0);
      expect(stdout()).toContain('Engine commands (no sandbox needed):');
    }
  });
});

describe('renderError', () => {
  const colour = createPalette(false);

  it('prints a CliError with its hints and exit code', () => {
    const rendered = renderError(new CliError(CliErrorCodes.usage, 'bad flag', { hints: ['try this'] }), { colour, isDebug: false });
    expect(rendered).toEqual({ text: 'error: bad flag\ntry this\n', exitCode: 2 });
  });

  it('maps typed operational errors (SandboxError) to exit 3 with their code', () => {
    const rendered = renderError(new SandboxError('SANDBOX_EXPIRED', 'sandbox sb-1 expired'), { colour, isDebug: false });
    expect(rendered).toEqual({ text: 'error: sandbox sb-1 expired (SANDBOX_EXPIRED)\n', exitCode: 3 });
  });

  it('never shows a stack trace for an unknown error unless REHEARSAL_DEBUG is set', () => {
    const bug = new TypeError('x is undefined');
    const quiet = renderError(bug, { colour, isDebug: false });
    expect(quiet.text).toContain('internal error: x is undefined');
    expect(quiet.text).toContain('REHEARSAL_DEBUG=1');
    expect(quiet.text).not.toMatch(/\n\s+at /);
    const loud = renderError(new Error('outer', { cause: bug }), { colour, isDebug: true });
    expect(loud.text).toMatch(/\n\s+at /);
    expect(loud.text).toContain('caused by: TypeError: x is undefined');
  });
});

describe('shouldUseColour', () => {
  it.each([
    [{ isTty: true, env: {}, isDisabledByFlag: false }, true],
    [{ isTty: false, env: {}, isDisabledByFlag: false }, false],
    [{ isTty: true, env: { NO_COLOR: '1' }, isDisabledByFlag: false }, false],
    [{ isTty: true, env: {}, isDisabledByFlag: true }, false],
    [{ isTty: false, env: { FORCE_COLOR: '1' }, isDisabledByFlag: false }, true],
    [{ isTty: false, env: { FORCE_COLOR: '1', NO_COLOR: '1' }, isDisabledByFlag: false }, false],
    [{ isTty: true, env: { TERM: 'dumb' }, isDisabledByFlag: false }, false],
  ])('%j → %s', (decision, expected) => {
    expect(shouldUseColour(decision)).toBe(expected);
  });
});
