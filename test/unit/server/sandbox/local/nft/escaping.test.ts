// Nothing a user or a caller writes can change what the nft script means: names are validated, comments are
// neutralized and cut to nft's 128-byte limit, addresses are re-printed from their parsed value.

import { describe, expect, it } from 'vitest';
import { SandboxError } from '../../../../../../server/sandbox/contract.ts';
import { compileRuleset } from '../../../../../../server/sandbox/local/nft/compile-ruleset.ts';
import type { CompileRulesetInput } from '../../../../../../server/sandbox/local/nft/compile-ruleset.ts';
import { assertIdentifier, assertIfname, canonicalizeAddress, maxCommentBytes, sanitizeComment } from '../../../../../../server/sandbox/local/nft/nft-text.ts';
import { requireProfile } from './differential-harness.ts';
import { makeCluster, makePod, makePolicy, podPeer, rule, sel } from '../../../../../helpers/builders.ts';

const reference = requireProfile('reference');

function compileHostile(options: { policyName?: string; namespace?: string; podName?: string }) {
  const namespace = options.namespace ?? 'x';
  const podName = options.podName ?? 'a';
  const cluster = makeCluster({
    pods: [makePod(namespace, podName, { labels: { app: 'a' } }), makePod(namespace, 'b', { labels: { app: 'b' } })],
    policies: [makePolicy(namespace, options.policyName ?? 'p', { podSelector: sel({ app: 'a' }), ingress: [rule([podPeer(sel({ app: 'b' }))])] })],
  });
  return compileRuleset({
    cluster,
    profile: reference,
    interfaces: { pods: new Map([[`${namespace}/${podName}`, 'p0'], [`${namespace}/b`, 'p1']]) },
  });
}

/** Every statement line of the script (comments and quoted strings removed): what nft actually executes. */
function statements(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .map((line) => line.replace(/"[^"]*"/g, '""'));
}

describe('comments', () => {
  it('turns quotes and backslashes into harmless characters so a comment cannot end early', () => {
    expect(sanitizeComment('a "quoted" \\ name')).toBe("a 'quoted' ' name");
  });

  it('replaces newlines, control and non-ASCII characters', () => {
    expect(sanitizeComment('line1\nline2\tü')).toBe('line1?line2??');
  });

  it(`cuts at ${maxCommentBytes} bytes, nft's limit, marking the cut`, () => {
    const cut = sanitizeComment('x'.repeat(300));
    expect(cut).toHaveLength(maxCommentBytes);
    expect(cut.endsWith('...')).toBe(true);
  });

  it('keeps a policy named like an nft command inside its comment', () => {
    const { text } = compileHostile({ policyName: 'evil"; flush ruleset; add table ip pwn {}; #' });
    expect(text).toContain(`comment "x/evil'; flush ruleset; add table ip pwn {}; # spec.ingress[0].from[0]"`);
    expect(statements(text).join('\n')).not.toMatch(/flush|pwn/);
  });

  it('keeps a 253-character policy name within the comment limit', () => {
    const { text } = compileHostile({ policyName: 'p'.repeat(253) });
    for (const match of text.matchAll(/comment "([^"]*)"/g)) expect(Buffer.byteLength(match[1] ?? '')).toBeLessThanOrEqual(maxCommentBytes);
  });
});

describe('names', () => {
  it('accepts the identifiers the compiler makes', () => {
    expect(assertIdentifier('egress/x/a.b-c', 'chain')).toBe('egress/x/a.b-c');
    expect(assertIdentifier('peers_0_v4', 'set')).toBe('peers_0_v4');
  });

  it.each(['', '1abc', 'a b', 'a;b', 'a"b', 'a\\b', 'a{b', 'x'.repeat(256)])('rejects %j as an nft identifier', (name) => {
    expect(() => assertIdentifier(name, 'table name')).toThrow(SandboxError);
  });

  it.each(['', '.', '..', 'p0"; flush', 'eth0 x', 'a/b', 'x'.repeat(16)])('rejects %j as an interface name', (name) => {
    expect(() => assertIfname(name, 'pod interface')).toThrow(/not a valid interface name/);
  });

  it('names chains after the pod when the pod key is a DNS name, else after its interface', () => {
    const readable = compileHostile({});
    expect(readable.chains.map((c) => c.chain)).toEqual(['ingress/x/a']);
    const odd = compileHostile({ podName: 'A_Pod' });
    expect(odd.chains.map((c) => c.chain)).toEqual(['ingress_p0']);
  });

  it('rejects a hostile table name with a typed, coded error', () => {
    const input: CompileRulesetInput = {
      cluster: makeCluster({}),
      profile: reference,
      interfaces: { pods: new Map() },
      tableName: 'rehearsal; flush ruleset',
    };
    expect(() => compileRuleset(input)).toThrow(expect.objectContaining({ code: 'SANDBOX_INVALID_NAME' }));
  });

  it('rejects a hostile interface name from the provider', () => {
    const cluster = makeCluster({ pods: [makePod('x', 'a')] });
    expect(() =>
      compileRuleset({ cluster, profile: reference, interfaces: { pods: new Map([['x/a', 'p0" accept']]) } }),
    ).toThrow(expect.objectContaining({ code: 'SANDBOX_INVALID_NAME' }));
  });
});

describe('addresses', () => {
  it('re-prints addresses and CIDRs from their parsed value', () => {
    expect(canonicalizeAddress('10.0.0.1', 'ip')).toBe('10.0.0.1');
    expect(canonicalizeAddress('10.0.0.1/24', 'cidr')).toBe('10.0.0.0/24');
    expect(canonicalizeAddress('FD00:0:0::1', 'ip')).toBe('fd00::1');
    expect(canonicalizeAddress('10.0.0.7/32', 'cidr')).toBe('10.0.0.7');
  });

  it.each(['10.0.0.1; flush ruleset', '10.0.0.256', 'not-an-ip', '10.0.0.0/33'])('refuses %j', (text) => {
    expect(() => canonicalizeAddress(text, 'pod address')).toThrow(expect.objectContaining({ code: 'SANDBOX_APPLY_FAILED' }));
  });

  it('refuses a pod whose address is not an IP before anything is rendered', () => {
    const cluster = makeCluster({ pods: [makePod('x', 'a', { ip: '10.244.0.1 } flush ruleset {' })] });
    expect(() =>
      compileRuleset({ cluster, profile: reference, interfaces: { pods: new Map([['x/a', 'p0']]) } }),
    ).toThrow(/is not an IP address or CIDR/);
  });
});
