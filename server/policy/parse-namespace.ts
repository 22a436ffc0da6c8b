// v1 Namespace: a DNS-1123 label name and labels, plus the immutable `kubernetes.io/metadata.name` label the API adds.

import { addIssue, hasErrorsSince, joinPath, markIssues } from './parse-context.ts';
import type { ParseContext } from './parse-context.ts';
import { objectMetaShape, readObjectMeta } from './parse-meta.ts';
import { anyShape, checkShape, listShape, objectShape, stringShape } from './parse-shape.ts';
import type { Shape } from './parse-shape.ts';
import type { Namespace, SourceRef } from './model.ts';
import type { YamlMap } from './yaml-source.ts';

export const namespaceNameLabel = 'kubernetes.io/metadata.name';

export const namespaceShape: Shape = objectShape({
  apiVersion: stringShape,
  kind: stringShape,
  metadata: objectMetaShape,
  spec: objectShape({ finalizers: listShape(stringShape) }),
  status: anyShape,
});

/** "The control plane sets an immutable label kubernetes.io/metadata.name on all namespaces", overriding any value written. */
export function withNamespaceNameLabel(name: string, labels: Readonly<Record<string, string>>): Record<string, string> {
  return { ...labels, [namespaceNameLabel]: name };
}

export function parseNamespace(ctx: ParseContext, input: { object: YamlMap; basePath: string; source: SourceRef }): Namespace | undefined {
  const { object, basePath, source } = input;
  const mark = markIssues(ctx);
  checkShape(ctx, { node: object, shape: namespaceShape, path: basePath });
  const read = readObjectMeta(ctx, { object, basePath, kind: 'Namespace', nameRule: 'dnsLabel', isNamespaced: false });
  if (!read || hasErrorsSince(ctx, mark) || !read.isValid) return undefined;
  const written = read.meta.labels[namespaceNameLabel];
  if (written !== undefined && written !== read.meta.name) {
    addIssue(ctx, {
      code: 'namespace-name-label',
      severity: 'warning',
      line: source.line,
      path: joinPath(joinPath(joinPath(basePath, 'metadata'), 'labels'), namespaceNameLabel),
      message: `the API server sets ${namespaceNameLabel}=${read.meta.name}; the written value ${written} is replaced`,
      fix: `remove the label or write ${read.meta.name}`,
    });
  }
  return { name: read.meta.name, labels: withNamespaceNameLabel(read.meta.name, read.meta.labels), source, isImplicit: false };
}
