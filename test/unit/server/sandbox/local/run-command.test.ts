// The one spawn wrapper: argument arrays, stdin, and each kind of failure as its own stable code.
import { describe, expect, it } from 'vitest';
import { CommandError, runCommand } from '../../../../../server/sandbox/local/run-command.ts';

async function failureOf(promise: Promise<unknown>): Promise<CommandError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CommandError) return error;
    throw error;
  }
  throw new Error('expected the command to fail');
}

describe('runCommand', () => {
  it('passes arguments verbatim, with no shell to interpret them', async () => {
    const { stdout } = await runCommand('echo', ['$HOME', ';', 'ls', '`id`']);
    expect(stdout).toBe('$HOME ; ls `id`\n');
  });

  it('feeds input on stdin', async () => {
    const { stdout } = await runCommand('cat', [], { input: 'flush ruleset\n' });
    expect(stdout).toBe('flush ruleset\n');
  });

  it('reports a missing program as COMMAND_NOT_FOUND', async () => {
    const error = await failureOf(runCommand('rehearsal-no-such-tool', []));
    expect(error.code).toBe('COMMAND_NOT_FOUND');
    expect(error.message).toMatch(/not installed/);
  });

  it('reports a non-zero exit as COMMAND_FAILED with the exit code and stderr kept for logs', async () => {
    const error = await failureOf(runCommand('ls', ['/rehearsal-does-not-exist']));
    expect(error.code).toBe('COMMAND_FAILED');
    expect(error.exitCode).not.toBe(0);
    expect(error.stderr).toMatch(/rehearsal-does-not-exist/);
  });

  it('kills a program that outlives its timeout and says how long it waited', async () => {
    const error = await failureOf(runCommand('sleep', ['5'], { timeoutMs: 50 }));
    expect(error.code).toBe('COMMAND_TIMED_OUT');
    expect(error.message).toMatch(/50 ms/);
  });

  it('stops when the signal aborts', async () => {
    const controller = new AbortController();
    const pending = runCommand('sleep', ['5'], { signal: controller.signal });
    controller.abort();
    expect((await failureOf(pending)).code).toBe('COMMAND_ABORTED');
  });
});
