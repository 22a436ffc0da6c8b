// Shared plumbing for the manifest readers: an issue sink bound to a file and object, YAML paths, and typed field reads.
// Type errors are reported once, by checkShape (parse-shape.ts); the readers here return undefined for a wrong type.

import type { ParsedCidr } from './cidr.ts';
import type { Issue, Severity } from './model.ts';
import type { YamlMap, YamlNode, YamlSeq } from './yaml-source.ts';

export interface IssueInput {
  readonly code: string;
  readonly severity?: Severity;
  readonly line: number;
  readonly path: string;
  readonly message: string;
  readonly fix: string;
}

/** Collects issues for one source file; `object` names the Kubernetes object being read (`Pod shop/web`). */
export interface ParseContext {
  readonly file: string;
  readonly issues: Issue[];
  readonly object?: string;
}

export function addIssue(ctx: ParseContext, input: IssueInput): void {
  ctx.issues.push({
    code: input.code,
    severity: input.severity ?? 'error',
    file: ctx.file,
    line: input.line,
    path: input.path,
    message: input.message,
    fix: input.fix,
    ...(ctx.object === undefined ? {} : { object: escapeInvisible(ctx.object) }),
  });
}

export function withObject(ctx: ParseContext, object: string): ParseContext {
  return { file: ctx.file, issues: ctx.issues, object };
}

const identifierKey = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `spec` + `podSelector` → `spec.podSelector`; label keys with dots or slashes become `labels[app.kubernetes.io/name]`. */
export function joinPath(base: string, key: string): string {
  if (identifierKey.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${escapeInvisible(key)}]`;
}

export function indexPath(base: string, index: number): string {
  return `${base}[${index}]`;
}

/** A field's value; an explicit null counts as absent, as Go's JSON decoding treats it. */
export function getField(map: YamlMap, key: string): YamlNode | undefined {
  for (const entry of map.entries) {
    if (entry.key !== key) continue;
    if (entry.value.kind === 'scalar' && entry.value.value === null) return undefined;
    return entry.value;
  }
  return undefined;
}

export function hasField(map: YamlMap, key: string): boolean {
  return getField(map, key) !== undefined;
}

/** The line of `key:` in the map, or the map's own line when the key is missing (nearest parent). */
export function lineOf(map: YamlMap, key: string): number {
  for (const entry of map.entries) if (entry.key === key) return entry.keyLine;
  return map.line;
}

export function asMap(node: YamlNode | undefined): YamlMap | undefined {
  return node?.kind === 'map' ? node : undefined;
}

export function asSeq(node: YamlNode | undefined): YamlSeq | undefined {
  return node?.kind === 'seq' ? node : undefined;
}

export function readMap(map: YamlMap, key: string): YamlMap | undefined {
  return asMap(getField(map, key));
}

export function readSeq(map: YamlMap, key: string): YamlSeq | undefined {
  return asSeq(getField(map, key));
}

export function asString(node: YamlNode | undefined): string | undefined {
  return node?.kind === 'scalar' && typeof node.value === 'string' ? node.value : undefined;
}

export function readString(map: YamlMap, key: string): string | undefined {
  return asString(getField(map, key));
}

export function asInteger(node: YamlNode | undefined): number | undefined {
  return node?.kind === 'scalar' && typeof node.value === 'number' && node.isInteger ? node.value : undefined;
}

export function readInteger(map: YamlMap, key: string): number | undefined {
  return asInteger(getField(map, key));
}

export function readBoolean(map: YamlMap, key: string): boolean | undefined {
  const node = getField(map, key);
  return node?.kind === 'scalar' && typeof node.value === 'boolean' ? node.value : undefined;
}

/** An IntOrString field: integers stay numbers, strings stay strings (`"80"` is a port *name* to the API). */
export function readIntOrString(map: YamlMap, key: string): number | string | undefined {
  const node = getField(map, key);
  if (node?.kind !== 'scalar') return undefined;
  if (typeof node.value === 'number' && node.isInteger) return node.value;
  if (typeof node.value === 'string') return node.value;
  return undefined;
}

/** A map[string]string (labels, annotations, selectors); entries of another type were reported by checkShape. */
export function readStringMap(map: YamlMap, key: string): Record<string, string> {
  const out: Record<string, string> = {};
  const node = readMap(map, key);
  if (!node) return out;
  for (const entry of node.entries) {
    if (entry.value.kind !== 'scalar') continue;
    // `key:` with no value decodes to "" in a Go map[string]string.
    if (typeof entry.value.value === 'string') out[entry.key] = entry.value.value;
    else if (entry.value.value === null) out[entry.key] = '';
  }
  return out;
}

export function readStringList(map: YamlMap, key: string): string[] {
  const seq = readSeq(map, key);
  if (!seq) return [];
  const out: string[] = [];
  for (const item of seq.items) {
    const text = asString(item);
    if (text !== undefined) out.push(text);
  }
  return out;
}

/** Describes a value's YAML type for messages ("a list", "the boolean true"). */
export function describeNode(node: YamlNode): string {
  if (node.kind === 'map') return 'a map';
  if (node.kind === 'seq') return 'a list';
  const value = node.value;
  if (value === null) return 'null';
  if (typeof value === 'boolean') return `the boolean ${String(value)}`;
  if (typeof value === 'number') return node.isInteger ? `the number ${value}` : `the non-integer number ${value}`;
  return `the string "${truncate(value, 40)}"`;
}

export function truncate(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}…`;
}

/**
 * Characters JSON.stringify leaves raw that can hide or reorder text on a terminal: C1 controls, bidi overrides and
 * isolates (a "Trojan Source" label), zero-width and other format characters, line and paragraph separators.
 */
const invisibleCharacters = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

function escapeInvisible(text: string): string {
  return text.replace(invisibleCharacters, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}

/** Quotes user text for messages so control characters and hostile names stay visible and harmless. */
export function quote(text: string, maxChars = 80): string {
  return escapeInvisible(JSON.stringify(truncate(text, maxChars)));
}

/** A position in the issue list, to ask later whether reading one object added errors. */
export function markIssues(ctx: ParseContext): number {
  return ctx.issues.length;
}

export function hasErrorsSince(ctx: ParseContext, mark: number): boolean {
  for (let i = mark; i < ctx.issues.length; i++) if (ctx.issues[i]?.severity === 'error') return true;
  return false;
}

/** The resolved ParseOptions every reader sees. */
export interface ParseSettings {
  readonly podCidr: ParsedCidr;
  readonly serviceCidr: ParsedCidr;
  readonly includeClusterDns: boolean;
  readonly maxObjects: number;
  readonly maxPods: number;
}
