// Stack config is validated in one place; bad config lists every problem with the command that fixes it.
import { describe, expect, it } from 'vitest';
import { InfraConfigError, parseSandboxConfig } from '../../infra/config.ts';
import { formatExpiryLabel, formatOwnerLabel, parseExpiryLabel } from '../../infra/naming.ts';
import { parseSandboxOutputs } from '../../infra/outputs.ts';

const valid = { sandboxId: 'sb-0a1b2c3d', expiresAt: '2026-11-21T12:30:00Z' };

function problemsOf(raw: Readonly<Record<string, string | undefined>>): readonly string[] {
  try {
    parseSandboxConfig(raw);
  } catch (error) {
    if (error instanceof InfraConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('stack config', () => {
  it('defaults to a two-node kind cluster with kindnet and kind\'s own subnets', () => {
    expect(parseSandboxConfig(valid)).toMatchObject({
      provider: 'kind',
      cni: 'kindnet',
      nodeCount: 2,
      owner: 'rehearsal',
      kind: { podSubnet: '10.244.0.0/16', serviceSubnet: '10.96.0.0/12', isInternalKubeconfig: false },
    });
  });

  it('defaults each cloud to its own enforcing CNI', () => {
    expect(parseSandboxConfig({ ...valid, provider: 'eks' }).cni).toBe('vpc-cni');
    expect(parseSandboxConfig({ ...valid, provider: 'gke', gcpProject: 'my-project-1' }).cni).toBe('dataplane-v2');
    expect(parseSandboxConfig({ ...valid, provider: 'aks' }).cni).toBe('cilium');
  });

  it('names the missing expiry with the command that sets it', () => {
    const problems = problemsOf({ sandboxId: 'sb-0a1b2c3d' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('rehearsal:expiresAt');
    expect(problems[0]).toContain('pulumi config set rehearsal:expiresAt');
  });

  it('reports every problem at once', () => {
    const problems = problemsOf({ sandboxId: 'box-1', expiresAt: 'tomorrow', nodeCount: '40' });
    expect(problems.map((problem) => problem.split(':')[1])).toEqual(['sandboxId', 'nodeCount', 'expiresAt']);
  });

  it('rejects a CNI the provider does not offer, listing the ones it does', () => {
    expect(problemsOf({ ...valid, provider: 'gke', gcpProject: 'my-project-1', cni: 'flannel' })).toEqual([
      "rehearsal:cni: 'flannel' is not offered for gke; choose one of dataplane-v2, calico",
    ]);
  });

  it('requires a GCP project for gke and a patch version for kind node images', () => {
    expect(problemsOf({ ...valid, provider: 'gke' })[0]).toContain('rehearsal:gcpProject: required for gke');
    expect(problemsOf({ ...valid, kubernetesVersion: '1.33' })[0]).toContain('kind node images are tagged by patch version');
  });

  it('splits explicit EKS subnets and refuses anything that is not a subnet id', () => {
    expect(parseSandboxConfig({ ...valid, provider: 'eks', awsSubnetIds: 'subnet-0a, subnet-0b' }).eks.subnetIds).toEqual(['subnet-0a', 'subnet-0b']);
    expect(problemsOf({ ...valid, provider: 'eks', awsSubnetIds: 'subnet-0a;rm -rf /' })[0]).toContain('awsSubnetIds');
  });
});

describe('labels', () => {
  it('writes the expiry as a label-safe instant and reads it back', () => {
    const expiresAt = new Date('2026-11-21T12:30:05.750Z');
    expect(formatExpiryLabel(expiresAt)).toBe('20261121t123005z');
    expect(parseExpiryLabel('20261121t123005z')?.toISOString()).toBe('2026-11-21T12:30:05.000Z');
    expect(parseExpiryLabel('2026-11-21')).toBeUndefined();
  });

  it('turns owners into lowercase label values', () => {
    expect(formatOwnerLabel('QA Team <qa@example.com>')).toBe('qa-team-qa-example.com');
    expect(formatOwnerLabel('---')).toBe('unknown');
  });
});

describe('output contract', () => {
  const outputs = {
    kubeconfig: { value: 'apiVersion: v1', secret: true },
    clusterName: { value: 'rehearsal-sb-0a1b2c3d', secret: false },
    endpoint: { value: 'https://127.0.0.1:40123', secret: false },
  };

  it('reads the three outputs', () => {
    expect(parseSandboxOutputs(outputs)).toEqual({ kubeconfig: 'apiVersion: v1', clusterName: 'rehearsal-sb-0a1b2c3d', endpoint: 'https://127.0.0.1:40123' });
  });

  it('refuses a kubeconfig that was not stored as a secret', () => {
    expect(() => parseSandboxOutputs({ ...outputs, kubeconfig: { value: 'apiVersion: v1', secret: false } })).toThrow(/clear text/);
  });

  it('names every missing output', () => {
    expect(() => parseSandboxOutputs({ kubeconfig: outputs.kubeconfig })).toThrow(/clusterName.*endpoint/);
  });
});
