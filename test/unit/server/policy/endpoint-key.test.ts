// The text form of endpoints: `ns/pod`, `external/name`, `svc/ns/name`, round trips and hostile text.

import { describe, expect, it } from 'vitest';
import { formatEndpointKey, parseEndpointKey } from '../../../../server/policy/index.ts';
import type { TargetRef } from '../../../../server/policy/index.ts';

describe('endpoint keys', () => {
  const refs: [TargetRef, string][] = [
    [{ kind: 'pod', namespace: 'shop', name: 'web-0' }, 'shop/web-0'],
    [{ kind: 'pod', namespace: 'x', name: 'a.b' }, 'x/a.b'],
    [{ kind: 'external', name: 'payments-api' }, 'external/payments-api'],
    [{ kind: 'service', namespace: 'shop', name: 'db' }, 'svc/shop/db'],
  ];
  it.each(refs)('formats and parses %j as %s', (ref, key) => {
    expect(formatEndpointKey(ref)).toBe(key);
    expect(parseEndpointKey(key)).toEqual(ref);
  });

  it.each([[''], ['web'], ['/web'], ['shop/'], ['a/b/c'], ['svc/shop/1db'], ['../etc/passwd'], ['shop/$(rm -rf /)'], ['Shop/web'], ['external/Bad'], [`shop/${'a'.repeat(700)}`], ['shop/web/']])(
    'rejects %j',
    (text) => {
      expect(parseEndpointKey(text)).toBeUndefined();
    },
  );
});
