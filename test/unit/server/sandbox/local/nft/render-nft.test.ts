// Golden files of the rendered ruleset for a small cluster: what a person reading `describeRules` sees,
// per profile. A change to the compiler's output shows up here as a readable diff.

import { describe, expect, it } from 'vitest';
import { compileRuleset } from '../../../../../../server/sandbox/local/nft/compile-ruleset.ts';
import { requireProfile } from './differential-harness.ts';
import { makeSmallCluster, smallClusterInterfaces } from './small-cluster.ts';

function render(profileName: string): string {
  const profile = requireProfile(profileName);
  return compileRuleset({ cluster: makeSmallCluster(), profile, interfaces: { pods: smallClusterInterfaces, external: 'ext0' } }).text;
}

describe('rendered nft text (golden)', () => {
  for (const profile of ['reference', 'cilium', 'kube-router', 'flannel']) {
    it(`matches the golden file for the small cluster under ${profile}`, async () => {
      await expect(render(profile)).toMatchFileSnapshot(`./golden/small-cluster.${profile}.nft`);
    });
  }

  it('is deterministic: the same input renders the same bytes', () => {
    expect(render('reference')).toBe(render('reference'));
  });

  it('replaces the whole table in one script: declare, delete, define', () => {
    const lines = render('reference').split('\n').filter((l) => !l.startsWith('#'));
    expect(lines.slice(0, 3)).toEqual(['table inet rehearsal {}', 'delete table inet rehearsal', 'table inet rehearsal {']);
  });

  it('comments every policy rule with its policy and YAML path, and counts it', () => {
    const text = render('reference');
    expect(text).toContain(
      'ip saddr @peers_0_v4 tcp dport 8080 counter accept comment "shop/backend-ingress spec.ingress[0].from[0] ports[0]"',
    );
    expect(text).toContain('ip daddr . tcp dport { 10.244.0.11 . 8080 } counter return comment "shop/frontend-egress spec.egress[0].to[0] ports[0]"');
    expect(text).toContain('ip6 daddr . tcp dport { fd00:10:244::b . 8080 } counter return');
  });
});
