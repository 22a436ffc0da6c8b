// Differential: for the upstream e2e model (x,y,z × a,b,c, ports 80/81 over TCP and UDP) plus two external
// endpoints, under policies covering every peer and port form, what packets do in a local sandbox must equal what
// the engine predicts, cell by cell, for `reference` and for each CNI profile where the research documents a
// difference. A mismatch prints the flow, both verdicts and the engine's reason.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifests } from '../../server/policy/index.ts';
import type { Cluster } from '../../server/policy/index.ts';
import { planMatrixProbes, runMatrixProbes } from '../../server/probe/run-matrix-probes.ts';
import type { ProbeComparison } from '../../server/probe/run-matrix-probes.ts';
import type { SandboxHandle } from '../../server/sandbox/contract.ts';
import { generateSandboxId } from '../../server/sandbox/local/names.ts';
import { canRunPrivileged } from '../helpers/env.ts';
import { makeTempHome, makeTestProvider, repoRoot } from './local-helpers.ts';

const modelYaml = readFileSync(join(repoRoot, 'test', 'fixtures', 'upstream-model.yaml'), 'utf8');

const externalsYaml = `
apiVersion: rehearsal.dev/v1alpha1
kind: ExternalEndpoint
metadata: {name: api}
spec: {ip: 203.0.113.10, ports: [{port: 443, protocol: TCP}]}
---
apiVersion: rehearsal.dev/v1alpha1
kind: ExternalEndpoint
metadata: {name: partner}
spec: {ip: 198.51.100.20, ports: [{port: 8443, protocol: TCP}, {port: 8443, protocol: UDP}]}
`;

function parseCluster(policiesYaml: string): Cluster {
  const parsed = parseManifests([
    { file: 'upstream-model.yaml', text: modelYaml },
    { file: 'externals.yaml', text: externalsYaml },
    { file: 'policies.yaml', text: policiesYaml },
  ]);
  const errors = parsed.issues.filter((issue) => issue.severity === 'error');
  if (errors.length > 0) throw new Error(`test manifests do not parse: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return parsed.cluster;
}

const baseCluster = parseCluster('');
function ipOf(key: string): string {
  const pod = baseCluster.pods.find((candidate) => `${candidate.namespace}/${candidate.name}` === key);
  const ip = pod?.ips[0];
  if (ip === undefined) throw new Error(`no pod ${key} in the model`);
  return ip;
}

function policy(namespace: string, name: string, spec: string): string {
  return `---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: "${namespace}"}\nspec:\n${spec
    .trim()
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')}\n`;
}

/** Every peer and port form of networking.k8s.io/v1, one policy set per case. */
const cases: Readonly<Record<string, string>> = {
  'no policies': '',
  // "If no policyTypes are specified on a NetworkPolicy then by default Ingress will always be set".
  'deny all ingress in x': policy('x', 'deny-all', 'podSelector: {}\npolicyTypes: [Ingress]'),
  'allow by pod selector': policy('x', 'a-from-b', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - podSelector: {matchLabels: {pod: b}}'),
  'allow by namespace selector': policy('y', 'from-x', 'podSelector: {}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {ns: x}}'),
  // One element with both selectors is an AND; two elements are an OR.
  'pod AND namespace vs OR': [
    policy('z', 'a-from-y-c', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {ns: "y"}}\n    podSelector: {matchLabels: {pod: c}}'),
    policy('z', 'b-from-x-or-c', 'podSelector: {matchLabels: {pod: b}}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {ns: x}}\n  - podSelector: {matchLabels: {pod: c}}'),
  ].join(''),
  'ipBlock with except covering pod IPs': policy(
    'x',
    'b-from-cidr',
    `podSelector: {matchLabels: {pod: b}}\ningress:\n- from:\n  - ipBlock: {cidr: 10.244.0.0/16, except: [${ipOf('y/a')}/32]}\n  - ipBlock: {cidr: 198.51.100.0/24}`,
  ),
  'egress only': policy('x', 'egress-to-y', 'podSelector: {}\npolicyTypes: [Egress]\negress:\n- to:\n  - namespaceSelector: {matchLabels: {ns: "y"}}'),
  'named ports': policy('y', 'b-named', 'podSelector: {matchLabels: {pod: b}}\ningress:\n- ports:\n  - port: serve-81-tcp\n  - {port: serve-80-udp, protocol: UDP}'),
  'endPort range': policy('y', 'c-range', 'podSelector: {matchLabels: {pod: c}}\ningress:\n- ports:\n  - {port: 81, endPort: 90, protocol: UDP}\n  - {port: 79, endPort: 80, protocol: TCP}'),
  'UDP only': policy('z', 'b-udp-only', 'podSelector: {matchLabels: {pod: b}}\ningress:\n- ports:\n  - protocol: UDP'),
  'external endpoints, egress and ingress': [
    policy('z', 'egress-api-and-cluster', 'podSelector: {}\npolicyTypes: [Egress]\negress:\n- to:\n  - ipBlock: {cidr: 203.0.113.0/24}\n  ports:\n  - {port: 443, protocol: TCP}\n- to:\n  - namespaceSelector: {}'),
    policy('y', 'a-from-partner', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - ipBlock: {cidr: 198.51.100.20/32}'),
  ].join(''),
};

function describeMismatches(results: readonly ProbeComparison[]): string {
  return results
    .filter((result) => !result.match)
    .slice(0, 20)
    .map((r) => `${r.from} → ${r.to} ${r.port}/${r.protocol}: predicted ${r.predicted} (${r.reason}), observed ${r.observed}${r.detail === undefined ? '' : ` (${r.detail})`}`)
    .join('\n');
}

async function checkCase(handle: SandboxHandle, options: { readonly profile: string; readonly policies: string }): Promise<readonly ProbeComparison[]> {
  const cluster = parseCluster(options.policies);
  await handle.apply(cluster);
  const plan = planMatrixProbes(cluster, { profile: options.profile });
  const { results, summary } = await runMatrixProbes(handle, plan);
  expect(results).toHaveLength(plan.probes.length);
  // The probes really ran: no timeouts or agent errors hide behind a "denied" prediction.
  expect(summary.observed.error, describeMismatches(results)).toBe(0);
  expect(summary.mismatched, describeMismatches(results)).toBe(0);
  return results;
}

function countPredicted(results: readonly ProbeComparison[], outcome: 'allowed' | 'denied'): number {
  return results.filter((result) => result.predicted === outcome).length;
}

/** Cells whose prediction differs between two profiles: proves a profile case exercises its documented difference. */
function countDifferences(cluster: Cluster, profile: string): number {
  const reference = new Map(planMatrixProbes(cluster, { profile: 'reference' }).probes.map((p) => [`${p.from} ${p.to} ${p.port} ${p.protocol}`, p.predicted]));
  return planMatrixProbes(cluster, { profile }).probes.filter((p) => reference.get(`${p.from} ${p.to} ${p.port} ${p.protocol}`) !== p.predicted).length;
}

function describeProfile(profile: string, body: (sandbox: () => SandboxHandle) => void): void {
  describe(`profile ${profile}`, () => {
    let home: Awaited<ReturnType<typeof makeTempHome>> | undefined;
    let handle: SandboxHandle | undefined;
    beforeAll(async () => {
      home = await makeTempHome(`diff-${profile}`);
      handle = await makeTestProvider(home.dir).create({ id: generateSandboxId(), cni: profile, ttlSeconds: 900, owner: 'differential', cluster: baseCluster });
    });
    afterAll(async () => {
      await handle?.destroy();
      await home?.dispose();
    });
    body(() => {
      if (handle === undefined) throw new Error('sandbox not created');
      return handle;
    });
  });
}

describe.runIf(canRunPrivileged())('local sandbox: observed == predicted', () => {
  describeProfile('reference', (sandbox) => {
    for (const [name, policies] of Object.entries(cases)) {
      it(`reference: ${name}`, async () => {
        const results = await checkCase(sandbox(), { profile: 'reference', policies });
        expect(countPredicted(results, 'allowed')).toBeGreaterThan(0);
        if (name !== 'no policies') expect(countPredicted(results, 'denied')).toBeGreaterThan(0);
      });
    }
  });

  for (const profile of ['calico', 'antrea', 'kube-router']) {
    describeProfile(profile, (sandbox) => {
      it(`${profile}: an ipBlock covering pod IPs selects those pods, as on reference [K5] [ANT2] [KR5]`, async () => {
        const policies = cases['ipBlock with except covering pod IPs'] ?? '';
        expect(countDifferences(parseCluster(policies), profile)).toBe(0);
        await checkCase(sandbox(), { profile, policies });
      });
    });
  }

  describeProfile('flannel', (sandbox) => {
    it('flannel: policies are accepted and enforce nothing [FL1]', async () => {
      const policies = (cases['deny all ingress in x'] ?? '') + (cases['egress only'] ?? '');
      expect(countDifferences(parseCluster(policies), 'flannel')).toBeGreaterThan(0);
      const results = await checkCase(sandbox(), { profile: 'flannel', policies });
      expect(countPredicted(results, 'denied')).toBe(0);
    });
  });

  describeProfile('cilium', (sandbox) => {
    it('cilium: ipBlock does not select pods, even a CIDR covering them [CIL2]', async () => {
      const policies = cases['ipBlock with except covering pod IPs'] ?? '';
      expect(countDifferences(parseCluster(policies), 'cilium')).toBeGreaterThan(0);
      await checkCase(sandbox(), { profile: 'cilium', policies });
    });

    it('cilium: egress to 0.0.0.0/0 means outside the cluster only [CIL2]', async () => {
      const policies = policy('x', 'egress-world', 'podSelector: {}\npolicyTypes: [Egress]\negress:\n- to:\n  - ipBlock: {cidr: 0.0.0.0/0}');
      expect(countDifferences(parseCluster(policies), 'cilium')).toBeGreaterThan(0);
      await checkCase(sandbox(), { profile: 'cilium', policies });
    });
  });

  describeProfile('cilium-1.15', (sandbox) => {
    it('cilium before 1.16: endPort is ignored, only port is enforced [CIL6]', async () => {
      const policies = cases['endPort range'] ?? '';
      expect(countDifferences(parseCluster(policies), 'cilium-1.15')).toBeGreaterThan(0);
      await checkCase(sandbox(), { profile: 'cilium-1.15', policies });
    });
  });

  describeProfile('ovn-kubernetes', (sandbox) => {
    it('ovn-kubernetes: a named port opens every port of its protocol [OVN3]', async () => {
      const policies = cases['named ports'] ?? '';
      expect(countDifferences(parseCluster(policies), 'ovn-kubernetes')).toBeGreaterThan(0);
      await checkCase(sandbox(), { profile: 'ovn-kubernetes', policies });
    });
  });

  describeProfile('weave', (sandbox) => {
    it('weave: a policy with a named port is rejected and isolates nothing [WV2]', async () => {
      const policies = cases['named ports'] ?? '';
      expect(countDifferences(parseCluster(policies), 'weave')).toBeGreaterThan(0);
      await checkCase(sandbox(), { profile: 'weave', policies });
    });
  });
});
