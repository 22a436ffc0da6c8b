// Applying a scenario variant: replacements by namespace/name, additions, removals, and unknown variant names.

import { describe, expect, it } from 'vitest';
import { applyScenarioVariant, isScenarioVariantError, parseManifests, replacePolicies } from '../../../../server/policy/index.ts';
import type { Cluster, Scenario } from '../../../../server/policy/index.ts';

const policy = (name: string, spec = '{podSelector: {}}'): string =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: shop}\nspec: ${spec}\n`;

const text = `apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n${policy('deny')}---\n${policy('allow-web')}---\n${policy('allow-db')}---
apiVersion: rehearsal.dev/v1alpha1
kind: Scenario
metadata: {name: shop}
spec:
  title: Shop
  variants:
    - name: fixed
      policies:
        - apiVersion: networking.k8s.io/v1
          kind: NetworkPolicy
          metadata: {name: allow-web, namespace: shop}
          spec: {podSelector: {}, policyTypes: [Egress]}
        - apiVersion: networking.k8s.io/v1
          kind: NetworkPolicy
          metadata: {name: added, namespace: shop}
          spec: {podSelector: {}}
      removes: [shop/allow-db]
`;

function load(): { cluster: Cluster; scenario: Scenario } {
  const result = parseManifests([{ file: 'shop.yaml', text }], { includeClusterDns: false });
  expect(result.issues).toEqual([]);
  if (!result.scenario) throw new Error('scenario missing');
  return { cluster: result.cluster, scenario: result.scenario };
}

describe('applyScenarioVariant', () => {
  it('replaces same namespace/name policies, adds new ones, removes listed ones, and keeps the order sorted', () => {
    const { cluster, scenario } = load();
    const applied = applyScenarioVariant(cluster, scenario, 'fixed');
    if (isScenarioVariantError(applied)) throw new Error(applied.message);
    expect(applied.policies.map((p) => [p.name, p.policyTypes])).toEqual([
      ['added', ['Ingress']],
      ['allow-web', ['Egress']],
      ['deny', ['Ingress']],
    ]);
    expect(applied.pods).toBe(cluster.pods);
    expect(cluster.policies.map((p) => p.name)).toEqual(['allow-db', 'allow-web', 'deny']);
  });

  it('an unknown variant is an error object naming the variants there are', () => {
    const { cluster, scenario } = load();
    const applied = applyScenarioVariant(cluster, scenario, 'fixd');
    expect(isScenarioVariantError(applied)).toBe(true);
    expect(applied).toMatchObject({ code: 'unknown-variant', fix: 'use one of: fixed' });
  });

  it('replacePolicies replaces and adds without removing', () => {
    const { cluster, scenario } = load();
    const replaced = replacePolicies(cluster, scenario.variants[0]?.policies ?? []);
    expect(replaced.policies.map((p) => p.name)).toEqual(['added', 'allow-db', 'allow-web', 'deny']);
  });
});
