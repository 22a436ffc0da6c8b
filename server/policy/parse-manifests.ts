// The engine's input: manifests as people keep them (YAML or JSON, multi-document, List kinds) → a validated,
// normalized Cluster (+ the bundle's Scenario). Never throws: every problem comes back as an Issue, and every valid
// object is kept even when others are invalid.

import { parseCidr, doCidrsOverlap } from './cidr.ts';
import type { ParsedCidr } from './cidr.ts';
import { defaultPodCidr, defaultServiceCidr } from './ipam.ts';
import { addIssue, indexPath, joinPath, lineOf, quote, readMap, readSeq, readString, withObject } from './parse-context.ts';
import type { ParseContext, ParseSettings } from './parse-context.ts';
import { parseExternalEndpoint } from './parse-external.ts';
import { checkApiVersion, findKnownKind, kindApiVersions } from './parse-kinds.ts';
import type { KnownKind } from './parse-kinds.ts';
import { parseNamespace } from './parse-namespace.ts';
import { parseNetworkPolicy } from './parse-network-policy.ts';
import { parseService } from './parse-service.ts';
import type { ServiceDraft } from './parse-service.ts';
import { anyShape, checkShape, listShape, objectShape, stringShape } from './parse-shape.ts';
import { parsePod, parseWorkload } from './parse-workload.ts';
import type { DraftLocation, WorkloadKind } from './parse-workload.ts';
import { readScenarioDocument, resolveScenario } from './scenario-parse.ts';
import type { ScenarioDraft } from './scenario-parse.ts';
import { buildTopology, compareByNamespaceAndName } from './topology.ts';
import type { NamespaceUse, PodOrigin } from './topology.ts';
import { readYamlDocuments } from './yaml-source.ts';
import type { YamlMap, YamlNode } from './yaml-source.ts';
import type { Cluster, ExternalEndpoint, Issue, Namespace, Policy, Scenario, SourceRef } from './model.ts';

export interface ManifestSource {
  /** Shown in issues; a path, or `-` / `<stdin>` for standard input. */
  readonly file: string;
  readonly text: string;
}

export interface ParseOptions {
  /** Pod addresses come from here; default 10.244.0.0/16. */
  readonly podCidr?: string;
  /** ClusterIPs come from here; default 10.96.0.0/12. */
  readonly serviceCidr?: string;
  /** Add the cluster DNS (kube-system/coredns-0 and Service kube-dns) unless the manifests have one. Default true. */
  readonly includeClusterDns?: boolean;
  /** Objects read across all sources before the rest is refused. Default 10000. */
  readonly maxObjects?: number;
  /** Pods after workload expansion. Default 2000. */
  readonly maxPods?: number;
}

export interface IgnoredObject {
  readonly kind: string;
  readonly name: string;
  readonly file: string;
  readonly line: number;
}

export interface ParseResult {
  readonly cluster: Cluster;
  readonly scenario?: Scenario;
  readonly issues: Issue[];
  readonly ignored: IgnoredObject[];
}

export const parseDefaults = { maxObjects: 10_000, maxPods: 2_000, maxListDepth: 3 } as const;

interface Located<T> {
  readonly value: T;
  readonly location: DraftLocation;
}

/** Everything valid read so far; same-kind duplicates are replaced (the later wins, as `kubectl apply` overwrites). */
interface Collected {
  readonly namespaces: Map<string, Located<Namespace>>;
  readonly podOrigins: Map<string, Located<PodOrigin>>;
  readonly services: Map<string, Located<ServiceDraft>>;
  readonly policies: Map<string, Located<Policy>>;
  readonly externals: Map<string, Located<ExternalEndpoint>>;
  readonly namespaceUses: NamespaceUse[];
  readonly ignored: IgnoredObject[];
  scenario?: { draft: ScenarioDraft; location: DraftLocation };
  scenarioCount: number;
  objectCount: number;
  isOverObjectLimit: boolean;
}

function resolveCidrOption(issues: Issue[], input: { value: string | undefined; fallback: string; option: string }): ParsedCidr {
  const fallback = parseCidr(input.fallback);
  if (!fallback) throw new Error(`built-in default ${input.fallback} is not a CIDR`);
  if (input.value === undefined) return fallback;
  const parsed = parseCidr(input.value);
  if (parsed && !parsed.hasHostBits && parsed.prefixLength <= (parsed.family === 'IPv4' ? 24 : 120)) return parsed;
  issues.push({
    code: 'invalid-option',
    severity: 'error',
    file: '',
    line: 0,
    path: input.option,
    message: `${input.option} ${quote(input.value)} is not a usable network CIDR (address/prefix, host bits zero, at least a /24 or /120)`,
    fix: `use e.g. ${input.fallback}; ${input.fallback} was used instead`,
  });
  return fallback;
}

function resolveSettings(options: ParseOptions, issues: Issue[]): ParseSettings {
  let podCidr = resolveCidrOption(issues, { value: options.podCidr, fallback: defaultPodCidr, option: 'podCidr' });
  let serviceCidr = resolveCidrOption(issues, { value: options.serviceCidr, fallback: defaultServiceCidr, option: 'serviceCidr' });
  if (doCidrsOverlap(podCidr, serviceCidr)) {
    issues.push({ code: 'invalid-option', severity: 'error', file: '', line: 0, path: 'serviceCidr', message: `the pod CIDR ${podCidr.text} and service CIDR ${serviceCidr.text} overlap`, fix: `keep them apart; the defaults ${defaultPodCidr} and ${defaultServiceCidr} were used` });
    podCidr = resolveCidrOption(issues, { value: undefined, fallback: defaultPodCidr, option: 'podCidr' });
    serviceCidr = resolveCidrOption(issues, { value: undefined, fallback: defaultServiceCidr, option: 'serviceCidr' });
  }
  const positive = (value: number | undefined, fallback: number, option: string): number => {
    if (value === undefined) return fallback;
    if (Number.isInteger(value) && value > 0) return value;
    issues.push({ code: 'invalid-option', severity: 'error', file: '', line: 0, path: option, message: `${option} must be a positive integer, not ${String(value)}`, fix: `leave it out for the default ${fallback}` });
    return fallback;
  };
  return {
    podCidr,
    serviceCidr,
    includeClusterDns: options.includeClusterDns ?? true,
    maxObjects: positive(options.maxObjects, parseDefaults.maxObjects, 'maxObjects'),
    maxPods: positive(options.maxPods, parseDefaults.maxPods, 'maxPods'),
  };
}

function describePlace(location: DraftLocation): string {
  return `${location.file}:${location.line}`;
}

/** Stores `value` under `key`; a second object of the same kind and name is an error naming both places. */
function storeUnique<T>(ctx: ParseContext, input: { map: Map<string, Located<T>>; key: string; value: T; location: DraftLocation; what: string }): void {
  const earlier = input.map.get(input.key);
  if (earlier) {
    addIssue(ctx, {
      code: 'duplicate-object',
      line: input.location.line,
      path: input.location.path,
      message: `${input.what} is defined twice: at ${describePlace(earlier.location)} and at ${describePlace(input.location)}; the later one is used, as kubectl apply would overwrite the first`,
      fix: 'keep one definition (or give one of them another name)',
    });
    input.map.delete(input.key);
  }
  input.map.set(input.key, { value: input.value, location: input.location });
}

export function parseManifests(sources: readonly ManifestSource[], options: ParseOptions = {}): ParseResult {
  const issues: Issue[] = [];
  const settings = resolveSettings(options, issues);
  const collected: Collected = {
    namespaces: new Map(),
    podOrigins: new Map(),
    services: new Map(),
    policies: new Map(),
    externals: new Map(),
    namespaceUses: [],
    ignored: [],
    scenarioCount: 0,
    objectCount: 0,
    isOverObjectLimit: false,
  };
  for (const source of sources) {
    const read = readYamlDocuments(source.file, source.text);
    issues.push(...read.issues);
    const ctx: ParseContext = { file: source.file, issues };
    for (const document of read.documents) {
      if (collected.isOverObjectLimit) break;
      visitObject(ctx, { node: document.root, basePath: '', docIndex: document.docIndex, listDepth: 0, collected, settings });
    }
  }
  return assembleResult({ collected, settings, issues });
}

function visitObject(
  ctx: ParseContext,
  input: { node: YamlNode; basePath: string; docIndex: number; listDepth: number; collected: Collected; settings: ParseSettings; defaultKind?: KnownKind },
): void {
  const { node, basePath, docIndex, collected, settings } = input;
  if (node.kind !== 'map') {
    addIssue(ctx, {
      code: 'not-an-object',
      line: node.line,
      path: basePath,
      message: `${basePath === '' ? `document ${docIndex + 1}` : basePath} is ${node.kind === 'seq' ? 'a list' : 'a single value'}, not a Kubernetes object`,
      fix: 'each YAML document must be a map with apiVersion, kind and metadata (separate documents with ---)',
    });
    return;
  }
  collected.objectCount++;
  if (collected.objectCount > settings.maxObjects) {
    if (!collected.isOverObjectLimit) {
      addIssue(ctx, { code: 'too-many-objects', line: node.line, path: basePath, message: `more than ${settings.maxObjects} objects; this one and the rest were not read`, fix: 'split the manifests, or leave out objects rehearsal does not use' });
    }
    collected.isOverObjectLimit = true;
    return;
  }
  const kind = readString(node, 'kind') ?? input.defaultKind;
  const source: SourceRef = { file: ctx.file, line: node.line, docIndex, path: basePath };
  if (kind === undefined || kind === '') {
    addIssue(ctx, { code: 'missing-kind', line: lineOf(node, 'kind'), path: joinPath(basePath, 'kind'), message: 'the object has no kind', fix: 'add kind: (e.g. NetworkPolicy, Deployment, Pod, Service, Namespace)' });
    return;
  }
  if (kind === 'List' || (kind.endsWith('List') && readSeq(node, 'items') !== undefined)) {
    visitList(ctx, { ...input, node, kind });
    return;
  }
  const metadata = readMap(node, 'metadata');
  const name = (metadata && readString(metadata, 'name')) ?? '';
  const known = findKnownKind(kind);
  if (!known) {
    addIssue(ctx, {
      code: 'unknown-kind',
      severity: 'warning',
      line: lineOf(node, 'kind'),
      path: joinPath(basePath, 'kind'),
      message: `kind ${quote(kind, 60)} is not used by rehearsal and was ignored`,
      fix: kind === 'CronJob' ? 'model the pods with a Job of the same template to test their traffic' : `rehearsal reads ${Object.keys(kindApiVersions).join(', ')}; remove the object or ignore this warning`,
    });
    collected.ignored.push({ kind, name, file: ctx.file, line: node.line });
    return;
  }
  const isNamespaced = known !== 'Namespace' && known !== 'ExternalEndpoint' && known !== 'Scenario';
  const namespace = (metadata && readString(metadata, 'namespace')) || 'default';
  const objectName = `${known} ${isNamespaced ? `${namespace}/` : ''}${name === '' ? '(unnamed)' : name}`;
  const objectCtx = withObject(ctx, objectName);
  if (!checkApiVersion(objectCtx, { object: node, basePath, kind: known })) return;
  const location: DraftLocation = { file: ctx.file, line: node.line, path: joinPath(basePath, 'metadata'), object: objectName };
  const useNamespace = (ns: string): void => {
    const namespacePath = joinPath(joinPath(basePath, 'metadata'), 'namespace');
    collected.namespaceUses.push({ namespace: ns, location: { ...location, line: metadata ? lineOf(metadata, 'namespace') : node.line, path: namespacePath } });
  };
  const parseInput = { object: node, basePath, source, settings };
  switch (known) {
    case 'Namespace': {
      const parsed = parseNamespace(objectCtx, parseInput);
      if (parsed) storeUnique(objectCtx, { map: collected.namespaces, key: parsed.name, value: parsed, location, what: `Namespace ${parsed.name}` });
      return;
    }
    case 'Pod': {
      const draft = parsePod(objectCtx, parseInput);
      if (!draft) return;
      useNamespace(draft.namespace);
      storeUnique(objectCtx, { map: collected.podOrigins, key: `Pod/${draft.namespace}/${draft.name}`, value: { kind: 'pod', draft }, location, what: `Pod ${draft.namespace}/${draft.name}` });
      return;
    }
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job': {
      const draft = parseWorkload(objectCtx, { ...parseInput, kind: known });
      if (!draft) return;
      useNamespace(draft.namespace);
      storeUnique(objectCtx, { map: collected.podOrigins, key: `${known}/${draft.namespace}/${draft.name}`, value: { kind: 'workload', draft }, location, what: `${known} ${draft.namespace}/${draft.name}` });
      return;
    }
    case 'Service': {
      const parsed = parseService(objectCtx, parseInput);
      if (parsed?.kind === 'externalName') {
        collected.ignored.push({ kind: 'Service', name: parsed.name, file: ctx.file, line: node.line });
        return;
      }
      if (!parsed) return;
      useNamespace(parsed.service.namespace);
      storeUnique(objectCtx, { map: collected.services, key: `${parsed.service.namespace}/${parsed.service.name}`, value: parsed.service, location, what: `Service ${parsed.service.namespace}/${parsed.service.name}` });
      return;
    }
    case 'NetworkPolicy': {
      const policy = parseNetworkPolicy(objectCtx, parseInput);
      if (!policy) return;
      useNamespace(policy.namespace);
      storeUnique(objectCtx, { map: collected.policies, key: `${policy.namespace}/${policy.name}`, value: policy, location, what: `NetworkPolicy ${policy.namespace}/${policy.name}` });
      return;
    }
    case 'ExternalEndpoint': {
      const external = parseExternalEndpoint(objectCtx, parseInput);
      if (external) storeUnique(objectCtx, { map: collected.externals, key: external.name, value: external, location, what: `ExternalEndpoint ${external.name}` });
      return;
    }
    case 'Scenario': {
      collected.scenarioCount++;
      if (collected.scenario) {
        addIssue(objectCtx, {
          code: 'duplicate-scenario',
          line: node.line,
          path: basePath,
          message: `a bundle holds exactly one Scenario; ${collected.scenario.location.object} at ${describePlace(collected.scenario.location)} came first, so this one was ignored`,
          fix: 'keep one Scenario document per bundle (one scenario per file under scenarios/)',
        });
        return;
      }
      const draft = readScenarioDocument(objectCtx, parseInput);
      if (!draft) return;
      collected.scenario = { draft, location };
      for (const variant of draft.variants) {
        for (const policy of variant.policies) {
          collected.namespaceUses.push({ namespace: policy.namespace, location: { file: ctx.file, line: policy.source.line, path: joinPath(joinPath(policy.source.path, 'metadata'), 'namespace'), object: `NetworkPolicy ${policy.namespace}/${policy.name} (variant ${variant.name})` } });
        }
      }
      return;
    }
  }
}

const listObjectShape = objectShape({ apiVersion: stringShape, kind: stringShape, metadata: anyShape, items: listShape(anyShape) });

function visitList(
  ctx: ParseContext,
  input: { node: YamlMap; kind: string; basePath: string; docIndex: number; listDepth: number; collected: Collected; settings: ParseSettings },
): void {
  const { node, kind, basePath } = input;
  checkShape(ctx, { node, shape: listObjectShape, path: basePath });
  if (input.listDepth >= parseDefaults.maxListDepth) {
    addIssue(ctx, { code: 'yaml-too-deep', line: node.line, path: basePath, message: `Lists nested more than ${parseDefaults.maxListDepth} deep`, fix: 'flatten the List' });
    return;
  }
  const itemKind = kind === 'List' ? undefined : findKnownKind(kind.slice(0, -'List'.length));
  const expectedVersion = itemKind ? kindApiVersions[itemKind] : kind === 'List' ? 'v1' : undefined;
  const apiVersion = readString(node, 'apiVersion');
  if (expectedVersion !== undefined && apiVersion !== expectedVersion) {
    addIssue(ctx, { code: apiVersion === undefined ? 'missing-api-version' : 'wrong-api-version', line: lineOf(node, 'apiVersion'), path: joinPath(basePath, 'apiVersion'), message: `${kind} is ${expectedVersion}, not ${quote(apiVersion ?? '(none)')}`, fix: `set apiVersion: ${expectedVersion}` });
    return;
  }
  const items = readSeq(node, 'items');
  // `items: null` decodes to an empty list.
  if (!items) return;
  items.items.forEach((item, index) => {
    if (input.collected.isOverObjectLimit) return;
    // Typed lists (NetworkPolicyList) may leave kind and apiVersion out of their items, as kubectl get -o yaml can.
    const itemNode =
      item.kind === 'map' && itemKind && readString(item, 'kind') === undefined
        ? { ...item, entries: [{ key: 'kind', keyLine: item.line, value: { kind: 'scalar' as const, line: item.line, value: itemKind, isInteger: false } }, ...(readString(item, 'apiVersion') === undefined ? [{ key: 'apiVersion', keyLine: item.line, value: { kind: 'scalar' as const, line: item.line, value: kindApiVersions[itemKind], isInteger: false } }] : []), ...item.entries] }
        : item;
    visitObject(ctx, { node: itemNode, basePath: indexPath(joinPath(basePath, 'items'), index), docIndex: input.docIndex, listDepth: input.listDepth + 1, collected: input.collected, settings: input.settings });
  });
}

function checkExternals(externals: readonly Located<ExternalEndpoint>[], issues: Issue[]): ExternalEndpoint[] {
  const byIp = new Map<string, Located<ExternalEndpoint>>();
  const byHostname = new Map<string, Located<ExternalEndpoint>>();
  const kept: ExternalEndpoint[] = [];
  for (const entry of externals) {
    const external = entry.value;
    const ctx: ParseContext = { file: entry.location.file, issues, object: entry.location.object };
    const sameIp = byIp.get(external.ip);
    if (sameIp) {
      addIssue(ctx, { code: 'ip-conflict', line: entry.location.line, path: 'spec.ip', message: `ExternalEndpoint ${external.name} has the address ${external.ip} of ExternalEndpoint ${sameIp.value.name} (${describePlace(sameIp.location)}); it was left out`, fix: 'give every external endpoint its own address' });
      continue;
    }
    const clash = external.hostnames.find((h) => byHostname.has(h));
    if (clash !== undefined) {
      addIssue(ctx, { code: 'duplicate-name', line: entry.location.line, path: 'spec.hostnames', message: `hostname ${clash} of ExternalEndpoint ${external.name} is also claimed by ${byHostname.get(clash)?.value.name ?? ''}; it was left out`, fix: 'a hostname resolves to one endpoint' });
      continue;
    }
    byIp.set(external.ip, entry);
    for (const hostname of external.hostnames) byHostname.set(hostname, entry);
    kept.push(external);
  }
  return kept.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function assembleResult(input: { collected: Collected; settings: ParseSettings; issues: Issue[] }): ParseResult {
  const { collected, settings, issues } = input;
  const podOrigins = [...collected.podOrigins.values()].map((entry) => entry.value);
  const workloads: { kind: WorkloadKind; namespace: string; name: string }[] = [];
  for (const origin of podOrigins) {
    if (origin.kind === 'workload') workloads.push({ kind: origin.draft.kind, namespace: origin.draft.namespace, name: origin.draft.name });
  }
  const topology = buildTopology(
    {
      namespaces: [...collected.namespaces.values()].map((entry) => entry.value),
      podOrigins,
      services: [...collected.services.values()].map((entry) => entry.value),
      namespaceUses: collected.namespaceUses,
      settings,
    },
    issues,
  );
  const policies = [...collected.policies.values()].map((entry) => entry.value).sort(compareByNamespaceAndName);
  const externals = checkExternals([...collected.externals.values()], issues);
  const cluster: Cluster = {
    namespaces: topology.namespaces,
    pods: topology.pods,
    services: topology.services,
    externals,
    policies,
    podCidr: settings.podCidr.text,
    serviceCidr: settings.serviceCidr.text,
    dnsServiceIp: topology.dnsServiceIp,
  };
  const scenario = collected.scenario ? resolveScenario(collected.scenario.draft, { ...cluster, workloads }) : undefined;
  return { cluster, ...(scenario ? { scenario } : {}), issues, ignored: collected.ignored };
}
