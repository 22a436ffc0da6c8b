import { describe, expect, it } from 'vitest';
import { formatIssue, placeIssues } from '../../../../web/src/playground/issue-placement.ts';
import { describeChangeCounts } from '../../../../web/src/playground/change-counts.ts';

function makeIssue(overrides: Partial<Parameters<typeof formatIssue>[0] & { code: string; severity: 'error' | 'warning' | 'info'; file: string; line: number }> = {}) {
  return { code: 'selects-nothing', severity: 'warning' as const, file: 'policies.yaml', line: 7, path: 'spec.podSelector', message: 'selects no pod', fix: 'check the labels', ...overrides };
}

const options = { lineCount: 20, isEditorFile: (file: string) => file === 'policies.yaml' };

describe('placeIssues', () => {
  it('pins an issue to its line with message, path and fix', () => {
    const { inline, elsewhere } = placeIssues([makeIssue({ object: 'NetworkPolicy x/allow-web' })], options);
    expect(elsewhere).toEqual([]);
    expect(inline).toEqual([{ line: 7, severity: 'warning', code: 'selects-nothing', message: 'selects no pod (NetworkPolicy x/allow-web spec.podSelector)\nfix: check the labels' }]);
  });

  it('puts issues of unknown line on line 1 and clamps lines past the end', () => {
    const { inline } = placeIssues([makeIssue({ line: 0 }), makeIssue({ line: 99, code: 'other' })], options);
    expect(inline.map((i) => i.line)).toEqual([1, 20]);
  });

  it('lists issues about other files apart instead of pinning them to a wrong line', () => {
    const other = makeIssue({ file: 'scenarios/three-tier.yaml' });
    expect(placeIssues([other], options)).toEqual({ inline: [], elsewhere: [other] });
  });

  it('shows the same finding once per line', () => {
    expect(placeIssues([makeIssue(), makeIssue()], options).inline).toHaveLength(1);
  });
});

describe('describeChangeCounts', () => {
  it('says what the change does to flows', () => {
    expect(describeChangeCounts({ newlyAllowed: 0, newlyDenied: 3 })).toBe('newly denies 3 flows');
    expect(describeChangeCounts({ newlyAllowed: 1, newlyDenied: 2 })).toBe('newly denies 2 flows and newly allows 1 flow');
    expect(describeChangeCounts({ newlyAllowed: 0, newlyDenied: 0 })).toBe('changes no flow');
  });
});
