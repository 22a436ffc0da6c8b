// Differential test of the canned scenarios: each one boots on the local sandbox, every flow its expectations name
// is sent as a real packet, and the observation must equal the engine's prediction. The reference profile runs for
// every scenario (base and variants); each CNI profile an override names runs too, so the documented differences
// are enforced by the dataplane as the engine predicts them.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyScenarioVariant, checkExpectations, isScenarioVariantError, parseManifests } from '../../server/policy/index.ts';
import type { Cluster, EndpointRef, ExpectationCheck, Protocol, Scenario } from '../../server/policy/index.ts';
import type { ProbeRequest, ProbeTarget, SandboxHandle } from '../../server/sandbox/contract.ts';
import { generateSandboxId } from '../../server/sandbox/local/names.ts';
import { canRunPrivileged } from '../helpers/env.ts';
import { collectProbes, findLeftovers, makeTempHome, makeTestProvider } from './local-helpers.ts';

const scenarioDir = fileURLToPath(new URL('../../scenarios/', import.meta.url));
const scenarioFiles = readdirSync(scenarioDir)
  .filter((file) => file.endsWith('.yaml'))
  .sort();

const probeTimeoutMs = 2000;

interface LoadedScenario {
  readonly cluster: Cluster;
  readonly scenario: Scenario;
}

function loadScenario(file: string): LoadedScenario {
  const text = readFileSync(`${scenarioDir}${file}`, 'utf8');
  const result = parseManifests([{ file: `scenarios/${file}`, text }]);
  const errors = result.issues.filter((issue) => issue.severity === 'error');
  // The golden test reports parse problems in detail; here they only stop the run.
  if (errors.length > 0 || result.scenario === undefined) throw new Error(`scenarios/${file} does not parse; run test/golden/scenarios.test.ts`);
  return { cluster: result.cluster, scenario: result.scenario };
}

function variantCluster(loaded: LoadedScenario, name: string): Cluster {
  const applied = applyScenarioVariant(loaded.cluster, loaded.scenario, name);
  if (isScenarioVariantError(applied)) throw new Error(`${applied.message} (${applied.fix})`);
  return applied;
}

interface PlannedProbe {
  readonly request: ProbeRequest;
  readonly isPredictedAllowed: boolean;
  readonly label: string;
}

function describeRef(ref: EndpointRef): string {
  return ref.kind === 'pod' ? `${ref.namespace}/${ref.name}` : `external/${ref.name}`;
}

function describeTarget(target: ProbeTarget): string {
  switch (target.kind) {
    case 'service':
      return `svc/${target.namespace}/${target.name}`;
    case 'dns':
      return target.hostname;
    case 'ip':
      return target.ip;
    default:
      return describeRef(target);
  }
}

/** The Service's port number for an expectation port (a number, or the name of one of its ports). */
function findServicePort(cluster: Cluster, service: { namespace: string; name: string }, port: number | string, protocol: Protocol): number | undefined {
  const found = cluster.services.find((s) => s.namespace === service.namespace && s.name === service.name);
  return found?.ports.find((p) => p.protocol === protocol && (typeof port === 'number' ? p.port === port : p.name === port))?.port;
}

/**
 * One probe per distinct predicted flow: every pair pod-to-pod (or to/from the outside) on its resolved port, and,
 * for Service targets, one probe through the ClusterIP per source whose backends all share one prediction (the
 * sandbox picks the backend, as kube-proxy does).
 */
function planProbes(cluster: Cluster, checks: readonly ExpectationCheck[]): { probes: PlannedProbe[]; problems: string[] } {
  const probes = new Map<string, PlannedProbe>();
  const problems: string[] = [];
  const add = (input: { from: EndpointRef; to: ProbeTarget; port: number; protocol: Protocol; isPredictedAllowed: boolean; id: string }): void => {
    const key = `${describeRef(input.from)} -> ${describeTarget(input.to)} ${input.port}/${input.protocol}`;
    const earlier = probes.get(key);
    if (earlier !== undefined) {
      if (earlier.isPredictedAllowed !== input.isPredictedAllowed) problems.push(`${key}: two predictions for one flow (${earlier.label}, ${input.id})`);
      return;
    }
    const request: ProbeRequest = { id: `p${probes.size}`, from: input.from, to: input.to, port: input.port, protocol: input.protocol, timeoutMs: probeTimeoutMs };
    probes.set(key, { request, isPredictedAllowed: input.isPredictedAllowed, label: `${input.id}: ${key}` });
  };
  for (const check of checks) {
    const throughService = new Map<string, { from: EndpointRef; predictions: Set<boolean> }>();
    for (const pair of check.pairs) {
      if (!pair.result.ok) {
        problems.push(`${check.id}: ${pair.from} -> ${pair.to} cannot be predicted: ${pair.result.error.message}`);
        continue;
      }
      const verdict = pair.result.verdict;
      add({ from: verdict.from.ref, to: verdict.to.ref, port: verdict.port, protocol: verdict.protocol, isPredictedAllowed: verdict.isAllowed, id: check.id });
      if (pair.via === undefined) continue;
      const group = throughService.get(pair.from) ?? { from: verdict.from.ref, predictions: new Set<boolean>() };
      group.predictions.add(verdict.isAllowed);
      throughService.set(pair.from, group);
    }
    const target = check.expectation.to;
    if (target.kind !== 'service') continue;
    const servicePort = findServicePort(cluster, target, check.expectation.port, check.expectation.protocol);
    if (servicePort === undefined) {
      problems.push(`${check.id}: Service ${target.namespace}/${target.name} has no port ${String(check.expectation.port)}/${check.expectation.protocol}`);
      continue;
    }
    for (const group of throughService.values()) {
      const [prediction, ...others] = [...group.predictions];
      if (prediction === undefined || others.length > 0) continue;
      add({ from: group.from, to: { kind: 'service', namespace: target.namespace, name: target.name }, port: servicePort, protocol: check.expectation.protocol, isPredictedAllowed: prediction, id: check.id });
    }
  }
  return { probes: [...probes.values()], problems };
}

/** Probes every planned flow; lines for each observation that differs from its prediction (empty when all agree). */
async function findDisagreements(handle: SandboxHandle, cluster: Cluster, checks: readonly ExpectationCheck[]): Promise<string[]> {
  const { probes, problems } = planProbes(cluster, checks);
  const results = await collectProbes(
    handle,
    probes.map((probe) => probe.request),
  );
  const disagreements = [...problems];
  for (const probe of probes) {
    const result = results.get(probe.request.id);
    const wanted = probe.isPredictedAllowed ? 'allowed' : 'denied';
    if (result?.outcome === wanted) continue;
    const detail = result === undefined ? 'no result' : `${result.outcome}${result.detail === undefined ? '' : ` (${result.detail})`}`;
    const dropped = result?.attribution === undefined ? '' : `; dropped at ${result.attribution.direction} of ${result.attribution.subject} by ${result.attribution.policies.map((p) => `${p.namespace}/${p.name}`).join(', ')}`;
    disagreements.push(`${probe.label}: predicted ${wanted}, observed ${detail}${dropped}`);
  }
  if (probes.length === 0) disagreements.push('no flow to probe: the scenario has no evaluable expectation');
  return disagreements;
}

function expectNoDisagreements(lines: readonly string[]): void {
  expect(lines.join('\n')).toBe('');
}

describe.runIf(canRunPrivileged())('canned scenarios on the local sandbox', () => {
  let home: Awaited<ReturnType<typeof makeTempHome>> | undefined;
  beforeAll(async () => {
    home = await makeTempHome('scenarios');
  });
  afterAll(async () => {
    await home?.dispose();
  });

  describe.each(scenarioFiles)('scenarios/%s', (file) => {
    const loaded = loadScenario(file);
    const overrideProfiles = [...new Set(loaded.scenario.expectations.flatMap((e) => e.overrides.map((o) => o.cni)))].sort();

    describe.each(['reference', ...overrideProfiles])('on the %s profile', (cni) => {
      let handle: SandboxHandle | undefined;
      beforeAll(async () => {
        if (home === undefined) throw new Error('state home not ready');
        const provider = makeTestProvider(home.dir);
        handle = await provider.create({ id: generateSandboxId(), cni, ttlSeconds: 600, owner: 'scenarios-local-test', scenario: loaded.scenario.name, cluster: loaded.cluster });
      });
      afterAll(async () => {
        await handle?.destroy();
      });
      const requireHandle = (): SandboxHandle => {
        if (handle === undefined) throw new Error('sandbox not created');
        return handle;
      };

      it('observes every predicted flow of the base manifests', async () => {
        const sandbox = requireHandle();
        expectNoDisagreements(await findDisagreements(sandbox, loaded.cluster, checkExpectations(loaded.cluster, loaded.scenario, { profile: cni })));
      });

      for (const variant of loaded.scenario.variants) {
        it(`observes every predicted flow after applying variant ${variant.name}`, async () => {
          const sandbox = requireHandle();
          const cluster = variantCluster(loaded, variant.name);
          await sandbox.apply(cluster);
          expectNoDisagreements(await findDisagreements(sandbox, cluster, checkExpectations(cluster, loaded.scenario, { profile: cni })));
        });
      }

      it('leaves nothing behind when destroyed', async () => {
        const sandbox = requireHandle();
        await sandbox.destroy();
        expectNoDisagreements(await findLeftovers(sandbox.id));
      });
    });
  });
});
