// The reachability matrix: every source × every target port, evaluated exactly but once per equivalence class.
// A direction's outcome depends on a pod only through what selectors, ipBlocks and named ports can see of it, so
// pods that look alike to every policy share one evaluation. The differential test proves the grouping exact.

import type { IpFamily } from './cidr.ts';
import type {
  Cluster,
  Direction,
  DirectionOutcome,
  EndpointKey,
  EndpointRef,
  ExternalEndpoint,
  FlowError,
  FlowResult,
  Peer,
  Pod,
  Policy,
  PolicyRef,
  ProfileNote,
  Protocol,
  RuleMatch,
  Selector,
} from './model.ts';
import { createEvaluator, createEvaluatorForIndex } from './evaluate.ts';
import type { Evaluator, FlowEndpoint } from './evaluate.ts';
import { describeFlowProblem } from './explain.ts';
import { listCniProfileNames } from './cni-profiles.ts';
import type { ClusterIndex } from './select.ts';
import { formatExternalKey, indexCluster, isolatingPolicies, matchIpBlock, namespaceLabels, parseIpCached, resolveNamedPort } from './select.ts';
import { matchesSelector } from './selector.ts';

export interface MatrixOptions {
  /** One port (a name resolves per target; targets lacking it are skipped). Default: every declared port of each target. */
  readonly port?: number | string;
  /** Only this protocol. With a numeric `port` and no protocol, TCP (the API default). */
  readonly protocol?: Protocol;
  readonly profile?: string;
  /** Include system pods (cluster DNS) as rows and columns. Default false; they still act as peers. */
  readonly includeSystem?: boolean;
  /** Include external endpoints as sources and targets. Default true. */
  readonly includeExternals?: boolean;
}

export interface MatrixEndpoint {
  readonly key: EndpointKey;
  readonly ref: EndpointRef;
  readonly isSystem: boolean;
}

export interface MatrixColumn {
  /** Index into `targets`. */
  readonly target: number;
  readonly targetKey: EndpointKey;
  readonly port: number;
  /** The container port's name, when it has one. */
  readonly portName?: string;
  readonly protocol: Protocol;
}

/** One direction of a decision: what every cell sharing it has in common (no subject, no near misses). */
export interface MatrixDirectionDecision {
  readonly direction: Direction;
  readonly outcome: DirectionOutcome;
  readonly isAllowed: boolean;
  readonly isolatingPolicies: readonly PolicyRef[];
  readonly allowedBy: readonly RuleMatch[];
}

/**
 * A compact, shared verdict: enough to colour a cell and name the deciding policies and rules. The full verdict
 * (near misses, addresses) is recomputed on demand with `explainCell`.
 */
export interface MatrixDecision {
  readonly isAllowed: boolean;
  readonly egress: MatrixDirectionDecision | null;
  readonly ingress: MatrixDirectionDecision | null;
  readonly profileNotes: readonly ProfileNote[];
  /** Set when the pair cannot be evaluated (no address in the family, unknown profile); isAllowed is then false. */
  readonly error?: FlowError;
}

export interface MatrixCell {
  readonly row: number;
  readonly column: number;
  readonly from: EndpointKey;
  readonly to: EndpointKey;
  readonly port: number;
  readonly portName?: string;
  readonly protocol: Protocol;
  readonly isAllowed: boolean;
  /** A pod to itself: implementation-defined, CNIs differ (kubernetes#95879). */
  readonly isLoopback: boolean;
  readonly deciding: MatrixDecision;
}

export interface MatrixStats {
  readonly sources: number;
  readonly targets: number;
  readonly columns: number;
  readonly cells: number;
  readonly egressSubjectClasses: number;
  readonly egressPeerClasses: number;
  readonly ingressSubjectClasses: number;
  readonly ingressPeerClasses: number;
  /** Direction evaluations actually run (the rest were shared). */
  readonly directionEvaluations: number;
  readonly decisions: number;
}

export interface MatrixResult {
  readonly profile: string;
  readonly sources: readonly MatrixEndpoint[];
  readonly targets: readonly MatrixEndpoint[];
  readonly columns: readonly MatrixColumn[];
  readonly decisions: readonly MatrixDecision[];
  /**
   * Row-major: `cellDecisions[row * columns.length + column]` is an index into `decisions`, or -1 where there is no
   * cell (external to external: no Kubernetes policy can apply).
   */
  readonly cellDecisions: readonly number[];
  readonly stats: MatrixStats;
}

interface EndpointInfo {
  readonly endpoint: FlowEndpoint;
  readonly matrix: MatrixEndpoint;
  readonly pod: Pod | undefined;
  readonly external: ExternalEndpoint | undefined;
  /** Family of the first address; undefined when the endpoint has none. */
  readonly primaryFamily: IpFamily | undefined;
}

export function computeMatrix(cluster: Cluster, options: MatrixOptions = {}): MatrixResult {
  const index = indexCluster(cluster);
  const evaluator = createEvaluatorForIndex(index, options.profile === undefined ? {} : { profile: options.profile });
  return computeMatrixWith(evaluator, options);
}

/** The matrix with an existing evaluator (its profile wins over `options.profile`). */
export function computeMatrixWith(evaluator: Evaluator, options: MatrixOptions = {}): MatrixResult {
  const index = evaluator.index;
  const includeSystem = options.includeSystem ?? false;
  const includeExternals = options.includeExternals ?? true;

  const infos: EndpointInfo[] = [];
  for (const pod of index.cluster.pods) {
    if (pod.isSystem && !includeSystem) continue;
    const endpoint = evaluator.endpointOfPod(pod);
    infos.push({ endpoint, matrix: { key: endpoint.key, ref: endpoint.ref, isSystem: pod.isSystem }, pod, external: undefined, primaryFamily: findPrimaryFamily(index, endpoint.ips) });
  }
  if (includeExternals) {
    for (const external of index.cluster.externals) {
      const endpoint: FlowEndpoint = { key: formatExternalKey(external), ref: { kind: 'external', name: external.name }, pod: undefined, ips: [external.ip] };
      infos.push({ endpoint, matrix: { key: endpoint.key, ref: endpoint.ref, isSystem: false }, pod: undefined, external, primaryFamily: findPrimaryFamily(index, endpoint.ips) });
    }
  }

  const columns = buildColumns(infos, options);
  const decisions: MatrixDecision[] = [];

  if (evaluator.profile === undefined) {
    const error = describeFlowProblem({ code: 'unknown-profile', profile: evaluator.profileName, known: listCniProfileNames() });
    decisions.push({ isAllowed: false, egress: null, ingress: null, profileNotes: [], error });
    const cellDecisions: number[] = [];
    for (const source of infos) {
      for (const column of columns) {
        const target = infos[column.target];
        cellDecisions.push(source.pod === undefined && target?.pod === undefined ? -1 : 0);
      }
    }
    return buildMatrixResult(evaluator, infos, columns, decisions, cellDecisions, countCells(cellDecisions), createEmptyClassStats());
  }

  const classes = classifyEndpoints(evaluator, infos);
  const portIndex = new Map<string, number>();
  const assignPortId = (port: number, protocol: Protocol): number => {
    const key = `${port}/${protocol}`;
    let id = portIndex.get(key);
    if (id === undefined) {
      id = portIndex.size;
      portIndex.set(key, id);
    }
    return id;
  };
  const columnPortIds = columns.map((c) => assignPortId(c.port, c.protocol));
  const portCount = Math.max(portIndex.size, 1);

  // Direction decisions, shared: index → { decision, notes }.
  const directionDecisions: { decision: MatrixDirectionDecision; notes: readonly ProfileNote[] }[] = [];
  const egressCache = new Map<number, number>();
  const ingressCache = new Map<number, number>();
  let directionEvaluations = 0;

  const decideEgress = (sourceIndex: number, targetIndex: number, column: MatrixColumn, portId: number): number | undefined => {
    const subjectClass = classes.egressSubject[sourceIndex] ?? 0;
    const peerClass = classes.egressPeer[targetIndex] ?? 0;
    const key = (subjectClass * classes.egressPeerCount + peerClass) * portCount + portId;
    const cached = egressCache.get(key);
    if (cached !== undefined) return cached;
    const subject = classes.egressSubjectRep[subjectClass];
    const peer = classes.egressPeerRep[peerClass];
    const family = peer?.primaryFamily;
    const peerAddress = family === undefined || peer === undefined ? undefined : findAddressText(index, peer.endpoint.ips, family);
    // Classes keep the address family in their signature, so a representative always has the address its members have.
    if (subject === undefined || peer === undefined || peerAddress === undefined) return undefined;
    directionEvaluations++;
    const evaluation = evaluator.evaluateDirection(
      {
      direction: 'Egress',
      subject: subject.endpoint,
      peer: peer.endpoint,
      peerIp: peerAddress.ip,
      peerIpText: peerAddress.text,
      destination: peer.endpoint,
      port: column.port,
      protocol: column.protocol,
      },
      { withNearMisses: false },
    );
    const id = directionDecisions.length;
    directionDecisions.push({ decision: compactDirectionVerdict(evaluation.verdict), notes: evaluation.profileNotes });
    egressCache.set(key, id);
    return id;
  };

  const decideIngress = (sourceIndex: number, targetIndex: number, family: IpFamily, column: MatrixColumn, portId: number): number | undefined => {
    const peerClass = classes.ingressPeer[sourceIndex] ?? 0;
    const subjectClass = classes.ingressSubject[targetIndex] ?? 0;
    const key = ((peerClass * classes.ingressSubjectCount + subjectClass) * 2 + (family === 'IPv4' ? 0 : 1)) * portCount + portId;
    const cached = ingressCache.get(key);
    if (cached !== undefined) return cached;
    const subject = classes.ingressSubjectRep[subjectClass];
    const peer = classes.ingressPeerRep[peerClass];
    const peerAddress = peer === undefined ? undefined : findAddressText(index, peer.endpoint.ips, family);
    if (subject === undefined || peer === undefined || peerAddress === undefined) return undefined;
    directionEvaluations++;
    const evaluation = evaluator.evaluateDirection(
      {
      direction: 'Ingress',
      subject: subject.endpoint,
      peer: peer.endpoint,
      peerIp: peerAddress.ip,
      peerIpText: peerAddress.text,
      destination: subject.endpoint,
      port: column.port,
      protocol: column.protocol,
      },
      { withNearMisses: false },
    );
    const id = directionDecisions.length;
    directionDecisions.push({ decision: compactDirectionVerdict(evaluation.verdict), notes: evaluation.profileNotes });
    ingressCache.set(key, id);
    return id;
  };

  // Decisions by (egress decision, ingress decision): one small-integer map per egress decision keeps lookups fast.
  const combinedByEgress: Map<number, number>[] = [];
  const combine = (egressId: number, ingressId: number): number | undefined => {
    let byIngress = combinedByEgress[egressId];
    if (byIngress === undefined) {
      byIngress = new Map();
      combinedByEgress[egressId] = byIngress;
    }
    const cached = byIngress.get(ingressId);
    if (cached !== undefined) return cached;
    const egress = directionDecisions[egressId];
    const ingress = directionDecisions[ingressId];
    if (egress === undefined || ingress === undefined) return undefined;
    const profileNotes: ProfileNote[] = [];
    for (const note of [...egress.notes, ...ingress.notes]) {
      if (!profileNotes.some((n) => n.difference === note.difference)) profileNotes.push(note);
    }
    const id = decisions.length;
    decisions.push({
      isAllowed: egress.decision.isAllowed && ingress.decision.isAllowed,
      egress: egress.decision,
      ingress: ingress.decision,
      profileNotes,
    });
    byIngress.set(ingressId, id);
    return id;
  };

  const errorDecisions = new Map<string, number>();
  const errorDecision = (endpoint: string, family: IpFamily | undefined, hasAnyAddress: boolean): number => {
    const key = `${endpoint}|${family ?? ''}`;
    const cached = errorDecisions.get(key);
    if (cached !== undefined) return cached;
    const error = describeFlowProblem({ code: 'no-address-in-family', endpoint, family: family ?? 'IPv4', hasAnyAddress });
    const id = decisions.length;
    decisions.push({ isAllowed: false, egress: null, ingress: null, profileNotes: [], error });
    errorDecisions.set(key, id);
    return id;
  };

  // Sources with the same egress-subject class, ingress-peer class and address families have identical rows, so a
  // row is computed once per such class and copied. A source lacking the flow's family gets its own error
  // decision, so the shared row holds a marker there (-2 IPv4, -3 IPv6) that each copy replaces.
  const markFamilyMissing = (family: IpFamily): number => (family === 'IPv4' ? -2 : -3);
  const buildRow = (sourceIndex: number, source: EndpointInfo, sourceFamilies: ReadonlySet<IpFamily>): { cells: number[]; hasMarkers: boolean } => {
    const cells: number[] = [];
    let hasMarkers = false;
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c];
      const target = column === undefined ? undefined : infos[column.target];
      if (column === undefined || target === undefined || (source.pod === undefined && target.pod === undefined)) {
        cells.push(-1);
        continue;
      }
      // A flow uses the destination's primary address family (its first address), as evaluateFlow defaults it.
      const family = target.primaryFamily;
      if (family === undefined) {
        cells.push(errorDecision(target.matrix.key, undefined, false));
        continue;
      }
      if (!sourceFamilies.has(family)) {
        cells.push(markFamilyMissing(family));
        hasMarkers = true;
        continue;
      }
      const portId = columnPortIds[c] ?? 0;
      const egressId = decideEgress(sourceIndex, column.target, column, portId);
      const ingressId = decideIngress(sourceIndex, column.target, family, column, portId);
      const decision = egressId === undefined || ingressId === undefined ? undefined : combine(egressId, ingressId);
      cells.push(decision ?? errorDecision(source.matrix.key, family, source.endpoint.ips.length > 0));
    }
    return { cells, hasMarkers };
  };

  const rows = new Map<string, { cells: number[]; hasMarkers: boolean }>();
  const cellDecisions: number[] = new Array<number>(infos.length * columns.length).fill(-1);
  let cellCount = 0;
  for (let sourceIndex = 0; sourceIndex < infos.length; sourceIndex++) {
    const source = infos[sourceIndex];
    if (source === undefined) continue;
    const sourceFamilies = collectFamilies(index, source.endpoint.ips);
    const rowKey = `${classes.egressSubject[sourceIndex] ?? -1}|${classes.ingressPeer[sourceIndex] ?? -1}|${[...sourceFamilies].sort().join(',')}`;
    let row = rows.get(rowKey);
    if (row === undefined) {
      row = buildRow(sourceIndex, source, sourceFamilies);
      rows.set(rowKey, row);
    }
    const offset = sourceIndex * columns.length;
    const cells = row.cells;
    for (let c = 0; c < cells.length; c++) {
      let cell = cells[c] ?? -1;
      if (cell === -2 || cell === -3) cell = errorDecision(source.matrix.key, cell === -2 ? 'IPv4' : 'IPv6', source.endpoint.ips.length > 0);
      cellDecisions[offset + c] = cell;
      if (cell >= 0) cellCount++;
    }
  }

  return buildMatrixResult(evaluator, infos, columns, decisions, cellDecisions, cellCount, {
    egressSubjectClasses: classes.egressSubjectRep.length,
    egressPeerClasses: classes.egressPeerCount,
    ingressSubjectClasses: classes.ingressSubjectCount,
    ingressPeerClasses: classes.ingressPeerRep.length,
    directionEvaluations,
  });
}

interface ClassStats {
  readonly egressSubjectClasses: number;
  readonly egressPeerClasses: number;
  readonly ingressSubjectClasses: number;
  readonly ingressPeerClasses: number;
  readonly directionEvaluations: number;
}

function createEmptyClassStats(): ClassStats {
  return { egressSubjectClasses: 0, egressPeerClasses: 0, ingressSubjectClasses: 0, ingressPeerClasses: 0, directionEvaluations: 0 };
}

function buildMatrixResult(
  evaluator: Evaluator,
  infos: readonly EndpointInfo[],
  columns: readonly MatrixColumn[],
  decisions: readonly MatrixDecision[],
  cellDecisions: readonly number[],
  cellCount: number,
  classStats: ClassStats,
): MatrixResult {
  const endpoints = infos.map((info) => info.matrix);
  return {
    profile: evaluator.profileName,
    sources: endpoints,
    targets: endpoints,
    columns,
    decisions,
    cellDecisions,
    stats: {
      sources: endpoints.length,
      targets: endpoints.length,
      columns: columns.length,
      cells: cellCount,
      ...classStats,
      decisions: decisions.length,
    },
  };
}

function countCells(cellDecisions: readonly number[]): number {
  let cells = 0;
  for (const id of cellDecisions) if (id >= 0) cells++;
  return cells;
}

function compactDirectionVerdict(verdict: {
  readonly direction: Direction;
  readonly outcome: DirectionOutcome;
  readonly isAllowed: boolean;
  readonly isolatingPolicies: readonly PolicyRef[];
  readonly allowedBy: readonly RuleMatch[];
}): MatrixDirectionDecision {
  return {
    direction: verdict.direction,
    outcome: verdict.outcome,
    isAllowed: verdict.isAllowed,
    isolatingPolicies: verdict.isolatingPolicies,
    allowedBy: verdict.allowedBy,
  };
}

function findPrimaryFamily(index: ClusterIndex, ips: readonly string[]): IpFamily | undefined {
  const first = ips[0];
  return first === undefined ? undefined : parseIpCached(index, first)?.family;
}

function collectFamilies(index: ClusterIndex, ips: readonly string[]): Set<IpFamily> {
  const families = new Set<IpFamily>();
  for (const text of ips) {
    const ip = parseIpCached(index, text);
    if (ip !== undefined) families.add(ip.family);
  }
  return families;
}

function findAddressText(index: ClusterIndex, ips: readonly string[], family: IpFamily) {
  for (const text of ips) {
    const ip = parseIpCached(index, text);
    if (ip !== undefined && ip.family === family) return { ip, text };
  }
  return undefined;
}

function buildColumns(infos: readonly EndpointInfo[], options: MatrixOptions): MatrixColumn[] {
  const columns: MatrixColumn[] = [];
  infos.forEach((info, target) => {
    const targetKey = info.matrix.key;
    const push = (port: number, protocol: Protocol, portName: string | undefined): void => {
      columns.push({ target, targetKey, port, ...(portName === undefined ? {} : { portName }), protocol });
    };
    if (typeof options.port === 'number') {
      push(options.port, options.protocol ?? 'TCP', info.pod === undefined ? undefined : portNameOf(info.pod, options.port, options.protocol ?? 'TCP'));
      return;
    }
    if (typeof options.port === 'string') {
      // A named port never matches an external endpoint; pods lacking the name have no such column.
      if (info.pod === undefined) return;
      const named = findNamedPort(info.pod, options.port, options.protocol);
      if (named !== undefined) push(named.port, named.protocol, options.port);
      return;
    }
    const seen = new Set<string>();
    if (info.pod !== undefined) {
      for (const container of info.pod.containers) {
        for (const p of container.ports) {
          if (options.protocol !== undefined && p.protocol !== options.protocol) continue;
          const key = `${p.containerPort}/${p.protocol}`;
          if (seen.has(key)) continue;
          seen.add(key);
          push(p.containerPort, p.protocol, p.name);
        }
      }
      return;
    }
    for (const p of info.external?.ports ?? []) {
      if (options.protocol !== undefined && p.protocol !== options.protocol) continue;
      const key = `${p.port}/${p.protocol}`;
      if (seen.has(key)) continue;
      seen.add(key);
      push(p.port, p.protocol, undefined);
    }
  });
  return columns;
}

function portNameOf(pod: Pod, port: number, protocol: Protocol): string | undefined {
  for (const container of pod.containers) {
    for (const p of container.ports) if (p.containerPort === port && p.protocol === protocol && p.name !== undefined) return p.name;
  }
  return undefined;
}

function findNamedPort(pod: Pod, name: string, protocol: Protocol | undefined): { port: number; protocol: Protocol } | undefined {
  if (protocol !== undefined) {
    const port = resolveNamedPort(pod, name, protocol);
    return port === undefined ? undefined : { port, protocol };
  }
  for (const container of pod.containers) {
    for (const p of container.ports) if (p.name === name) return { port: p.containerPort, protocol: p.protocol };
  }
  return undefined;
}

// ---- Equivalence classes ----

interface EndpointClasses {
  /** Per endpoint (index into infos): class ids. */
  readonly egressSubject: readonly number[];
  readonly egressPeer: readonly number[];
  readonly ingressSubject: readonly number[];
  readonly ingressPeer: readonly number[];
  readonly egressSubjectRep: readonly EndpointInfo[];
  readonly egressPeerRep: readonly EndpointInfo[];
  readonly ingressSubjectRep: readonly EndpointInfo[];
  readonly ingressPeerRep: readonly EndpointInfo[];
  readonly egressPeerCount: number;
  readonly ingressSubjectCount: number;
}

function formatCanonicalSelector(selector: Selector): string {
  const labels = Object.entries(selector.matchLabels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const expressions = selector.matchExpressions
    .map((e) => `${e.key}\u0000${e.operator}\u0000${[...e.values].sort().join('\u0001')}`)
    .sort();
  return JSON.stringify([labels, expressions]);
}

interface PeerScopes {
  /** Selector scope key → id, per direction of the rules it appears in. */
  readonly selectorScopes: Map<string, { id: number; policy: Policy; peer: Extract<Peer, { kind: 'selector' }> }>;
  readonly ipBlocks: Map<string, { id: number; peer: Extract<Peer, { kind: 'ipBlock' }> }>;
}

function collectPeerScopes(policies: readonly Policy[], direction: Direction): PeerScopes {
  const selectorScopes: PeerScopes['selectorScopes'] = new Map();
  const ipBlocks: PeerScopes['ipBlocks'] = new Map();
  for (const policy of policies) {
    // Rules of a direction the policy does not isolate for are never evaluated.
    if (!policy.policyTypes.includes(direction)) continue;
    const rules = direction === 'Ingress' ? policy.ingress : policy.egress;
    for (const rule of rules) {
      for (const peer of rule.peers) {
        if (peer.kind === 'ipBlock') {
          const key = `${peer.ipBlock.cidr}|${[...peer.ipBlock.except].sort().join(',')}`;
          if (!ipBlocks.has(key)) ipBlocks.set(key, { id: ipBlocks.size, peer });
          continue;
        }
        const namespacePart = peer.namespaceSelector === undefined ? `own:${policy.namespace}` : `sel:${formatCanonicalSelector(peer.namespaceSelector)}`;
        const podPart = peer.podSelector === undefined ? '*' : formatCanonicalSelector(peer.podSelector);
        const key = `${namespacePart}|${podPart}`;
        if (!selectorScopes.has(key)) selectorScopes.set(key, { id: selectorScopes.size, policy, peer });
      }
    }
  }
  return { selectorScopes, ipBlocks };
}

/** Per pod: the ids of selector scopes that select it, ascending. */
function computeSelectorBits(index: ClusterIndex, scopes: PeerScopes): Map<Pod, number[]> {
  const bits = new Map<Pod, number[]>();
  const namespaces = [...index.podsByNamespace.keys()];
  for (const { id, policy, peer } of scopes.selectorScopes.values()) {
    const namespaceSelector = peer.namespaceSelector;
    const candidates =
      namespaceSelector === undefined
        ? [policy.namespace]
        : namespaces.filter((ns) => matchesSelector(namespaceSelector, namespaceLabels(index, ns)));
    for (const ns of candidates) {
      for (const pod of index.podsByNamespace.get(ns) ?? []) {
        if (peer.podSelector !== undefined && !matchesSelector(peer.podSelector, pod.labels)) continue;
        const list = bits.get(pod);
        if (list === undefined) bits.set(pod, [id]);
        else list.push(id);
      }
    }
  }
  return bits;
}

function computeIpBlockBits(index: ClusterIndex, scopes: PeerScopes, ips: readonly string[], family: IpFamily): string {
  const address = findAddressText(index, ips, family);
  if (address === undefined) return '-';
  const ids: number[] = [];
  for (const { id, peer } of scopes.ipBlocks.values()) {
    if (matchIpBlock(index, peer.ipBlock, address.ip).kind === 'match') ids.push(id);
  }
  return ids.join(',');
}

function formatNamedPortSignature(pod: Pod): string {
  const entries: string[] = [];
  for (const container of pod.containers) {
    for (const p of container.ports) if (p.name !== undefined) entries.push(`${p.name}/${p.protocol}=${p.containerPort}`);
  }
  // First declaration wins in resolveNamedPort, so order matters and is kept.
  return entries.join(',');
}

function formatPolicyIds(policies: readonly Policy[], ids: ReadonlyMap<Policy, number>): string {
  return policies.map((p) => ids.get(p) ?? -1).join(',');
}

class Classifier {
  readonly ids: number[] = [];
  readonly reps: EndpointInfo[] = [];
  readonly #byKey = new Map<string, number>();
  add(signature: string, info: EndpointInfo): void {
    let id = this.#byKey.get(signature);
    if (id === undefined) {
      id = this.reps.length;
      this.#byKey.set(signature, id);
      this.reps.push(info);
    }
    this.ids.push(id);
  }
}

/**
 * Four views of every endpoint, each keeping exactly what one side of one direction depends on:
 * egress subject (its egress-isolating policies), egress peer (what egress peers, ipBlocks and named ports see of a
 * destination), ingress subject (ingress-isolating policies and named ports), ingress peer (what ingress peers and
 * ipBlocks see of a source, per address family). The namespace is deliberately left out: selectors see it only through
 * the peer bits, so pods of different namespaces that no policy tells apart share a class.
 */
function classifyEndpoints(evaluator: Evaluator, infos: readonly EndpointInfo[]): EndpointClasses {
  const index = evaluator.index;
  const policies = index.cluster.policies;
  const policyIdMap = new Map<Policy, number>(policies.map((p, i) => [p, i]));
  const egressScopes = collectPeerScopes(policies, 'Egress');
  const ingressScopes = collectPeerScopes(policies, 'Ingress');
  const egressBits = computeSelectorBits(index, egressScopes);
  const ingressBits = computeSelectorBits(index, ingressScopes);

  const egressSubject = new Classifier();
  const egressPeer = new Classifier();
  const ingressSubject = new Classifier();
  const ingressPeer = new Classifier();

  for (const info of infos) {
    const pod = info.pod;
    const ips = info.endpoint.ips;
    if (pod === undefined) {
      egressSubject.add('external', info);
      ingressSubject.add('external', info);
      egressPeer.add(`external|${info.primaryFamily ?? '-'}|${info.primaryFamily === undefined ? '-' : computeIpBlockBits(index, egressScopes, ips, info.primaryFamily)}`, info);
      ingressPeer.add(`external|${computeIpBlockBits(index, ingressScopes, ips, 'IPv4')}|${computeIpBlockBits(index, ingressScopes, ips, 'IPv6')}`, info);
      continue;
    }
    const named = formatNamedPortSignature(pod);
    // The API's isolating set, not the profile's: profile notes compare with the reference, which sees all of them.
    egressSubject.add(`pod|${formatPolicyIds(isolatingPolicies(index, pod, 'Egress'), policyIdMap)}`, info);
    ingressSubject.add(`pod|${formatPolicyIds(isolatingPolicies(index, pod, 'Ingress'), policyIdMap)}|${named}`, info);
    const egressIp = info.primaryFamily === undefined ? '-' : computeIpBlockBits(index, egressScopes, ips, info.primaryFamily);
    egressPeer.add(`pod|${info.primaryFamily ?? '-'}|${(egressBits.get(pod) ?? []).join(',')}|${egressIp}|${named}`, info);
    ingressPeer.add(
      `pod|${(ingressBits.get(pod) ?? []).join(',')}|${computeIpBlockBits(index, ingressScopes, ips, 'IPv4')}|${computeIpBlockBits(index, ingressScopes, ips, 'IPv6')}`,
      info,
    );
  }
  return {
    egressSubject: egressSubject.ids,
    egressPeer: egressPeer.ids,
    ingressSubject: ingressSubject.ids,
    ingressPeer: ingressPeer.ids,
    egressSubjectRep: egressSubject.reps,
    egressPeerRep: egressPeer.reps,
    ingressSubjectRep: ingressSubject.reps,
    ingressPeerRep: ingressPeer.reps,
    egressPeerCount: egressPeer.reps.length,
    ingressSubjectCount: ingressSubject.reps.length,
  };
}

// ---- Reading cells ----

export function getMatrixCell(matrix: MatrixResult, row: number, column: number): MatrixCell | undefined {
  const col = matrix.columns[column];
  const source = matrix.sources[row];
  if (col === undefined || source === undefined) return undefined;
  const decisionId = matrix.cellDecisions[row * matrix.columns.length + column];
  if (decisionId === undefined || decisionId < 0) return undefined;
  const deciding = matrix.decisions[decisionId];
  if (deciding === undefined) return undefined;
  return {
    row,
    column,
    from: source.key,
    to: col.targetKey,
    port: col.port,
    ...(col.portName === undefined ? {} : { portName: col.portName }),
    protocol: col.protocol,
    isAllowed: deciding.isAllowed,
    isLoopback: source.ref.kind === 'pod' && source.key === col.targetKey,
    deciding,
  };
}

/** Every cell, row by row. Cells are made on demand: a 1,000-pod matrix holds one small decision per class pair. */
export function* listMatrixCells(matrix: MatrixResult): Generator<MatrixCell> {
  for (let row = 0; row < matrix.sources.length; row++) {
    for (let column = 0; column < matrix.columns.length; column++) {
      const cell = getMatrixCell(matrix, row, column);
      if (cell !== undefined) yield cell;
    }
  }
}

/** The cell for a flow, if the matrix has it. */
export function findMatrixCell(matrix: MatrixResult, from: EndpointKey, to: EndpointKey, port: number, protocol: Protocol): MatrixCell | undefined {
  const row = matrix.sources.findIndex((s) => s.key === from);
  if (row < 0) return undefined;
  const column = matrix.columns.findIndex((c) => c.targetKey === to && c.port === port && c.protocol === protocol);
  return column < 0 ? undefined : getMatrixCell(matrix, row, column);
}

/** The full verdict of a cell (near misses, addresses), recomputed with the matrix's profile. */
export function explainCell(cluster: Cluster, matrix: MatrixResult, cell: MatrixCell): FlowResult {
  return explainCellWith(createEvaluator(cluster, { profile: matrix.profile }), matrix, cell);
}

export function explainCellWith(evaluator: Evaluator, matrix: MatrixResult, cell: MatrixCell): FlowResult {
  const from = matrix.sources[cell.row];
  const column = matrix.columns[cell.column];
  const to = column === undefined ? undefined : matrix.targets[column.target];
  if (from === undefined || to === undefined) {
    return { ok: false, error: describeFlowProblem({ code: 'unknown-endpoint', ref: { kind: 'external', name: cell.to }, known: [] }) };
  }
  return evaluator.evaluate({ from: from.ref, to: to.ref, port: cell.port, protocol: cell.protocol });
}
