// A stable fingerprint of a policy set, stored with every run so a result names exactly the policies it tested.
import { createHash } from 'node:crypto';
import type { Cluster } from '../policy/index.ts';

/** JSON with object keys sorted, so the same policies always hash the same whatever order fields were built in. */
function stringifySorted(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stringifySorted).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stringifySorted(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * `sha256:<hex>` over the policies' meaning (selectors, types, rules), not where they were read from: moving a
 * policy to another file or line keeps the digest.
 */
export function computePolicyDigest(cluster: Cluster): string {
  const policies = cluster.policies.map(({ source: _source, ...policy }) => policy);
  return `sha256:${createHash('sha256').update(stringifySorted(policies)).digest('hex')}`;
}
