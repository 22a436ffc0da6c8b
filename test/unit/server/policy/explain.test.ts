// Explanations: the only engine text. Checked line by line so the UI, the terminal and CI print what users expect.
import { describe, expect, it } from 'vitest';
import { evaluateFlow } from '../../../../server/policy/evaluate.ts';
import { explainVerdict, formatMismatch, formatRuleMatch, summarizeVerdict } from '../../../../server/policy/explain.ts';
import type { Cluster, Flow, Policy, Verdict } from '../../../../server/policy/model.ts';
import { ipPeer, makeExternal, makePolicy, makeUpstreamModel, podPeer, port, rule, sel } from '../../../helpers/builders.ts';

function verdict(policies: readonly Policy[], flow: Partial<Flow> = {}, profile = 'reference'): Verdict {
  const base = makeUpstreamModel(policies);
  const cluster: Cluster = { ...base, externals: [makeExternal('api', '192.0.2.10', [{ port: 443, protocol: 'TCP' }])] };
  const result = evaluateFlow(
    cluster,
    { from: { kind: 'pod', namespace: 'x', name: 'a' }, to: { kind: 'pod', namespace: 'y', name: 'b' }, port: 80, protocol: 'TCP', ...flow },
    { profile },
  );
  if (!result.ok) throw new Error(result.error.message);
  return result.verdict;
}

const denyAll = makePolicy('y', 'deny-all');
const allowWeb = makePolicy('y', 'allow-web', { ingress: [rule([podPeer(undefined, sel({ team: 'web' }))], [port('TCP', 80)])] });

describe('explainVerdict', () => {
  it('explains a denial: isolating policies, no admitting rule, the closest near miss, and deny-all policies', () => {
    expect(explainVerdict(verdict([denyAll, allowWeb]))).toEqual([
      'DENIED x/a (10.244.0.10) → y/b (10.244.0.14) 80/TCP [profile reference]',
      'egress at x/a: not isolated (no NetworkPolicy selecting it has Egress in policyTypes)',
      'ingress at y/b: isolated by y/deny-all, y/allow-web; no rule admits 80/TCP from x/a',
      '  closest: y/allow-web spec.ingress[0] matches port 80/TCP but peer spec.ingress[0].from[0] namespaceSelector team=web does not match namespace x (labels: kubernetes.io/metadata.name=x,ns=x)',
      '  y/deny-all has no ingress rules: it only isolates (default deny)',
    ]);
  });

  it('explains an admission: the rule with its peer and port', () => {
    const allowX = makePolicy('y', 'allow-x', { ingress: [rule([podPeer(undefined, sel({ ns: 'x' }))], [port('TCP', 'serve-80-tcp')])] });
    expect(explainVerdict(verdict([denyAll, allowX]))).toEqual([
      'ALLOWED x/a (10.244.0.10) → y/b (10.244.0.14) 80/TCP [profile reference]',
      'egress at x/a: not isolated (no NetworkPolicy selecting it has Egress in policyTypes)',
      'ingress at y/b: isolated by y/deny-all, y/allow-x; allowed by y/allow-x spec.ingress[0] (peer from[0], port ports[0])',
    ]);
  });

  it('explains egress to an external endpoint and a near miss on the except of an ipBlock', () => {
    const egress = makePolicy('x', 'egress', { egress: [rule([ipPeer('192.0.2.0/24', ['192.0.2.0/28'])], [port('TCP', 443)])], policyTypes: ['Egress'] });
    const lines = explainVerdict(verdict([egress], { to: { kind: 'external', name: 'api' }, port: 443 }));
    expect(lines).toEqual([
      'DENIED x/a (10.244.0.10) → external/api (192.0.2.10) 443/TCP [profile reference]',
      'egress at x/a: isolated by x/egress; no rule admits 443/TCP to external/api',
      '  closest: x/egress spec.egress[0] matches port 443/TCP but peer spec.egress[0].to[0] ipBlock 192.0.2.0/24 contains 192.0.2.10 but except 192.0.2.0/28 removes it',
      'ingress at external/api: not applicable (outside the cluster, no NetworkPolicy applies)',
    ]);
  });

  it('adds the profile note with its source when the CNI changes the verdict', () => {
    const cidr = makePolicy('y', 'cidr', { ingress: [rule([ipPeer('10.244.0.0/16')])] });
    const lines = explainVerdict(verdict([cidr], {}, 'cilium'));
    expect(lines[0]).toBe('DENIED x/a (10.244.0.10) → y/b (10.244.0.14) 80/TCP [profile cilium]');
    expect(lines[3]).toMatch(/^ {2}closest: y\/cidr spec\.ingress\[0\] matches port 80\/TCP but spec\.ingress\[0\]\.from\[0\] does not apply under profile cilium: /);
    expect(lines[4]).toMatch(/^profile cilium differs from the API reference here: .*\(\[CIL2\] https:\/\/docs\.cilium\.io/);
  });

  it('says when the profile enforces nothing', () => {
    const lines = explainVerdict(verdict([denyAll], {}, 'flannel'));
    expect(lines[2]).toBe('ingress at y/b: not enforced (profile flannel enforces no NetworkPolicy; under the API it is isolated by y/deny-all)');
  });

  it('flags a pod connecting to itself as implementation-defined', () => {
    const lines = explainVerdict(verdict([], { to: { kind: 'pod', namespace: 'x', name: 'a' } }));
    expect(lines.at(-1)).toBe('note: a pod connecting to itself is implementation-defined; CNIs differ (kubernetes#95879)');
  });
});

describe('summarizeVerdict', () => {
  it('one line for a denial', () => {
    expect(summarizeVerdict(verdict([denyAll]))).toBe('denied at ingress of y/b: isolated by y/deny-all; no rule admits 80/TCP from x/a');
  });

  it('one line for a denial on both sides', () => {
    const egressDeny = makePolicy('x', 'deny-egress', { policyTypes: ['Egress'] });
    expect(summarizeVerdict(verdict([denyAll, egressDeny]))).toBe(
      'denied at egress of x/a: isolated by x/deny-egress; no rule admits 80/TCP to y/b; and denied at ingress of y/b: isolated by y/deny-all; no rule admits 80/TCP from x/a',
    );
  });

  it('one line for an admission', () => {
    const allowAll = makePolicy('y', 'allow-all', { ingress: [rule()] });
    expect(summarizeVerdict(verdict([allowAll]))).toBe('allowed x/a → y/b 80/TCP: egress not isolated; ingress allowed by y/allow-all spec.ingress[0]');
  });
});

describe('formatRuleMatch and formatMismatch', () => {
  it('formats open rules and indexed rules', () => {
    const base = { policy: { namespace: 'y', name: 'p' }, ruleIndex: 0, path: 'spec.egress[0]' } as const;
    expect(formatRuleMatch({ ...base, direction: 'Egress', peerIndex: null, portIndex: null })).toBe('y/p spec.egress[0] (all peers, all ports)');
    expect(formatRuleMatch({ ...base, direction: 'Egress', peerIndex: 2, portIndex: 1 })).toBe('y/p spec.egress[0] (peer to[2], port ports[1])');
  });

  it('formats every mismatch kind', () => {
    const path = 'spec.ingress[0].from[0]';
    expect(
      [
        formatMismatch({ kind: 'port', wanted: '80/TCP', ruleHas: '81/TCP', path: 'spec.ingress[0].ports[0]' }),
        formatMismatch({ kind: 'named-port-missing', portName: 'http', pod: 'y/b', path: 'spec.ingress[0].ports[0]' }),
        formatMismatch({ kind: 'named-port-missing', portName: 'http', pod: 'external/api', path: 'spec.egress[0].ports[0]' }),
        formatMismatch({ kind: 'protocol', wanted: 'UDP', ruleHas: 'TCP', path: 'spec.ingress[0].ports[0]' }),
        formatMismatch({ kind: 'pod-selector', selector: sel({ app: 'web' }), pod: 'x/a', podLabels: { pod: 'a', app: 'api' }, path }),
        formatMismatch({ kind: 'other-namespace', policyNamespace: 'y', peerNamespace: 'x', path }),
        formatMismatch({ kind: 'ip-not-in-cidr', ip: '10.244.0.10', cidr: '192.0.2.0/24', path }),
        formatMismatch({ kind: 'peer-is-external', endpoint: 'external/api', path }),
      ],
    ).toEqual([
      'port spec.ingress[0].ports[0] allows 81/TCP, not 80/TCP',
      'port spec.ingress[0].ports[0] names "http", which y/b does not declare',
      'port spec.egress[0].ports[0] names "http", which never matches external/api (named ports exist only on pods)',
      'port spec.ingress[0].ports[0] is for TCP, not UDP',
      'peer spec.ingress[0].from[0] podSelector app=web does not match pod x/a (labels: app=api,pod=a)',
      'peer spec.ingress[0].from[0] has no namespaceSelector, so it selects pods of namespace y only, not of x',
      'peer spec.ingress[0].from[0] ipBlock 192.0.2.0/24 does not contain 10.244.0.10',
      'peer spec.ingress[0].from[0] selects pods, and external/api is outside the cluster (only an ipBlock can match it)',
    ]);
  });
});
