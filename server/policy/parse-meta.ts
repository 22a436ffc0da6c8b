// metadata (name, namespace, labels, annotations) and metav1.LabelSelector, validated as the API server does.

import { addIssue, asString, getField, indexPath, joinPath, lineOf, quote, readMap, readSeq, readString, readStringMap } from './parse-context.ts';
import type { ParseContext } from './parse-context.ts';
import { listShape, namesShape, objectShape, stringMapShape, stringShape } from './parse-shape.ts';
import type { Shape } from './parse-shape.ts';
import { suggestClosest } from './parse-shape.ts';
import { validateDns1035Label, validateDnsLabel, validateDnsSubdomain, validateLabelValue, validateQualifiedName } from './validate-names.ts';
import type { Selector, SelectorOperator, SelectorRequirement } from './model.ts';
import type { YamlMap } from './yaml-source.ts';

export const objectMetaShape: Shape = namesShape(
  ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'ownerReferences', 'managedFields', 'selfLink'],
  { name: stringShape, generateName: stringShape, namespace: stringShape, labels: stringMapShape, annotations: stringMapShape, finalizers: listShape(stringShape) },
);

export const labelSelectorShape: Shape = objectShape({
  matchLabels: stringMapShape,
  matchExpressions: listShape(objectShape({ key: stringShape, operator: stringShape, values: listShape(stringShape) })),
});

export const NameRules = { dnsSubdomain: 'dnsSubdomain', dnsLabel: 'dnsLabel', dns1035Label: 'dns1035Label' } as const;
export type NameRule = (typeof NameRules)[keyof typeof NameRules];

const nameRuleChecks: Record<NameRule, { check: (value: string) => string[]; describe: string; example: string }> = {
  dnsSubdomain: { check: validateDnsSubdomain, describe: 'a DNS-1123 subdomain', example: 'web-frontend' },
  dnsLabel: { check: validateDnsLabel, describe: 'a DNS-1123 label', example: 'shop' },
  dns1035Label: { check: validateDns1035Label, describe: 'a DNS-1035 label (starting with a letter)', example: 'web' },
};

export function validateName(value: string, rule: NameRule): string[] {
  return nameRuleChecks[rule].check(value);
}

/** Reports every problem of `value` as a name; true when it is valid. */
export function checkName(ctx: ParseContext, input: { value: string; rule: NameRule; path: string; line: number; what: string }): boolean {
  const problems = nameRuleChecks[input.rule].check(input.value);
  if (problems.length === 0) return true;
  const rule = nameRuleChecks[input.rule];
  addIssue(ctx, {
    code: 'invalid-name',
    line: input.line,
    path: input.path,
    message: `${input.what} ${quote(input.value)} is not ${rule.describe}: ${problems.join('; ')}`,
    fix: `use lower-case letters, digits and '-' (e.g. '${suggestValidName(input.value, input.rule) ?? rule.example}')`,
  });
  return false;
}

/** A lower-cased, cleaned version of a bad name when one exists (`Web_App` → `web-app`). */
function suggestValidName(value: string, rule: NameRule): string | undefined {
  let cleaned = value
    .toLowerCase()
    .replace(rule === 'dnsSubdomain' ? /[^a-z0-9.-]+/g : /[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  if (rule === 'dns1035Label') cleaned = cleaned.replace(/^[^a-z]+/, '');
  cleaned = cleaned.slice(0, rule === 'dnsSubdomain' ? 253 : 63).replace(/[^a-z0-9]+$/, '');
  return cleaned.length > 0 && nameRuleChecks[rule].check(cleaned).length === 0 ? cleaned : undefined;
}

/** Validates a map of labels (keys qualified names, values label values); returns true when all are valid. */
export function checkLabels(ctx: ParseContext, input: { owner: YamlMap; key: string; path: string }): boolean {
  const labelsNode = readMap(input.owner, input.key);
  if (!labelsNode) return true;
  let isValid = true;
  const labelsPath = joinPath(input.path, input.key);
  for (const entry of labelsNode.entries) {
    const entryPath = joinPath(labelsPath, entry.key);
    for (const problem of validateQualifiedName(entry.key)) {
      isValid = false;
      addIssue(ctx, { code: 'invalid-label-key', line: entry.keyLine, path: entryPath, message: `label key ${quote(entry.key)}: ${problem}`, fix: "use a key like 'app' or 'app.kubernetes.io/name'" });
    }
    const value = asString(entry.value) ?? '';
    for (const problem of validateLabelValue(value)) {
      isValid = false;
      addIssue(ctx, { code: 'invalid-label-value', line: entry.value.line, path: entryPath, message: `label value ${quote(value)}: ${problem}`, fix: 'use at most 63 characters: letters, digits, and -_. inside' });
    }
  }
  return isValid;
}

function checkAnnotations(ctx: ParseContext, input: { owner: YamlMap; path: string }): boolean {
  const node = readMap(input.owner, 'annotations');
  if (!node) return true;
  let isValid = true;
  let totalChars = 0;
  for (const entry of node.entries) {
    totalChars += entry.key.length + (asString(entry.value)?.length ?? 0);
    for (const problem of validateQualifiedName(entry.key)) {
      isValid = false;
      addIssue(ctx, { code: 'invalid-annotation-key', line: entry.keyLine, path: joinPath(joinPath(input.path, 'annotations'), entry.key), message: `annotation key ${quote(entry.key)}: ${problem}`, fix: "use a key like 'example.com/owner'" });
    }
  }
  // "metadata.annotations: Too long: must have at most 262144 bytes" (ValidateAnnotationsSize).
  if (totalChars > 262_144) {
    isValid = false;
    addIssue(ctx, { code: 'annotations-too-large', line: node.line, path: joinPath(input.path, 'annotations'), message: 'annotations exceed 256 KiB in total', fix: 'move large data into a ConfigMap' });
  }
  return isValid;
}

export interface ObjectMeta {
  readonly name: string;
  /** Empty for cluster-scoped kinds. */
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/**
 * Reads and validates `metadata`. Returns undefined when the object has no name at all; an invalid name or
 * namespace gives `isValid: false`, so callers still validate the rest of the object and then leave it out.
 * Namespaced objects without a namespace land in `default`, as `kubectl apply` without -n does.
 */
export function readObjectMeta(
  ctx: ParseContext,
  input: { object: YamlMap; basePath: string; kind: string; nameRule: NameRule; isNamespaced: boolean; defaultNamespace?: string },
): { meta: ObjectMeta; isValid: boolean } | undefined {
  const metaPath = joinPath(input.basePath, 'metadata');
  const metadata = readMap(input.object, 'metadata');
  if (!metadata) {
    addIssue(ctx, { code: 'required', line: lineOf(input.object, 'metadata'), path: metaPath, message: `${input.kind} has no metadata`, fix: 'add metadata: {name: ...}' });
    return undefined;
  }
  const name = readString(metadata, 'name');
  const namePath = joinPath(metaPath, 'name');
  if (name === undefined || name === '') {
    const generateName = readString(metadata, 'generateName');
    addIssue(ctx, {
      code: 'required',
      line: lineOf(metadata, generateName === undefined ? 'name' : 'generateName'),
      path: namePath,
      message: generateName === undefined ? `${input.kind} has no metadata.name` : `${input.kind} uses generateName; rehearsal needs stable names`,
      fix: 'set metadata.name',
    });
    return undefined;
  }
  // An invalid name or namespace makes the object unusable, but its labels and annotations are still checked:
  // parse returns every issue, not only the first.
  const isNameValid = checkName(ctx, { value: name, rule: input.nameRule, path: namePath, line: lineOf(metadata, 'name'), what: `${input.kind} name` });
  let isValid = true;
  let namespace = '';
  let isNamespaceValid = true;
  if (input.isNamespaced) {
    namespace = readString(metadata, 'namespace') ?? input.defaultNamespace ?? 'default';
    if (namespace === '') namespace = input.defaultNamespace ?? 'default';
    isNamespaceValid = checkName(ctx, { value: namespace, rule: 'dnsLabel', path: joinPath(metaPath, 'namespace'), line: lineOf(metadata, 'namespace'), what: 'namespace' });
  }
  if (!checkLabels(ctx, { owner: metadata, key: 'labels', path: metaPath })) isValid = false;
  if (!checkAnnotations(ctx, { owner: metadata, path: metaPath })) isValid = false;
  // An object with an invalid name is never used, but its spec is still validated so every problem is reported.
  if (!isNameValid || !isNamespaceValid) isValid = false;
  return {
    meta: { name, namespace, labels: readStringMap(metadata, 'labels'), annotations: readStringMap(metadata, 'annotations') },
    isValid,
  };
}

const operators: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** ValidateLabelSelector + conversion. Undefined when invalid (every problem reported). */
export function readLabelSelector(ctx: ParseContext, input: { node: YamlMap; path: string }): Selector | undefined {
  const { node, path } = input;
  let isValid = checkLabels(ctx, { owner: node, key: 'matchLabels', path });
  const matchExpressions: SelectorRequirement[] = [];
  const expressions = readSeq(node, 'matchExpressions');
  expressions?.items.forEach((item, index) => {
    const itemPath = indexPath(joinPath(path, 'matchExpressions'), index);
    if (item.kind !== 'map') return;
    const key = readString(item, 'key');
    const operatorText = readString(item, 'operator');
    const valuesNode = readSeq(item, 'values');
    const values = valuesNode ? valuesNode.items.map((v) => asString(v)).filter((v): v is string => v !== undefined) : [];
    if (key === undefined) {
      isValid = false;
      addIssue(ctx, { code: 'required', line: item.line, path: joinPath(itemPath, 'key'), message: 'a selector requirement needs a key', fix: 'add key: <label key>' });
    } else {
      for (const problem of validateQualifiedName(key)) {
        isValid = false;
        addIssue(ctx, { code: 'invalid-label-key', line: lineOf(item, 'key'), path: joinPath(itemPath, 'key'), message: `selector key ${quote(key)}: ${problem}`, fix: "use a label key like 'app'" });
      }
    }
    const operator = operators.find((op) => op === operatorText);
    if (operatorText === undefined) {
      isValid = false;
      addIssue(ctx, { code: 'required', line: item.line, path: joinPath(itemPath, 'operator'), message: 'a selector requirement needs an operator', fix: 'add operator: In, NotIn, Exists or DoesNotExist' });
    } else if (!operator) {
      isValid = false;
      const suggestion = suggestClosest(operatorText, operators);
      addIssue(ctx, {
        code: 'invalid-selector',
        line: lineOf(item, 'operator'),
        path: joinPath(itemPath, 'operator'),
        message: `${quote(operatorText)} is not a valid selector operator`,
        fix: suggestion ? `did you mean "${suggestion}"? (operators are case-sensitive: In, NotIn, Exists, DoesNotExist)` : 'use In, NotIn, Exists or DoesNotExist',
      });
    }
    if (operator === 'In' || operator === 'NotIn') {
      // "values: Required value: must be specified when `operator` is 'In' or 'NotIn'"
      if (values.length === 0) {
        isValid = false;
        addIssue(ctx, { code: 'invalid-selector', line: lineOf(item, 'values'), path: joinPath(itemPath, 'values'), message: `values must be specified when operator is '${operator}'`, fix: 'list at least one value, or use Exists / DoesNotExist' });
      }
    } else if (operator && values.length > 0) {
      // "values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
      isValid = false;
      addIssue(ctx, { code: 'invalid-selector', line: lineOf(item, 'values'), path: joinPath(itemPath, 'values'), message: `values may not be specified when operator is '${operator}'`, fix: 'remove values, or use In / NotIn' });
    }
    valuesNode?.items.forEach((valueNode, valueIndex) => {
      const value = asString(valueNode);
      if (value === undefined) return;
      for (const problem of validateLabelValue(value)) {
        isValid = false;
        addIssue(ctx, { code: 'invalid-label-value', line: valueNode.line, path: indexPath(joinPath(itemPath, 'values'), valueIndex), message: `selector value ${quote(value)}: ${problem}`, fix: 'use a valid label value' });
      }
    });
    if (key !== undefined && operator) matchExpressions.push({ key, operator, values });
  });
  if (!isValid) return undefined;
  return { matchLabels: readStringMap(node, 'matchLabels'), matchExpressions };
}

/** Reads an optional selector field; `present: false` when absent, `selector: undefined` when invalid. */
export function readOptionalSelector(ctx: ParseContext, input: { owner: YamlMap; key: string; path: string }): { present: boolean; selector?: Selector } {
  const node = getField(input.owner, input.key);
  if (node === undefined) return { present: false };
  if (node.kind !== 'map') return { present: true };
  const selector = readLabelSelector(ctx, { node, path: joinPath(input.path, input.key) });
  return selector ? { present: true, selector } : { present: true };
}

/** A pod template's metadata: labels and annotations only (its name and namespace come from the controller). */
export function readTemplateMeta(ctx: ParseContext, input: { metadata: YamlMap; path: string }): { labels: Record<string, string>; annotations: Record<string, string>; isValid: boolean } {
  const labelsValid = checkLabels(ctx, { owner: input.metadata, key: 'labels', path: input.path });
  const annotationsValid = checkAnnotations(ctx, { owner: input.metadata, path: input.path });
  return {
    labels: readStringMap(input.metadata, 'labels'),
    annotations: readStringMap(input.metadata, 'annotations'),
    isValid: labelsValid && annotationsValid,
  };
}
