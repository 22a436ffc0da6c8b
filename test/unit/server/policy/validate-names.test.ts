// Name syntax as k8s.io/apimachinery validates it: DNS-1123 subdomain and label, DNS-1035 label, qualified names,
// label values and IANA service (port) names.

import { describe, expect, it } from 'vitest';
import { validateDns1035Label, validateDnsLabel, validateDnsSubdomain, validateLabelValue, validatePortName, validateQualifiedName } from '../../../../server/policy/index.ts';

type Check = (value: string) => string[];

const table: [string, Check, string[], string[]][] = [
  ['IsDNS1123Subdomain', validateDnsSubdomain, ['a', 'web-0', 'a.b.c', '0abc', 'a'.repeat(253)], ['', 'A', '-a', 'a-', 'a..b', 'a_b', '../x', 'a'.repeat(254), 'wéb']],
  ['IsDNS1123Label', validateDnsLabel, ['a', 'web-0', '0abc', 'a'.repeat(63)], ['', 'a.b', 'A', '-a', 'a'.repeat(64)]],
  ['IsDNS1035Label', validateDns1035Label, ['a', 'web-0', 'a'.repeat(63)], ['0abc', '', 'a.b', 'a-']],
  ['IsQualifiedName', validateQualifiedName, ['app', 'App_1.x', 'app.kubernetes.io/name', 'a/b', 'x'.repeat(63)], ['', '/a', 'a/', 'a/b/c', '-a', 'a b', 'Bad_Prefix/a', 'x'.repeat(64)]],
  ['IsValidLabelValue', validateLabelValue, ['', 'a', 'A-b_c.d', 'x'.repeat(63)], ['-a', 'a-', 'a b', 'x'.repeat(64), 'a/b']],
  ['IsValidPortName', validatePortName, ['http', 'serve-80-tcp', 'a1', 'x'.repeat(15)], ['', '80', 'HTTP', 'a--b', '-a', 'a-', 'a_b', 'x'.repeat(16)]],
];

describe.each(table)('%s', (_name, check, valid, invalid) => {
  it.each(valid)('accepts %j', (value) => {
    expect(check(value)).toEqual([]);
  });
  it.each(invalid)('rejects %j', (value) => {
    expect(check(value).length).toBeGreaterThan(0);
  });
});
