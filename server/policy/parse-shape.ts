// Structural checks of a manifest against the fields its kind has: unknown fields (kubectl's default --validate=strict)
// with a did-you-mean, and wrong value types, each reported once at its exact path and line.

import { addIssue, describeNode, indexPath, joinPath, quote } from './parse-context.ts';
import type { ParseContext } from './parse-context.ts';
import type { YamlNode } from './yaml-source.ts';

export type Shape =
  | { readonly type: 'string' | 'integer' | 'boolean' | 'intOrString' | 'any' }
  | { readonly type: 'object'; readonly fields: Readonly<Record<string, Shape>> }
  | { readonly type: 'stringMap' }
  | { readonly type: 'list'; readonly items: Shape };

export const stringShape: Shape = { type: 'string' };
export const integerShape: Shape = { type: 'integer' };
export const booleanShape: Shape = { type: 'boolean' };
export const intOrStringShape: Shape = { type: 'intOrString' };
/** A subtree rehearsal does not interpret (volumes, probes, resources): accepted as written. */
export const anyShape: Shape = { type: 'any' };
export const stringMapShape: Shape = { type: 'stringMap' };

export function objectShape(fields: Readonly<Record<string, Shape>>): Shape {
  return { type: 'object', fields };
}

export function listShape(items: Shape): Shape {
  return { type: 'list', items };
}

/** Field names of a subtree that is otherwise accepted as written (only typos in the names are errors). */
export function namesShape(names: readonly string[], typed: Readonly<Record<string, Shape>> = {}): Shape {
  const fields: Record<string, Shape> = {};
  for (const name of names) fields[name] = anyShape;
  return objectShape({ ...fields, ...typed });
}

export function checkShape(ctx: ParseContext, input: { node: YamlNode; shape: Shape; path: string; line?: number }): void {
  const { node, shape, path } = input;
  if (node.kind === 'scalar' && node.value === null) return;
  switch (shape.type) {
    case 'any':
      return;
    case 'string':
      if (node.kind === 'scalar' && typeof node.value === 'string') return;
      reportType(ctx, node, path, 'a string');
      return;
    case 'integer':
      if (node.kind === 'scalar' && typeof node.value === 'number' && node.isInteger) return;
      reportType(ctx, node, path, 'an integer');
      return;
    case 'boolean':
      if (node.kind === 'scalar' && typeof node.value === 'boolean') return;
      reportType(ctx, node, path, 'true or false');
      return;
    case 'intOrString':
      if (node.kind === 'scalar' && (typeof node.value === 'string' || (typeof node.value === 'number' && node.isInteger))) return;
      reportType(ctx, node, path, 'an integer or a string');
      return;
    case 'stringMap':
      if (node.kind !== 'map') {
        reportType(ctx, node, path, 'a map of strings');
        return;
      }
      for (const entry of node.entries) {
        const value = entry.value;
        if (value.kind === 'scalar' && (typeof value.value === 'string' || value.value === null)) continue;
        reportType(ctx, value, joinPath(path, entry.key), 'a string');
      }
      return;
    case 'list':
      if (node.kind !== 'seq') {
        reportType(ctx, node, path, 'a list');
        return;
      }
      node.items.forEach((item, index) => {
        const itemPath = indexPath(path, index);
        if (item.kind === 'scalar' && item.value === null) {
          addIssue(ctx, { code: 'invalid-type', line: item.line, path: itemPath, message: `${itemPath} is an empty list item`, fix: 'remove the stray "-" or give the item a value' });
          return;
        }
        checkShape(ctx, { node: item, shape: shape.items, path: itemPath });
      });
      return;
    case 'object':
      if (node.kind !== 'map') {
        reportType(ctx, node, path, 'a map');
        return;
      }
      for (const entry of node.entries) {
        const entryPath = joinPath(path, entry.key);
        const fieldShape = Object.hasOwn(shape.fields, entry.key) ? shape.fields[entry.key] : undefined;
        if (!fieldShape) {
          const suggestion = suggestClosest(entry.key, Object.keys(shape.fields));
          addIssue(ctx, {
            code: 'unknown-field',
            line: entry.keyLine,
            path: entryPath,
            message: `unknown field ${quote(entry.key)} in ${path === '' ? 'the object' : path} (kubectl --validate=strict rejects it)`,
            fix: suggestion ? `did you mean "${suggestion}"?` : `remove it; known fields here: ${Object.keys(shape.fields).join(', ')}`,
          });
          continue;
        }
        checkShape(ctx, { node: entry.value, shape: fieldShape, path: entryPath });
      }
      return;
  }
}

function reportType(ctx: ParseContext, node: YamlNode, path: string, expected: string): void {
  const isYaml11Word = node.kind === 'scalar' && typeof node.value === 'boolean' && expected.includes('string');
  const isNumberForString = node.kind === 'scalar' && typeof node.value === 'number' && expected === 'a string';
  let fix = `write ${expected} here`;
  if (isYaml11Word) fix = 'quote the value ("yes", "on", "y"): kubectl reads YAML 1.1, where bare yes/no/on/off/y/n are booleans';
  else if (isNumberForString) fix = `quote the value so it is a string: "${String(node.kind === 'scalar' ? node.value : '')}"`;
  else if (node.kind === 'scalar' && typeof node.value === 'string' && expected === 'an integer' && /^\d+$/.test(node.value)) {
    fix = `remove the quotes: ${node.value}`;
  }
  addIssue(ctx, {
    code: 'invalid-type',
    line: node.line,
    path,
    message: `${path} must be ${expected}, not ${describeNode(node)}`,
    fix,
  });
}

/** The closest known name within a small edit distance, for did-you-mean hints. */
export function suggestClosest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate.toLowerCase() === lower) return candidate;
    const distance = measureEditDistance(lower, candidate.toLowerCase(), 3);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  const allowed = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  return bestDistance <= allowed ? best : undefined;
}

/**
 * Levenshtein distance, cut off above `limit` (the exact value past it does not matter). Bounded, unlike
 * levenshtein.ts, because field names here come straight from untrusted files and may be megabytes long.
 */
export function measureEditDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  if (a.length > 200 || b.length > 200) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowBest = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      current.push(value);
      if (value < rowBest) rowBest = value;
    }
    if (rowBest > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length] ?? limit + 1;
}
