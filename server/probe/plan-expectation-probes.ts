// Expectations (a scenario's, generated ones, or one ad-hoc flow) → probes, each carrying its intent, the engine's
// prediction under the run's CNI profile, and the explanation. Service targets go through the ClusterIP as real
// clients do, unless the router's random choice of backend would make the prediction ambiguous.
import {
  checkExpectationWith,
  createEvaluator,
  formatPodKey,
  formatSelector,
  matchesSelector,
  parseIp,
  serviceBackends,
} from '../policy/index.ts';
import type { ClusterIndex, Cluster, EndpointKey, EndpointRef, Expectation, ExpectationPair, ExpectationSide, Protocol, Service, Verdict } from '../policy/index.ts';
import type { ProbeTarget } from '../sandbox/contract.ts';
import { describeVerdict } from './describe-verdict.ts';
import type { PlannedExpectation, PlannedRunProbe, Reachability, RunPlanProblem, SkippedRunFlow } from './run-types.ts';

export interface PlanExpectationProbesOptions {
  readonly profile: string;
  readonly timeoutMs: number;
  /** Ids the scenario lists as failing on its base manifests by design. */
  readonly brokenExpectations?: readonly string[];
  /** False for an ad-hoc probe: nobody wrote an intent, so probes carry none and no test case is made. Default true. */
  readonly hasIntent?: boolean;
  /** The scenario file, to say where each expectation is written. */
  readonly sourceFile?: string;
}

export interface ExpectationProbePlan {
  readonly probes: readonly PlannedRunProbe[];
  readonly expectations: readonly PlannedExpectation[];
  readonly skipped: readonly SkippedRunFlow[];
  readonly problems: readonly RunPlanProblem[];
}

export function formatExpectationSide(side: ExpectationSide): string {
  switch (side.kind) {
    case 'pod':
    case 'workload':
      return `${side.namespace}/${side.name}`;
    case 'service':
      return `svc/${side.namespace}/${side.name}`;
    case 'external':
      return `external/${side.name}`;
    case 'selector':
      return `${side.namespace ?? '*'}/{${formatSelector(side.podSelector)}}`;
  }
}

/** `<from> -> <to> <port>/<proto> expect <allowed|denied>`: the test case name CI systems show. */
export function formatExpectationLabel(expectation: Expectation, expected: Reachability): string {
  return `${formatExpectationSide(expectation.from)} -> ${formatExpectationSide(expectation.to)} ${expectation.port}/${expectation.protocol} expect ${expected}`;
}

/** Pods a side names, only to say which self pairs were left out (the engine already leaves them out of its pairs). */
function listSidePods(index: ClusterIndex, side: ExpectationSide): string[] {
  switch (side.kind) {
    case 'pod':
      return [`${side.namespace}/${side.name}`];
    case 'workload':
      return (index.podsByNamespace.get(side.namespace) ?? []).filter((pod) => pod.workload.name === side.name).map(formatPodKey);
    case 'service': {
      const service = index.servicesByKey.get(`${side.namespace}/${side.name}`);
      return service === undefined ? [] : serviceBackends(index, service).map(formatPodKey);
    }
    case 'external':
      return [];
    case 'selector': {
      const pods = side.namespace === undefined ? index.cluster.pods : (index.podsByNamespace.get(side.namespace) ?? []);
      return pods.filter((pod) => matchesSelector(side.podSelector, pod.labels)).map(formatPodKey);
    }
  }
}

function findServicePort(service: Service, port: number | string, protocol: Protocol): number | undefined {
  return service.ports.find((candidate) => candidate.protocol === protocol && (typeof port === 'number' ? candidate.port === port : candidate.name === port))?.port;
}

function toProbeTarget(ref: EndpointRef): ProbeTarget {
  return ref.kind === 'pod' ? { kind: 'pod', namespace: ref.namespace, name: ref.name } : { kind: 'external', name: ref.name };
}

interface Intent {
  readonly expectationId?: string;
  readonly expected?: Reachability;
  readonly override?: PlannedRunProbe['override'];
}

export function planExpectationProbes(cluster: Cluster, expectations: readonly Expectation[], options: PlanExpectationProbesOptions): ExpectationProbePlan {
  const evaluator = createEvaluator(cluster, { profile: options.profile });
  const index = evaluator.index;
  const hasIntent = options.hasIntent ?? true;
  const probes: PlannedRunProbe[] = [];
  const planned: PlannedExpectation[] = [];
  const skipped: SkippedRunFlow[] = [];
  const problems: RunPlanProblem[] = [];

  const addProbe = (input: {
    readonly from: EndpointRef;
    readonly to: ProbeTarget;
    readonly toKey: EndpointKey;
    readonly port: number;
    readonly portName?: string;
    readonly protocol: Protocol;
    readonly verdict: Verdict;
    readonly intent: Intent;
    readonly note?: string;
    readonly backends?: PlannedRunProbe['backends'];
  }): PlannedRunProbe => {
    const description = describeVerdict(input.verdict);
    const probe: PlannedRunProbe = {
      request: { id: `p${probes.length}`, from: input.from, to: input.to, port: input.port, protocol: input.protocol, timeoutMs: options.timeoutMs },
      from: input.verdict.from.key,
      to: input.toKey,
      port: input.port,
      ...(input.portName === undefined ? {} : { portName: input.portName }),
      protocol: input.protocol,
      ...input.intent,
      predicted: description.predicted,
      reason: input.note === undefined ? description.reason : `${description.reason} (${input.note})`,
      explanation: input.note === undefined ? description.explanation : [...description.explanation, `note: ${input.note}`],
      decidedBy: description.decidedBy,
      ...(description.nearestRule === undefined ? {} : { nearestRule: description.nearestRule }),
      profileNotes: description.profileNotes,
      ...(input.backends === undefined ? {} : { backends: input.backends }),
    };
    probes.push(probe);
    return probe;
  };

  for (const expectation of expectations) {
    const check = checkExpectationWith(evaluator, expectation, { isKnownBroken: options.brokenExpectations?.includes(expectation.id) === true });
    const expected: Reachability = check.expected ? 'allowed' : 'denied';
    const intent: Intent = hasIntent
      ? { expectationId: expectation.id, expected, ...(check.override === undefined ? {} : { override: check.override }) }
      : {};
    const probeIds: string[] = [];
    const seen = new Set<string>();
    for (const error of check.errors) {
      problems.push({ code: error.code, message: error.message, fix: error.fix, path: error.path, ...(hasIntent ? { expectationId: expectation.id } : {}) });
    }
    const reportPairError = (pair: ExpectationPair): void => {
      if (pair.result.ok) return;
      problems.push({
        code: pair.result.error.code,
        message: `${pair.from} -> ${pair.to}: ${pair.result.error.message}`,
        fix: pair.result.error.fix,
        path: expectation.path,
        ...(hasIntent ? { expectationId: expectation.id } : {}),
      });
    };
    const addDirect = (pair: ExpectationPair, note?: string): void => {
      if (!pair.result.ok) return reportPairError(pair);
      const verdict = pair.result.verdict;
      const key = `${verdict.from.key}|${verdict.to.key}|${verdict.port}/${verdict.protocol}`;
      if (seen.has(key)) return;
      seen.add(key);
      const probe = addProbe({
        from: verdict.from.ref,
        to: toProbeTarget(verdict.to.ref),
        toKey: verdict.to.key,
        port: verdict.port,
        ...(verdict.portName === undefined ? {} : { portName: verdict.portName }),
        protocol: verdict.protocol,
        verdict,
        intent,
        ...(note === undefined ? {} : { note }),
      });
      probeIds.push(probe.request.id);
    };

    const target = expectation.to;
    const service = target.kind === 'service' ? index.servicesByKey.get(`${target.namespace}/${target.name}`) : undefined;
    const selfPods = new Set(listSidePods(index, target));
    for (const source of listSidePods(index, expectation.from)) {
      if (!selfPods.has(source)) continue;
      skipped.push({
        from: source,
        to: service === undefined ? source : `svc/${service.namespace}/${service.name}`,
        port: expectation.port,
        protocol: expectation.protocol,
        ...(hasIntent ? { expectationId: expectation.id } : {}),
        why:
          service === undefined
            ? 'a pod to itself never crosses the router (loopback); CNIs differ and upstream ignores these pairs (kubernetes#95879)'
            : 'a pod reaching itself through its own Service (hairpin) is implementation-defined (kubernetes#95879); its other backends are probed directly',
      });
    }

    if (service === undefined || target.kind !== 'service') {
      for (const pair of check.pairs) addDirect(pair);
    } else {
      const backends = serviceBackends(index, service).map(formatPodKey);
      const servicePort = findServicePort(service, expectation.port, expectation.protocol);
      const serviceKey = `svc/${service.namespace}/${service.name}`;
      const bySource = new Map<EndpointKey, ExpectationPair[]>();
      for (const pair of check.pairs) bySource.set(pair.from, [...(bySource.get(pair.from) ?? []), pair]);
      for (const [source, pairs] of bySource) {
        const verdicts = pairs.flatMap((pair) => (pair.result.ok ? [pair.result.verdict] : []));
        const predictions = new Set(verdicts.map((verdict) => verdict.isAllowed));
        const first = verdicts[0];
        const hasClusterIp = parseIp(service.clusterIP) !== undefined;
        const isUnambiguous = first !== undefined && verdicts.length === pairs.length && predictions.size === 1 && !backends.includes(source);
        if (isUnambiguous && hasClusterIp && servicePort !== undefined) {
          const backendPredictions = verdicts.map((verdict) => ({ backend: verdict.to.key, predicted: verdict.isAllowed ? ('allowed' as const) : ('denied' as const), reason: describeVerdict(verdict).reason }));
          const key = `${source}|${serviceKey}|${servicePort}/${expectation.protocol}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const probe = addProbe({
            from: first.from.ref,
            to: { kind: 'service', namespace: service.namespace, name: service.name },
            toKey: serviceKey,
            port: servicePort,
            ...(typeof expectation.port === 'string' ? { portName: expectation.port } : {}),
            protocol: expectation.protocol,
            verdict: first,
            intent,
            note: `through ${serviceKey} ClusterIP ${service.clusterIP}:${servicePort}; the router picks one of ${backends.length} ${backends.length === 1 ? 'backend' : 'backends'} (${backends.join(', ')}), all predicted ${first.isAllowed ? 'allowed' : 'denied'}`,
            backends: backendPredictions,
          });
          probeIds.push(probe.request.id);
          continue;
        }
        const why = !hasClusterIp
          ? `${serviceKey} is headless (no ClusterIP): each backend is probed directly`
          : backends.includes(source)
            ? `${source} is itself a backend of ${serviceKey}, and the ClusterIP could translate to itself (hairpin): the other backends are probed directly`
            : `the backends of ${serviceKey} are predicted differently and the router picks one at random: each backend is probed directly`;
        for (const pair of pairs) addDirect(pair, why);
      }
    }

    if (!hasIntent) continue;
    const location = expectation.line === undefined ? undefined : `${options.sourceFile ?? 'scenario'}:${expectation.line} ${expectation.path}`;
    planned.push({
      id: expectation.id,
      ...(expectation.description === undefined ? {} : { description: expectation.description }),
      label: formatExpectationLabel(expectation, expected),
      expected,
      ...(check.override === undefined ? {} : { override: check.override }),
      probeIds,
      isKnownBroken: check.isKnownBroken,
      ...(location === undefined ? {} : { location }),
    });
  }
  return { probes, expectations: planned, skipped, problems };
}

