// `rehearse` as a user meets it first: help, unknown commands and flags, exit codes, colour. Real subprocesses.
import { describe, expect, it } from 'vitest';
import { policyFixture, runRehearse, upstreamModel } from './run-rehearse.ts';

describe('rehearse help and dispatch', () => {
  it('--help lists the command groups, the exit codes and how to get more help', async () => {
    const run = await runRehearse(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Engine commands (no sandbox needed):');
    for (const name of ['matrix', 'explain', 'lint', 'diff', 'generate', 'scenarios']) expect(run.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    expect(run.stdout).toContain('Exit codes:');
    expect(run.stdout).toMatch(/^ {2}2 {2}usage or input error/m);
    expect(run.stdout).toContain('"rehearse <command> --help"');
    expect(run.stderr).toBe('');
  });

  it('a command --help and `help <command>` show description, Usage, Examples and Options', async () => {
    const [flag, word] = await Promise.all([runRehearse(['matrix', '--help']), runRehearse(['help', 'matrix'])]);
    expect(flag.code).toBe(0);
    expect(word.code).toBe(0);
    expect(word.stdout).toBe(flag.stdout);
    const text = flag.stdout;
    expect(text.indexOf('Usage:')).toBeGreaterThan(0);
    expect(text.indexOf('Examples:')).toBeGreaterThan(text.indexOf('Usage:'));
    expect(text.indexOf('Options:')).toBeGreaterThan(text.indexOf('Examples:'));
    expect(text.indexOf('Global options:')).toBeGreaterThan(text.indexOf('Options:'));
    expect(text).toContain('  rehearse matrix -f PATH...');
    expect(text).toContain('-f, --filename <path>');
    expect(text).toContain('--no-color');
  });

  it('an unknown command is exit 2 with a did-you-mean, kubectl style', async () => {
    const run = await runRehearse(['mtrix', '-f', upstreamModel]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error: unknown command "mtrix" for "rehearse"');
    expect(run.stderr).toContain('Did you mean this?\n\tmatrix');
    expect(run.stdout).toBe('');
    const far = await runRehearse(['help', 'zzzzzz']);
    expect(far.code).toBe(2);
    expect(far.stderr).not.toContain('Did you mean');
  });

  it('an unknown flag or bad choice is a usage error (exit 2) that says where to look', async () => {
    const flag = await runRehearse(['matrix', '-f', upstreamModel, '--prot', 'TCP']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option '--prot'");
    expect(flag.stderr).toContain("Run 'rehearse matrix --help' for usage.");
    const choice = await runRehearse(['matrix', '-f', upstreamModel, '-o', 'yaml']);
    expect(choice.code).toBe(2);
    expect(choice.stderr).toContain('-o, --output <format>');
    const missing = await runRehearse(['matrix']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('must specify -f');
    const cni = await runRehearse(['matrix', '-f', upstreamModel, '--cni', 'cilum']);
    expect(cni.code).toBe(2);
    expect(cni.stderr).toContain('Did you mean "cilium"?');
  });

  it('colours only when asked: NO_COLOR and --no-color win over FORCE_COLOR, and no stack traces leak', async () => {
    const args = ['matrix', '-f', upstreamModel, '-f', policyFixture('deny-all-x'), '--port', '80'];
    const forced = await runRehearse(args, { env: { NO_COLOR: '', FORCE_COLOR: '1' } });
    expect(forced.stdout).toContain('\u001b[');
    const flagged = await runRehearse(['--no-color', ...args], { env: { NO_COLOR: '', FORCE_COLOR: '1' } });
    expect(flagged.code).toBe(0);
    expect(flagged.stdout).not.toContain('\u001b[');
    const plain = await runRehearse(args);
    expect(plain.stdout).not.toContain('\u001b[');
    expect(plain.stderr).not.toMatch(/\n\s+at /);
  });
});
