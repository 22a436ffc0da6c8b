// Preflight checks read as instructions: what is missing, and the command that fixes it.
import { describe, expect, it } from 'vitest';
import { checkDockerDaemon, checkKind, checkPulumiCli, formatProblems } from '../../../../../server/sandbox/pulumi/preflight.ts';
import { resolvePassphrase } from '../../../../../server/sandbox/pulumi/passphrase.ts';
import { makeFakeHost } from '../../../../conformance/fakes/fake-host.ts';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('preflight', () => {
  it('tells a stopped Docker daemon from a missing docker and from a permission problem', async () => {
    const stopped = await checkDockerDaemon(makeFakeHost({ tools: { docker: { kind: 'exited', exitCode: 1, stdout: '', stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' } } }));
    expect(stopped?.check).toBe('docker-daemon');
    expect(stopped?.fix).toContain('systemctl start docker');
    const missing = await checkDockerDaemon(makeFakeHost({ tools: { docker: { kind: 'missing' } } }));
    expect(missing?.check).toBe('docker');
    const denied = await checkDockerDaemon(
      makeFakeHost({ tools: { docker: { kind: 'exited', exitCode: 1, stdout: '', stderr: 'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock' } } }),
    );
    expect(denied?.fix).toContain('usermod -aG docker');
    expect(await checkDockerDaemon(makeFakeHost())).toBeUndefined();
  });

  it('names the kind release whose kindnet enforces NetworkPolicy', async () => {
    const old = await checkKind(makeFakeHost({ tools: { kind: { kind: 'exited', exitCode: 0, stdout: 'kind v0.20.0 go1.20.4 linux/amd64', stderr: '' } } }));
    expect(old).toMatchObject({ check: 'kind-version', message: expect.stringContaining('older than v0.24.0') });
    expect(await checkKind(makeFakeHost())).toBeUndefined();
  });

  it('rejects a Pulumi CLI older than the Automation API needs', async () => {
    const old = await checkPulumiCli(makeFakeHost({ tools: { pulumi: { kind: 'exited', exitCode: 0, stdout: 'v2.25.0', stderr: '' } } }));
    expect(old?.message).toContain('v3.2.0 or newer');
  });

  it('formats problems as a block a terminal user can act on', () => {
    expect(formatProblems('kind', [{ check: 'kind', message: "kind is not installed ('kind' not found on PATH)", fix: 'install kind' }])).toBe(
      "kind: cannot create sandboxes on this host (1 problem):\n  ✗ kind: kind is not installed ('kind' not found on PATH)\n    fix: install kind",
    );
  });
});

describe('Pulumi passphrase', () => {
  it('uses PULUMI_CONFIG_PASSPHRASE when set, else makes one once and keeps it private', async () => {
    const home = await mkdtemp(join(tmpdir(), 'rehearsal-pass-'));
    expect(await resolvePassphrase({ home, env: { PULUMI_CONFIG_PASSPHRASE: 'given' } })).toBe('given');
    const made = await resolvePassphrase({ home, env: {} });
    expect(made).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await resolvePassphrase({ home, env: {} })).toBe(made);
    const file = join(home, 'pulumi', 'passphrase');
    expect((await readFile(file, 'utf8')).trim()).toBe(made);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});
