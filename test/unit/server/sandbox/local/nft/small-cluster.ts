// A small cluster that touches every construct the compiler emits, for golden files and focused tests.

import { ipPeer, makeCluster, makeExternal, makeNamespace, makePod, makePolicy, makeService, podPeer, port, rule, sel } from '../../../../../helpers/builders.ts';
import type { Cluster } from '../../../../../../server/policy/model.ts';

export function makeSmallCluster(): Cluster {
  const base = makeCluster({
    namespaces: [makeNamespace('shop', { team: 'web' }), makeNamespace('data', { team: 'db' })],
    pods: [
      makePod('shop', 'frontend', { labels: { app: 'frontend' }, ports: [[80, 'TCP', 'http']], ip: '10.244.0.10' }),
      makePod('shop', 'backend', { labels: { app: 'backend' }, ports: [[8080, 'TCP', 'http']], ips: ['10.244.0.11', 'fd00:10:244::b'] }),
      makePod('data', 'db', { labels: { app: 'db' }, ports: [[5432, 'TCP', 'postgres']], ip: '10.244.0.12' }),
    ],
    policies: [
      makePolicy('shop', 'backend-ingress', {
        podSelector: sel({ app: 'backend' }),
        ingress: [
          rule([podPeer(sel({ app: 'frontend' }))], [port('TCP', 'http')]),
          rule([ipPeer('192.0.2.0/24', ['192.0.2.128/25'])], [port('TCP', 8000, 8090)]),
        ],
      }),
      makePolicy('shop', 'frontend-egress', {
        podSelector: sel({ app: 'frontend' }),
        policyTypes: ['Egress'],
        egress: [rule([podPeer(sel({ app: 'backend' }))], [port('TCP', 'http')]), rule(undefined, [port('UDP', 53)])],
      }),
      makePolicy('data', 'db-ingress', {
        podSelector: sel({ app: 'db' }),
        ingress: [rule([podPeer(sel({ app: 'backend' }), sel({ team: 'web' }))], [port('TCP', 5432)])],
      }),
    ],
  });
  return {
    ...base,
    services: [
      makeService('shop', 'backend', { selector: { app: 'backend' }, clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] }),
      makeService('data', 'replica', { selector: { app: 'replica' }, clusterIP: '10.96.0.21', ports: [{ port: 5432, targetPort: 5432, protocol: 'TCP' }] }),
    ],
    externals: [makeExternal('partner', '192.0.2.10')],
  };
}

/** Router interfaces as the local provider names them. */
export const smallClusterInterfaces: ReadonlyMap<string, string> = new Map([
  ['shop/frontend', 'p1'],
  ['shop/backend', 'p2'],
  ['data/db', 'p3'],
]);
