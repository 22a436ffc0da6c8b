// lintPolicies, one check at a time: each case builds the smallest cluster that has the mistake, and most have a
// twin without it, so a check that stops firing (or fires on correct input) fails here.
import { describe, expect, it } from 'vitest';
import { lintChecks, lintPolicies } from '../../../../server/policy/lint.ts';
import type { Cluster, Issue } from '../../../../server/policy/model.ts';
import {
  ipPeer,
  makeCluster,
  makeNamespace,
  makePod,
  makePolicy,
  makeService,
  makeUpstreamModel,
  podPeer,
  port,
  rule,
  sel,
} from '../../../helpers/builders.ts';

function findingsOf(cluster: Cluster, code: string): Issue[] {
  return lintPolicies(cluster).filter((issue) => issue.code === code);
}

const dnsPod = makePod('kube-system', 'coredns', {
  labels: { 'k8s-app': 'kube-dns' },
  ports: [
    [53, 'UDP', 'dns'],
    [53, 'TCP', 'dns-tcp'],
  ],
  ip: '10.244.9.9',
  isSystem: true,
});
const dnsService = makeService('kube-system', 'kube-dns', {
  selector: { 'k8s-app': 'kube-dns' },
  clusterIP: '10.96.0.10',
  ports: [
    { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
    { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP' },
  ],
});

function shopCluster(policies: Parameters<typeof makeCluster>[0]['policies']): Cluster {
  return makeCluster({
    namespaces: [makeNamespace('shop', { team: 'payments' }), makeNamespace('web', { team: 'frontend' }), makeNamespace('kube-system')],
    pods: [
      makePod('shop', 'checkout', { labels: { app: 'checkout' }, ports: [[8080, 'TCP', 'http']] }),
      makePod('shop', 'db', { labels: { app: 'db' }, ports: [[5432, 'TCP', 'postgres']] }),
      makePod('web', 'frontend', { labels: { app: 'frontend' }, ports: [[80, 'TCP', 'http']] }),
      dnsPod,
    ],
    services: [dnsService],
    policies,
  });
}

const dnsEgress = rule(
  [podPeer(sel({ 'k8s-app': 'kube-dns' }), sel({ 'kubernetes.io/metadata.name': 'kube-system' }))],
  [port('UDP', 53), port('TCP', 53)],
);

describe('lintPolicies', () => {
  it('has at least 14 checks, each with a severity and summary', () => {
    expect(Object.keys(lintChecks).length).toBeGreaterThanOrEqual(14);
  });

  describe('selector-matches-nothing: a peer podSelector that matches no pod', () => {
    it('names the closest existing label on a typo', () => {
      const policy = makePolicy('shop', 'db-from-checkout', {
        podSelector: sel({ app: 'db' }),
        ingress: [rule([podPeer(sel({ app: 'chekout' }))])],
      });
      const [finding, ...rest] = findingsOf(shopCluster([policy]), 'selector-matches-nothing');
      expect(rest).toEqual([]);
      expect(finding?.path).toBe('spec.ingress[0].from[0].podSelector');
      expect(finding?.message).toContain('did you mean app=checkout?');
      expect(finding?.fix).toContain('app=chekout to app=checkout');
      expect(finding?.severity).toBe('warning');
    });

    it('says when the pods exist in another namespace the peer does not reach', () => {
      const policy = makePolicy('shop', 'checkout-from-frontend', {
        podSelector: sel({ app: 'checkout' }),
        ingress: [rule([podPeer(sel({ app: 'frontend' }))])],
      });
      const [finding] = findingsOf(shopCluster([policy]), 'selector-matches-nothing');
      expect(finding?.message).toContain('run in web');
      expect(finding?.fix).toContain('namespaceSelector');
    });

    it('stays quiet when the peer matches', () => {
      const policy = makePolicy('shop', 'db-from-checkout', {
        podSelector: sel({ app: 'db' }),
        ingress: [rule([podPeer(sel({ app: 'checkout' }))])],
      });
      expect(findingsOf(shopCluster([policy]), 'selector-matches-nothing')).toEqual([]);
    });
  });

  describe('namespace-selector-matches-nothing', () => {
    it('names the closest namespace label', () => {
      const policy = makePolicy('shop', 'from-frontend-team', {
        podSelector: sel({ app: 'checkout' }),
        ingress: [rule([podPeer(undefined, sel({ team: 'frontedn' }))])],
      });
      const [finding] = findingsOf(shopCluster([policy]), 'namespace-selector-matches-nothing');
      expect(finding?.path).toBe('spec.ingress[0].from[0].namespaceSelector');
      expect(finding?.message).toContain('did you mean team=frontend?');
    });

    it('stays quiet when a namespace matches', () => {
      const policy = makePolicy('shop', 'from-frontend-team', {
        podSelector: sel({ app: 'checkout' }),
        ingress: [rule([podPeer(undefined, sel({ team: 'frontend' }))])],
      });
      expect(findingsOf(shopCluster([policy]), 'namespace-selector-matches-nothing')).toEqual([]);
    });
  });

  describe('policy-selects-nothing', () => {
    it('flags a policy whose podSelector selects no pod, with a suggestion', () => {
      const policy = makePolicy('shop', 'protect-db', { podSelector: sel({ app: 'dbb' }), ingress: [] });
      const [finding] = findingsOf(shopCluster([policy]), 'policy-selects-nothing');
      expect(finding?.path).toBe('spec.podSelector');
      expect(finding?.message).toContain('did you mean app=db?');
    });

    it('explains a combination no single pod has', () => {
      const policy = makePolicy('x', 'ab', { podSelector: sel({ pod: 'a' }, [{ key: 'pod', operator: 'In', values: ['b'] }]) });
      const [finding] = findingsOf(makeUpstreamModel([policy]), 'policy-selects-nothing');
      expect(finding?.message).toContain('no single pod');
    });

    it('stays quiet for a policy that selects pods', () => {
      const policy = makePolicy('shop', 'protect-db', { podSelector: sel({ app: 'db' }) });
      expect(findingsOf(shopCluster([policy]), 'policy-selects-nothing')).toEqual([]);
    });
  });

  describe('egress-blocks-dns: egress-isolated pods must reach kube-dns on UDP and TCP 53', () => {
    it('flags a default egress deny, naming both protocols', () => {
      const policy = makePolicy('shop', 'deny-egress', { podSelector: sel(), policyTypes: ['Egress'] });
      const [finding, ...rest] = findingsOf(shopCluster([policy]), 'egress-blocks-dns');
      expect(rest).toEqual([]);
      expect(finding?.message).toContain('shop/checkout, shop/db');
      expect(finding?.message).toContain('neither UDP 53 nor TCP 53');
      expect(finding?.message).toContain('kube-system/kube-dns');
    });

    it('says which protocol is missing when only UDP is allowed', () => {
      const policy = makePolicy('shop', 'egress-dns-udp', {
        podSelector: sel(),
        egress: [rule([podPeer(sel({ 'k8s-app': 'kube-dns' }), sel({ 'kubernetes.io/metadata.name': 'kube-system' }))], [port('UDP', 53)])],
      });
      const [finding] = findingsOf(shopCluster([policy]), 'egress-blocks-dns');
      expect(finding?.message).toContain('TCP 53 is not allowed (UDP 53 is)');
    });

    it('resolves named ports on the DNS pods through the evaluator', () => {
      const policy = makePolicy('shop', 'egress-dns-named', {
        podSelector: sel(),
        egress: [rule([podPeer(sel({ 'k8s-app': 'kube-dns' }), sel())], [port('UDP', 'dns'), port('TCP', 'dns-tcp')])],
      });
      expect(findingsOf(shopCluster([policy]), 'egress-blocks-dns')).toEqual([]);
    });

    it('stays quiet when DNS is allowed on both protocols', () => {
      const policy = makePolicy('shop', 'egress-dns', { podSelector: sel(), egress: [dnsEgress] });
      expect(findingsOf(shopCluster([policy]), 'egress-blocks-dns')).toEqual([]);
    });

    it('checks against a stand-in kube-dns when the input has no DNS pods', () => {
      const policy = makePolicy('x', 'deny-egress', { podSelector: sel({ pod: 'a' }), policyTypes: ['Egress'] });
      const [finding] = findingsOf(makeUpstreamModel([policy]), 'egress-blocks-dns');
      expect(finding?.message).toContain('x/a is egress-isolated');
    });
  });

  describe('allow-all-hidden: a rule with no peers and no ports', () => {
    it('flags it beside narrower rules it makes pointless', () => {
      const policy = makePolicy('x', 'web', {
        podSelector: sel({ pod: 'a' }),
        ingress: [rule([podPeer(sel({ pod: 'b' }))], [port('TCP', 80)]), rule()],
      });
      const [finding] = findingsOf(makeUpstreamModel([policy]), 'allow-all-hidden');
      expect(finding?.path).toBe('spec.ingress[1]');
      expect(finding?.message).toContain('spec.ingress[0] adds nothing');
    });

    it('flags it in a policy named like a deny', () => {
      const policy = makePolicy('x', 'default-deny-ingress', { podSelector: sel(), ingress: [rule()] });
      expect(findingsOf(makeUpstreamModel([policy]), 'allow-all-hidden')).toHaveLength(1);
    });

    it('accepts an explicit allow-all policy', () => {
      const policy = makePolicy('x', 'allow-all-ingress', { podSelector: sel(), ingress: [rule()] });
      expect(findingsOf(makeUpstreamModel([policy]), 'allow-all-hidden')).toEqual([]);
    });
  });

  describe('cross-namespace-exposure: namespaceSelector: {} admits every namespace', () => {
    it('flags the empty namespaceSelector', () => {
      const policy = makePolicy('x', 'from-any-b', { podSelector: sel({ pod: 'a' }), ingress: [rule([podPeer(sel({ pod: 'b' }), sel())])] });
      const [finding] = findingsOf(makeUpstreamModel([policy]), 'cross-namespace-exposure');
      expect(finding?.path).toBe('spec.ingress[0].from[0].namespaceSelector');
      expect(finding?.message).toContain('pods pod=b in every namespace');
    });

    it('stays quiet for a namespaceSelector with labels', () => {
      const policy = makePolicy('x', 'from-y-b', { podSelector: sel({ pod: 'a' }), ingress: [rule([podPeer(sel({ pod: 'b' }), sel({ ns: 'y' }))])] });
      expect(findingsOf(makeUpstreamModel([policy]), 'cross-namespace-exposure')).toEqual([]);
    });
  });

  describe('named-port-undefined / named-port-inconsistent', () => {
    it('flags a name no selected pod defines, listing the names they do define', () => {
      const policy = makePolicy('x', 'named', { podSelector: sel({ pod: 'a' }), ingress: [rule(undefined, [port('TCP', 'serve-82-tcp')])] });
      const [finding] = findingsOf(makeUpstreamModel([policy]), 'named-port-undefined');
      expect(finding?.path).toBe('spec.ingress[0].ports[0].port');
      expect(finding?.message).toContain('serve-80-tcp');
    });

    it('says when the name exists for another protocol', () => {
      const policy = makePolicy('x', 'named-udp', { podSelector: sel({ pod: 'a' }), ingress: [rule(undefined, [port('UDP', 'serve-80-tcp')])] });
      const [finding] = findingsOf(makeUpstreamModel([policy]), 'named-port-undefined');
      expect(finding?.message).toContain('defined for TCP, not UDP');
      expect(finding?.fix).toContain('protocol: TCP');
    });

    it('checks egress names against the peer pods', () => {
      const ok = makePolicy('x', 'egress-named', { podSelector: sel({ pod: 'a' }), egress: [rule([podPeer(sel({ pod: 'b' }))], [port('TCP', 'serve-81-tcp')])] });
      const bad = makePolicy('x', 'egress-named-bad', { podSelector: sel({ pod: 'a' }), egress: [rule([podPeer(sel({ pod: 'b' }))], [port('TCP', 'http')])] });
      expect(findingsOf(makeUpstreamModel([ok]), 'named-port-undefined')).toEqual([]);
      expect(findingsOf(makeUpstreamModel([bad]), 'named-port-undefined')).toHaveLength(1);
    });

    it('notes a name that maps to different numbers on different pods (Cilium)', () => {
      const cluster = makeCluster({
        pods: [
          makePod('x', 'a', { labels: { app: 'web' }, ports: [[8080, 'TCP', 'http']] }),
          makePod('x', 'b', { labels: { app: 'web' }, ports: [[9090, 'TCP', 'http']] }),
        ],
        policies: [makePolicy('x', 'web-http', { podSelector: sel({ app: 'web' }), ingress: [rule(undefined, [port('TCP', 'http')])] })],
      });
      const [finding] = findingsOf(cluster, 'named-port-inconsistent');
      expect(finding?.message).toContain('8080 and 9090');
      expect(finding?.severity).toBe('info');
    });
  });

  describe('ipBlock checks', () => {
    it('ipblock-covers-pod-cidr: a block covering pods, citing the CNI difference', () => {
      const policy = makePolicy('x', 'from-10', { podSelector: sel({ pod: 'a' }), ingress: [rule([ipPeer('10.0.0.0/8')])] });
      const [finding] = findingsOf(makeUpstreamModel([policy]), 'ipblock-covers-pod-cidr');
      expect(finding?.path).toBe('spec.ingress[0].from[0].ipBlock.cidr');
      expect(finding?.message).toContain('Cilium');
      expect(finding?.message).toContain('cni-differences.md §3.2');
      expect(finding?.fix).toContain('except: [10.244.0.0/16]');
    });

    it('ipblock-covers-pod-cidr: quiet when the pod CIDR is excepted or the block is external', () => {
      const excepted = makePolicy('x', 'world', { podSelector: sel({ pod: 'a' }), egress: [rule([ipPeer('0.0.0.0/0', ['10.244.0.0/16'])])] });
      const external = makePolicy('x', 'testnet', { podSelector: sel({ pod: 'a' }), egress: [rule([ipPeer('192.0.2.0/24')])] });
      expect(findingsOf(makeUpstreamModel([excepted, external]), 'ipblock-covers-pod-cidr')).toEqual([]);
    });

    it('ipblock-except-invalid: equal, outside, and overlapping excepts', () => {
      const policy = makePolicy('x', 'bad-except', {
        podSelector: sel({ pod: 'a' }),
        egress: [
          rule([ipPeer('192.0.2.0/24', ['192.0.2.0/24'])]),
          rule([ipPeer('192.0.2.0/24', ['198.51.100.0/24'])]),
          rule([ipPeer('192.0.2.0/24', ['192.0.2.0/25', '192.0.2.0/26'])]),
        ],
      });
      const findings = findingsOf(makeUpstreamModel([policy]), 'ipblock-except-invalid');
      expect(findings.map((f) => [f.path, f.severity])).toEqual([
        ['spec.egress[0].to[0].ipBlock.except[0]', 'error'],
        ['spec.egress[1].to[0].ipBlock.except[0]', 'error'],
        ['spec.egress[2].to[0].ipBlock.except[1]', 'warning'],
      ]);
      expect(findings[0]?.message).toContain('whole cidr');
      expect(findings[1]?.message).toContain('outside');
      expect(findings[2]?.message).toContain('overlaps');
    });

    it('ipblock-host-bits: a CIDR with host bits means its network', () => {
      const policy = makePolicy('x', 'host-bits', { podSelector: sel({ pod: 'a' }), egress: [rule([ipPeer('192.0.2.7/24')])] });
      const [finding] = findingsOf(makeUpstreamModel([policy]), 'ipblock-host-bits');
      expect(finding?.message).toContain('192.0.2.0/24');
      expect(findingsOf(makeUpstreamModel([makePolicy('x', 'ok', { egress: [rule([ipPeer('192.0.2.7/32')])] })]), 'ipblock-host-bits')).toEqual([]);
    });
  });

  describe('duplicate-policy', () => {
    it('is an error for the same namespace/name twice', () => {
      const first = makePolicy('x', 'same', { podSelector: sel({ pod: 'a' }) });
      const second = makePolicy('x', 'same', { podSelector: sel({ pod: 'b' }) });
      const [finding] = findingsOf(makeUpstreamModel([first, second]), 'duplicate-policy');
      expect(finding?.severity).toBe('error');
      expect(finding?.message).toContain('defined again');
    });

    it('is a warning for two names with identical specs (label order does not matter)', () => {
      const first = makePolicy('x', 'one', { podSelector: sel({ pod: 'a', tier: 'x' }), ingress: [rule([podPeer(sel({ pod: 'b' }))])] });
      const second = makePolicy('x', 'two', { podSelector: sel({ tier: 'x', pod: 'a' }), ingress: [rule([podPeer(sel({ pod: 'b' }))])] });
      const third = makePolicy('x', 'three', { podSelector: sel({ pod: 'a' }), ingress: [rule([podPeer(sel({ pod: 'c' }))])] });
      const findings = findingsOf(makeUpstreamModel([first, second, third]), 'duplicate-policy');
      expect(findings).toHaveLength(1);
      expect(findings[0]?.severity).toBe('warning');
      expect(findings[0]?.object).toBe('NetworkPolicy x/two');
    });
  });

  describe('rule-shadowed', () => {
    it('flags a rule inside a broader rule of the same direction', () => {
      const policy = makePolicy('x', 'shadow', {
        podSelector: sel({ pod: 'a' }),
        ingress: [
          rule([podPeer(sel({ pod: 'b' }))], [port('TCP', 80)]),
          rule([podPeer(undefined, sel({ ns: 'x' }))], [port('TCP', 80, 90)]),
        ],
      });
      const [finding, ...rest] = findingsOf(makeUpstreamModel([policy]), 'rule-shadowed');
      expect(rest).toEqual([]);
      expect(finding?.path).toBe('spec.ingress[0]');
      expect(finding?.message).toContain('spec.ingress[1]');
    });

    it('reports only the later of two identical rules', () => {
      const twin = rule([podPeer(sel({ pod: 'b' }))], [port('TCP', 80)]);
      const policy = makePolicy('x', 'twins', { podSelector: sel({ pod: 'a' }), ingress: [twin, twin] });
      const findings = findingsOf(makeUpstreamModel([policy]), 'rule-shadowed');
      expect(findings.map((f) => f.path)).toEqual(['spec.ingress[1]']);
      expect(findings[0]?.message).toContain('duplicate');
    });

    it('does not flag rules that differ in port or peer', () => {
      const policy = makePolicy('x', 'distinct', {
        podSelector: sel({ pod: 'a' }),
        ingress: [rule([podPeer(sel({ pod: 'b' }))], [port('TCP', 80)]), rule([podPeer(sel({ pod: 'b' }))], [port('UDP', 80)]), rule([podPeer(sel({ pod: 'c' }))], [port('TCP', 80)])],
      });
      expect(findingsOf(makeUpstreamModel([policy]), 'rule-shadowed')).toEqual([]);
    });
  });

  describe('policyTypes checks', () => {
    it('egress-rules-ignored: explicit policyTypes without Egress but spec.egress present', () => {
      const policy = makePolicy('x', 'ingress-only', { podSelector: sel({ pod: 'a' }), policyTypes: ['Ingress'], egress: [dnsEgress] });
      const [finding] = findingsOf(makeUpstreamModel([policy]), 'egress-rules-ignored');
      expect(finding?.path).toBe('spec.egress');
      expect(findingsOf(makeUpstreamModel([makePolicy('x', 'both', { egress: [dnsEgress] })]), 'egress-rules-ignored')).toEqual([]);
    });

    it('ingress-rules-ignored: explicit policyTypes without Ingress but spec.ingress present', () => {
      const policy = makePolicy('x', 'egress-only', { policyTypes: ['Egress'], ingress: [rule()] });
      expect(findingsOf(makeUpstreamModel([policy]), 'ingress-rules-ignored')).toHaveLength(1);
    });

    it('missing-egress-policytype: an egress-named policy that isolates only ingress', () => {
      const defaulted = makePolicy('x', 'default-deny-egress', { podSelector: sel() });
      const explicit = makePolicy('y', 'deny-egress', { podSelector: sel(), policyTypes: ['Ingress'] });
      const findings = findingsOf(makeUpstreamModel([defaulted, explicit]), 'missing-egress-policytype');
      expect(findings.map((f) => f.object)).toEqual(['NetworkPolicy x/default-deny-egress', 'NetworkPolicy y/deny-egress']);
      expect(findings[0]?.message).toContain('defaults to [Ingress]');
      expect(findingsOf(makeUpstreamModel([makePolicy('x', 'deny-egress', { policyTypes: ['Egress'] })]), 'missing-egress-policytype')).toEqual([]);
    });

    it('default-deny: a policy type with no rules isolates its pods (info)', () => {
      const policy = makePolicy('x', 'deny-all', { podSelector: sel(), policyTypes: ['Ingress', 'Egress'] });
      const [finding] = findingsOf(makeUpstreamModel([policy]), 'default-deny');
      expect(finding?.severity).toBe('info');
      expect(finding?.message).toContain('ingress and egress');
      expect(findingsOf(makeUpstreamModel([makePolicy('x', 'allow', { ingress: [rule()] })]), 'default-deny')).toEqual([]);
    });
  });

  describe('pod-unprotected', () => {
    it('notes pods left open beside isolated neighbours (info)', () => {
      const policy = makePolicy('x', 'protect-a', { podSelector: sel({ pod: 'a' }) });
      const findings = findingsOf(makeUpstreamModel([policy]), 'pod-unprotected');
      expect(findings.map((f) => f.object)).toEqual(['Pod x/b', 'Pod x/c']);
      expect(findings[0]?.message).toContain('while a in the same namespace is');
    });

    it('is quiet when the whole namespace is selected', () => {
      expect(findingsOf(makeUpstreamModel([makePolicy('x', 'all', { podSelector: sel() })]), 'pod-unprotected')).toEqual([]);
    });
  });

  describe('port ranges', () => {
    it('endport-cni-support: notes that some CNIs ignore endPort, citing the source', () => {
      const policy = makePolicy('x', 'range', { podSelector: sel({ pod: 'a' }), ingress: [rule(undefined, [port('TCP', 80, 90)])] });
      const [finding] = findingsOf(makeUpstreamModel([policy]), 'endport-cni-support');
      expect(finding?.path).toBe('spec.ingress[0].ports[0].endPort');
      expect(finding?.message).toContain('cilium#28684');
    });

    it('port-range-huge: more than 1000 ports', () => {
      const huge = makePolicy('x', 'huge', { podSelector: sel({ pod: 'a' }), ingress: [rule(undefined, [port('TCP', 1024, 65535)])] });
      const small = makePolicy('x', 'small', { podSelector: sel({ pod: 'a' }), ingress: [rule(undefined, [port('TCP', 1000, 1999)])] });
      expect(findingsOf(makeUpstreamModel([huge]), 'port-range-huge')[0]?.message).toContain('64512 ports');
      expect(findingsOf(makeUpstreamModel([small]), 'port-range-huge')).toEqual([]);
    });
  });

  it('no-workloads: policies alone skip topology checks with one note', () => {
    const cluster = makeCluster({ policies: [makePolicy('x', 'protect', { podSelector: sel({ app: 'zzz' }), ingress: [rule([podPeer(sel({ app: 'qqq' }))])] })] });
    const codes = lintPolicies(cluster).map((f) => f.code);
    expect(codes).toContain('no-workloads');
    expect(codes).not.toContain('policy-selects-nothing');
    expect(codes).not.toContain('selector-matches-nothing');
  });

  it('sorts findings by file, line and path, and prefixes the List item path', () => {
    const inFile = (name: string, file: string, line: number, path = '') => ({
      ...makePolicy('x', name, { podSelector: sel({ pod: 'zz' }) }),
      source: { file, line, docIndex: 0, path },
    });
    const cluster = makeUpstreamModel([inFile('b', 'b.yaml', 3), inFile('a2', 'a.yaml', 20, 'items[1]'), inFile('a1', 'a.yaml', 2)]);
    const findings = findingsOf(cluster, 'policy-selects-nothing');
    expect(findings.map((f) => `${f.file}:${f.line}:${f.path}`)).toEqual([
      'a.yaml:2:spec.podSelector',
      'a.yaml:20:items[1].spec.podSelector',
      'b.yaml:3:spec.podSelector',
    ]);
  });

  it('every code it reports is a documented check', () => {
    const policy = makePolicy('x', 'deny-all', { podSelector: sel(), policyTypes: ['Ingress', 'Egress'] });
    for (const finding of lintPolicies(makeUpstreamModel([policy]))) expect(Object.keys(lintChecks)).toContain(finding.code);
  });
});
