// The pieces lint stands on: edit distance, selector-miss explanations, and rule/selector coverage.
import { describe, expect, it } from 'vitest';
import { computeEditDistance, findClosestMatch } from '../../../../server/policy/levenshtein.ts';
import { doesRuleCover, doesSelectorCover } from '../../../../server/policy/rule-cover.ts';
import { indexCluster } from '../../../../server/policy/select.ts';
import { explainSelectorMiss } from '../../../../server/policy/selector-miss.ts';
import type { Rule, Selector } from '../../../../server/policy/model.ts';
import { ipPeer, makePolicy, makeUpstreamModel, podPeer, port, rule, sel } from '../../../helpers/builders.ts';

describe('computeEditDistance / findClosestMatch', () => {
  it.each([
    ['checkout', 'chekout', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
    ['same', 'same', 0],
  ])('%s vs %s is %i', (a, b, distance) => {
    expect(computeEditDistance(a, b)).toBe(distance);
  });

  it('suggests near names only, never a one-letter swap of a one-letter name', () => {
    expect(findClosestMatch('chekout', ['web', 'checkout', 'db'])).toBe('checkout');
    expect(findClosestMatch('d', ['a', 'b'])).toBeUndefined();
    expect(findClosestMatch('frontend', ['db', 'cache'])).toBeUndefined();
  });
});

describe('explainSelectorMiss', () => {
  const pods = [
    { name: 'x/a', labels: { app: 'web', tier: 'front' } },
    { name: 'x/b', labels: { app: 'db', tier: 'back' } },
  ];

  it('fixes the value when the key exists, the key when it does not', () => {
    expect(explainSelectorMiss(sel({ app: 'wbe' }), pods, 'pod').suggestions).toEqual([{ written: 'app=wbe', suggested: 'app=web' }]);
    expect(explainSelectorMiss(sel({ ap: 'web' }), pods, 'pod').suggestions).toEqual([{ written: 'ap=web', suggested: 'app=web' }]);
    expect(explainSelectorMiss(sel({}, [{ key: 'teir', operator: 'Exists', values: [] }]), pods, 'pod').suggestions).toEqual([
      { written: 'teir (exists)', suggested: 'tier' },
    ]);
  });

  it('names the closest object when only the combination fails', () => {
    const miss = explainSelectorMiss(sel({ app: 'web', tier: 'back' }), pods, 'pod');
    expect(miss.suggestions).toEqual([]);
    expect(miss.detail).toBe('no single pod has app=web and tier=back; closest is x/a (app=web,tier=front)');
  });
});

describe('doesSelectorCover', () => {
  const cases: [string, Selector, Selector, boolean][] = [
    ['empty covers anything', sel(), sel({ a: '1' }), true],
    ['fewer labels cover more', sel({ a: '1' }), sel({ a: '1', b: '2' }), true],
    ['more labels do not cover fewer', sel({ a: '1', b: '2' }), sel({ a: '1' }), false],
    ['In covers a fixed value inside it', sel({}, [{ key: 'a', operator: 'In', values: ['1', '2'] }]), sel({ a: '2' }), true],
    ['In does not cover a value outside it', sel({}, [{ key: 'a', operator: 'In', values: ['1'] }]), sel({ a: '2' }), false],
    ['Exists covers any value', sel({}, [{ key: 'a', operator: 'Exists', values: [] }]), sel({ a: 'x' }), true],
    ['NotIn covers a disjoint fixed value', sel({}, [{ key: 'a', operator: 'NotIn', values: ['1'] }]), sel({ a: '2' }), true],
    ['NotIn does not cover an unconstrained key', sel({}, [{ key: 'a', operator: 'NotIn', values: ['1'] }]), sel({ b: '2' }), false],
    ['DoesNotExist covers DoesNotExist', sel({}, [{ key: 'a', operator: 'DoesNotExist', values: [] }]), sel({}, [{ key: 'a', operator: 'DoesNotExist', values: [] }]), true],
  ];
  it.each(cases)('%s', (_name, broad, narrow, expected) => {
    expect(doesSelectorCover(broad, narrow)).toBe(expected);
  });
});

describe('doesRuleCover', () => {
  const cluster = makeUpstreamModel();
  const index = indexCluster(cluster);
  const policy = makePolicy('x', 'p');
  const asRule = (r: Omit<Rule, 'index' | 'path'>): Rule => ({ ...r, index: 0, path: 'spec.ingress[0]' });

  it('an ipBlock covers a smaller one unless its except cuts into it', () => {
    const broad = asRule(rule([ipPeer('192.0.2.0/24', ['192.0.2.128/25'])]));
    expect(doesRuleCover(index, policy, broad, asRule(rule([ipPeer('192.0.2.0/26')])))).toBe(true);
    expect(doesRuleCover(index, policy, broad, asRule(rule([ipPeer('192.0.2.192/26')])))).toBe(false);
    expect(doesRuleCover(index, policy, broad, asRule(rule([ipPeer('192.0.2.0/24', ['192.0.2.128/25'])])))).toBe(true);
  });

  it('a namespaceSelector matching the policy namespace covers a same-namespace peer', () => {
    const broad = asRule(rule([podPeer(undefined, sel({ ns: 'x' }))], [port('TCP')]));
    expect(doesRuleCover(index, policy, broad, asRule(rule([podPeer(sel({ pod: 'b' }))], [port('TCP', 80)])))).toBe(true);
    expect(doesRuleCover(index, policy, broad, asRule(rule([podPeer(sel({ pod: 'b' }))], [port('UDP', 80)])))).toBe(false);
    const otherNamespace = asRule(rule([podPeer(undefined, sel({ ns: 'y' }))]));
    expect(doesRuleCover(index, policy, otherNamespace, asRule(rule([podPeer(sel({ pod: 'b' }))])))).toBe(false);
  });

  it('port ranges cover contained ranges; named ports only themselves; all-ports only all-ports', () => {
    const range = asRule(rule(undefined, [port('TCP', 80, 90)]));
    expect(doesRuleCover(index, policy, range, asRule(rule(undefined, [port('TCP', 85, 90)])))).toBe(true);
    expect(doesRuleCover(index, policy, range, asRule(rule(undefined, [port('TCP', 85, 91)])))).toBe(false);
    expect(doesRuleCover(index, policy, asRule(rule(undefined, [port('TCP', 'http')])), asRule(rule(undefined, [port('TCP', 'http')])))).toBe(true);
    expect(doesRuleCover(index, policy, range, asRule(rule()))).toBe(false);
  });
});
