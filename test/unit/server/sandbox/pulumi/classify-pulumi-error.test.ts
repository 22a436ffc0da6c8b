// Pulumi CLI failures, as the Automation API reports them (CommandError: "code: N\n stdout: ...\n stderr: ..."),
// sorted into the cases the driver acts on, with the specific error line kept and the noise dropped.
import { describe, expect, it } from 'vitest';
import { classifyPulumiError } from '../../../../../server/sandbox/pulumi/classify-pulumi-error.ts';

function commandError(stderr: string): Error {
  const error = new Error(`code: 255\n stdout: \n stderr: ${stderr}\n err?: Error: exit status 255`);
  error.name = 'CommandError';
  return error;
}

describe('classifyPulumiError', () => {
  const cases: readonly (readonly [string, Error, string])[] = [
    ['locked (diy backend)', commandError('error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.'), 'locked'],
    ['locked (service)', commandError('error: [409] Conflict: Another update is currently in progress.'), 'locked'],
    ['pending operations', commandError('error: the current deployment has 1 resource(s) with pending operations:\n  * urn:pulumi:sb::rehearsal::command:local:Command::x, interrupted while creating'), 'pending-operations'],
    ['stack missing', commandError("error: no stack named 'sb-0a1b2c3d' found"), 'stack-not-found'],
    ['cli missing', new Error('code: -2\n stdout: \n stderr: Command failed with ENOENT: pulumi version\nspawn pulumi ENOENT'), 'cli-missing'],
    ['plugin download', commandError("error: could not load plugin for aws provider 'default_7_48_0': no resource plugin 'aws' found in the workspace"), 'plugin-missing'],
    ['aws credentials', commandError('error: rpc error: code = Unknown desc = configuring Terraform AWS Provider: no valid credential sources for Terraform AWS Provider found.\n\nNo valid credential sources found'), 'credentials'],
    ['passphrase', commandError('error: getting secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables'), 'passphrase'],
    ['anything else', commandError('error: update failed\nerror: kubernetes:helm.sh/v4:Chart sb-cilium: failed to pull chart'), 'other'],
  ];
  for (const [name, error, kind] of cases) {
    it(`recognizes ${name}`, () => {
      expect(classifyPulumiError(error).kind).toBe(kind);
    });
  }

  it('summarizes with the specific error lines, not the generic "update failed" nor the exit code', () => {
    const failure = classifyPulumiError(commandError('error: update failed\nerror: kubernetes:helm.sh/v4:Chart sb-cilium: failed to pull chart'));
    expect(failure.summary).toBe('kubernetes:helm.sh/v4:Chart sb-cilium: failed to pull chart');
    expect(failure.fix).toContain('server log');
  });

  it('never returns an empty summary', () => {
    expect(classifyPulumiError('plain text').summary).toBe('plain text');
    expect(classifyPulumiError(new Error('')).summary).toBe('unknown failure');
  });
});
