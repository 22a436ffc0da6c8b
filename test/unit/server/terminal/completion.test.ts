// Tab completion of commands, pods, endpoints, policies and ports.
import { describe, expect, it } from 'vitest';
import { completeLine, findCommonPrefix } from '../../../../server/terminal/completion.ts';
import type { CompletionContext } from '../../../../server/terminal/completion.ts';

const context: CompletionContext = {
  pods: ['x/a', 'x/b', 'y/a'],
  services: ['svc/y/web'],
  externals: ['external/api'],
  policies: ['x/deny-all', 'y/allow-web'],
  portsOf: (key) => (key === 'y/a' ? ['80/TCP', 'http'] : []),
};

function complete(line: string): readonly string[] {
  return completeLine(Array.from(line), Array.from(line).length, context).candidates;
}

describe('completeLine', () => {
  it('completes command names first', () => {
    expect(complete('p')).toEqual(['pods', 'policies', 'probe']);
    expect(complete('ma')).toEqual(['matrix']);
  });

  it('completes sources and targets of probe and explain', () => {
    expect(complete('probe x/')).toEqual(['x/a', 'x/b']);
    expect(complete('probe x/a ')).toEqual(['external/api', 'svc/y/web', 'x/a', 'x/b', 'y/a']);
    expect(complete('explain x/a y/a ')).toEqual(['80/TCP', 'http']);
  });

  it('completes policy names after delete policy and pods after label pod', () => {
    expect(complete('delete policy ')).toEqual(['x/deny-all', 'y/allow-web']);
    expect(complete('label pod y')).toEqual(['y/a']);
  });

  it('completes run kinds and ttl extend', () => {
    expect(complete('run ')).toEqual(['expectations', 'generated', 'matrix']);
    expect(complete('ttl e')).toEqual(['extend']);
  });

  it('says where the completed word starts', () => {
    expect(completeLine(Array.from('probe x/'), 8, context).from).toBe(6);
  });
});

describe('findCommonPrefix', () => {
  it('is the longest shared start', () => {
    expect(findCommonPrefix(['x/deny-all', 'x/deny-web'])).toBe('x/deny-');
    expect(findCommonPrefix([])).toBe('');
  });
});
