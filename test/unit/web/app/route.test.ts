import { describe, expect, it } from 'vitest';
import { formatRoute, parseRoute, type Route } from '../../../../web/src/app/route.ts';

describe('parseRoute and formatRoute', () => {
  it.each<[string, Route]>([
    ['', { view: 'home' }],
    ['#/', { view: 'home' }],
    ['#/new', { view: 'launch' }],
    ['#/drift', { view: 'drift' }],
    ['#/sandboxes/sb-1a2b3c4d', { view: 'sandbox', sandboxId: 'sb-1a2b3c4d', tab: 'matrix' }],
    ['#/sandboxes/sb-1a2b3c4d/policies', { view: 'sandbox', sandboxId: 'sb-1a2b3c4d', tab: 'policies' }],
  ])('%s is %o', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });

  it('round-trips every route', () => {
    const routes: Route[] = [{ view: 'launch' }, { view: 'drift' }, { view: 'sandbox', sandboxId: 'sb-00000001', tab: 'overview' }, { view: 'sandbox', sandboxId: 'sb-00000001', tab: 'matrix' }];
    for (const route of routes) expect(parseRoute(formatRoute(route))).toEqual(route);
  });

  it('falls back to home for an id that is not a sandbox id and to the matrix for an unknown tab', () => {
    expect(parseRoute('#/sandboxes/../etc')).toEqual({ view: 'home' });
    expect(parseRoute('#/sandboxes/sb-1a2b3c4d/nope')).toEqual({ view: 'sandbox', sandboxId: 'sb-1a2b3c4d', tab: 'matrix' });
  });
});
