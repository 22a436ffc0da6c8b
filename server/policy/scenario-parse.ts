// The rehearsal.dev/v1alpha1 Scenario document: intent (expectations), debugging-exercise markers and variants.
// Read in two steps: readScenarioDocument during the first pass (variant policies are validated like any policy),
// then resolveScenario once the topology exists, so an unknown pod, workload, Service or external is an error at its path.

import { addIssue, asString, getField, indexPath, joinPath, lineOf, quote, readBoolean, readIntOrString, readMap, readSeq, readString } from './parse-context.ts';
import type { ParseContext, ParseSettings } from './parse-context.ts';
import { checkApiVersion, findKnownKind } from './parse-kinds.ts';
import { labelSelectorShape, objectMetaShape, readLabelSelector, readObjectMeta } from './parse-meta.ts';
import { parseNetworkPolicy, readProtocol } from './parse-network-policy.ts';
import { anyShape, booleanShape, checkShape, intOrStringShape, listShape, objectShape, stringShape, suggestClosest } from './parse-shape.ts';
import type { Shape } from './parse-shape.ts';
import type { WorkloadKind } from './parse-workload.ts';
import { matchesSelector } from './selector.ts';
import { validateDnsLabel, validatePortName, validatePortNumber } from './validate-names.ts';
import type { CniOverride, Expectation, ExpectationSide, ExternalEndpoint, Namespace, Pod, Policy, PolicyRef, Scenario, ScenarioVariant, Service, SourceRef } from './model.ts';
import type { YamlMap, YamlNode } from './yaml-source.ts';

export const scenarioShape: Shape = objectShape({
  apiVersion: stringShape,
  kind: stringShape,
  metadata: objectMetaShape,
  spec: objectShape({
    title: stringShape,
    description: stringShape,
    teaches: listShape(stringShape),
    expectations: listShape(
      objectShape({
        id: stringShape,
        description: stringShape,
        from: anyShape,
        to: anyShape,
        port: intOrStringShape,
        protocol: stringShape,
        allowed: booleanShape,
        overrides: listShape(objectShape({ cni: stringShape, allowed: booleanShape, reason: stringShape })),
      }),
    ),
    brokenExpectations: listShape(stringShape),
    variants: listShape(objectShape({ name: stringShape, description: stringShape, policies: listShape(anyShape), removes: listShape(stringShape) })),
  }),
});

const sideObjectShape: Shape = objectShape({ pod: stringShape, workload: stringShape, service: stringShape, external: stringShape, namespace: stringShape, podSelector: labelSelectorShape });

/** CNI profile names: lower case, with versions such as `cilium-1.15`. */
const cniNamePattern = /^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/;

const expectationIdPattern = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$/;

/** Where a policy removal was written, to report an unknown policy at its line. */
interface RemovalDraft {
  readonly ref: PolicyRef;
  readonly line: number;
  readonly path: string;
}

interface VariantDraft {
  readonly name: string;
  readonly description: string;
  readonly policies: readonly Policy[];
  readonly removals: readonly RemovalDraft[];
}

export interface ScenarioDraft {
  readonly ctx: ParseContext;
  readonly node: YamlMap;
  readonly basePath: string;
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly teaches: readonly string[];
  readonly variants: readonly VariantDraft[];
  readonly source: SourceRef;
}

/** First pass: metadata, text fields and variants (whose policies are full NetworkPolicy objects). */
export function readScenarioDocument(ctx: ParseContext, input: { object: YamlMap; basePath: string; source: SourceRef; settings: ParseSettings }): ScenarioDraft | undefined {
  const { object, basePath, source } = input;
  checkShape(ctx, { node: object, shape: scenarioShape, path: basePath });
  const read = readObjectMeta(ctx, { object, basePath, kind: 'Scenario', nameRule: 'dnsLabel', isNamespaced: false });
  if (!read) return undefined;
  const fileBase = (ctx.file.split('/').pop() ?? '').replace(/\.(ya?ml|json)$/, '');
  if (fileBase !== ctx.file.split('/').pop() && fileBase !== read.meta.name) {
    addIssue(ctx, {
      code: 'scenario-name-mismatch',
      severity: 'warning',
      line: lineOf(readMap(object, 'metadata') ?? object, 'name'),
      path: joinPath(joinPath(basePath, 'metadata'), 'name'),
      message: `Scenario ${read.meta.name} is in file ${fileBase}; the library finds scenarios by file name`,
      fix: `rename the file to ${read.meta.name}.yaml or the Scenario to ${fileBase}`,
    });
  }
  const specPath = joinPath(basePath, 'spec');
  const spec = readMap(object, 'spec');
  if (!spec) {
    addIssue(ctx, { code: 'required', line: lineOf(object, 'spec'), path: specPath, message: 'Scenario needs a spec with title and expectations', fix: 'add spec: {title: ..., expectations: [...]}' });
    return undefined;
  }
  const title = readString(spec, 'title');
  if (title === undefined || title.trim() === '') {
    addIssue(ctx, { code: 'required', line: lineOf(spec, 'title'), path: joinPath(specPath, 'title'), message: 'Scenario needs a title', fix: 'add title: <one line saying what the scenario shows>' });
  }
  const variants: VariantDraft[] = [];
  const variantNames = new Map<string, string>();
  readSeq(spec, 'variants')?.items.forEach((item, index) => {
    if (item.kind !== 'map') return;
    const variantPath = indexPath(joinPath(specPath, 'variants'), index);
    const name = readString(item, 'name');
    if (name === undefined || name === '') {
      addIssue(ctx, { code: 'required', line: item.line, path: joinPath(variantPath, 'name'), message: 'a variant needs a name', fix: 'add name: fixed' });
      return;
    }
    const nameProblems = validateDnsLabel(name);
    if (nameProblems.length > 0) {
      addIssue(ctx, { code: 'invalid-name', line: lineOf(item, 'name'), path: joinPath(variantPath, 'name'), message: `variant name ${quote(name)}: ${nameProblems.join('; ')}`, fix: 'use lower-case letters, digits and -' });
      return;
    }
    const earlier = variantNames.get(name);
    if (earlier !== undefined) {
      addIssue(ctx, { code: 'duplicate-name', line: lineOf(item, 'name'), path: joinPath(variantPath, 'name'), message: `variant ${name} is also defined at ${earlier}`, fix: 'give every variant its own name' });
      return;
    }
    variantNames.set(name, variantPath);
    const policies: Policy[] = [];
    const policyKeys = new Map<string, string>();
    readSeq(item, 'policies')?.items.forEach((policyNode, policyIndex) => {
      const policyPath = indexPath(joinPath(variantPath, 'policies'), policyIndex);
      if (policyNode.kind !== 'map') {
        addIssue(ctx, { code: 'invalid-type', line: policyNode.line, path: policyPath, message: `${policyPath} must be a NetworkPolicy object`, fix: 'write a full NetworkPolicy (apiVersion, kind, metadata, spec)' });
        return;
      }
      const kindText = readString(policyNode, 'kind');
      if (kindText !== 'NetworkPolicy') {
        addIssue(ctx, { code: 'invalid-value', line: lineOf(policyNode, 'kind'), path: joinPath(policyPath, 'kind'), message: `variant policies must be kind NetworkPolicy, not ${quote(kindText ?? '(none)')}`, fix: 'set kind: NetworkPolicy' });
        return;
      }
      const known = findKnownKind(kindText);
      if (!known || !checkApiVersion(ctx, { object: policyNode, basePath: policyPath, kind: known })) return;
      const policy = parseNetworkPolicy(ctx, { object: policyNode, basePath: policyPath, source: { file: ctx.file, line: policyNode.line, docIndex: source.docIndex, path: policyPath } });
      if (!policy) return;
      const key = `${policy.namespace}/${policy.name}`;
      const earlierPolicy = policyKeys.get(key);
      if (earlierPolicy !== undefined) {
        addIssue(ctx, { code: 'duplicate-object', line: policyNode.line, path: policyPath, message: `NetworkPolicy ${key} appears twice in variant ${name} (also at ${earlierPolicy})`, fix: 'keep one of them' });
        return;
      }
      policyKeys.set(key, policyPath);
      policies.push(policy);
    });
    const removals: RemovalDraft[] = [];
    readSeq(item, 'removes')?.items.forEach((removeNode, removeIndex) => {
      const text = asString(removeNode);
      if (text === undefined) return;
      const path = indexPath(joinPath(variantPath, 'removes'), removeIndex);
      const parts = text.split('/');
      if (parts.length !== 2 || !parts[0] || !parts[1]) {
        addIssue(ctx, { code: 'invalid-reference', line: removeNode.line, path, message: `${quote(text)} is not namespace/name`, fix: 'write the policy as namespace/name, e.g. shop/allow-web' });
        return;
      }
      if (policyKeys.has(text)) {
        addIssue(ctx, { code: 'invalid-reference', line: removeNode.line, path, message: `variant ${name} both replaces and removes NetworkPolicy ${text}`, fix: 'either give a replacement or remove it, not both' });
        return;
      }
      removals.push({ ref: { namespace: parts[0], name: parts[1] }, line: removeNode.line, path });
    });
    variants.push({ name, description: readString(item, 'description') ?? '', policies, removals });
  });
  return {
    ctx,
    node: spec,
    basePath,
    name: read.meta.name,
    title: title ?? '',
    description: readString(spec, 'description') ?? '',
    teaches: readSeq(spec, 'teaches')?.items.map((n) => asString(n)).filter((t): t is string => t !== undefined) ?? [],
    variants,
    source,
  };
}

export interface ResolveInput {
  readonly namespaces: readonly Namespace[];
  readonly pods: readonly Pod[];
  readonly services: readonly Service[];
  readonly externals: readonly ExternalEndpoint[];
  readonly policies: readonly Policy[];
  /** Every workload read, including those with no pods (replicas: 0). */
  readonly workloads: readonly { readonly kind: WorkloadKind; readonly namespace: string; readonly name: string }[];
}

/** What one side of an expectation names, and the pods behind it (empty for an external endpoint). */
interface ResolvedSide {
  readonly side: ExpectationSide;
  readonly pods: readonly Pod[];
}

/** Second pass: expectations resolved against the topology; broken ids and removals checked. */
export function resolveScenario(draft: ScenarioDraft, input: ResolveInput): Scenario {
  const { ctx, node: spec } = draft;
  const specPath = joinPath(draft.basePath, 'spec');
  const expectations: Expectation[] = [];
  const ids = new Map<string, string>();
  readSeq(spec, 'expectations')?.items.forEach((item, index) => {
    if (item.kind !== 'map') return;
    const path = indexPath(joinPath(specPath, 'expectations'), index);
    const expectation = resolveExpectation(ctx, { node: item, path, index, input, ids });
    if (expectation) expectations.push(expectation);
  });

  const brokenExpectations: string[] = [];
  readSeq(spec, 'brokenExpectations')?.items.forEach((item, index) => {
    const id = asString(item);
    if (id === undefined) return;
    const path = indexPath(joinPath(specPath, 'brokenExpectations'), index);
    if (!ids.has(id)) {
      const suggestion = suggestClosest(id, [...ids.keys()]);
      addIssue(ctx, { code: 'unknown-reference', line: item.line, path, message: `brokenExpectations names ${quote(id)}, which is not an expectation id`, fix: suggestion ? `did you mean "${suggestion}"?` : 'list ids of expectations of this scenario' });
      return;
    }
    if (brokenExpectations.includes(id)) {
      addIssue(ctx, { code: 'duplicate-id', severity: 'warning', line: item.line, path, message: `${id} is listed twice in brokenExpectations`, fix: 'list it once' });
      return;
    }
    brokenExpectations.push(id);
  });

  const policyKeys = input.policies.map((p) => `${p.namespace}/${p.name}`);
  const variants: ScenarioVariant[] = draft.variants.map((variant) => {
    const removes: PolicyRef[] = [];
    for (const removal of variant.removals) {
      const key = `${removal.ref.namespace}/${removal.ref.name}`;
      if (!policyKeys.includes(key)) {
        const suggestion = suggestClosest(key, policyKeys);
        addIssue(ctx, { code: 'unknown-reference', line: removal.line, path: removal.path, message: `variant ${variant.name} removes NetworkPolicy ${key}, which the scenario does not define`, fix: suggestion ? `did you mean "${suggestion}"?` : 'name a NetworkPolicy of this scenario as namespace/name' });
        continue;
      }
      removes.push(removal.ref);
    }
    return { name: variant.name, description: variant.description, policies: variant.policies, removes };
  });

  return {
    name: draft.name,
    title: draft.title,
    description: draft.description,
    teaches: draft.teaches,
    expectations,
    brokenExpectations,
    variants,
    source: draft.source,
  };
}

function resolveExpectation(
  ctx: ParseContext,
  input: { node: YamlMap; path: string; index: number; input: ResolveInput; ids: Map<string, string> },
): Expectation | undefined {
  const { node, path, index, ids } = input;
  let isValid = true;
  const writtenId = readString(node, 'id');
  const id = writtenId ?? `expectations[${index}]`;
  if (writtenId !== undefined && !expectationIdPattern.test(writtenId)) {
    isValid = false;
    addIssue(ctx, { code: 'invalid-id', line: lineOf(node, 'id'), path: joinPath(path, 'id'), message: `expectation id ${quote(writtenId)} must be 1-100 letters, digits, '.', '_' or '-', starting and ending with a letter or digit`, fix: 'use an id like web-to-api' });
  }
  const earlier = ids.get(id);
  if (earlier !== undefined) {
    isValid = false;
    addIssue(ctx, { code: 'duplicate-id', line: lineOf(node, 'id'), path: joinPath(path, 'id'), message: `expectation id ${quote(id)} is also used at ${earlier}`, fix: 'give every expectation its own id' });
  } else ids.set(id, path);

  const from = resolveSide(ctx, { owner: node, key: 'from', path, input: input.input });
  const to = resolveSide(ctx, { owner: node, key: 'to', path, input: input.input });
  if (from?.side.kind === 'external' && to?.side.kind === 'external') {
    isValid = false;
    addIssue(ctx, { code: 'invalid-expectation', line: node.line, path, message: 'both ends are outside the cluster; NetworkPolicy never sees that traffic', fix: 'make from or to a pod, workload, Service or selector' });
  }

  const protocol = readProtocol(ctx, { owner: node, path });
  const port = readIntOrString(node, 'port');
  const portPath = joinPath(path, 'port');
  if (port === undefined) {
    isValid = false;
    if (getField(node, 'port') === undefined) addIssue(ctx, { code: 'required', line: node.line, path: portPath, message: 'an expectation needs a port', fix: 'add port: <number or container port name>' });
  } else if (typeof port === 'number') {
    for (const problem of validatePortNumber(port)) {
      isValid = false;
      addIssue(ctx, { code: 'invalid-port', line: lineOf(node, 'port'), path: portPath, message: `port ${port}: ${problem}`, fix: 'use a port between 1 and 65535' });
    }
  } else {
    const problems = validatePortName(port);
    if (problems.length > 0) {
      isValid = false;
      addIssue(ctx, { code: 'invalid-port-name', line: lineOf(node, 'port'), path: portPath, message: `port name ${quote(port)}: ${problems.join('; ')}`, fix: /^\d+$/.test(port) ? `remove the quotes: ${port}` : 'use a container port name of the destination' });
    } else if (to && !checkNamedPort(ctx, { port, to, node, path: portPath, input: input.input })) isValid = false;
  }

  const allowed = readBoolean(node, 'allowed');
  if (allowed === undefined) {
    isValid = false;
    if (getField(node, 'allowed') === undefined) addIssue(ctx, { code: 'required', line: node.line, path: joinPath(path, 'allowed'), message: 'an expectation needs allowed: true or false', fix: 'add allowed: true (must connect) or allowed: false (must be blocked)' });
  }

  const overrides: CniOverride[] = [];
  const cnis = new Set<string>();
  readSeq(node, 'overrides')?.items.forEach((item, overrideIndex) => {
    if (item.kind !== 'map') return;
    const overridePath = indexPath(joinPath(path, 'overrides'), overrideIndex);
    const cni = readString(item, 'cni');
    const overrideAllowed = readBoolean(item, 'allowed');
    const reason = readString(item, 'reason');
    let isOverrideValid = true;
    if (cni === undefined) {
      isOverrideValid = false;
      addIssue(ctx, { code: 'required', line: item.line, path: joinPath(overridePath, 'cni'), message: 'an override needs cni: the name of a CNI profile', fix: 'e.g. cni: flannel' });
    } else if (!cniNamePattern.test(cni)) {
      isOverrideValid = false;
      addIssue(ctx, { code: 'invalid-name', line: lineOf(item, 'cni'), path: joinPath(overridePath, 'cni'), message: `cni ${quote(cni)} is not a CNI profile name (lower-case letters, digits, '.' and '-')`, fix: 'e.g. cni: flannel or cni: cilium-1.15' });
    } else if (cnis.has(cni)) {
      isOverrideValid = false;
      addIssue(ctx, { code: 'duplicate-name', line: lineOf(item, 'cni'), path: joinPath(overridePath, 'cni'), message: `cni ${cni} has two overrides`, fix: 'keep one override per CNI' });
    }
    if (overrideAllowed === undefined) {
      isOverrideValid = false;
      if (getField(item, 'allowed') === undefined) addIssue(ctx, { code: 'required', line: item.line, path: joinPath(overridePath, 'allowed'), message: 'an override needs allowed: true or false', fix: 'add allowed' });
    }
    if (reason === undefined || reason.trim() === '') {
      isOverrideValid = false;
      addIssue(ctx, { code: 'required', line: lineOf(item, 'reason'), path: joinPath(overridePath, 'reason'), message: 'an override needs a reason citing where the CNI documents the difference', fix: 'e.g. reason: flannel enforces no NetworkPolicy (flannel README)' });
    }
    if (!isOverrideValid || cni === undefined || overrideAllowed === undefined || reason === undefined) {
      isValid = false;
      return;
    }
    cnis.add(cni);
    overrides.push({ cni, allowed: overrideAllowed, reason });
  });

  if (!isValid || !from || !to || port === undefined || !protocol || allowed === undefined) return undefined;
  const description = readString(node, 'description');
  return {
    id,
    ...(description === undefined ? {} : { description }),
    from: from.side,
    to: to.side,
    port,
    protocol,
    allowed,
    overrides,
    path,
    line: node.line,
  };
}

function splitRef(text: string): { namespace: string; name: string } | undefined {
  const parts = text.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { namespace: parts[0], name: parts[1] };
}

const sideForms = ['pod', 'workload', 'service', 'external', 'podSelector'] as const;

function resolveSide(ctx: ParseContext, input: { owner: YamlMap; key: 'from' | 'to'; path: string; input: ResolveInput }): ResolvedSide | undefined {
  const { owner, key } = input;
  const path = joinPath(input.path, key);
  const node = getField(owner, key);
  const line = lineOf(owner, key);
  if (node === undefined) {
    addIssue(ctx, { code: 'required', line, path, message: `an expectation needs ${key}`, fix: `add ${key}: namespace/workload (or {service: ns/name}, {external: name}, {podSelector: ...})` });
    return undefined;
  }
  const resolved = node.kind === 'map' ? resolveSideObject(ctx, { node, path, input: input.input }) : resolveSideText(ctx, { node, path, line, input: input.input });
  if (resolved && resolved.side.kind !== 'external' && resolved.pods.length === 0) {
    addIssue(ctx, {
      code: 'selects-nothing',
      line: node.line,
      path,
      message: `${key} selects no pod, so the expectation could never fail`,
      fix: 'name something that has pods (a workload with replicas >= 1, a Service with a matching selector)',
    });
    return undefined;
  }
  return resolved;
}

function describeAvailable(input: ResolveInput): string[] {
  const names = new Set<string>();
  for (const workload of input.workloads) names.add(`${workload.namespace}/${workload.name}`);
  for (const pod of input.pods) if (!pod.isSystem) names.add(`${pod.namespace}/${pod.name}`);
  for (const external of input.externals) names.add(`external/${external.name}`);
  return [...names];
}

function resolveSideText(ctx: ParseContext, input: { node: YamlNode; path: string; line: number; input: ResolveInput }): ResolvedSide | undefined {
  const { path, line } = input;
  const text = asString(input.node);
  if (text === undefined) {
    addIssue(ctx, { code: 'invalid-type', line: input.node.line, path, message: `${path} must be "namespace/name" or a map such as {service: ns/name}`, fix: 'write namespace/workload, e.g. shop/web' });
    return undefined;
  }
  const ref = splitRef(text);
  if (!ref) {
    addIssue(ctx, { code: 'invalid-reference', line, path, message: `${quote(text)} is not namespace/name`, fix: 'write namespace/workload (shop/web) or external/<name>' });
    return undefined;
  }
  const world = input.input;
  const workloads = world.workloads.filter((w) => w.namespace === ref.namespace && w.name === ref.name);
  const bare = world.pods.filter((p) => p.namespace === ref.namespace && p.name === ref.name);
  const external = ref.namespace === 'external' ? world.externals.find((e) => e.name === ref.name) : undefined;
  const candidates = (workloads.length > 0 ? 1 : 0) + (bare.length > 0 ? 1 : 0) + (external ? 1 : 0);
  if (candidates > 1 || workloads.length > 1) {
    const what = [...workloads.map((w) => `${w.kind} ${w.namespace}/${w.name}`), ...bare.map((p) => `Pod ${p.namespace}/${p.name}`), ...(external ? [`ExternalEndpoint ${external.name}`] : [])];
    addIssue(ctx, { code: 'ambiguous-reference', line, path, message: `${quote(text)} is ambiguous: ${what.join(', ')}`, fix: 'use the map form: {workload: ns/name}, {pod: ns/name} or {external: name}' });
    return undefined;
  }
  if (external) return { side: { kind: 'external', name: external.name }, pods: [] };
  if (workloads.length === 1) return { side: { kind: 'workload', namespace: ref.namespace, name: ref.name }, pods: podsOfWorkload(world, ref) };
  if (bare.length === 1) return { side: { kind: 'pod', namespace: ref.namespace, name: ref.name }, pods: bare };
  const service = world.services.find((s) => s.namespace === ref.namespace && s.name === ref.name);
  const suggestion = suggestClosest(text, describeAvailable(world));
  addIssue(ctx, {
    code: 'unknown-reference',
    line,
    path,
    message: `no workload or pod ${text}${service ? ' (there is a Service of that name)' : ''}`,
    fix: service ? `write {service: ${text}} to mean traffic through the Service` : suggestion ? `did you mean "${suggestion}"?` : 'name a workload or pod of the scenario as namespace/name',
  });
  return undefined;
}

/** Pods of a workload: `workload.kind` is not Pod and the names match (see ExpectationSide 'workload'). */
export function podsOfWorkload(world: { readonly pods: readonly Pod[] }, ref: { namespace: string; name: string }): Pod[] {
  return world.pods.filter((p) => p.namespace === ref.namespace && p.workload.kind !== 'Pod' && p.workload.name === ref.name);
}

/** Backend pods of a Service: pods in its namespace matching its selector (none without a selector). */
export function podsOfService(world: { readonly pods: readonly Pod[] }, service: Service): Pod[] {
  const selector = service.selector;
  if (selector === null) return [];
  return world.pods.filter((p) => p.namespace === service.namespace && Object.entries(selector).every(([k, v]) => p.labels[k] === v));
}

function resolveSideObject(ctx: ParseContext, input: { node: YamlMap; path: string; input: ResolveInput }): ResolvedSide | undefined {
  const { node, path } = input;
  const world = input.input;
  const mark = ctx.issues.length;
  checkShape(ctx, { node, shape: sideObjectShape, path });
  if (ctx.issues.length > mark) return undefined;
  const forms = sideForms.filter((form) => getField(node, form) !== undefined);
  if (forms.length !== 1) {
    addIssue(ctx, {
      code: 'invalid-reference',
      line: node.line,
      path,
      message: forms.length === 0 ? 'name one of pod, workload, service, external or podSelector' : `use only one of ${forms.join(', ')}`,
      fix: 'e.g. {service: shop/db} or {namespace: shop, podSelector: {matchLabels: {app: web}}}',
    });
    return undefined;
  }
  const form = forms[0];
  if (getField(node, 'namespace') !== undefined && form !== 'podSelector') {
    addIssue(ctx, { code: 'invalid-reference', line: lineOf(node, 'namespace'), path: joinPath(path, 'namespace'), message: 'namespace goes only with podSelector', fix: `write the namespace inside ${form}: ns/name` });
    return undefined;
  }
  if (form === 'podSelector') {
    const namespace = readString(node, 'namespace');
    if (namespace !== undefined && !world.namespaces.some((n) => n.name === namespace)) {
      const suggestion = suggestClosest(namespace, world.namespaces.map((n) => n.name));
      addIssue(ctx, { code: 'unknown-reference', line: lineOf(node, 'namespace'), path: joinPath(path, 'namespace'), message: `no namespace ${quote(namespace)}`, fix: suggestion ? `did you mean "${suggestion}"?` : 'name a namespace of the scenario, or leave namespace out for all' });
      return undefined;
    }
    const selectorNode = readMap(node, 'podSelector');
    if (!selectorNode) return undefined;
    const podSelector = readLabelSelector(ctx, { node: selectorNode, path: joinPath(path, 'podSelector') });
    if (!podSelector) return undefined;
    const pods = world.pods.filter((p) => !p.isSystem && (namespace === undefined || p.namespace === namespace) && matchesSelector(podSelector, p.labels));
    return { side: { kind: 'selector', ...(namespace === undefined ? {} : { namespace }), podSelector }, pods };
  }
  const text = form === undefined ? undefined : readString(node, form);
  const fieldPath = joinPath(path, form ?? '');
  const line = lineOf(node, form ?? '');
  if (text === undefined) return undefined;
  if (form === 'external') {
    const external = world.externals.find((e) => e.name === text);
    if (!external) {
      const suggestion = suggestClosest(text, world.externals.map((e) => e.name));
      addIssue(ctx, { code: 'unknown-reference', line, path: fieldPath, message: `no ExternalEndpoint ${quote(text)}`, fix: suggestion ? `did you mean "${suggestion}"?` : 'declare it: apiVersion: rehearsal.dev/v1alpha1, kind: ExternalEndpoint' });
      return undefined;
    }
    return { side: { kind: 'external', name: text }, pods: [] };
  }
  const ref = splitRef(text);
  if (!ref) {
    addIssue(ctx, { code: 'invalid-reference', line, path: fieldPath, message: `${quote(text)} is not namespace/name`, fix: `write ${form}: namespace/name` });
    return undefined;
  }
  if (form === 'service') {
    const service = world.services.find((s) => s.namespace === ref.namespace && s.name === ref.name);
    if (!service) {
      const suggestion = suggestClosest(text, world.services.map((s) => `${s.namespace}/${s.name}`));
      addIssue(ctx, { code: 'unknown-reference', line, path: fieldPath, message: `no Service ${text}`, fix: suggestion ? `did you mean "${suggestion}"?` : 'name a Service of the scenario as namespace/name' });
      return undefined;
    }
    if (service.selector === null) {
      addIssue(ctx, { code: 'invalid-reference', line, path: fieldPath, message: `Service ${text} has no selector, so it has no backend pods to test`, fix: 'give the Service a selector, or name the pods directly' });
      return undefined;
    }
    return { side: { kind: 'service', namespace: ref.namespace, name: ref.name }, pods: podsOfService(world, service) };
  }
  if (form === 'workload') {
    const workloads = world.workloads.filter((w) => w.namespace === ref.namespace && w.name === ref.name);
    if (workloads.length !== 1) {
      const suggestion = suggestClosest(text, world.workloads.map((w) => `${w.namespace}/${w.name}`));
      addIssue(ctx, {
        code: workloads.length === 0 ? 'unknown-reference' : 'ambiguous-reference',
        line,
        path: fieldPath,
        message: workloads.length === 0 ? `no workload ${text}` : `${text} names ${workloads.map((w) => w.kind).join(' and ')}; their pods collide`,
        fix: workloads.length === 0 ? (suggestion ? `did you mean "${suggestion}"?` : 'name a Deployment, StatefulSet, DaemonSet, ReplicaSet or Job') : 'rename one of them',
      });
      return undefined;
    }
    return { side: { kind: 'workload', namespace: ref.namespace, name: ref.name }, pods: podsOfWorkload(world, ref) };
  }
  const pod = world.pods.find((p) => p.namespace === ref.namespace && p.name === ref.name);
  if (!pod) {
    const suggestion = suggestClosest(text, world.pods.map((p) => `${p.namespace}/${p.name}`));
    addIssue(ctx, { code: 'unknown-reference', line, path: fieldPath, message: `no pod ${text}`, fix: suggestion ? `did you mean "${suggestion}"?` : 'name a pod (bare, or <workload>-<index>) as namespace/name' });
    return undefined;
  }
  return { side: { kind: 'pod', namespace: ref.namespace, name: ref.name }, pods: [pod] };
}

/** A named port must be a container port of the destination pods (or a port name of the destination Service). */
function checkNamedPort(ctx: ParseContext, input: { port: string; to: ResolvedSide; node: YamlMap; path: string; input: ResolveInput }): boolean {
  const { port, to, node, path } = input;
  const line = lineOf(node, 'port');
  if (to.side.kind === 'external') {
    addIssue(ctx, { code: 'unknown-port-name', line, path, message: `port ${quote(port)} is a name, but external endpoints have only numbered ports`, fix: 'use the port number' });
    return false;
  }
  const names = new Set<string>();
  let podsWithName = 0;
  for (const pod of to.pods) {
    let hasName = false;
    for (const container of pod.containers) {
      for (const containerPort of container.ports) {
        if (containerPort.name === undefined) continue;
        names.add(containerPort.name);
        if (containerPort.name === port) hasName = true;
      }
    }
    if (hasName) podsWithName++;
  }
  const side = to.side;
  if (side.kind === 'service') {
    const service = input.input.services.find((s) => s.namespace === side.namespace && s.name === side.name);
    for (const servicePort of service?.ports ?? []) {
      if (servicePort.name === undefined) continue;
      if (servicePort.name === port) return true;
      names.add(servicePort.name);
    }
  }
  if (podsWithName === 0) {
    const suggestion = suggestClosest(port, [...names]);
    addIssue(ctx, { code: 'unknown-port-name', line, path, message: `no destination pod has a container port named ${quote(port)}`, fix: suggestion ? `did you mean "${suggestion}"?` : names.size > 0 ? `named ports there: ${[...names].join(', ')}` : 'use the port number' });
    return false;
  }
  if (podsWithName < to.pods.length) {
    addIssue(ctx, { code: 'unknown-port-name', severity: 'warning', line, path, message: `only ${podsWithName} of ${to.pods.length} destination pods have a port named ${quote(port)}; the others cannot be tested on it`, fix: 'narrow the destination, or use a port number' });
  }
  return true;
}

