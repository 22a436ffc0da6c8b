// The browser's mismatch rule for a repainted cell, the same as the server's judge.
import { describe, expect, it } from 'vitest';
import { computeCellMismatch } from '../../../../web/src/matrix/cell-mismatch.ts';

describe('computeCellMismatch', () => {
  it('is a policy mismatch when intent and prediction differ, whatever was observed', () => {
    expect(computeCellMismatch({ intent: 'allowed', prediction: 'denied' })).toBe('policy');
    expect(computeCellMismatch({ intent: 'allowed', prediction: 'denied', observation: 'denied' })).toBe('policy');
  });

  it('is drift when packets contradict the prediction', () => {
    expect(computeCellMismatch({ prediction: 'denied', observation: 'allowed' })).toBe('drift');
    expect(computeCellMismatch({ intent: 'allowed', prediction: 'denied', observation: 'allowed' })).toBe('both');
  });

  it('counts a refused connection as reached: drift only when a denial was predicted', () => {
    expect(computeCellMismatch({ prediction: 'denied', observation: 'refused' })).toBe('drift');
    expect(computeCellMismatch({ prediction: 'allowed', observation: 'refused' })).toBe('none');
  });

  it('lets errors, unsupported probes and missing observations prove nothing', () => {
    for (const observation of ['error', 'unsupported', undefined] as const) {
      expect(computeCellMismatch({ intent: 'denied', prediction: 'denied', observation })).toBe('none');
    }
  });
});
