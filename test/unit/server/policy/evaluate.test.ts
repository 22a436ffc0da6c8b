// The evaluator against the Kubernetes docs: one test per sentence of the concepts page and the API reference
// (quoted in the test name), plus engine rules (externals, address families, errors, rule matches, near misses).
import { describe, expect, it } from 'vitest';
import { createEvaluator, evaluateFlow } from '../../../../server/policy/evaluate.ts';
import type { Cluster, EndpointRef, Flow, Policy, Protocol, Verdict } from '../../../../server/policy/model.ts';
import {
  ipPeer,
  makeCluster,
  makeExternal,
  makeNamespace,
  makePod,
  makePolicy,
  podPeer,
  port,
  rule,
  sel,
} from '../../../helpers/builders.ts';

function pod(ref: string): EndpointRef {
  const [namespace = '', name = ''] = ref.split('/');
  return { kind: 'pod', namespace, name };
}

function external(name: string): EndpointRef {
  return { kind: 'external', name };
}

function verdictOf(cluster: Cluster, flow: Flow): Verdict {
  const result = evaluateFlow(cluster, flow);
  if (!result.ok) throw new Error(`flow failed: ${result.error.message}`);
  return result.verdict;
}

function isAllowed(cluster: Cluster, from: EndpointRef, to: EndpointRef, portValue: number | string = 80, protocol: Protocol = 'TCP'): boolean {
  return verdictOf(cluster, { from, to, port: portValue, protocol }).isAllowed;
}

/** A small cluster: namespaces web (team=web, dual-stack pods) and db (team=db), pods with app labels and named ports. */
function smallCluster(policies: readonly Policy[]): Cluster {
  return makeCluster({
    namespaces: [makeNamespace('web', { team: 'web' }), makeNamespace('db', { team: 'db' }), makeNamespace('other')],
    pods: [
      makePod('web', 'frontend', { labels: { app: 'frontend' }, ports: [[80, 'TCP', 'http']], ips: ['10.244.1.10', 'fd00::1:10'] }),
      makePod('web', 'client', { labels: { role: 'client' }, ports: [[80, 'TCP', 'http']], ips: ['10.244.1.11', 'fd00::1:11'] }),
      makePod('db', 'postgres', { labels: { app: 'db' }, ports: [[5432, 'TCP', 'pg'], [9187, 'TCP', 'metrics']], ip: '10.244.2.10' }),
      makePod('db', 'client', { labels: { role: 'client' }, ports: [[8080, 'TCP', 'http']], ip: '10.244.2.11' }),
      makePod('other', 'client', { labels: { role: 'client' }, ports: [[80, 'TCP', 'http']], ip: '10.244.3.10' }),
    ],
    externals: [makeExternal('api', '192.0.2.10', [{ port: 443, protocol: 'TCP' }]), makeExternal('v6', '2001:db8::10', [{ port: 443, protocol: 'TCP' }])],
    policies,
  });
}

const denyAllIngress = (ns: string): Policy => makePolicy(ns, 'deny-ingress', { policyTypes: ['Ingress'] });
const denyAllEgress = (ns: string): Policy => makePolicy(ns, 'deny-egress', { policyTypes: ['Egress'] });

describe('concepts: the two sorts of pod isolation', () => {
  it('"By default, a pod is non-isolated for egress; all outbound connections are allowed."', () => {
    const v = verdictOf(smallCluster([]), { from: pod('web/frontend'), to: external('api'), port: 443, protocol: 'TCP' });
    expect(v.isAllowed).toBe(true);
    expect(v.egress.outcome).toBe('not-isolated');
    expect(v.egress.isolatingPolicies).toEqual([]);
  });

  it('"A pod is isolated for egress if there is any NetworkPolicy that both selects the pod and has "Egress" in its policyTypes"', () => {
    const selectsButIngressOnly = makePolicy('web', 'ingress-only', { podSelector: sel({ app: 'frontend' }), policyTypes: ['Ingress'] });
    const egressButOtherPod = makePolicy('web', 'egress-other', { podSelector: sel({ app: 'nope' }), policyTypes: ['Egress'] });
    const cluster = smallCluster([selectsButIngressOnly, egressButOtherPod]);
    expect(verdictOf(cluster, { from: pod('web/frontend'), to: external('api'), port: 443, protocol: 'TCP' }).egress.outcome).toBe('not-isolated');
    const isolating = smallCluster([makePolicy('web', 'egress-frontend', { podSelector: sel({ app: 'frontend' }), policyTypes: ['Egress'] })]);
    const v = verdictOf(isolating, { from: pod('web/frontend'), to: external('api'), port: 443, protocol: 'TCP' });
    expect(v.egress.outcome).toBe('denied-no-rule');
    expect(v.egress.isolatingPolicies).toEqual([{ namespace: 'web', name: 'egress-frontend' }]);
  });

  it('"When a pod is isolated for egress, the only allowed connections from the pod are those allowed by the egress list of some NetworkPolicy that applies to the pod for egress."', () => {
    const policy = makePolicy('web', 'to-db', { egress: [rule([podPeer(undefined, sel({ team: 'db' }))], [port('TCP', 5432)])], policyTypes: ['Egress'] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('web/frontend'), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, pod('web/frontend'), pod('db/postgres'), 9187)).toBe(false);
    expect(isAllowed(cluster, pod('web/frontend'), pod('web/client'), 80)).toBe(false);
    expect(isAllowed(cluster, pod('web/frontend'), external('api'), 443)).toBe(false);
  });

  it('"The effects of those egress lists combine additively."', () => {
    const a = makePolicy('web', 'a', { egress: [rule([podPeer(undefined, sel({ team: 'db' }))], [port('TCP', 5432)])], policyTypes: ['Egress'] });
    const b = makePolicy('web', 'b', { egress: [rule([ipPeer('192.0.2.0/24')], [port('TCP', 443)])], policyTypes: ['Egress'] });
    const cluster = smallCluster([a, b]);
    const toDb = verdictOf(cluster, { from: pod('web/frontend'), to: pod('db/postgres'), port: 5432, protocol: 'TCP' });
    const toApi = verdictOf(cluster, { from: pod('web/frontend'), to: external('api'), port: 443, protocol: 'TCP' });
    expect(toDb.egress.allowedBy.map((m) => m.policy.name)).toEqual(['a']);
    expect(toApi.egress.allowedBy.map((m) => m.policy.name)).toEqual(['b']);
    expect(toDb.egress.isolatingPolicies.map((p) => p.name)).toEqual(['a', 'b']);
  });

  it('"By default, a pod is non-isolated for ingress; all inbound connections are allowed."', () => {
    const v = verdictOf(smallCluster([]), { from: external('api'), to: pod('db/postgres'), port: 5432, protocol: 'TCP' });
    expect(v.ingress.outcome).toBe('not-isolated');
    expect(v.isAllowed).toBe(true);
  });

  it('"A pod is isolated for ingress if there is any NetworkPolicy that both selects the pod and has "Ingress" in its policyTypes"', () => {
    const egressOnly = makePolicy('db', 'egress-only', { policyTypes: ['Egress'] });
    expect(verdictOf(smallCluster([egressOnly]), { from: pod('web/frontend'), to: pod('db/postgres'), port: 5432, protocol: 'TCP' }).ingress.outcome).toBe(
      'not-isolated',
    );
    const v = verdictOf(smallCluster([denyAllIngress('db')]), { from: pod('web/frontend'), to: pod('db/postgres'), port: 5432, protocol: 'TCP' });
    expect(v.ingress.outcome).toBe('denied-no-rule');
    expect(v.ingress.subject).toBe('db/postgres');
  });

  it('"When a pod is isolated for ingress, the only allowed connections into the pod are those ... allowed by the ingress list of some NetworkPolicy that applies to the pod for ingress."', () => {
    const policy = makePolicy('db', 'from-web', { ingress: [rule([podPeer(sel({ app: 'frontend' }), sel({ team: 'web' }))], [port('TCP', 5432)])] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('web/frontend'), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 5432)).toBe(false);
    expect(isAllowed(cluster, external('api'), pod('db/postgres'), 5432)).toBe(false);
  });

  it('"Network policies do not conflict; they are additive ... Thus, order of evaluation does not affect the policy result."', () => {
    const deny = denyAllIngress('db');
    const allow = makePolicy('db', 'allow-web', { ingress: [rule([podPeer(undefined, sel({ team: 'web' }))])] });
    for (const policies of [[deny, allow], [allow, deny]]) {
      const cluster = smallCluster(policies);
      expect(isAllowed(cluster, pod('web/frontend'), pod('db/postgres'), 5432)).toBe(true);
      expect(isAllowed(cluster, pod('other/client'), pod('db/postgres'), 5432)).toBe(false);
    }
  });

  it('"For a connection from a source pod to a destination pod to be allowed, both the egress policy on the source pod and the ingress policy on the destination pod need to allow the connection."', () => {
    const egressAllow = makePolicy('web', 'egress-db', { egress: [rule([podPeer(undefined, sel({ team: 'db' }))])], policyTypes: ['Egress'] });
    const ingressAllow = makePolicy('db', 'ingress-web', { ingress: [rule([podPeer(undefined, sel({ team: 'web' }))])] });
    const v = verdictOf(smallCluster([egressAllow, ingressAllow]), { from: pod('web/frontend'), to: pod('db/postgres'), port: 5432, protocol: 'TCP' });
    expect(v.isAllowed).toBe(true);
    expect(v.egress.outcome).toBe('allowed-by-rule');
    expect(v.ingress.outcome).toBe('allowed-by-rule');
  });

  it('"If either side does not allow the connection, it will not happen." (egress side denies)', () => {
    const ingressAllow = makePolicy('db', 'ingress-web', { ingress: [rule([podPeer(undefined, sel({ team: 'web' }))])] });
    const v = verdictOf(smallCluster([denyAllEgress('web'), ingressAllow]), { from: pod('web/frontend'), to: pod('db/postgres'), port: 5432, protocol: 'TCP' });
    expect(v.isAllowed).toBe(false);
    expect(v.egress.isAllowed).toBe(false);
    expect(v.ingress.isAllowed).toBe(true);
  });

  it('"If either side does not allow the connection, it will not happen." (ingress side denies)', () => {
    const egressAllow = makePolicy('web', 'egress-db', { egress: [rule([podPeer(undefined, sel({ team: 'db' }))])], policyTypes: ['Egress'] });
    const v = verdictOf(smallCluster([egressAllow, denyAllIngress('db')]), { from: pod('web/frontend'), to: pod('db/postgres'), port: 5432, protocol: 'TCP' });
    expect(v.isAllowed).toBe(false);
    expect(v.egress.isAllowed).toBe(true);
    expect(v.ingress.isAllowed).toBe(false);
  });
});

describe('concepts: the NetworkPolicy resource', () => {
  it('"An empty podSelector selects all pods in the namespace." (and only that namespace)', () => {
    const cluster = smallCluster([denyAllIngress('web')]);
    expect(isAllowed(cluster, pod('db/client'), pod('web/frontend'))).toBe(false);
    expect(isAllowed(cluster, pod('db/client'), pod('web/client'))).toBe(false);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, pod('web/client'), pod('other/client'))).toBe(true);
  });

  it('"Each rule allows traffic which matches both the from and ports sections."', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule([podPeer(sel({ app: 'frontend' }), sel({ team: 'web' }))], [port('TCP', 5432)])] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('web/frontend'), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, pod('web/frontend'), pod('db/postgres'), 9187)).toBe(false);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 5432)).toBe(false);
  });

  it('the example policy: "IP addresses in the ranges 172.17.0.0–172.17.0.255 and 172.17.2.0–172.17.255.255 (ie, all of 172.17.0.0/16 except 172.17.1.0/24)"', () => {
    const policy = makePolicy('db', 'test-network-policy', {
      podSelector: sel({ app: 'db' }),
      ingress: [rule([ipPeer('172.17.0.0/16', ['172.17.1.0/24']), podPeer(undefined, sel({ project: 'myproject' })), podPeer(sel({ role: 'frontend' }))], [port('TCP', 6379)])],
    });
    const cluster = makeCluster({
      pods: [makePod('db', 'postgres', { labels: { app: 'db' }, ip: '10.244.2.10' })],
      externals: [makeExternal('low', '172.17.0.255'), makeExternal('excepted', '172.17.1.7'), makeExternal('high', '172.17.2.0'), makeExternal('outside', '172.18.0.1')],
      policies: [policy],
    });
    expect(isAllowed(cluster, external('low'), pod('db/postgres'), 6379)).toBe(true);
    expect(isAllowed(cluster, external('excepted'), pod('db/postgres'), 6379)).toBe(false);
    expect(isAllowed(cluster, external('high'), pod('db/postgres'), 6379)).toBe(true);
    expect(isAllowed(cluster, external('outside'), pod('db/postgres'), 6379)).toBe(false);
  });
});

describe('concepts: behavior of to and from selectors', () => {
  it('"podSelector: This selects particular Pods in the same namespace as the NetworkPolicy which should be allowed as ingress sources or egress destinations."', () => {
    const policy = makePolicy('web', 'p', { podSelector: sel({ app: 'frontend' }), ingress: [rule([podPeer(sel({ role: 'client' }))])] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('web/client'), pod('web/frontend'))).toBe(true);
    expect(isAllowed(cluster, pod('db/client'), pod('web/frontend'))).toBe(false);
    expect(isAllowed(cluster, pod('other/client'), pod('web/frontend'))).toBe(false);
  });

  it('"namespaceSelector: This selects particular namespaces for which all Pods should be allowed as ingress sources or egress destinations."', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule([podPeer(undefined, sel({ team: 'web' }))])] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, pod('web/frontend'), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, pod('db/client'), pod('db/postgres'), 5432)).toBe(false);
  });

  it('"A single to/from entry that specifies both namespaceSelector and podSelector selects particular Pods within particular namespaces."', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule([podPeer(sel({ role: 'client' }), sel({ team: 'web' }))])] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, pod('web/frontend'), pod('db/postgres'), 5432)).toBe(false);
    expect(isAllowed(cluster, pod('other/client'), pod('db/postgres'), 5432)).toBe(false);
    expect(isAllowed(cluster, pod('db/client'), pod('db/postgres'), 5432)).toBe(false);
  });

  it('"contains two elements in the from array, and allows connections from Pods in the local Namespace with the label role=client, or from any Pod in any namespace with the label user=alice"', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule([podPeer(undefined, sel({ team: 'web' })), podPeer(sel({ role: 'client' }))])] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('web/frontend'), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, pod('db/client'), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, pod('other/client'), pod('db/postgres'), 5432)).toBe(false);
    const v = verdictOf(cluster, { from: pod('db/client'), to: pod('db/postgres'), port: 5432, protocol: 'TCP' });
    expect(v.ingress.allowedBy[0]?.peerIndex).toBe(1);
  });

  it('"ipBlock: This selects particular IP CIDR ranges to allow as ingress sources or egress destinations."', () => {
    const policy = makePolicy('web', 'p', { egress: [rule([ipPeer('192.0.2.0/24')])], policyTypes: ['Egress'] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('web/frontend'), external('api'), 443)).toBe(true);
    expect(isAllowed(cluster, pod('web/frontend'), external('v6'), 443)).toBe(false);
  });

  it('ipBlock is a pure IP match (reference profile): a CIDR covering pod IPs selects those pods', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule([ipPeer('10.244.1.0/24')])] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('web/frontend'), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, pod('db/client'), pod('db/postgres'), 5432)).toBe(false);
  });
});

describe('concepts: default policies', () => {
  it('"Default deny all ingress traffic ... This policy does not affect isolation for egress from any pod."', () => {
    const cluster = smallCluster([denyAllIngress('web')]);
    expect(isAllowed(cluster, pod('db/client'), pod('web/frontend'))).toBe(false);
    expect(isAllowed(cluster, pod('web/frontend'), external('api'), 443)).toBe(true);
  });

  it('"Allow all ingress traffic ... no additional policy or policies can cause any incoming connection to those pods to be denied."', () => {
    const allowAll = makePolicy('web', 'allow-all-ingress', { ingress: [rule()], policyTypes: ['Ingress'] });
    const cluster = smallCluster([denyAllIngress('web'), allowAll, makePolicy('web', 'narrow', { ingress: [rule([podPeer(sel({ app: 'x' }))])] })]);
    expect(isAllowed(cluster, external('api'), pod('web/frontend'), 80)).toBe(true);
    expect(isAllowed(cluster, pod('db/client'), pod('web/frontend'), 12345, 'UDP')).toBe(true);
  });

  it('"Default deny all egress traffic ... does not change the ingress isolation behavior of any pod."', () => {
    const cluster = smallCluster([denyAllEgress('web')]);
    expect(isAllowed(cluster, pod('web/frontend'), pod('db/postgres'), 5432)).toBe(false);
    expect(isAllowed(cluster, pod('db/client'), pod('web/frontend'))).toBe(true);
  });

  it('"Allow all egress traffic ... no additional policy or policies can cause any outgoing connection from those pods to be denied."', () => {
    const allowAll = makePolicy('web', 'allow-all-egress', { egress: [rule()], policyTypes: ['Egress'] });
    const cluster = smallCluster([denyAllEgress('web'), allowAll]);
    expect(isAllowed(cluster, pod('web/frontend'), external('v6'), 443)).toBe(true);
    expect(isAllowed(cluster, pod('web/frontend'), pod('db/postgres'), 9187)).toBe(true);
  });

  it('"Default deny all ingress and all egress traffic ... even pods that aren\'t selected by any other NetworkPolicy will not be allowed ingress or egress traffic."', () => {
    const cluster = smallCluster([makePolicy('web', 'default-deny-all', { policyTypes: ['Ingress', 'Egress'] })]);
    const v = verdictOf(cluster, { from: pod('web/frontend'), to: pod('web/client'), port: 80, protocol: 'TCP' });
    expect(v.egress.outcome).toBe('denied-no-rule');
    expect(v.ingress.outcome).toBe('denied-no-rule');
    expect(v.egress.nearMisses).toEqual([]);
  });
});

describe('concepts: targeting ports and namespaces', () => {
  it('"allows any Pod with label role=db ... to communicate with any IP within the range 10.0.0.0/24 over TCP, provided that the target port is between the range 32000 and 32768"', () => {
    const policy = makePolicy('default', 'multi-port-egress', {
      podSelector: sel({ role: 'db' }),
      egress: [rule([ipPeer('10.0.0.0/24')], [port('TCP', 32000, 32768)])],
      policyTypes: ['Egress'],
    });
    const cluster = makeCluster({
      pods: [makePod('default', 'db', { labels: { role: 'db' }, ip: '10.244.0.5' })],
      externals: [makeExternal('target', '10.0.0.7')],
      policies: [policy],
    });
    expect(isAllowed(cluster, pod('default/db'), external('target'), 31999)).toBe(false);
    expect(isAllowed(cluster, pod('default/db'), external('target'), 32000)).toBe(true);
    expect(isAllowed(cluster, pod('default/db'), external('target'), 32768)).toBe(true);
    expect(isAllowed(cluster, pod('default/db'), external('target'), 32769)).toBe(false);
    expect(isAllowed(cluster, pod('default/db'), external('target'), 32100, 'UDP')).toBe(false);
  });

  it('"The Kubernetes control plane sets an immutable label kubernetes.io/metadata.name on all namespaces" (target a namespace by name)', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule([podPeer(undefined, sel({ 'kubernetes.io/metadata.name': 'other' }))])] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('other/client'), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 5432)).toBe(false);
  });

  it('"Targeting multiple namespaces by label" with matchExpressions In', () => {
    const policy = makePolicy('web', 'egress-namespaces', {
      podSelector: sel({ app: 'frontend' }),
      egress: [rule([podPeer(undefined, sel({}, [{ key: 'team', operator: 'In', values: ['db', 'web'] }]))])],
      policyTypes: ['Egress'],
    });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('web/frontend'), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, pod('web/frontend'), pod('web/client'))).toBe(true);
    expect(isAllowed(cluster, pod('web/frontend'), pod('other/client'))).toBe(false);
  });
});

describe('API reference: NetworkPolicySpec', () => {
  it('podSelector: "Multiple network policies can select the same set of pods. In this case, the ingress rules for each are combined additively."', () => {
    const a = makePolicy('db', 'a', { podSelector: sel({ app: 'db' }), ingress: [rule([podPeer(undefined, sel({ team: 'web' }))], [port('TCP', 5432)])] });
    const b = makePolicy('db', 'b', { podSelector: sel({ app: 'db' }), ingress: [rule([podPeer(sel({ role: 'client' }))], [port('TCP', 9187)])] });
    const cluster = smallCluster([a, b]);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, pod('db/client'), pod('db/postgres'), 9187)).toBe(true);
    expect(isAllowed(cluster, pod('db/client'), pod('db/postgres'), 5432)).toBe(false);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 9187)).toBe(false);
  });

  it('policyTypes: "If you want to write an egress-only policy, you must explicitly specify policyTypes [ "Egress" ]" (it leaves ingress alone)', () => {
    const egressOnly = makePolicy('db', 'egress-only', { egress: [rule([ipPeer('192.0.2.0/24')])], policyTypes: ['Egress'] });
    const cluster = smallCluster([egressOnly]);
    expect(isAllowed(cluster, pod('other/client'), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, pod('db/postgres'), pod('other/client'))).toBe(false);
  });

  it('policyTypes: "policies that contain an Egress section are assumed to affect Egress, and all policies ... are assumed to affect Ingress" (defaulted by the parser, honoured as given)', () => {
    const defaulted = makePolicy('db', 'defaulted', { egress: [rule([ipPeer('192.0.2.0/24')])] });
    expect(defaulted.policyTypes).toEqual(['Ingress', 'Egress']);
    const cluster = smallCluster([defaulted]);
    expect(isAllowed(cluster, pod('other/client'), pod('db/postgres'), 5432)).toBe(false);
    expect(isAllowed(cluster, pod('db/postgres'), external('api'), 443)).toBe(true);
  });

  it('ingress: "If this field is empty then this NetworkPolicy does not allow any traffic (and serves solely to ensure that the pods it selects are isolated by default)"', () => {
    const v = verdictOf(smallCluster([denyAllIngress('db')]), { from: pod('db/client'), to: pod('db/postgres'), port: 5432, protocol: 'TCP' });
    expect(v.isAllowed).toBe(false);
    expect(v.ingress.isolatingPolicies).toEqual([{ namespace: 'db', name: 'deny-ingress' }]);
    expect(v.ingress.nearMisses).toEqual([]);
  });

  it('egress: "If this field is empty then this NetworkPolicy limits all outgoing traffic"', () => {
    expect(isAllowed(smallCluster([denyAllEgress('db')]), pod('db/postgres'), external('api'), 443)).toBe(false);
  });

  it('ingress: "Traffic is allowed to a pod if there are no NetworkPolicies selecting the pod"', () => {
    const cluster = smallCluster([makePolicy('db', 'only-postgres', { podSelector: sel({ app: 'db' }) })]);
    expect(isAllowed(cluster, pod('web/client'), pod('db/client'), 8080)).toBe(true);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 5432)).toBe(false);
  });
});

describe('API reference: rules, peers and ports', () => {
  it('NetworkPolicyIngressRule: "The traffic must match both ports and from."', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule([podPeer(sel({ role: 'client' }))], [port('TCP', 9187)])] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('db/client'), pod('db/postgres'), 9187)).toBe(true);
    expect(isAllowed(cluster, pod('db/client'), pod('db/postgres'), 5432)).toBe(false);
  });

  it('NetworkPolicyEgressRule: "The traffic must match both ports and to."', () => {
    const policy = makePolicy('web', 'p', { egress: [rule([ipPeer('192.0.2.0/24')], [port('TCP', 443)])], policyTypes: ['Egress'] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('web/client'), external('api'), 443)).toBe(true);
    expect(isAllowed(cluster, pod('web/client'), external('api'), 80)).toBe(false);
  });

  it('from: "If this field is empty or missing, this rule matches all sources (traffic not restricted by source)." (external sources too)', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule(undefined, [port('TCP', 5432)])] });
    const cluster = smallCluster([policy]);
    const v = verdictOf(cluster, { from: external('api'), to: pod('db/postgres'), port: 5432, protocol: 'TCP' });
    expect(v.isAllowed).toBe(true);
    expect(v.ingress.allowedBy[0]?.peerIndex).toBeNull();
    expect(isAllowed(cluster, pod('other/client'), pod('db/postgres'), 5432)).toBe(true);
  });

  it('from: "If this field is present and contains at least one item, this rule allows traffic only if the traffic matches at least one item in the from list."', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule([podPeer(sel({ role: 'client' })), ipPeer('192.0.2.0/24')])] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, external('api'), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, pod('db/client'), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 5432)).toBe(false);
  });

  it('to: "If this field is empty or missing, this rule matches all destinations (traffic not restricted by destination)."', () => {
    const policy = makePolicy('web', 'p', { egress: [rule(undefined, [port('TCP', 443)])], policyTypes: ['Egress'] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('web/client'), external('api'), 443)).toBe(true);
    expect(isAllowed(cluster, pod('web/client'), external('v6'), 443)).toBe(true);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 443)).toBe(true);
    expect(isAllowed(cluster, pod('web/client'), external('v6'), 80)).toBe(false);
  });

  it('namespaceSelector: "if present but empty, it selects all namespaces."', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule([podPeer(undefined, sel())])] });
    const cluster = smallCluster([policy]);
    for (const from of ['web/client', 'db/client', 'other/client']) expect(isAllowed(cluster, pod(from), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, external('api'), pod('db/postgres'), 5432)).toBe(false);
  });

  it('podSelector (peer): "if present but empty, it selects all pods." (of the policy\'s own namespace without a namespaceSelector)', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule([podPeer(sel())])] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('db/client'), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 5432)).toBe(false);
  });

  it('podSelector (peer): "If NamespaceSelector is also set, then the NetworkPolicyPeer as a whole selects the Pods matching PodSelector in the Namespaces selected by NamespaceSelector."', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule([podPeer(sel({ role: 'client' }), sel())])] });
    const cluster = smallCluster([policy]);
    for (const from of ['web/client', 'db/client', 'other/client']) expect(isAllowed(cluster, pod(from), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, pod('web/frontend'), pod('db/postgres'), 5432)).toBe(false);
  });

  it('ports: "If this field is empty or missing, this rule matches all ports (traffic not restricted by port)."', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule([podPeer(sel({ role: 'client' }))])] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('db/client'), pod('db/postgres'), 1, 'UDP')).toBe(true);
    expect(isAllowed(cluster, pod('db/client'), pod('db/postgres'), 65535, 'SCTP')).toBe(true);
    expect(verdictOf(cluster, { from: pod('db/client'), to: pod('db/postgres'), port: 5432, protocol: 'TCP' }).ingress.allowedBy[0]?.portIndex).toBeNull();
  });

  it('ports: "this rule allows traffic only if the traffic matches at least one port in the list." (items combined with a logical OR)', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule(undefined, [port('TCP', 9187), port('TCP', 5432)])] });
    const cluster = smallCluster([policy]);
    const v = verdictOf(cluster, { from: pod('web/client'), to: pod('db/postgres'), port: 5432, protocol: 'TCP' });
    expect(v.ingress.allowedBy[0]?.portIndex).toBe(1);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 5433)).toBe(false);
  });

  it('port: "This can either be a numerical or named port on a pod." (a name resolves on the destination pod)', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule(undefined, [port('TCP', 'pg')])] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 9187)).toBe(false);
    // db/client declares no "pg" port: the rule matches nothing there.
    expect(isAllowed(cluster, pod('web/client'), pod('db/client'), 5432)).toBe(false);
  });

  it('named ports in egress rules resolve on the destination pod, not on the source', () => {
    const policy = makePolicy('web', 'p', { podSelector: sel({ app: 'frontend' }), egress: [rule(undefined, [port('TCP', 'http')])], policyTypes: ['Egress'] });
    const cluster = smallCluster([policy]);
    // web/frontend names port 80 "http"; db/client names 8080 "http": the destination's number counts.
    expect(isAllowed(cluster, pod('web/frontend'), pod('db/client'), 8080)).toBe(true);
    expect(isAllowed(cluster, pod('web/frontend'), pod('db/client'), 80)).toBe(false);
    expect(isAllowed(cluster, pod('web/frontend'), pod('web/client'), 80)).toBe(true);
  });

  it('a named port never matches an external destination', () => {
    const policy = makePolicy('web', 'p', { egress: [rule(undefined, [port('TCP', 'http')])], policyTypes: ['Egress'] });
    const cluster = smallCluster([policy]);
    const v = verdictOf(cluster, { from: pod('web/client'), to: external('api'), port: 443, protocol: 'TCP' });
    expect(v.isAllowed).toBe(false);
    expect(v.egress.nearMisses[0]?.mismatches).toEqual([{ kind: 'named-port-missing', portName: 'http', pod: 'external/api', path: 'spec.egress[0].ports[0]' }]);
  });

  it('port: "If this field is not provided, this matches all port names and numbers." (of the given protocol)', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule(undefined, [port('UDP')])] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 53, 'UDP')).toBe(true);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 60000, 'UDP')).toBe(true);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 53, 'TCP')).toBe(false);
  });

  it('port: "If present, only traffic on the specified protocol AND port will be matched."', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule(undefined, [port('UDP', 5432)])] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 5432, 'UDP')).toBe(true);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 5432, 'TCP')).toBe(false);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 5432, 'SCTP')).toBe(false);
  });

  it('endPort: "indicates that the range of ports from port to endPort, inclusive, should be allowed by the policy."', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule(undefined, [port('TCP', 5000, 5432)])] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 4999)).toBe(false);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 5000)).toBe(true);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 5432)).toBe(true);
    expect(isAllowed(cluster, pod('web/client'), pod('db/postgres'), 5433)).toBe(false);
  });

  it('protocol: "The protocol (TCP, UDP, or SCTP) which traffic must match. If not specified, this field defaults to TCP."', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule(undefined, [port('TCP', 5432)])] });
    const cluster = smallCluster([policy]);
    const v = verdictOf(cluster, { from: pod('web/client'), to: pod('db/postgres'), port: 5432, protocol: 'SCTP' });
    expect(v.isAllowed).toBe(false);
    expect(v.ingress.nearMisses[0]?.mismatches).toEqual([{ kind: 'protocol', wanted: 'SCTP', ruleHas: 'TCP', path: 'spec.ingress[0].ports[0]' }]);
  });

  it('IPBlock: "The except entry describes CIDRs that should not be included within this rule."', () => {
    const policy = makePolicy('web', 'p', { egress: [rule([ipPeer('192.0.2.0/24', ['192.0.2.0/28'])])], policyTypes: ['Egress'] });
    const cluster = smallCluster([policy]);
    const v = verdictOf(cluster, { from: pod('web/client'), to: external('api'), port: 443, protocol: 'TCP' });
    expect(v.isAllowed).toBe(false);
    expect(v.egress.nearMisses[0]?.mismatches).toEqual([
      { kind: 'ip-excepted', ip: '192.0.2.10', cidr: '192.0.2.0/24', except: '192.0.2.0/28', path: 'spec.egress[0].to[0]' },
    ]);
  });

  it('IPBlock: a CIDR such as "2001:db9::/64" selects IPv6 addresses, and an ipBlock family must match the address family used', () => {
    const policy = makePolicy('web', 'p', { egress: [rule([ipPeer('2001:db8::/64')])], policyTypes: ['Egress'] });
    const cluster = smallCluster([policy]);
    expect(isAllowed(cluster, pod('web/client'), external('v6'), 443)).toBe(true);
    expect(isAllowed(cluster, pod('web/client'), external('api'), 443)).toBe(false);
    const v4AllIps = smallCluster([makePolicy('web', 'q', { egress: [rule([ipPeer('0.0.0.0/0')])], policyTypes: ['Egress'] })]);
    expect(isAllowed(v4AllIps, pod('web/client'), external('v6'), 443)).toBe(false);
  });
});

describe('engine rules', () => {
  it('external endpoints have no policies and are matched only by ipBlock', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule([podPeer(undefined, sel()), podPeer(sel())])] });
    const v = verdictOf(smallCluster([policy]), { from: external('api'), to: pod('db/postgres'), port: 5432, protocol: 'TCP' });
    expect(v.isAllowed).toBe(false);
    expect(v.egress.outcome).toBe('not-applicable');
    expect(v.egress.subject).toBeUndefined();
    expect(v.ingress.nearMisses[0]?.mismatches.map((m) => m.kind)).toEqual(['peer-is-external', 'peer-is-external']);
  });

  it('a dual-stack flow uses the asked family, or the destination primary family by default', () => {
    const cluster = makeCluster({
      pods: [makePod('a', 'dual', { ips: ['10.244.0.1', 'fd00::1'] }), makePod('b', 'dual', { ips: ['fd00::2', '10.244.0.2'] })],
      policies: [makePolicy('b', 'v4-only', { ingress: [rule([ipPeer('10.244.0.0/16')])] })],
    });
    const byDefault = verdictOf(cluster, { from: pod('a/dual'), to: pod('b/dual'), port: 80, protocol: 'TCP' });
    expect(byDefault.from.ip).toBe('fd00::1');
    expect(byDefault.isAllowed).toBe(false);
    const overV4 = verdictOf(cluster, { from: pod('a/dual'), to: pod('b/dual'), port: 80, protocol: 'TCP', ipFamily: 'IPv4' });
    expect(overV4.to.ip).toBe('10.244.0.2');
    expect(overV4.isAllowed).toBe(true);
  });

  it('rule matches carry the policy, rule, peer and port index and the rule path', () => {
    const policy = makePolicy('db', 'p', {
      ingress: [rule([podPeer(sel({ app: 'nope' }))]), rule([podPeer(sel({ app: 'x' })), podPeer(undefined, sel({ team: 'web' }))], [port('UDP'), port('TCP', 5432)])],
    });
    const v = verdictOf(smallCluster([policy]), { from: pod('web/client'), to: pod('db/postgres'), port: 5432, protocol: 'TCP' });
    expect(v.ingress.allowedBy).toEqual([{ policy: { namespace: 'db', name: 'p' }, direction: 'Ingress', ruleIndex: 1, peerIndex: 1, portIndex: 1, path: 'spec.ingress[1]' }]);
  });

  it('every admitting rule of every policy is reported', () => {
    const a = makePolicy('db', 'a', { ingress: [rule([podPeer(undefined, sel())]), rule(undefined, [port('TCP', 5432)])] });
    const b = makePolicy('db', 'b', { ingress: [rule()] });
    const v = verdictOf(smallCluster([a, b]), { from: pod('web/client'), to: pod('db/postgres'), port: 5432, protocol: 'TCP' });
    expect(v.ingress.allowedBy.map((m) => `${m.policy.name}#${m.ruleIndex}`)).toEqual(['a#0', 'a#1', 'b#0']);
  });

  it('a near miss names the rule whose port matched but whose peer did not, with the namespace and its labels', () => {
    const policy = makePolicy('db', 'allow-web', { ingress: [rule([podPeer(undefined, sel({ team: 'web' }))], [port('TCP', 5432)])] });
    const v = verdictOf(smallCluster([policy]), { from: pod('other/client'), to: pod('db/postgres'), port: 5432, protocol: 'TCP' });
    expect(v.ingress.nearMisses).toEqual([
      {
        policy: { namespace: 'db', name: 'allow-web' },
        direction: 'Ingress',
        ruleIndex: 0,
        path: 'spec.ingress[0]',
        matched: ['port'],
        mismatches: [
          {
            kind: 'namespace-selector',
            selector: sel({ team: 'web' }),
            namespace: 'other',
            namespaceLabels: { 'kubernetes.io/metadata.name': 'other' },
            path: 'spec.ingress[0].from[0]',
          },
        ],
      },
    ]);
  });

  it('a near miss names the rule whose peer matched but whose port did not', () => {
    const policy = makePolicy('db', 'p', { ingress: [rule([podPeer(undefined, sel())], [port('TCP', 9187)])] });
    const v = verdictOf(smallCluster([policy]), { from: pod('web/client'), to: pod('db/postgres'), port: 5432, protocol: 'TCP' });
    expect(v.ingress.nearMisses[0]?.matched).toEqual(['peer']);
    expect(v.ingress.nearMisses[0]?.mismatches).toEqual([{ kind: 'port', wanted: '5432/TCP', ruleHas: '9187/TCP', path: 'spec.ingress[0].ports[0]' }]);
  });

  it('the closest rule of each isolating policy is kept, best first, with other-namespace and pod-selector mismatches', () => {
    const a = makePolicy('db', 'a', { ingress: [rule([podPeer(sel({ role: 'admin' }))], [port('UDP', 1)]), rule([podPeer(sel({ role: 'client' }))], [port('TCP', 5432)])] });
    const b = makePolicy('db', 'b', { ingress: [rule([podPeer(sel({ role: 'client' }), sel({ team: 'db' }))], [port('TCP', 5432)])] });
    const v = verdictOf(smallCluster([a, b]), { from: pod('web/frontend'), to: pod('db/postgres'), port: 5432, protocol: 'TCP' });
    expect(v.ingress.nearMisses.map((n) => `${n.policy.name}#${n.ruleIndex}`)).toEqual(['a#1', 'b#0']);
    expect(v.ingress.nearMisses[0]?.mismatches.map((m) => m.kind)).toEqual(['other-namespace', 'pod-selector']);
    expect(v.ingress.nearMisses[1]?.mismatches.map((m) => m.kind)).toEqual(['namespace-selector', 'pod-selector']);
  });

  it('a named flow port resolves on the destination and is kept in the verdict', () => {
    const v = verdictOf(smallCluster([]), { from: pod('web/client'), to: pod('db/postgres'), port: 'pg', protocol: 'TCP' });
    expect(v.port).toBe(5432);
    expect(v.portName).toBe('pg');
  });

  it('unknown endpoints, unknown port names, bad ports, missing families and unknown profiles are errors, never throws', () => {
    const cluster = smallCluster([]);
    const evaluator = createEvaluator(cluster);
    const codes = [
      evaluator.evaluate({ from: pod('web/nope'), to: pod('db/postgres'), port: 80, protocol: 'TCP' }),
      evaluator.evaluate({ from: pod('web/client'), to: external('nope'), port: 80, protocol: 'TCP' }),
      evaluator.evaluate({ from: pod('web/client'), to: pod('db/postgres'), port: 'http', protocol: 'TCP' }),
      evaluator.evaluate({ from: pod('web/client'), to: external('api'), port: 'https', protocol: 'TCP' }),
      evaluator.evaluate({ from: pod('web/client'), to: pod('db/postgres'), port: 70000, protocol: 'TCP' }),
      evaluator.evaluate({ from: pod('db/client'), to: external('v6'), port: 443, protocol: 'TCP' }),
      evaluateFlow(cluster, { from: pod('web/client'), to: pod('db/postgres'), port: 80, protocol: 'TCP' }, { profile: 'nope' }),
    ].map((r) => (r.ok ? 'ok' : r.error.code));
    expect(codes).toEqual(['unknown-endpoint', 'unknown-endpoint', 'unknown-port-name', 'unknown-port-name', 'invalid-port', 'no-address-in-family', 'unknown-profile']);
    const missing = evaluator.evaluate({ from: pod('web/client'), to: pod('db/postgres'), port: 'http', protocol: 'TCP' });
    expect(missing.ok ? '' : missing.error.fix).toContain('pg, metrics');
  });
});
