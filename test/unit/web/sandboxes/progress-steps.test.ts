import { describe, expect, it } from 'vitest';
import { summarizeProgress } from '../../../../web/src/sandboxes/progress-steps.ts';

const at = (second: number): string => `2026-01-01T00:00:${String(second).padStart(2, '0')}.000Z`;

describe('summarizeProgress', () => {
  const entries = [
    { step: 'preflight', message: 'ip and nft found', fraction: 0.1, at: at(1) },
    { step: 'network', message: 'router namespace up', fraction: 0.3, at: at(2) },
    { step: 'pods', message: '3 of 9 pods', fraction: 0.5, at: at(3) },
    { step: 'pods', message: '9 of 9 pods', fraction: 0.8, at: at(4) },
  ];

  it('lists each step once, in first-seen order, with its latest message', () => {
    const summary = summarizeProgress(entries, 'provisioning');
    expect(summary.steps.map((s) => [s.step, s.message, s.state])).toEqual([
      ['preflight', 'ip and nft found', 'done'],
      ['network', 'router namespace up', 'done'],
      ['pods', '9 of 9 pods', 'current'],
    ]);
    expect(summary.fraction).toBe(0.8);
    expect(summary.headline).toBe('pods: 9 of 9 pods');
  });

  it('never moves the bar backwards when a late frame carries a smaller fraction', () => {
    const summary = summarizeProgress([...entries, { step: 'pods', message: 'late', fraction: 0.4, at: at(5) }], 'provisioning');
    expect(summary.fraction).toBe(0.8);
  });

  it('completes the bar and every step once the sandbox is ready', () => {
    const summary = summarizeProgress(entries, 'ready');
    expect(summary.fraction).toBe(1);
    expect(summary.steps.every((s) => s.state === 'done')).toBe(true);
    expect(summary.headline).toBe('ready');
  });

  it('marks the last step failed when provisioning failed', () => {
    const summary = summarizeProgress(entries, 'failed');
    expect(summary.steps.at(-1)?.state).toBe('failed');
  });

  it('leaves the bar indeterminate when the provider reports no fractions', () => {
    const summary = summarizeProgress([{ step: 'stack', message: 'pulumi up', at: at(1) }], 'provisioning');
    expect(summary.fraction).toBeUndefined();
    expect(summarizeProgress([], 'provisioning').headline).toBe('waiting for the first step');
  });

  it('clamps fractions outside 0..1', () => {
    expect(summarizeProgress([{ step: 'a', message: '', fraction: 7, at: at(1) }], 'provisioning').fraction).toBe(1);
  });
});
