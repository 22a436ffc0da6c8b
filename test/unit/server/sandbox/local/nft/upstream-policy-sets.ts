// Policy sets over the upstream e2e model (namespaces x,y,z; pods a,b,c; ports 80/81 TCP+UDP), shaped after the
// cases of kubernetes test/e2e/network/netpol/network_policy.go, for the differential compiler tests.

import { ipPeer, makePolicy, podPeer, port, rule, sel } from '../../../../../helpers/builders.ts';
import type { Policy } from '../../../../../../server/policy/model.ts';

const exists = (key: string) => ({ key, operator: 'Exists' as const, values: [] });
const notIn = (key: string, values: string[]) => ({ key, operator: 'NotIn' as const, values });
const inValues = (key: string, values: string[]) => ({ key, operator: 'In' as const, values });

export const upstreamPolicySets: Readonly<Record<string, readonly Policy[]>> = {
  'no policies': [],
  'default deny ingress in x': [makePolicy('x', 'deny-ingress', { ingress: [] })],
  'default deny egress in x': [makePolicy('x', 'deny-egress', { policyTypes: ['Egress'], egress: [] })],
  'deny all ingress and egress in x': [makePolicy('x', 'deny-all', { policyTypes: ['Ingress', 'Egress'], egress: [] })],
  'allow all ingress in x after a deny': [
    makePolicy('x', 'deny-ingress', { ingress: [] }),
    makePolicy('x', 'allow-all', { ingress: [rule()] }),
  ],
  'allow ingress to x/a from same namespace': [
    makePolicy('x', 'allow-same-ns', { podSelector: sel({ pod: 'a' }), ingress: [rule([podPeer(sel())])] }),
  ],
  'allow ingress to x/a from namespace y only': [
    makePolicy('x', 'allow-ns-y', { podSelector: sel({ pod: 'a' }), ingress: [rule([podPeer(undefined, sel({ ns: 'y' }))])] }),
  ],
  'allow ingress from pod b in namespaces not x (podSelector AND namespaceSelector)': [
    makePolicy('x', 'allow-b-not-x', {
      podSelector: sel({ pod: 'a' }),
      ingress: [rule([podPeer(sel({ pod: 'b' }), sel({}, [notIn('ns', ['x'])]))])],
    }),
  ],
  'allow ingress from pod b OR namespace y (two peers)': [
    makePolicy('x', 'allow-b-or-y', { podSelector: sel({ pod: 'a' }), ingress: [rule([podPeer(sel({ pod: 'b' })), podPeer(undefined, sel({ ns: 'y' }))])] }),
  ],
  'allow ingress on port 81 only': [makePolicy('x', 'allow-81', { ingress: [rule(undefined, [port('TCP', 81)])] })],
  'allow ingress on named port serve-80-tcp': [
    makePolicy('x', 'allow-named-80', { ingress: [rule([podPeer(undefined, sel({}))], [port('TCP', 'serve-80-tcp')])] }),
  ],
  'allow ingress on named port serve-81-udp (UDP)': [
    makePolicy('x', 'allow-named-81-udp', { ingress: [rule(undefined, [port('UDP', 'serve-81-udp')])] }),
  ],
  'allow ingress on a named port no pod declares': [makePolicy('x', 'allow-missing-name', { ingress: [rule(undefined, [port('TCP', 'no-such-port')])] })],
  'allow ingress on ports 80-81 (endPort)': [makePolicy('x', 'allow-range', { ingress: [rule(undefined, [port('TCP', 80, 81)])] })],
  'allow ingress on ports 81-90 (endPort, 80 outside)': [makePolicy('x', 'allow-range-81', { ingress: [rule(undefined, [port('TCP', 81, 90)])] })],
  'allow ingress for UDP only (protocol without port)': [makePolicy('x', 'allow-udp', { ingress: [rule(undefined, [port('UDP')])] })],
  'default deny egress in x, allow egress to y on named port': [
    makePolicy('x', 'egress-named', {
      policyTypes: ['Egress'],
      egress: [rule([podPeer(undefined, sel({ ns: 'y' }))], [port('TCP', 'serve-81-tcp')])],
    }),
  ],
  'egress on named port to all peers': [makePolicy('x', 'egress-named-all', { policyTypes: ['Egress'], egress: [rule(undefined, [port('UDP', 'serve-80-udp')])] })],
  'egress allowed to ipBlock covering all pods except x/b': [
    makePolicy('x', 'egress-cidr', {
      podSelector: sel({ pod: 'a' }),
      policyTypes: ['Egress'],
      egress: [rule([ipPeer('10.244.0.0/16', ['10.244.0.11/32'])])],
    }),
  ],
  'ingress allowed from ipBlock 0.0.0.0/0 except the z pods': [
    makePolicy('x', 'ingress-cidr', { ingress: [rule([ipPeer('0.0.0.0/0', ['10.244.0.16/30', '10.244.0.18/32'])], [port('TCP', 80)])] }),
  ],
  'egress to ipBlock with named port': [
    makePolicy('x', 'egress-cidr-named', {
      policyTypes: ['Egress'],
      egress: [rule([ipPeer('10.244.0.12/30')], [port('TCP', 'serve-80-tcp')])],
    }),
  ],
  'egress to the external world and DNS-like UDP': [
    makePolicy('y', 'egress-world', {
      policyTypes: ['Egress'],
      egress: [rule([ipPeer('192.0.2.0/24')], [port('TCP', 80)]), rule(undefined, [port('UDP', 80)])],
    }),
  ],
  'ingress from the external world only': [makePolicy('z', 'from-world', { ingress: [rule([ipPeer('192.0.2.0/24')])] })],
  'policies in every namespace with matchExpressions': [
    makePolicy('x', 'x-in', { podSelector: sel({}, [inValues('pod', ['a', 'b'])]), ingress: [rule([podPeer(sel({}, [exists('pod')]), sel({ ns: 'z' }))])] }),
    makePolicy('y', 'y-egress', {
      podSelector: sel({}, [notIn('pod', ['c'])]),
      policyTypes: ['Egress'],
      egress: [rule([podPeer(sel({ pod: 'c' }), sel({}))], [port('TCP', 80), port('UDP', 81)])],
    }),
    makePolicy('z', 'z-both', {
      podSelector: sel({ pod: 'c' }),
      policyTypes: ['Ingress', 'Egress'],
      ingress: [rule([podPeer(undefined, sel({}, [inValues('ns', ['x', 'y'])]))], [port('TCP', 81)])],
      egress: [rule([podPeer(sel({}, [{ key: 'pod', operator: 'DoesNotExist', values: [] }]))])],
    }),
  ],
  'overlapping policies combine additively': [
    makePolicy('x', 'one', { podSelector: sel({ pod: 'a' }), ingress: [rule([podPeer(sel({ pod: 'b' }))], [port('TCP', 80)])] }),
    makePolicy('x', 'two', { podSelector: sel({ pod: 'a' }), ingress: [rule([podPeer(sel({ pod: 'c' }))], [port('UDP', 81)])] }),
    makePolicy('x', 'three', { podSelector: sel(), ingress: [rule([podPeer(sel(), sel({ ns: 'y' }))], [port('TCP', 81)])] }),
  ],
  'named port and number in one rule, mixed with endPort': [
    makePolicy('y', 'mixed', {
      podSelector: sel({ pod: 'b' }),
      policyTypes: ['Ingress', 'Egress'],
      ingress: [rule([podPeer(sel(), sel())], [port('TCP', 'serve-81-tcp'), port('UDP', 80, 81)])],
      egress: [rule([podPeer(sel({ pod: 'a' }), sel())], [port('TCP', 'serve-80-tcp'), port('TCP', 81, 81)])],
    }),
  ],
  'SCTP ports (SCTP model)': [
    makePolicy('x', 'sctp-only', { ingress: [rule(undefined, [port('SCTP', 80)])] }),
    makePolicy('y', 'sctp-named', { policyTypes: ['Egress'], egress: [rule(undefined, [port('SCTP', 'serve-81-sctp')])] }),
  ],
};

/** One named set; throws on a name that does not exist so a typo cannot turn into "no policies". */
export function getPolicySet(name: string): readonly Policy[] {
  const set = upstreamPolicySets[name];
  if (set === undefined) throw new Error(`no policy set named ${JSON.stringify(name)}`);
  return set;
}
