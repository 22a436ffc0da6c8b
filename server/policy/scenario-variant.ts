// A scenario variant applied to its base cluster: the variant's policies replace same namespace/name policies of the
// base (or are added), and its `removes` delete base policies. Topology never changes between variants.

import { compareByNamespaceAndName } from './topology.ts';
import type { Cluster, Policy, Scenario } from './model.ts';

/** Why a variant could not be applied. Data, not an exception, like FlowError. */
export interface ScenarioVariantError {
  readonly code: 'unknown-variant';
  readonly message: string;
  readonly fix: string;
}

export function isScenarioVariantError(value: Cluster | ScenarioVariantError): value is ScenarioVariantError {
  return 'code' in value;
}

/** The cluster with `policies` replacing same namespace/name ones (others added), sorted as parseManifests sorts. */
export function replacePolicies(cluster: Cluster, policies: readonly Policy[]): Cluster {
  const byKey = new Map<string, Policy>();
  for (const policy of cluster.policies) byKey.set(`${policy.namespace}/${policy.name}`, policy);
  for (const policy of policies) byKey.set(`${policy.namespace}/${policy.name}`, policy);
  return { ...cluster, policies: [...byKey.values()].sort(compareByNamespaceAndName) };
}

export function applyScenarioVariant(cluster: Cluster, scenario: Scenario, variantName: string): Cluster | ScenarioVariantError {
  const variant = scenario.variants.find((v) => v.name === variantName);
  if (!variant) {
    const names = scenario.variants.map((v) => v.name);
    return {
      code: 'unknown-variant',
      message: `scenario ${scenario.name} has no variant ${JSON.stringify(variantName)}`,
      fix: names.length === 0 ? `scenario ${scenario.name} has no variants; run it without one` : `use one of: ${names.join(', ')}`,
    };
  }
  const removed = new Set(variant.removes.map((ref) => `${ref.namespace}/${ref.name}`));
  const kept = cluster.policies.filter((p) => !removed.has(`${p.namespace}/${p.name}`));
  return replacePolicies({ ...cluster, policies: kept }, variant.policies);
}
