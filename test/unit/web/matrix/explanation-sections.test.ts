// The engine's explanation text grouped into what a person scans for; the text itself is kept as written.
import { describe, expect, it } from 'vitest';
import { groupExplanation } from '../../../../web/src/matrix/explanation-sections.ts';

const denied = [
  'DENIED storefront/web-0 (10.244.0.5) → storefront/db-0 (10.244.0.9) 5432/TCP [profile reference]',
  'egress at storefront/web-0: isolated by storefront/default-deny, storefront/web-egress; allowed by storefront/web-egress spec.egress[0] (all peers, port ports[0])',
  'ingress at storefront/db-0: isolated by storefront/default-deny, storefront/db-ingress; no rule admits 5432/TCP from storefront/web-0',
  '  closest: storefront/db-ingress spec.ingress[0] matches port 5432/TCP but peer spec.ingress[0].from[0] podSelector app=api does not match pod storefront/web-0 (labels: app=web)',
  '  storefront/default-deny has no ingress rules: it only isolates (default deny)',
  'profile calico differs from the API reference here: something (https://example)',
];

describe('groupExplanation', () => {
  const sections = groupExplanation(denied);

  it('splits verdict, egress, ingress and notes', () => {
    expect(sections.map((s) => s.kind)).toEqual(['verdict', 'egress', 'ingress', 'notes']);
    expect(sections[0]?.isDenied).toBe(true);
  });

  it('lists the isolating policies of each direction', () => {
    expect(sections[1]?.isolatingPolicies).toEqual(['storefront/default-deny', 'storefront/web-egress']);
    expect(sections[2]?.isolatingPolicies).toEqual(['storefront/default-deny', 'storefront/db-ingress']);
  });

  it('marks the direction that denies and its near misses', () => {
    expect(sections[1]?.isDenied).toBe(false);
    expect(sections[2]?.isDenied).toBe(true);
    expect(sections[2]?.lines.map((l) => l.isNearMiss)).toEqual([false, true, false]);
    expect(sections[2]?.lines[1]?.text.startsWith('closest: storefront/db-ingress')).toBe(true);
  });

  it('reads an allowed, not isolated flow', () => {
    const allowed = groupExplanation(['ALLOWED x/a (1) → y/b (2) 80/TCP [profile reference]', 'egress at x/a: not isolated (no NetworkPolicy selecting it has Egress in policyTypes)', 'ingress at y/b: not isolated (…)']);
    expect(allowed[0]?.isDenied).toBe(false);
    expect(allowed[1]?.isolatingPolicies).toEqual([]);
  });
});
