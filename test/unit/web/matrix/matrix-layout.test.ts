import { describe, expect, it } from 'vitest';
import { groupEndpoints, layoutMatrix, moveFocus, splitEndpointKey, type MatrixCell } from '../../../../web/src/matrix/matrix-layout.ts';

function makeCell(from: string, to: string, overrides: Partial<MatrixCell> = {}): MatrixCell {
  return { from, to, port: 8080, protocol: 'TCP', prediction: 'allowed', mismatch: 'none', isLoopback: from === to, ...overrides };
}

describe('splitEndpointKey', () => {
  it('splits pods, external endpoints and services into group and label', () => {
    expect(splitEndpointKey('storefront/web-0')).toEqual({ group: 'storefront', label: 'web-0' });
    expect(splitEndpointKey('external/payments-api')).toEqual({ group: 'external', label: 'payments-api' });
    expect(splitEndpointKey('svc/storefront/api')).toEqual({ group: 'storefront', label: 'svc api' });
  });
});

describe('groupEndpoints', () => {
  it('groups by namespace alphabetically, external last, endpoints in natural order', () => {
    const groups = groupEndpoints(['storefront/web-10', 'external/bank', 'storefront/web-2', 'ingress-nginx/ctl-0', 'storefront/api-0']);
    expect(groups).toEqual([
      { name: 'ingress-nginx', keys: ['ingress-nginx/ctl-0'] },
      { name: 'storefront', keys: ['storefront/api-0', 'storefront/web-2', 'storefront/web-10'] },
      { name: 'external', keys: ['external/bank'] },
    ]);
  });
});

describe('layoutMatrix', () => {
  it('finds each cell by row and column and keeps the first cell of a pair', () => {
    const first = makeCell('x/a', 'y/b', { prediction: 'denied' });
    const layout = layoutMatrix({
      rows: ['y/b', 'x/a'],
      columns: ['y/b', 'x/a'],
      cells: [first, makeCell('x/a', 'y/b', { port: 9090 }), makeCell('y/b', 'x/a'), makeCell('x/a', 'x/a')],
    });
    expect(layout.rows).toEqual(['x/a', 'y/b']);
    expect(layout.findCell('x/a', 'y/b')).toBe(first);
    expect(layout.findCell('y/b', 'y/b')).toBeUndefined();
    expect(layout.cellCount).toBe(3);
  });
});

describe('moveFocus', () => {
  const size = { rows: 20, columns: 5 };
  it('moves by one with the arrows and stops at the edges', () => {
    expect(moveFocus({ row: 0, column: 0 }, 'ArrowDown', size)).toEqual({ row: 1, column: 0 });
    expect(moveFocus({ row: 0, column: 0 }, 'ArrowUp', size)).toEqual({ row: 0, column: 0 });
    expect(moveFocus({ row: 3, column: 4 }, 'ArrowRight', size)).toEqual({ row: 3, column: 4 });
    expect(moveFocus({ row: 3, column: 4 }, 'ArrowLeft', size)).toEqual({ row: 3, column: 3 });
  });

  it('jumps to the row ends and by ten rows', () => {
    expect(moveFocus({ row: 3, column: 2 }, 'Home', size)).toEqual({ row: 3, column: 0 });
    expect(moveFocus({ row: 3, column: 2 }, 'End', size)).toEqual({ row: 3, column: 4 });
    expect(moveFocus({ row: 3, column: 2 }, 'PageDown', size)).toEqual({ row: 13, column: 2 });
    expect(moveFocus({ row: 15, column: 2 }, 'PageDown', size)).toEqual({ row: 19, column: 2 });
  });

  it('ignores other keys', () => {
    expect(moveFocus({ row: 0, column: 0 }, 'a', size)).toBeUndefined();
  });
});
