// The compiled router ruleset decides every flow exactly as the engine predicts, under every CNI profile:
// allowed ↔ accept, denied at egress ↔ reject-egress, otherwise reject-ingress, crediting the same rule.

import { describe, expect, it } from 'vitest';
import { listCniProfileNames } from '../../../../../../server/policy/cni-profiles.ts';
import { makeExternal, makeUpstreamModel } from '../../../../../helpers/builders.ts';
import { compareWithEngine } from './differential-harness.ts';
import { generateRandomCluster, randomProbePorts } from './random-cluster.ts';
import { getPolicySet, upstreamPolicySets } from './upstream-policy-sets.ts';

const profiles = listCniProfileNames();

describe('compiled ruleset vs engine on the upstream model', () => {
  for (const [name, policies] of Object.entries(upstreamPolicySets)) {
    it(`agrees for "${name}" under every profile`, () => {
      const protocols = name.includes('SCTP') ? (['TCP', 'UDP', 'SCTP'] as const) : (['TCP', 'UDP'] as const);
      const model = makeUpstreamModel(policies, protocols);
      const cluster = { ...model, externals: [makeExternal('world', '192.0.2.10'), makeExternal('corp', '10.1.2.3')] };
      for (const profile of profiles) {
        const result = compareWithEngine(cluster, profile, { ports: [79, 80, 81, 82, 90], protocols });
        expect(result.mismatches).toEqual([]);
        // 9 pods and 2 externals: 81 pod pairs + 36 pod/external pairs, 5 ports, per protocol.
        expect(result.flows).toBe(117 * 5 * protocols.length);
      }
    });
  }

  it('sees both outcomes: the policy sets exercise allow and deny', () => {
    const result = compareWithEngine(makeUpstreamModel(getPolicySet('allow ingress to x/a from namespace y only')), 'reference', {
      ports: [80],
      protocols: ['TCP'],
    });
    expect(result.accepted).toBeGreaterThan(0);
    expect(result.rejected).toBe(6);
  });
});

describe('compiled ruleset vs engine on seeded random clusters', () => {
  const seeds = Array.from({ length: 40 }, (_, i) => 1000 + i * 7919);
  for (const seed of seeds) {
    it(`agrees for seed ${seed} under every profile`, () => {
      const cluster = generateRandomCluster(seed);
      let decided = 0;
      for (const profile of profiles) {
        const result = compareWithEngine(cluster, profile, { ports: randomProbePorts, protocols: ['TCP', 'UDP', 'SCTP'] });
        expect(result.mismatches, `seed ${seed}, profile ${profile}`).toEqual([]);
        decided += result.flows;
      }
      expect(decided).toBeGreaterThan(0);
    });
  }
});
