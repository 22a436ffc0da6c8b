// Every cell state reads without colour: a symbol and words for each view.
import { describe, expect, it } from 'vitest';
import { countDisplays, describeCell, labelCell, listLegend, matrixModeList } from '../../../../web/src/matrix/cell-display.ts';
import type { MatrixCell } from '../../../../web/src/matrix/matrix-layout.ts';

const cell: MatrixCell = { from: 'storefront/web-0', to: 'storefront/db-0', port: 5432, portName: 'postgres', protocol: 'TCP', intent: 'denied', prediction: 'allowed', mismatch: 'policy', isLoopback: false };

describe('describeCell', () => {
  it('shows each view of the same flow', () => {
    expect(describeCell(cell, 'intent')).toMatchObject({ symbol: '✗', words: 'denied' });
    expect(describeCell(cell, 'prediction')).toMatchObject({ symbol: '✓', words: 'allowed' });
    expect(describeCell(cell, 'observation')).toMatchObject({ symbol: '?', words: 'not observed yet' });
    expect(describeCell(cell, 'mismatch')).toMatchObject({ symbol: '!', tone: 'policy-mismatch' });
  });

  it('tells a refused connection (reached, nothing listening) from a denied one', () => {
    expect(describeCell({ ...cell, observation: 'refused' }, 'observation').symbol).toBe('⊘');
    expect(describeCell({ ...cell, observation: 'denied' }, 'observation').symbol).toBe('✗');
  });

  it('says when no expectation was written', () => {
    expect(describeCell({ ...cell, intent: undefined }, 'intent').words).toBe('no expectation written');
  });

  it('gives every state of every view a distinct symbol within its legend', () => {
    for (const mode of matrixModeList) {
      const symbols = listLegend(mode).map((d) => d.symbol);
      expect(new Set(symbols).size).toBe(symbols.length);
    }
  });
});

describe('labelCell', () => {
  it('names the flow, the view, the state and any mismatch', () => {
    expect(labelCell(cell, 'prediction')).toBe(
      'storefront/web-0 to storefront/db-0 on 5432/TCP (postgres): prediction allowed; mismatch: intent ≠ prediction: the policy does not do what was intended',
    );
    expect(labelCell({ ...cell, from: 'a/b', to: 'a/b', isLoopback: true, mismatch: 'none' }, 'prediction')).toBe('a/b to a/b on 5432/TCP (postgres) (a pod to itself): prediction allowed');
  });
});

describe('countDisplays', () => {
  it('counts the cells per state of the chosen view', () => {
    const counts = countDisplays([cell, { ...cell, prediction: 'denied' }, { ...cell, prediction: 'denied' }], 'prediction');
    expect(counts.get('denied')?.count).toBe(2);
    expect(counts.get('allowed')?.count).toBe(1);
  });
});
