// Model → Kubernetes objects: NetworkPolicies re-serialized with the API's meaning intact, agnhost pods serving
// exactly the declared ports, and nothing of a shared cluster's system namespaces touched.
import { describe, expect, it } from 'vitest';
import { renderNetworkPolicy, renderSandboxState } from '../../../../../server/sandbox/k8s/manifests.ts';
import type { SandboxMarks } from '../../../../../server/sandbox/k8s/manifests.ts';
import { ipPeer, makeCluster, makeNamespace, makePod, makePolicy, podPeer, port, rule, sel } from '../../../../helpers/builders.ts';

const marks: SandboxMarks = { sandboxId: 'sb-0a1b2c3d', expiresLabel: '20261121t123000z', ownerLabel: 'qa' };

describe('NetworkPolicy serialization', () => {
  it('writes a rule that admits every peer or port without the field, as the API reads an absent field', () => {
    const policy = makePolicy('prod', 'web', { podSelector: sel({ app: 'web' }), ingress: [rule(), rule([podPeer(sel({ app: 'api' }))], [port('TCP', 80)])] });
    expect(renderNetworkPolicy(policy, marks).spec).toEqual({
      podSelector: { matchLabels: { app: 'web' } },
      policyTypes: ['Ingress'],
      ingress: [{}, { from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ protocol: 'TCP', port: 80 }] }],
    });
  });

  it('keeps absent and empty selectors apart: absent namespaceSelector means the policy namespace only', () => {
    const policy = makePolicy('prod', 'mixed', {
      egress: [rule([podPeer(sel({ app: 'db' })), podPeer(undefined, sel()), ipPeer('10.0.0.0/8', ['10.1.0.0/16'])], [port('TCP', 5432), port('UDP', 'dns'), port('TCP', 8000, 8080)])],
    });
    expect(renderNetworkPolicy(policy, marks).spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [
        {
          to: [{ podSelector: { matchLabels: { app: 'db' } } }, { namespaceSelector: {} }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }],
          ports: [{ protocol: 'TCP', port: 5432 }, { protocol: 'UDP', port: 'dns' }, { protocol: 'TCP', port: 8000, endPort: 8080 }],
        },
      ],
    });
  });

  it('writes matchExpressions without values for Exists and DoesNotExist', () => {
    const policy = makePolicy('prod', 'expr', {
      podSelector: sel({}, [
        { key: 'tier', operator: 'In', values: ['web', 'api'] },
        { key: 'canary', operator: 'DoesNotExist', values: [] },
      ]),
    });
    expect(renderNetworkPolicy(policy, marks).spec).toMatchObject({
      podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }, { key: 'canary', operator: 'DoesNotExist' }] },
    });
  });
});

describe('sandbox objects', () => {
  const cluster = makeCluster({
    namespaces: [makeNamespace('prod', { env: 'prod' }), makeNamespace('default')],
    pods: [
      makePod('prod', 'web', { labels: { app: 'web' }, ports: [[80, 'TCP', 'http'], [53, 'UDP'], [9000, 'SCTP']] }),
      makePod('prod', 'client', { labels: { app: 'client' } }),
      makePod('default', 'stray', { labels: { app: 'stray' } }),
    ],
    policies: [makePolicy('default', 'deny-default'), makePolicy('prod', 'deny-prod')],
  });

  it('runs one agnhost container per declared port, keeping port names, and a pause container otherwise', () => {
    const rendered = renderSandboxState(cluster, { marks, agnhostImage: 'agnhost:test', isSharedCluster: false });
    const web = rendered.pods.find((pod) => pod.metadata.name === 'web');
    expect(web?.['spec']).toMatchObject({
      containers: [
        { name: 'serve-80-tcp', args: ['serve-hostname', '--tcp', '--http=false', '--port=80'], ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }] },
        { name: 'serve-53-udp', args: ['serve-hostname', '--udp', '--http=false', '--port=53'], ports: [{ containerPort: 53, protocol: 'UDP' }] },
        { name: 'serve-9000-sctp', args: ['porter'], env: [{ name: 'SERVE_SCTP_PORT_9000', value: 'foo' }] },
      ],
    });
    expect(rendered.pods.find((pod) => pod.metadata.name === 'client')?.['spec']).toMatchObject({ containers: [{ name: 'agnhost', args: ['pause'] }] });
    expect(web?.metadata.labels).toEqual({ app: 'web', 'rehearsal.dev/sandbox-id': 'sb-0a1b2c3d' });
    expect(web?.metadata.annotations?.['rehearsal.dev/spec-hash']).toMatch(/^[0-9a-f]{16}$/);
  });

  it('labels namespaces with the sandbox marks, never creates system namespaces, and drops the API server label', () => {
    const rendered = renderSandboxState(cluster, { marks, agnhostImage: 'agnhost:test', isSharedCluster: false });
    expect(rendered.namespaces.map((namespace) => namespace.metadata)).toEqual([
      { name: 'prod', labels: { env: 'prod', 'rehearsal.dev/sandbox-id': 'sb-0a1b2c3d', 'rehearsal.dev/expires-at': '20261121t123000z', 'rehearsal.dev/owner': 'qa' } },
    ]);
    expect(rendered.pods.map((pod) => pod.metadata.name)).toEqual(['web', 'client', 'stray']);
    expect(rendered.policies.map((policy) => policy.metadata.name)).toEqual(['deny-default', 'deny-prod']);
  });

  it('on a shared cluster, keeps pods and policies out of the default namespace and says so', () => {
    const rendered = renderSandboxState(cluster, { marks, agnhostImage: 'agnhost:test', isSharedCluster: true });
    expect(rendered.pods.map((pod) => pod.metadata.name)).toEqual(['web', 'client']);
    expect(rendered.policies.map((policy) => policy.metadata.name)).toEqual(['deny-prod']);
    expect(rendered.skipped).toEqual([
      'namespace default: a system namespace every cluster has; its labels are left as they are',
      'pod default/stray: rehearsal does not create pods in the default namespace here',
      "NetworkPolicy default/deny-default: on a shared cluster a policy in default would isolate other people's pods",
    ]);
  });
});
