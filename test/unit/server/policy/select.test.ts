// The selection layer shared by the evaluator, the matrix and the nftables compiler.
import { describe, expect, it } from 'vitest';
import { parseIp } from '../../../../server/policy/cidr.ts';
import type { Pod, ServicePort } from '../../../../server/policy/model.ts';
import {
  formatPodKey,
  indexCluster,
  isolatingPolicies,
  matchIpBlock,
  namespaceLabels,
  peerMatchesPod,
  resolveNamedPort,
  resolvePeerPods,
  resolveServiceTargetPort,
  selectPolicySubjects,
  serviceBackends,
} from '../../../../server/policy/select.ts';
import { ipPeer, makeCluster, makeNamespace, makePod, makePolicy, makeService, podPeer, port, rule, sel } from '../../../helpers/builders.ts';

const cluster = makeCluster({
  namespaces: [makeNamespace('web', { team: 'web' }), makeNamespace('db', { team: 'db' })],
  pods: [
    makePod('web', 'frontend', { labels: { app: 'frontend' }, ports: [[80, 'TCP', 'http'], [53, 'UDP', 'dns']], ip: '10.244.1.10' }),
    makePod('web', 'worker', { labels: { app: 'worker' }, ports: [[8080, 'TCP', 'http']], ips: ['10.244.1.11', 'fd00::11'] }),
    makePod('db', 'postgres', { labels: { app: 'db' }, ports: [[5432, 'TCP', 'pg']], ip: '10.244.2.10' }),
    makePod('orphan', 'p', { labels: { app: 'frontend' }, ip: '10.244.3.10' }),
  ],
  services: [
    makeService('web', 'web', { selector: { app: 'frontend' }, clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] }),
    makeService('web', 'all-http', { selector: {}, clusterIP: '10.96.0.21', ports: [] }),
    makeService('web', 'manual', { selector: null, clusterIP: '10.96.0.22', ports: [] }),
  ],
  policies: [
    makePolicy('web', 'frontend-only', { podSelector: sel({ app: 'frontend' }) }),
    makePolicy('web', 'all-egress', { policyTypes: ['Egress'] }),
    makePolicy('db', 'all', {}),
  ],
});
const index = indexCluster(cluster);
const keys = (pods: readonly Pod[]): string[] => pods.map(formatPodKey);
const policy = (name: string) => {
  const found = cluster.policies.find((p) => p.name === name);
  if (found === undefined) throw new Error(name);
  return found;
};
const podOf = (key: string): Pod => {
  const found = index.podsByKey.get(key);
  if (found === undefined) throw new Error(key);
  return found;
};

describe('indexCluster', () => {
  it('indexes namespaces, pods by namespace and key, services and policies', () => {
    expect([...index.namespacesByName.keys()]).toEqual(['db', 'orphan', 'web']);
    expect(keys(index.podsByNamespace.get('web') ?? [])).toEqual(['web/frontend', 'web/worker']);
    expect(index.podsByKey.get('db/postgres')?.name).toBe('postgres');
    expect([...index.servicesByKey.keys()]).toEqual(['web/web', 'web/all-http', 'web/manual']);
    expect(index.policiesByNamespace.get('web')?.map((p) => p.name)).toEqual(['frontend-only', 'all-egress']);
  });

  it('a namespace only referenced by pods still has the kubernetes.io/metadata.name label', () => {
    expect(namespaceLabels(index, 'nowhere')).toEqual({ 'kubernetes.io/metadata.name': 'nowhere' });
    expect(namespaceLabels(index, 'web')).toEqual({ team: 'web', 'kubernetes.io/metadata.name': 'web' });
  });
});

describe('selectPolicySubjects and isolatingPolicies', () => {
  it('"An empty podSelector matches all pods in this namespace." (never another namespace)', () => {
    expect(keys(selectPolicySubjects(index, policy('all-egress')))).toEqual(['web/frontend', 'web/worker']);
    expect(keys(selectPolicySubjects(index, policy('frontend-only')))).toEqual(['web/frontend']);
  });

  it('a pod is isolated for a direction only by policies that select it and have that policyType', () => {
    expect(isolatingPolicies(index, podOf('web/frontend'), 'Ingress').map((p) => p.name)).toEqual(['frontend-only']);
    expect(isolatingPolicies(index, podOf('web/frontend'), 'Egress').map((p) => p.name)).toEqual(['all-egress']);
    expect(isolatingPolicies(index, podOf('web/worker'), 'Ingress')).toEqual([]);
    expect(isolatingPolicies(index, podOf('orphan/p'), 'Ingress')).toEqual([]);
  });
});

describe('peers', () => {
  const owner = makePolicy('web', 'owner');

  it('podSelector only: pods of the policy namespace', () => {
    const peer = podPeer(sel({ app: 'frontend' }));
    expect(keys(resolvePeerPods(index, owner, peer))).toEqual(['web/frontend']);
    expect(peerMatchesPod(index, owner, peer, podOf('orphan/p'))).toBe(false);
  });

  it('namespaceSelector only: every pod of the matching namespaces; {} = all namespaces', () => {
    expect(keys(resolvePeerPods(index, owner, podPeer(undefined, sel({ team: 'db' }))))).toEqual(['db/postgres']);
    expect(keys(resolvePeerPods(index, owner, podPeer(undefined, sel())))).toEqual(['web/frontend', 'web/worker', 'db/postgres', 'orphan/p']);
  });

  it('both selectors in one peer: AND', () => {
    expect(keys(resolvePeerPods(index, owner, podPeer(sel({ app: 'frontend' }), sel())))).toEqual(['web/frontend', 'orphan/p']);
    expect(keys(resolvePeerPods(index, owner, podPeer(sel({ app: 'frontend' }), sel({ team: 'db' }))))).toEqual([]);
  });

  it('ipBlock: a pure IP match on any of the pod addresses, honouring except', () => {
    expect(keys(resolvePeerPods(index, owner, ipPeer('10.244.1.0/24', ['10.244.1.11/32'])))).toEqual(['web/frontend']);
    expect(keys(resolvePeerPods(index, owner, ipPeer('fd00::/64')))).toEqual(['web/worker']);
  });

  it('matchIpBlock tells a miss from an except, and never matches across address families', () => {
    const block = { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] };
    const at = (text: string) => {
      const ip = parseIp(text);
      if (ip === undefined) throw new Error(text);
      return matchIpBlock(index, block, ip);
    };
    expect(at('10.2.3.4')).toEqual({ kind: 'match' });
    expect(at('10.1.3.4')).toEqual({ kind: 'excepted', except: '10.1.0.0/16' });
    expect(at('11.0.0.1')).toEqual({ kind: 'not-in-cidr' });
    expect(at('::ffff:10.2.3.4')).toEqual({ kind: 'not-in-cidr' });
  });
});

describe('named ports and services', () => {
  it('resolveNamedPort looks for the name among container ports of the same protocol', () => {
    expect(resolveNamedPort(podOf('web/frontend'), 'http', 'TCP')).toBe(80);
    expect(resolveNamedPort(podOf('web/frontend'), 'dns', 'UDP')).toBe(53);
    expect(resolveNamedPort(podOf('web/frontend'), 'dns', 'TCP')).toBeUndefined();
    expect(resolveNamedPort(podOf('web/worker'), 'http', 'TCP')).toBe(8080);
  });

  it('serviceBackends: pods of the service namespace matching its selector; none without a selector', () => {
    const service = (name: string) => {
      const found = index.servicesByKey.get(`web/${name}`);
      if (found === undefined) throw new Error(name);
      return found;
    };
    expect(keys(serviceBackends(index, service('web')))).toEqual(['web/frontend']);
    expect(serviceBackends(index, service('manual'))).toEqual([]);
    expect(serviceBackends(index, service('all-http'))).toEqual([]);
  });

  it('resolveServiceTargetPort: a number as is, a name per backend', () => {
    const named: ServicePort = { port: 80, targetPort: 'http', protocol: 'TCP' };
    const numeric: ServicePort = { port: 80, targetPort: 8080, protocol: 'TCP' };
    expect(resolveServiceTargetPort(named, podOf('web/frontend'))).toBe(80);
    expect(resolveServiceTargetPort(named, podOf('web/worker'))).toBe(8080);
    expect(resolveServiceTargetPort(named, podOf('db/postgres'))).toBeUndefined();
    expect(resolveServiceTargetPort(numeric, podOf('db/postgres'))).toBe(8080);
  });

  it('builders fill peer and port paths the way the parser does (explanations quote them)', () => {
    const p = makePolicy('web', 'named', { ingress: [rule([podPeer(sel())], [port('TCP', 'http')])] });
    expect(p.ingress[0]?.ports[0]?.path).toBe('spec.ingress[0].ports[0]');
    expect(p.ingress[0]?.peers[0]?.path).toBe('spec.ingress[0].from[0]');
  });
});
