// Bare Pods and the controllers that make pods (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job): validated as the
// API server does, then described as pod drafts that topology.ts expands, names and addresses.

import { explainUnusableAddress, calicoIpAddrsAnnotation, parseIpAddrsAnnotation } from './ipam.ts';
import type { ParsedIp } from './cidr.ts';
import { addIssue, getField, hasErrorsSince, joinPath, lineOf, markIssues, quote, readBoolean, readInteger, readMap } from './parse-context.ts';
import type { ParseContext, ParseSettings } from './parse-context.ts';
import { labelSelectorShape, objectMetaShape, readLabelSelector, readObjectMeta, readTemplateMeta } from './parse-meta.ts';
import { podSpecShape, podTemplateShape, readPodSpec } from './parse-pod.ts';
import { anyShape, booleanShape, checkShape, integerShape, namesShape, objectShape, stringShape } from './parse-shape.ts';
import type { Shape } from './parse-shape.ts';
import { formatSelector, matchesSelector } from './selector.ts';
import { validateDnsSubdomain } from './validate-names.ts';
import type { Container, SourceRef, WorkloadRef } from './model.ts';
import type { YamlMap } from './yaml-source.ts';

export type WorkloadKind = Exclude<WorkloadRef['kind'], 'Pod'>;
export const workloadKinds: readonly WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'];

/** Where a problem found later (address conflicts, name collisions) should point. */
export interface DraftLocation {
  readonly file: string;
  readonly line: number;
  readonly path: string;
  readonly object: string;
}

/** One pod to be: a bare Pod, or one replica of a workload's template. */
export interface PodDraft {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly containers: readonly Container[];
  readonly workload: WorkloadRef;
  readonly source: SourceRef;
  /** From the Calico ipAddrs annotation; first = primary. */
  readonly pinnedIps: readonly ParsedIp[];
  readonly location: DraftLocation;
  readonly isSystem: boolean;
}

export interface WorkloadDraft {
  readonly kind: WorkloadKind;
  readonly namespace: string;
  readonly name: string;
  readonly replicas: number;
  readonly template: Omit<PodDraft, 'namespace' | 'name' | 'workload' | 'source' | 'location' | 'isSystem'>;
  readonly source: SourceRef;
  readonly location: DraftLocation;
}

const statusShape = anyShape;

export const podShape: Shape = objectShape({ apiVersion: stringShape, kind: stringShape, metadata: objectMetaShape, spec: podSpecShape, status: statusShape });

const workloadSpecShapes: Record<WorkloadKind, Shape> = {
  Deployment: namesShape(['strategy', 'minReadySeconds', 'revisionHistoryLimit', 'paused', 'progressDeadlineSeconds'], {
    replicas: integerShape,
    selector: labelSelectorShape,
    template: podTemplateShape,
  }),
  StatefulSet: namesShape(
    ['volumeClaimTemplates', 'serviceName', 'podManagementPolicy', 'updateStrategy', 'revisionHistoryLimit', 'minReadySeconds', 'persistentVolumeClaimRetentionPolicy', 'ordinals'],
    { replicas: integerShape, selector: labelSelectorShape, template: podTemplateShape },
  ),
  DaemonSet: namesShape(['updateStrategy', 'minReadySeconds', 'revisionHistoryLimit'], { selector: labelSelectorShape, template: podTemplateShape }),
  ReplicaSet: namesShape(['minReadySeconds'], { replicas: integerShape, selector: labelSelectorShape, template: podTemplateShape }),
  Job: namesShape(
    ['activeDeadlineSeconds', 'podFailurePolicy', 'successPolicy', 'backoffLimit', 'backoffLimitPerIndex', 'maxFailedIndexes', 'ttlSecondsAfterFinished', 'completionMode', 'suspend', 'podReplacementPolicy', 'managedBy'],
    { parallelism: integerShape, completions: integerShape, selector: labelSelectorShape, manualSelector: booleanShape, template: podTemplateShape },
  ),
};

export function workloadShape(kind: WorkloadKind): Shape {
  return objectShape({ apiVersion: stringShape, kind: stringShape, metadata: objectMetaShape, spec: workloadSpecShapes[kind], status: statusShape });
}

/** Validates the Calico ipAddrs annotation of a pod or template; returns the pinned addresses (empty when absent). */
function readPinnedIps(ctx: ParseContext, input: { annotations: Readonly<Record<string, string>>; metadata: YamlMap | undefined; metaPath: string; settings: ParseSettings }): ParsedIp[] | undefined {
  const text = input.annotations[calicoIpAddrsAnnotation];
  if (text === undefined) return [];
  const annotationsNode = input.metadata ? readMap(input.metadata, 'annotations') : undefined;
  const line = annotationsNode ? lineOf(annotationsNode, calicoIpAddrsAnnotation) : (input.metadata?.line ?? 0);
  const path = joinPath(joinPath(input.metaPath, 'annotations'), calicoIpAddrsAnnotation);
  const parsed = parseIpAddrsAnnotation(text);
  if (!parsed.ok) {
    addIssue(ctx, { code: 'invalid-ip-annotation', line, path, message: `${calicoIpAddrsAnnotation}: ${parsed.problem}`, fix: `write a JSON list such as '["10.244.7.7"]' with addresses inside the pod CIDR ${input.settings.podCidr.text}` });
    return undefined;
  }
  let isValid = true;
  for (const ip of parsed.ips) {
    // Calico only hands out addresses from a configured IP pool; the pod CIDR is that pool here. An address of the
    // other family has no pool to check against and is accepted as the pod's second address.
    if (ip.family !== input.settings.podCidr.family) continue;
    const problem = explainUnusableAddress(ip, input.settings.podCidr, { allowReserved: false });
    if (problem) {
      isValid = false;
      addIssue(ctx, { code: 'invalid-ip-annotation', line, path, message: `${calicoIpAddrsAnnotation}: ${problem}`, fix: `pick a free address inside ${input.settings.podCidr.text} (Calico needs an IP pool holding it)` });
    }
  }
  return isValid ? [...parsed.ips] : undefined;
}

export function parsePod(ctx: ParseContext, input: { object: YamlMap; basePath: string; source: SourceRef; settings: ParseSettings }): PodDraft | undefined {
  const { object, basePath, source } = input;
  const mark = markIssues(ctx);
  checkShape(ctx, { node: object, shape: podShape, path: basePath });
  const read = readObjectMeta(ctx, { object, basePath, kind: 'Pod', nameRule: 'dnsSubdomain', isNamespaced: true });
  const spec = readPodSpec(ctx, { owner: object, specPath: joinPath(basePath, 'spec') });
  if (!read) return undefined;
  const metaPath = joinPath(basePath, 'metadata');
  const pinnedIps = readPinnedIps(ctx, { annotations: read.meta.annotations, metadata: readMap(object, 'metadata'), metaPath, settings: input.settings });
  if (hasErrorsSince(ctx, mark) || !read.isValid || !pinnedIps) return undefined;
  const { name, namespace } = read.meta;
  return {
    namespace,
    name,
    labels: read.meta.labels,
    annotations: read.meta.annotations,
    containers: spec.containers,
    workload: { kind: 'Pod', name },
    source,
    pinnedIps,
    location: { file: ctx.file, line: source.line, path: metaPath, object: `Pod ${namespace}/${name}` },
    isSystem: false,
  };
}

export function parseWorkload(
  ctx: ParseContext,
  input: { object: YamlMap; basePath: string; source: SourceRef; kind: WorkloadKind; settings: ParseSettings },
): WorkloadDraft | undefined {
  const { object, basePath, source, kind, settings } = input;
  const mark = markIssues(ctx);
  checkShape(ctx, { node: object, shape: workloadShape(kind), path: basePath });
  const read = readObjectMeta(ctx, { object, basePath, kind, nameRule: 'dnsSubdomain', isNamespaced: true });
  const specPath = joinPath(basePath, 'spec');
  const spec = readMap(object, 'spec');
  if (!spec) {
    addIssue(ctx, { code: 'required', line: lineOf(object, 'spec'), path: specPath, message: `${kind} has no spec`, fix: 'add spec with selector and template' });
    return undefined;
  }
  const templatePath = joinPath(specPath, 'template');
  const template = readMap(spec, 'template');
  if (!template) {
    addIssue(ctx, { code: 'required', line: lineOf(spec, 'template'), path: templatePath, message: `${kind} has no spec.template`, fix: 'add the pod template: template: {metadata: {labels: ...}, spec: {containers: [...]}}' });
    return undefined;
  }
  const templateMetadata = readMap(template, 'metadata');
  const templateMetaPath = joinPath(templatePath, 'metadata');
  const templateMeta = templateMetadata ? readTemplateMeta(ctx, { metadata: templateMetadata, path: templateMetaPath }) : undefined;
  const labels = templateMeta?.labels ?? {};
  const annotations = templateMeta?.annotations ?? {};
  const podSpec = readPodSpec(ctx, { owner: template, specPath: joinPath(templatePath, 'spec') });
  const templateSpec = readMap(template, 'spec');
  const restartPolicyLine = templateSpec ? lineOf(templateSpec, 'restartPolicy') : template.line;
  const restartPolicyPath = joinPath(joinPath(templatePath, 'spec'), 'restartPolicy');
  if (kind === 'Job') {
    // "spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never""
    if (podSpec.restartPolicy !== 'Never' && podSpec.restartPolicy !== 'OnFailure') {
      addIssue(ctx, {
        code: 'invalid-restart-policy',
        line: restartPolicyLine,
        path: restartPolicyPath,
        message: podSpec.restartPolicy === undefined ? 'a Job template needs restartPolicy OnFailure or Never (the pod default Always is not allowed)' : `Unsupported value: ${quote(podSpec.restartPolicy)}: supported values: "OnFailure", "Never"`,
        fix: 'add restartPolicy: Never to spec.template.spec',
      });
    }
  } else if (podSpec.restartPolicy !== undefined && podSpec.restartPolicy !== 'Always') {
    // "spec.template.spec.restartPolicy: Unsupported value: ...: supported values: "Always""
    addIssue(ctx, { code: 'invalid-restart-policy', line: restartPolicyLine, path: restartPolicyPath, message: `Unsupported value: ${quote(podSpec.restartPolicy)}: supported values: "Always"`, fix: 'remove restartPolicy (a controller restarts its pods)' });
  }

  const selectorNode = getField(spec, 'selector');
  const selectorPath = joinPath(specPath, 'selector');
  const manualSelector = readBoolean(spec, 'manualSelector');
  if (kind === 'Job') {
    if (selectorNode !== undefined && manualSelector !== true) {
      // The Job controller generates its selector; one written by hand is rejected unless manualSelector is true.
      addIssue(ctx, { code: 'invalid-selector', line: lineOf(spec, 'selector'), path: selectorPath, message: '`selector` not auto-generated: a Job sets its own selector unless spec.manualSelector is true', fix: 'remove spec.selector (or set manualSelector: true if you really mean it)' });
    }
  } else if (selectorNode === undefined) {
    addIssue(ctx, { code: 'required', line: lineOf(spec, 'selector'), path: selectorPath, message: `spec.selector: Required value (${kind} in apps/v1 needs a selector)`, fix: `add selector: {matchLabels: {${Object.entries(labels).map(([k, v]) => `${k}: ${v}`).join(', ') || 'app: <name>'}}}` });
  }
  if (selectorNode?.kind === 'map') {
    const selector = readLabelSelector(ctx, { node: selectorNode, path: selectorPath });
    if (selector) {
      if (selector.matchExpressions.length === 0 && Object.keys(selector.matchLabels).length === 0 && kind !== 'Job') {
        addIssue(ctx, { code: 'invalid-selector', line: selectorNode.line, path: selectorPath, message: `empty selector is invalid for ${kind.toLowerCase()}`, fix: 'select the template labels, e.g. matchLabels: {app: web}' });
      } else if (!matchesSelector(selector, labels)) {
        // "spec.template.metadata.labels: Invalid value: ...: `selector` does not match template `labels`"
        addIssue(ctx, {
          code: 'selector-mismatch',
          line: templateMetadata ? lineOf(templateMetadata, 'labels') : template.line,
          path: joinPath(templateMetaPath, 'labels'),
          message: `\`selector\` (${formatSelector(selector)}) does not match template \`labels\``,
          fix: 'make spec.template.metadata.labels carry every label of spec.selector',
        });
      }
    }
  }

  let replicas = 1;
  const countFields: readonly string[] = kind === 'Job' ? ['parallelism', 'completions'] : kind === 'DaemonSet' ? [] : ['replicas'];
  const counts: Record<string, number> = {};
  for (const field of countFields) {
    const value = readInteger(spec, field);
    if (value === undefined) continue;
    if (value < 0) {
      addIssue(ctx, { code: 'invalid-value', line: lineOf(spec, field), path: joinPath(specPath, field), message: `${field} ${value}: must be greater than or equal to 0`, fix: `set ${field} to 0 or more` });
      continue;
    }
    counts[field] = value;
  }
  if (kind === 'Job') {
    // "parallelism ... Defaults to 1"; a Job never runs more pods at once than it has completions left.
    const parallelism = counts['parallelism'] ?? 1;
    const completions = counts['completions'];
    replicas = completions === undefined ? parallelism : Math.min(parallelism, completions);
  } else if (kind === 'DaemonSet') {
    // One pod per node, and a sandbox has one node.
    replicas = 1;
  } else {
    replicas = counts['replicas'] ?? 1;
  }
  if (replicas > settings.maxPods) {
    addIssue(ctx, { code: 'too-many-pods', line: lineOf(spec, kind === 'Job' ? 'parallelism' : 'replicas'), path: joinPath(specPath, kind === 'Job' ? 'parallelism' : 'replicas'), message: `${replicas} replicas is more than the limit of ${settings.maxPods} pods`, fix: 'a few replicas show the same policy behaviour as many; use 1 to 3' });
  }
  if (!read) return undefined;
  const { name, namespace } = read.meta;
  const longestName = `${name}-${Math.max(0, replicas - 1)}`;
  if (validateDnsSubdomain(longestName).length > 0) {
    addIssue(ctx, { code: 'invalid-name', line: lineOf(readMap(object, 'metadata') ?? object, 'name'), path: joinPath(joinPath(basePath, 'metadata'), 'name'), message: `pod names generated from ${kind} ${quote(name)} (${quote(longestName)}) are not valid pod names`, fix: 'shorten the name' });
  }
  const pinnedIps = readPinnedIps(ctx, { annotations, metadata: templateMetadata, metaPath: templateMetaPath, settings });
  if (pinnedIps && pinnedIps.length > 0 && replicas > 1) {
    addIssue(ctx, {
      code: 'invalid-ip-annotation',
      line: templateMetadata ? lineOf(readMap(templateMetadata, 'annotations') ?? templateMetadata, calicoIpAddrsAnnotation) : template.line,
      path: joinPath(joinPath(templateMetaPath, 'annotations'), calicoIpAddrsAnnotation),
      message: `${calicoIpAddrsAnnotation} on a template with ${replicas} replicas would give every replica the same address`,
      fix: 'set replicas: 1, or pin addresses on bare Pods instead',
    });
  }
  if (hasErrorsSince(ctx, mark) || !read.isValid || !pinnedIps || (templateMeta && !templateMeta.isValid)) return undefined;
  return {
    kind,
    namespace,
    name,
    replicas,
    template: { labels, annotations, containers: podSpec.containers, pinnedIps },
    source,
    location: { file: ctx.file, line: source.line, path: joinPath(basePath, 'metadata'), object: `${kind} ${namespace}/${name}` },
  };
}
