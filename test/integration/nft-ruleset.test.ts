// The compiled router ruleset against the real kernel: nft accepts every profile's output (check mode, then a
// real atomic load), a 1,000-pod × 200-policy ruleset loads (times printed, never asserted), and real TCP
// connections through a netns router end exactly as the engine predicts, with the errno telling the side.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCniProfile, listCniProfileNames } from '../../server/policy/cni-profiles.ts';
import { createEvaluator } from '../../server/policy/evaluate.ts';
import type { Cluster } from '../../server/policy/model.ts';
import { compileRuleset } from '../../server/sandbox/local/nft/compile-ruleset.ts';
import { canRunPrivileged } from '../helpers/env.ts';
import { makeExternal, makePolicy, makeService, makeUpstreamModel, podPeer, rule, sel } from '../helpers/builders.ts';
import { assignInterfaces, compileFor, externalIfname } from '../unit/server/sandbox/local/nft/differential-harness.ts';
import { generateLargeCluster, generateRandomCluster } from '../unit/server/sandbox/local/nft/random-cluster.ts';
import { getPolicySet, upstreamPolicySets } from '../unit/server/sandbox/local/nft/upstream-policy-sets.ts';
import { createTopology, runCommand } from './nft-ruleset-topology.ts';
import type { ProbeTarget, Topology } from './nft-ruleset-topology.ts';

const profiles = listCniProfileNames();
const runId = randomBytes(3).toString('hex');

function withExternals(cluster: Cluster): Cluster {
  return { ...cluster, externals: [makeExternal('world', '192.0.2.10'), makeExternal('corp', '10.1.2.3')] };
}

function withServices(cluster: Cluster): Cluster {
  return {
    ...cluster,
    services: [
      makeService('x', 'svc-a', { selector: { pod: 'a' }, clusterIP: '10.96.0.20', ports: [{ name: 'web', port: 8080, targetPort: 'serve-80-tcp', protocol: 'TCP' }] }),
      makeService('y', 'svc-all', { selector: {}, clusterIP: '10.96.0.21', ports: [{ port: 81, targetPort: 81, protocol: 'TCP' }] }),
      makeService('z', 'svc-empty', { selector: { pod: 'nobody' }, clusterIP: '10.96.0.22', ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] }),
      makeService('y', 'svc-b', { selector: { pod: 'b' }, clusterIP: '10.96.0.24', ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] }),
      makeService('z', 'svc-udp', { selector: { pod: 'b' }, clusterIP: '10.96.0.23', ports: [{ port: 53, targetPort: 'serve-80-udp', protocol: 'UDP' }] }),
    ],
  };
}

describe.runIf(canRunPrivileged())('nft accepts the compiled rulesets', () => {
  const netns = `rh-test-nft-${runId}-chk`;

  beforeAll(async () => {
    const result = await runCommand('ip', ['netns', 'add', netns]);
    expect(result.stderr).toBe('');
  });

  afterAll(async () => {
    await runCommand('ip', ['netns', 'delete', netns]);
  });

  const nft = (args: readonly string[], text: string) => runCommand('ip', ['netns', 'exec', netns, 'nft', ...args], text);

  it('checks (nft -c) every upstream policy set under every profile, with services and externals', async () => {
    const failures: string[] = [];
    for (const [name, policies] of Object.entries(upstreamPolicySets)) {
      const cluster = withServices(withExternals(makeUpstreamModel(policies, ['TCP', 'UDP', 'SCTP'])));
      for (const profile of profiles) {
        const result = await nft(['-c', '-f', '-'], compileFor(cluster, profile).text);
        if (result.code !== 0) failures.push(`${name} / ${profile}: ${result.stderr}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('checks seeded random clusters (dual stack, SCTP, excepts, named ports) under every profile', async () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      const cluster = generateRandomCluster(seed * 104729);
      for (const profile of profiles) {
        const result = await nft(['-c', '-f', '-'], compileFor(cluster, profile).text);
        if (result.code !== 0) failures.push(`seed ${seed * 104729} / ${profile}: ${result.stderr}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('loads for real, replaces the table atomically on reload, and lists chains with their comments and counters', async () => {
    const first = compileFor(withExternals(makeUpstreamModel(getPolicySet('overlapping policies combine additively'))), 'reference');
    const second = compileFor(withExternals(makeUpstreamModel(getPolicySet('default deny egress in x'))), 'cilium');
    for (const compiled of [first, second, second]) {
      const load = await nft(['-f', '-'], compiled.text);
      expect(load.stderr).toBe('');
      expect(load.code).toBe(0);
    }
    const listed = await nft(['list', 'table', 'inet', 'rehearsal'], '');
    expect(listed.code).toBe(0);
    // Only the second ruleset remains: the first one's chains are gone, the second one's are there once.
    expect(listed.stdout).not.toContain('ingress/x/a');
    expect(listed.stdout.match(/chain egress\/x\/a \{/g)).toHaveLength(1);
    expect(listed.stdout).toContain('comment "deny egress of x/a: no rule of x/deny-egress"');
    expect(listed.stdout).toMatch(/counter packets 0 bytes 0 reject with icmpx no-route/);
    expect(listed.stdout).toContain('ct direction reply accept');
  });

  it('keeps hostile-looking policy names inside their comments', async () => {
    const policy = makePolicy('x', 'evil"; flush ruleset; #', { ingress: [rule([podPeer(sel({ pod: 'b' }))])] });
    const compiled = compileFor(makeUpstreamModel([policy]), 'reference');
    const load = await nft(['-f', '-'], compiled.text);
    expect(load.code).toBe(0);
    const listed = await nft(['list', 'table', 'inet', 'rehearsal'], '');
    expect(listed.stdout).toContain("x/evil'; flush ruleset; #");
  });

  it('loads a 1,000-pod x 200-policy ruleset (times printed, not asserted)', async () => {
    const cluster = generateLargeCluster({ seed: 42, podCount: 1000, policyCount: 200 });
    const profile = getCniProfile('reference');
    if (profile === undefined) throw new Error('reference profile missing');
    const compileStart = performance.now();
    const compiled = compileRuleset({ cluster, profile, interfaces: { pods: assignInterfaces(cluster), external: externalIfname } });
    const compileMs = performance.now() - compileStart;
    const checkStart = performance.now();
    const check = await nft(['-c', '-f', '-'], compiled.text);
    const checkMs = performance.now() - checkStart;
    const loadStart = performance.now();
    const load = await nft(['-f', '-'], compiled.text);
    const loadMs = performance.now() - loadStart;
    expect(check.stderr).toBe('');
    expect(load.code).toBe(0);
    console.log(
      `nft scale: ${cluster.pods.length} pods, ${cluster.policies.length} policies -> ${compiled.stats.chains} chains, ` +
        `${compiled.stats.rules} rules, ${compiled.stats.setElements} set elements, ${(compiled.text.length / 1024).toFixed(0)} KiB; ` +
        `compile ${compileMs.toFixed(0)} ms, nft -c ${checkMs.toFixed(0)} ms, nft -f ${loadMs.toFixed(0)} ms`,
    );
  });
});

describe.runIf(canRunPrivileged())('real packets through the compiled ruleset', () => {
  const policies = [
    ...getPolicySet('allow ingress from pod b OR namespace y (two peers)'),
    ...getPolicySet('default deny egress in x, allow egress to y on named port'),
    makePolicy('z', 'z-only-from-x-on-80', { podSelector: sel({ pod: 'c' }), ingress: [rule([podPeer(undefined, sel({ ns: 'x' }))], [{ protocol: 'TCP', port: 80, path: '' }])] }),
  ];
  const cluster = withServices(withExternals(makeUpstreamModel(policies)));
  let topology: Topology | undefined;

  beforeAll(async () => {
    topology = await createTopology({ cluster, prefix: `rh-test-nft-${runId}-`, serverPorts: [80, 81] });
  });

  afterAll(async () => {
    await topology?.dispose();
    const left = await runCommand('ip', ['netns', 'list']);
    expect(left.stdout).not.toContain(`rh-test-nft-${runId}-`);
  });

  const expectedOutcome = (profileName: string, from: string, to: string, port: number): string => {
    const evaluator = createEvaluator(cluster, { profile: profileName });
    const [fromNs, fromName] = from.split('/');
    const ref = (key: string) => {
      const [a, b] = key.split('/');
      return a === 'external' ? { kind: 'external' as const, name: b ?? '' } : { kind: 'pod' as const, namespace: a ?? '', name: b ?? '' };
    };
    const result = evaluator.evaluate({ from: ref(`${fromNs}/${fromName}`), to: ref(to), port, protocol: 'TCP' });
    if (!result.ok) throw new Error(result.error.message);
    const verdict = result.verdict;
    if (!verdict.egress.isAllowed) return 'ENETUNREACH';
    if (!verdict.ingress.isAllowed) return 'EHOSTUNREACH';
    // Port 82 has no listener: allowed but refused.
    return port === 82 ? 'ECONNREFUSED' : 'connected';
  };

  for (const profileName of ['reference', 'cilium', 'flannel', 'ovn-kubernetes']) {
    it(`every pod and external ends as the engine predicts under ${profileName} (errno names the side)`, async () => {
      if (topology === undefined) throw new Error('topology not built');
      const profile = getCniProfile(profileName);
      if (profile === undefined) throw new Error(`profile ${profileName} missing`);
      const compiled = compileRuleset({ cluster, profile, interfaces: { pods: topology.interfaces, external: topology.externalIfname } });
      await topology.loadRuleset(compiled.text);
      const destinations = [
        ...cluster.pods.map((p) => ({ key: `${p.namespace}/${p.name}`, ip: p.ips[0] ?? '' })),
        ...cluster.externals.map((e) => ({ key: `external/${e.name}`, ip: e.ip })),
      ];
      const mismatches: string[] = [];
      let probes = 0;
      for (const from of destinations) {
        const targets: ProbeTarget[] = destinations
          .filter((to) => to.key !== from.key && !(from.key.startsWith('external/') && to.key.startsWith('external/')))
          .flatMap((to) => [80, 81, 82].map((port) => ({ key: to.key, ip: to.ip, port })));
        const outcomes = await topology.probe(from.key, targets, 3000);
        for (const outcome of outcomes) {
          probes += 1;
          const want = expectedOutcome(profileName, from.key, outcome.key, outcome.port);
          if (outcome.outcome !== want) mismatches.push(`${from.key} -> ${outcome.key}:${outcome.port} saw ${outcome.outcome}, engine ${want}`);
        }
      }
      expect(mismatches).toEqual([]);
      expect(probes).toBe(11 * 10 * 3 - 2 * 3);
    });
  }

  it('translates Services before policy: backends, named targetPort, hairpin, and refusal without endpoints', async () => {
    if (topology === undefined) throw new Error('topology not built');
    const profile = getCniProfile('reference');
    if (profile === undefined) throw new Error('reference profile missing');
    await topology.loadRuleset(compileRuleset({ cluster, profile, interfaces: { pods: topology.interfaces, external: topology.externalIfname } }).text);
    const targets: ProbeTarget[] = [
      { key: 'svc/x/svc-a', ip: '10.96.0.20', port: 8080 },
      { key: 'svc/z/svc-empty', ip: '10.96.0.22', port: 80 },
      { key: 'svc/x/svc-a:9', ip: '10.96.0.20', port: 9 },
    ];
    // x/a reaches itself through its Service (hairpin); y/b is admitted by x/a's ingress (namespace y);
    // x/b is admitted (pod b) but its own egress allows only y on serve-81-tcp.
    const fromA = await topology.probe('x/a', targets, 3000);
    const fromYb = await topology.probe('y/b', targets, 3000);
    const fromXb = await topology.probe('x/b', targets, 3000);
    const fromZa = await topology.probe('z/a', targets, 3000);
    expect(fromA.map((o) => o.outcome)).toEqual([expectedOutcome('reference', 'x/a', 'x/a', 80), 'ECONNREFUSED', 'ECONNREFUSED']);
    expect(fromYb.map((o) => o.outcome)).toEqual(['connected', 'ECONNREFUSED', 'ECONNREFUSED']);
    expect(fromXb[0]?.outcome).toBe('ENETUNREACH');
    expect(fromZa[0]?.outcome).toBe('EHOSTUNREACH');
    // Hairpin that policy allows: without the SNAT to the gateway, y/b would answer itself locally and never connect.
    const hairpin = await topology.probe('y/b', [{ key: 'svc/y/svc-b', ip: '10.96.0.24', port: 80 }], 3000);
    expect(hairpin[0]?.outcome).toBe('connected');
  });

  it('lets hairpin traffic skip policy where the profile says so (cilium), and only there', async () => {
    if (topology === undefined) throw new Error('topology not built');
    const target = [{ key: 'svc/x/svc-a', ip: '10.96.0.20', port: 8080 }];
    const outcomes: Record<string, string | undefined> = {};
    for (const name of ['cilium', 'calico']) {
      const profile = getCniProfile(name);
      if (profile === undefined) throw new Error(`profile ${name} missing`);
      await topology.loadRuleset(compileRuleset({ cluster, profile, interfaces: { pods: topology.interfaces, external: topology.externalIfname } }).text);
      // x/a is egress-isolated (x/egress-named admits only namespace y), so only a hairpin exemption lets it through.
      outcomes[name] = (await topology.probe('x/a', target, 3000))[0]?.outcome;
    }
    expect(outcomes).toEqual({ cilium: 'connected', calico: 'ENETUNREACH' });
  });

  for (const [profileName, survives] of [
    ['calico', true],
    ['cilium', false],
  ] as const) {
    it(`a new deny ${survives ? 'spares' : 'cuts'} an established connection under ${profileName}`, async () => {
      if (topology === undefined) throw new Error('topology not built');
      const profile = getCniProfile(profileName);
      if (profile === undefined) throw new Error(`profile ${profileName} missing`);
      const open = compileRuleset({ cluster: { ...cluster, policies: [] }, profile, interfaces: { pods: topology.interfaces, external: topology.externalIfname } });
      const denyAll = compileRuleset({
        cluster: { ...cluster, policies: [makePolicy('y', 'deny-all', { ingress: [] })] },
        profile,
        interfaces: { pods: topology.interfaces, external: topology.externalIfname },
      });
      await topology.loadRuleset(open.text);
      const target = { key: 'y/c', ip: cluster.pods.find((p) => p.namespace === 'y' && p.name === 'c')?.ips[0] ?? '', port: 80 };
      const phase = await topology.holdConnection('z/b', target, () => topology?.loadRuleset(denyAll.text) ?? Promise.resolve(), 1500);
      expect(phase).toBe(survives ? 'second-echo' : 'no-second-echo');
      // And a new connection is denied at once under both.
      const fresh = await topology.probe('z/b', [target], 3000);
      expect(fresh[0]?.outcome).toBe('EHOSTUNREACH');
    });
  }
});
