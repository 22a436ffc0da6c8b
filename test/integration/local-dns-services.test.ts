// Names and Services in a local sandbox: DNS answers `<svc>.<ns>.svc.cluster.local` and short names, DNS traffic
// obeys policy like any traffic (an egress policy without a DNS rule breaks name probes), and a ClusterIP is
// translated to its backends (round robin, named targetPort) before policy is evaluated, as kube-proxy does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifests } from '../../server/policy/index.ts';
import type { Cluster } from '../../server/policy/index.ts';
import type { ProbeRequest, SandboxHandle } from '../../server/sandbox/contract.ts';
import { generateSandboxId } from '../../server/sandbox/local/names.ts';
import { canRunPrivileged } from '../helpers/env.ts';
import { collectProbes, makeTempHome, makeTestProvider, repoRoot } from './local-helpers.ts';

const modelYaml = readFileSync(join(repoRoot, 'test', 'fixtures', 'upstream-model.yaml'), 'utf8');

const shopYaml = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec: {containers: [{name: c, image: busybox}]}
`;

function parseCluster(extra: string): Cluster {
  const parsed = parseManifests([
    { file: 'upstream-model.yaml', text: modelYaml },
    { file: 'shop.yaml', text: shopYaml },
    { file: 'policies.yaml', text: extra },
  ]);
  const errors = parsed.issues.filter((issue) => issue.severity === 'error');
  if (errors.length > 0) throw new Error(`test manifests do not parse: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return parsed.cluster;
}

const egressToYOnly = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-egress-y, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {ns: "y"}}}]
`;

const egressToYAndDns = `${egressToYOnly}
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
`;

const dnsIngressDenied = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns-closed, namespace: kube-system}
spec:
  podSelector: {matchLabels: {k8s-app: kube-dns}}
  policyTypes: [Ingress]
`;

const webIngressDenied = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-closed, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
`;

const lateService = `
apiVersion: v1
kind: Service
metadata: {name: late, namespace: "y"}
spec:
  selector: {pod: b}
  ports: [{port: 80, targetPort: 80}]
`;

function nameProbe(id: string, from: string, hostname: string, port = 80): ProbeRequest {
  const [namespace = '', name = ''] = from.split('/');
  return { id, from: { kind: 'pod', namespace, name }, to: { kind: 'dns', hostname }, port, protocol: 'TCP', timeoutMs: 2000 };
}

function serviceProbe(id: string, from: string, service: string, port: number): ProbeRequest {
  const [namespace = '', name = ''] = from.split('/');
  const [serviceNamespace = '', serviceName = ''] = service.split('/');
  return { id, from: { kind: 'pod', namespace, name }, to: { kind: 'service', namespace: serviceNamespace, name: serviceName }, port, protocol: 'TCP', timeoutMs: 2000 };
}

describe.runIf(canRunPrivileged())('local sandbox: DNS and services', () => {
  let home: Awaited<ReturnType<typeof makeTempHome>> | undefined;
  let handle: SandboxHandle | undefined;
  const sandbox = (): SandboxHandle => {
    if (handle === undefined) throw new Error('sandbox not created');
    return handle;
  };
  beforeAll(async () => {
    home = await makeTempHome('dns');
    handle = await makeTestProvider(home.dir).create({ id: generateSandboxId(), cni: 'reference', ttlSeconds: 600, owner: 'dns', cluster: parseCluster('') });
  });
  afterAll(async () => {
    await handle?.destroy();
    await home?.dispose();
  });

  it('resolves fully qualified, namespace-qualified and short service names, and connects through them', async () => {
    const results = await collectProbes(sandbox(), [
      nameProbe('fqdn', 'x/a', 's-y-b.y.svc.cluster.local'),
      nameProbe('ns-qualified', 'x/a', 's-z-c.z'),
      nameProbe('short', 'y/a', 's-y-b'),
      nameProbe('missing', 'x/a', 'nope.y.svc.cluster.local'),
    ]);
    expect(results.get('fqdn')?.outcome).toBe('allowed');
    expect(results.get('fqdn')?.backend).toBe('y/b');
    expect(results.get('ns-qualified')?.backend).toBe('z/c');
    expect(results.get('short')?.backend).toBe('y/b');
    expect(results.get('missing')?.outcome).toBe('error');
    expect(results.get('missing')?.detail).toMatch(/no such name/);
  });

  it('breaks name probes when an egress policy forgets DNS, while traffic by address still flows', async () => {
    await sandbox().apply(parseCluster(egressToYOnly));
    const results = await collectProbes(sandbox(), [
      nameProbe('by-name', 'x/a', 's-y-b.y.svc.cluster.local'),
      serviceProbe('by-clusterip', 'x/a', 'y/s-y-b', 80),
    ]);
    expect(results.get('by-name')?.outcome).toBe('denied');
    expect(results.get('by-name')?.detail).toBe('DNS lookup blocked by egress policy');
    expect(results.get('by-name')?.attribution?.subject).toBe('x/a');
    expect(results.get('by-name')?.attribution?.policies).toEqual([{ namespace: 'x', name: 'a-egress-y' }]);
    expect(results.get('by-clusterip')?.outcome).toBe('allowed');
  });

  it('resolves again once the egress policy allows DNS to kube-dns', async () => {
    await sandbox().apply(parseCluster(egressToYAndDns));
    const results = await collectProbes(sandbox(), [nameProbe('by-name', 'x/a', 's-y-b.y.svc.cluster.local')]);
    expect(results.get('by-name')?.outcome).toBe('allowed');
  });

  it('reports a DNS pod closed by an ingress policy as an ingress denial', async () => {
    await sandbox().apply(parseCluster(dnsIngressDenied));
    const results = await collectProbes(sandbox(), [nameProbe('by-name', 'z/a', 's-y-b.y.svc.cluster.local')]);
    expect(results.get('by-name')?.outcome).toBe('denied');
    expect(results.get('by-name')?.detail).toBe('DNS lookup blocked by ingress policy');
    expect(results.get('by-name')?.attribution?.direction).toBe('Ingress');
  });

  it('answers a Service added by apply as soon as apply returns, and forgets it once it is removed', async () => {
    // The kube-dns agent reloads its records over the control socket before apply returns: no wait, no retry.
    await sandbox().apply(parseCluster(lateService));
    const added = await collectProbes(sandbox(), [nameProbe('late', 'x/a', 'late.y.svc.cluster.local'), nameProbe('short', 'y/a', 'late')]);
    expect(added.get('late')?.outcome).toBe('allowed');
    expect(added.get('late')?.backend).toBe('y/b');
    expect(added.get('short')?.backend).toBe('y/b');
    await sandbox().apply(parseCluster(''));
    const removed = await collectProbes(sandbox(), [nameProbe('late', 'x/a', 'late.y.svc.cluster.local')]);
    expect(removed.get('late')?.outcome).toBe('error');
    expect(removed.get('late')?.detail).toMatch(/no such name/);
  });

  it('spreads a ClusterIP over its backends through a named targetPort', async () => {
    await sandbox().apply(parseCluster(''));
    const requests = Array.from({ length: 30 }, (_, i) => serviceProbe(`s${i}`, 'shop/client', 'shop/web', 80));
    const results = await collectProbes(sandbox(), requests);
    const backends = new Set([...results.values()].map((result) => result.backend));
    expect([...results.values()].every((result) => result.outcome === 'allowed')).toBe(true);
    const webPods = sandbox()
      .cluster()
      .pods.filter((pod) => pod.namespace === 'shop' && pod.labels.app === 'web')
      .map((pod) => `${pod.namespace}/${pod.name}`);
    expect(webPods).toHaveLength(3);
    expect(backends.size).toBeGreaterThanOrEqual(2);
    for (const backend of backends) expect(webPods).toContain(backend);
  });

  it('denies a Service whose backends are isolated, saying the backend behind the ClusterIP is not known', async () => {
    await sandbox().apply(parseCluster(webIngressDenied));
    const results = await collectProbes(sandbox(), [serviceProbe('svc', 'shop/client', 'shop/web', 80)]);
    const result = results.get('svc');
    expect(result?.outcome).toBe('denied');
    expect(result?.attribution?.subject).toBe('svc/shop/web');
    expect(result?.attribution?.policies).toEqual([{ namespace: 'shop', name: 'web-closed' }]);
    expect(result?.detail).toMatch(/3 backends/);
  });
});
