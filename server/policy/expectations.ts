// Intent against prediction: each scenario expectation expanded to concrete flows and compared with the verdicts.

import { createEvaluator } from './evaluate.ts';
import type { EvaluateOptions, Evaluator } from './evaluate.ts';
import { describeExpectationProblem } from './explain.ts';
import type { ExpectationError, ExpectationProblem } from './explain.ts';
import type { Cluster, CniOverride, EndpointKey, EndpointRef, Expectation, ExpectationSide, FlowResult, Pod, Protocol, Scenario } from './model.ts';
import { formatExternalKey, formatPodKey, serviceBackends } from './select.ts';
import type { ClusterIndex } from './select.ts';
import { formatSelector, matchesSelector } from './selector.ts';
import { evaluateServiceFlowWith, formatServiceKey } from './service-flow.ts';

export interface ExpectationPair {
  readonly from: EndpointKey;
  /** The pod or external endpoint the traffic reached (a Service's backend for service targets). */
  readonly to: EndpointKey;
  /** For service targets: the Service the traffic went through (`svc/ns/name`). */
  readonly via?: EndpointKey;
  readonly port: number | string;
  readonly protocol: Protocol;
  readonly expected: boolean;
  readonly result: FlowResult;
  /** The prediction equals the intent. False when the flow could not be evaluated. */
  readonly isMatch: boolean;
}

export interface ExpectationCheck {
  readonly id: string;
  readonly path: string;
  readonly expectation: Expectation;
  readonly profile: string;
  /** What the author expects under this profile: the CNI override when one names it, else `allowed`. */
  readonly expected: boolean;
  readonly override?: CniOverride;
  readonly pairs: readonly ExpectationPair[];
  /** Sides that could not be resolved; the check does not match while any exist. */
  readonly errors: readonly ExpectationError[];
  readonly isMatch: boolean;
  /** Listed in the scenario's brokenExpectations: fails on the base manifests by design (a debugging exercise). */
  readonly isKnownBroken: boolean;
}

export interface ExpectationSummary {
  readonly expectations: number;
  readonly passed: number;
  /** Mismatches that are not known-broken. */
  readonly failed: number;
  /** Checks with unresolvable sides. */
  readonly errored: number;
  /** Known-broken checks that fail, as designed. */
  readonly knownBroken: number;
  readonly pairs: number;
  readonly pairsPassed: number;
  readonly pairsFailed: number;
  readonly isPassing: boolean;
}

interface SideEndpoint {
  readonly key: EndpointKey;
  readonly ref: EndpointRef;
}

type SideResolution =
  | { readonly ok: true; readonly endpoints: readonly SideEndpoint[] }
  | { readonly ok: false; readonly problem: ExpectationProblem };

function podEndpoint(pod: Pod): SideEndpoint {
  return { key: formatPodKey(pod), ref: { kind: 'pod', namespace: pod.namespace, name: pod.name } };
}

/** The concrete endpoints one side names. A service side as a source means its backend pods. */
function resolveSide(index: ClusterIndex, side: ExpectationSide): SideResolution {
  switch (side.kind) {
    case 'pod': {
      const pod = index.podsByKey.get(`${side.namespace}/${side.name}`);
      if (pod !== undefined) return { ok: true, endpoints: [podEndpoint(pod)] };
      const inNamespace = (index.podsByNamespace.get(side.namespace) ?? []).map(formatPodKey);
      return { ok: false, problem: { code: 'unknown-pod', pod: `${side.namespace}/${side.name}`, known: inNamespace.length > 0 ? inNamespace : [...index.podsByKey.keys()] } };
    }
    case 'workload': {
      const pods = (index.podsByNamespace.get(side.namespace) ?? []).filter((p) => p.workload.name === side.name);
      if (pods.length > 0) return { ok: true, endpoints: pods.map(podEndpoint) };
      const known = [...new Set((index.podsByNamespace.get(side.namespace) ?? []).map((p) => `${p.namespace}/${p.workload.name}`))];
      return { ok: false, problem: { code: 'empty-workload', workload: `${side.namespace}/${side.name}`, known } };
    }
    case 'service': {
      const service = index.servicesByKey.get(`${side.namespace}/${side.name}`);
      if (service === undefined) {
        return { ok: false, problem: { code: 'unknown-service', service: formatServiceKey(side), known: [...index.servicesByKey.values()].map(formatServiceKey) } };
      }
      const pods = serviceBackends(index, service);
      if (pods.length === 0) return { ok: false, problem: { code: 'service-without-backends', service: formatServiceKey(side) } };
      return { ok: true, endpoints: pods.map(podEndpoint) };
    }
    case 'external': {
      const external = index.externalsByName.get(side.name);
      if (external !== undefined) return { ok: true, endpoints: [{ key: formatExternalKey(external), ref: { kind: 'external', name: external.name } }] };
      return { ok: false, problem: { code: 'unknown-external', external: side.name, known: [...index.externalsByName.keys()] } };
    }
    case 'selector': {
      const namespace = side.namespace;
      if (namespace !== undefined && !index.namespacesByName.has(namespace) && !index.podsByNamespace.has(namespace)) {
        return { ok: false, problem: { code: 'unknown-namespace', namespace, known: [...index.namespacesByName.keys()] } };
      }
      const candidates = namespace === undefined ? index.cluster.pods : (index.podsByNamespace.get(namespace) ?? []);
      const pods = candidates.filter((p) => matchesSelector(side.podSelector, p.labels));
      if (pods.length === 0) {
        return { ok: false, problem: { code: 'empty-selector', selector: formatSelector(side.podSelector), namespace } };
      }
      return { ok: true, endpoints: pods.map(podEndpoint) };
    }
  }
}

export function checkExpectations(cluster: Cluster, scenario: Scenario, options: EvaluateOptions = {}): ExpectationCheck[] {
  const evaluator = createEvaluator(cluster, options);
  return scenario.expectations.map((expectation) =>
    checkExpectationWith(evaluator, expectation, { isKnownBroken: scenario.brokenExpectations.includes(expectation.id) }),
  );
}

export function checkExpectationWith(evaluator: Evaluator, expectation: Expectation, options: { readonly isKnownBroken?: boolean } = {}): ExpectationCheck {
  const isKnownBroken = options.isKnownBroken ?? false;
  const index = evaluator.index;
  const profile = evaluator.profileName;
  const override = expectation.overrides.find((o) => o.cni === profile);
  const expected = override?.allowed ?? expectation.allowed;
  const base = {
    id: expectation.id,
    path: expectation.path,
    expectation,
    profile,
    expected,
    ...(override === undefined ? {} : { override }),
    isKnownBroken,
  };
  const errors: ExpectationError[] = [];
  const sources = resolveSide(index, expectation.from);
  if (!sources.ok) errors.push(describeExpectationProblem(sources.problem, joinPath(expectation.path, 'from')));
  const target = expectation.to;
  const targets = target.kind === 'service' ? undefined : resolveSide(index, target);
  if (targets !== undefined && !targets.ok) errors.push(describeExpectationProblem(targets.problem, joinPath(expectation.path, 'to')));
  if (target.kind === 'service' && !index.servicesByKey.has(`${target.namespace}/${target.name}`)) {
    errors.push(
      describeExpectationProblem(
        { code: 'unknown-service', service: formatServiceKey(target), known: [...index.servicesByKey.values()].map(formatServiceKey) },
        joinPath(expectation.path, 'to'),
      ),
    );
  }
  if (!sources.ok || errors.length > 0) return { ...base, pairs: [], errors, isMatch: false };

  const pairs: ExpectationPair[] = [];
  const pair = (from: EndpointKey, to: EndpointKey, result: FlowResult, via?: EndpointKey): ExpectationPair => ({
    from,
    to,
    ...(via === undefined ? {} : { via }),
    port: expectation.port,
    protocol: expectation.protocol,
    expected,
    result,
    isMatch: result.ok && result.verdict.isAllowed === expected,
  });
  for (const source of sources.endpoints) {
    if (target.kind === 'service') {
      const serviceResult = evaluateServiceFlowWith(evaluator, { from: source.ref, service: target, port: expectation.port, protocol: expectation.protocol });
      if (!serviceResult.ok) {
        pairs.push(pair(source.key, formatServiceKey(target), { ok: false, error: serviceResult.error }));
        continue;
      }
      if (serviceResult.backends.length === 0) {
        errors.push(describeExpectationProblem({ code: 'service-without-backends', service: serviceResult.service }, joinPath(expectation.path, 'to')));
        break;
      }
      for (const backend of serviceResult.backends) {
        // A pod reaching itself through its own Service (hairpin) is implementation-defined: not checked.
        if (backend.backend === source.key) continue;
        pairs.push(pair(source.key, backend.backend, backend.result, serviceResult.service));
      }
      continue;
    }
    for (const destination of targets?.ok === true ? targets.endpoints : []) {
      if (destination.key === source.key) continue;
      if (source.ref.kind === 'external' && destination.ref.kind === 'external') {
        errors.push(describeExpectationProblem({ code: 'external-to-external', from: source.key, to: destination.key }, expectation.path));
        continue;
      }
      const result = evaluator.evaluate({ from: source.ref, to: destination.ref, port: expectation.port, protocol: expectation.protocol });
      pairs.push(pair(source.key, destination.key, result));
    }
  }
  if (pairs.length === 0 && errors.length === 0) {
    errors.push(describeExpectationProblem({ code: 'no-pairs', side: sources.endpoints.map((e) => e.key).join(', ') }, expectation.path));
  }
  return { ...base, pairs, errors, isMatch: errors.length === 0 && pairs.length > 0 && pairs.every((p) => p.isMatch) };
}

function joinPath(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`;
}

export function summarizeExpectationChecks(checks: readonly ExpectationCheck[]): ExpectationSummary {
  let passed = 0;
  let failed = 0;
  let errored = 0;
  let knownBroken = 0;
  let pairs = 0;
  let pairsPassed = 0;
  for (const check of checks) {
    pairs += check.pairs.length;
    pairsPassed += check.pairs.filter((p) => p.isMatch).length;
    if (check.isMatch) passed++;
    else if (check.errors.length > 0) errored++;
    else if (check.isKnownBroken) knownBroken++;
    else failed++;
  }
  return {
    expectations: checks.length,
    passed,
    failed,
    errored,
    knownBroken,
    pairs,
    pairsPassed,
    pairsFailed: pairs - pairsPassed,
    isPassing: failed === 0 && errored === 0,
  };
}
