// Names that reach command lines: derived deterministically from the sandbox id, and validated.
import { describe, expect, it } from 'vitest';
import {
  assertValidPodIdentity,
  describeInvalidSandboxName,
  generateSandboxId,
  getOutsideNetns,
  getPodNetns,
  getRouterNetns,
  getRouterPodInterface,
  getRuntimePaths,
  isSandboxId,
  parseNetnsName,
} from '../../../../../server/sandbox/local/names.ts';

describe('sandbox ids and namespace names', () => {
  it('generates ids of the form sb-<8 hex>', () => {
    for (let i = 0; i < 20; i += 1) expect(generateSandboxId()).toMatch(/^sb-[0-9a-f]{8}$/);
  });

  it('derives rh-<hex>-r, -x and -p<i> and parses them back', () => {
    const id = 'sb-0123abcd';
    expect(getRouterNetns(id)).toBe('rh-0123abcd-r');
    expect(getOutsideNetns(id)).toBe('rh-0123abcd-x');
    expect(getPodNetns(id, 7)).toBe('rh-0123abcd-p7');
    expect(parseNetnsName('rh-0123abcd-p7')).toEqual({ sandboxId: id, role: 'pod', podIndex: 7 });
    expect(parseNetnsName('rh-0123abcd-r')).toEqual({ sandboxId: id, role: 'router' });
    expect(parseNetnsName('rh-0123abcd-x')).toEqual({ sandboxId: id, role: 'outside' });
  });

  it("ignores namespaces that are not this provider's (other tools, other engineers' experiments)", () => {
    for (const name of ['rh-test-nft-exp', 'rh-0123abcd-p', 'rh-0123abcd-p01', 'rh-0123ABCD-r', 'rh-0123abcd-r2', 'cni-1234', 'rh-0123abcd']) {
      expect(parseNetnsName(name)).toBeUndefined();
    }
  });

  it('rejects ids that are not sb-<8 hex> before they reach a command line', () => {
    expect(isSandboxId('sb-0123abcd')).toBe(true);
    for (const bad of ['sb-0123abc', 'sb-0123abcde', 'sb-0123ABCD', 'x; rm -rf /', '']) {
      expect(isSandboxId(bad)).toBe(false);
      expect(() => getRouterNetns(bad)).toThrow(/not a sandbox id/);
    }
  });

  it('keeps router interface names within the 15-byte kernel limit for 500 pods', () => {
    expect(getRouterPodInterface(499).length).toBeLessThanOrEqual(15);
    expect(getRouterPodInterface(999_999).length).toBeLessThanOrEqual(15);
  });

  it('puts runtime files under <runRoot>/<id> and keeps socket paths short', () => {
    const paths = getRuntimePaths('/run/rehearsal', 'sb-0123abcd');
    expect(paths.dir).toBe('/run/rehearsal/sb-0123abcd');
    expect(paths.controlSocket(499)).toBe('/run/rehearsal/sb-0123abcd/p499.sock');
    expect(paths.controlSocket(499).length).toBeLessThan(108);
  });
});

describe('user-supplied names', () => {
  it('accepts DNS-1123 labels as sandbox names', () => {
    expect(describeInvalidSandboxName('team-a-review')).toBeUndefined();
  });

  it('rejects names that are not DNS-1123 labels, saying why', () => {
    expect(describeInvalidSandboxName('Team_A')).toMatch(/DNS-1123/);
    expect(describeInvalidSandboxName('-a')).toMatch(/DNS-1123/);
    expect(describeInvalidSandboxName('a'.repeat(64))).toMatch(/1 to 63/);
    expect(describeInvalidSandboxName('sb-0123abcd')).toMatch(/looks like a sandbox id/);
  });

  it('rejects pod identities that could smuggle options or spaces onto an agent command line', () => {
    expect(() => assertValidPodIdentity('x', 'a')).not.toThrow();
    expect(() => assertValidPodIdentity('x', 'web-0.sub')).not.toThrow();
    expect(() => assertValidPodIdentity('x', '--listen')).toThrow(/DNS-1123 subdomain/);
    expect(() => assertValidPodIdentity('x y', 'a')).toThrow(/DNS-1123 label/);
  });
});
