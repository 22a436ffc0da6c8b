// Turns one manifest text (YAML or JSON, multi-document) into line-annotated value trees, within hard limits.
// kubectl reads manifests with sigs.k8s.io/yaml (go-yaml v2, YAML 1.1), so bare `yes`, `on`, `y` are booleans here too.

import { Composer, isAlias, isMap, isNode, isPair, isScalar, isSeq, LineCounter, Parser, visit } from 'yaml';
import type { Alias, Document, Node as YamlAstNode, Tags } from 'yaml';
import type { Issue } from './model.ts';

export interface YamlScalar {
  readonly kind: 'scalar';
  readonly line: number;
  readonly value: string | number | boolean | null;
  /** A number written without fraction or exponent (`80`, `0x50`), as Go's int decoding requires. */
  readonly isInteger: boolean;
}

export interface YamlEntry {
  readonly key: string;
  readonly keyLine: number;
  readonly value: YamlNode;
}

export interface YamlMap {
  readonly kind: 'map';
  readonly line: number;
  readonly entries: readonly YamlEntry[];
}

export interface YamlSeq {
  readonly kind: 'seq';
  readonly line: number;
  readonly items: readonly YamlNode[];
}

export type YamlNode = YamlScalar | YamlMap | YamlSeq;

export interface YamlDocument {
  readonly docIndex: number;
  readonly line: number;
  readonly root: YamlNode;
}

export interface ReadYamlResult {
  readonly documents: readonly YamlDocument[];
  readonly issues: readonly Issue[];
}

export const yamlLimits = {
  maxSourceBytes: 5 * 1024 * 1024,
  maxDocuments: 20_000,
  maxDepth: 100,
  /** Nodes after alias expansion; an alias bomb multiplies far past this. */
  maxExpandedNodes: 2_000_000,
  maxAliases: 1_000,
} as const;

/** Tags go-yaml v2 does not resolve implicitly (sexagesimal numbers) or resolves to strings for untyped targets (timestamps). */
const droppedTagFormats = new Set(['TIME']);

function filterTags(tags: Tags): Tags {
  return tags.filter((tag) => {
    if (typeof tag === 'string') return tag !== 'timestamp' && tag !== 'intTime' && tag !== 'floatTime';
    if (tag.tag === 'tag:yaml.org,2002:timestamp') return false;
    return !('format' in tag && typeof tag.format === 'string' && droppedTagFormats.has(tag.format));
  });
}

/** UTF-8 byte length without Node or DOM APIs (the engine is pure). */
export function measureUtf8Bytes(text: string, stopAfter = Number.POSITIVE_INFINITY): number {
  let bytes = 0;
  for (let i = 0; i < text.length && bytes <= stopAfter; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Deepest `[`/`{` nesting, counted before parsing so a 5 MiB bracket bomb is refused in linear time. */
function measureFlowDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 91 || c === 123) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  return deepest;
}

interface ConvertState {
  expandedNodes: number;
  aliases: number;
  /** Each alias's target, found in one walk of the document on the first alias (see resolveAlias). */
  aliasTargets?: Map<Alias, YamlAstNode | undefined>;
  /** Source offset → line of every key that repeats an earlier key of its map (once, however often aliases expand it). */
  readonly duplicateKeys: Map<number, number>;
  problem?: { code: string; message: string; fix: string; line: number };
}

class ConvertLimitError extends Error {}

export function readYamlDocuments(file: string, text: string): ReadYamlResult {
  const issues: Issue[] = [];
  const report = (code: string, line: number, message: string, fix: string): void => {
    issues.push({ code, severity: 'error', file, line, path: '', message, fix });
  };
  const bytes = measureUtf8Bytes(text, yamlLimits.maxSourceBytes);
  if (bytes > yamlLimits.maxSourceBytes) {
    report(
      'source-too-large',
      0,
      `${file} is larger than ${yamlLimits.maxSourceBytes / 1024 / 1024} MiB and was not read`,
      'split the manifests into several files, or leave generated bulk (CRDs, charts) out of the bundle',
    );
    return { documents: [], issues };
  }
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    report('source-binary', 1 + countNewlines(text, nul), `${file} contains NUL bytes: it looks binary, not YAML or JSON`, 'pass only .yaml, .yml or .json text files');
    return { documents: [], issues };
  }
  const flowDepth = measureFlowDepth(text);
  if (flowDepth > yamlLimits.maxDepth * 10) {
    report('yaml-too-deep', 1, `${file} nests [ or { ${flowDepth} levels deep`, `keep nesting under ${yamlLimits.maxDepth} levels`);
    return { documents: [], issues };
  }

  const lineCounter = new LineCounter();
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  const documents: YamlDocument[] = [];
  try {
    const parser = new Parser(lineCounter.addNewLine);
    // Duplicate keys are found in convertNode: the yaml package's uniqueKeys check compares each key with every
    // earlier one, which made a 1.5 MB map of 150,000 keys take minutes.
    const composer = new Composer({ version: '1.1', customTags: filterTags, uniqueKeys: false, strict: true });
    let docIndex = 0;
    for (const doc of composer.compose(parser.parse(text), true, text.length)) {
      if (docIndex >= yamlLimits.maxDocuments) {
        report('too-many-documents', lineAt(doc.range[0]), `${file} holds more than ${yamlLimits.maxDocuments} YAML documents; the rest were not read`, 'split the file');
        break;
      }
      const converted = convertDocument({ doc, docIndex, file, lineAt, issues });
      if (converted) documents.push(converted);
      docIndex++;
    }
  } catch (error) {
    // The yaml package throws only on resource exhaustion (call stack, string length); report it, never crash the caller.
    const reason = error instanceof Error ? error.message : String(error);
    report('yaml-unreadable', 0, `${file} could not be read as YAML: ${reason}`, 'check that the file is YAML or JSON of reasonable size and nesting');
  }
  return { documents, issues };
}

function countNewlines(text: string, end: number): number {
  let count = 0;
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) count++;
  return count;
}

function convertDocument(input: {
  doc: Document.Parsed;
  docIndex: number;
  file: string;
  lineAt: (offset: number) => number;
  issues: Issue[];
}): YamlDocument | undefined {
  const { doc, docIndex, file, lineAt, issues } = input;
  // The yaml package catches a stack overflow while composing deeply nested block collections and reports it as
  // RESOURCE_EXHAUSTION (or as a failed regular expression); its text is an engine internal, not a syntax error.
  const exhaustion = doc.errors.find((error) => error.code === 'RESOURCE_EXHAUSTION' || /call stack|stack overflow/i.test(error.message));
  if (exhaustion !== undefined) {
    issues.push({
      code: 'yaml-too-deep',
      severity: 'error',
      file,
      line: lineAt(exhaustion.pos[0]),
      path: '',
      message: `document ${docIndex + 1} nests collections too deeply to be read`,
      fix: `keep nesting under ${yamlLimits.maxDepth} levels`,
    });
    return undefined;
  }
  const reported = new Set<string>();
  for (const error of doc.errors) {
    const line = lineAt(error.pos[0]);
    const message = `YAML syntax error in document ${docIndex + 1}: ${firstLine(error.message)}`;
    // The parser can report one fault twice at the same place (an unclosed flow map in a block collection).
    if (reported.has(`${line}\u0000${message}`)) continue;
    reported.add(`${line}\u0000${message}`);
    issues.push({
      code: 'yaml-syntax',
      severity: 'error',
      file,
      line,
      path: '',
      message,
      fix: yamlFixFor(error.code),
    });
  }
  if (doc.errors.length > 0) return undefined;
  for (const warning of doc.warnings) {
    issues.push({
      code: 'yaml-warning',
      severity: 'warning',
      file,
      line: lineAt(warning.pos[0]),
      path: '',
      message: firstLine(warning.message),
      fix: 'remove custom YAML tags; Kubernetes manifests use plain YAML',
    });
  }
  const contents = doc.contents;
  if (contents === null) return undefined;
  const state: ConvertState = { expandedNodes: 0, aliases: 0, duplicateKeys: new Map() };
  try {
    const root = convertNode({ node: contents, doc, lineAt, state, depth: 0 });
    for (const line of state.duplicateKeys.values()) {
      issues.push({
        code: 'yaml-syntax',
        severity: 'error',
        file,
        line,
        path: '',
        message: `YAML syntax error in document ${docIndex + 1}: Map keys must be unique`,
        fix: yamlFixFor('DUPLICATE_KEY'),
      });
    }
    if (state.duplicateKeys.size > 0) return undefined;
    // An empty document (`---` followed by nothing, or only comments) is skipped, as kubectl does.
    if (root.kind === 'scalar' && root.value === null) return undefined;
    return { docIndex, line: root.line, root };
  } catch (error) {
    if (!(error instanceof ConvertLimitError) || !state.problem) throw error;
    issues.push({ severity: 'error', file, path: '', ...state.problem });
    return undefined;
  }
}

function firstLine(text: string): string {
  const newline = text.indexOf('\n');
  return (newline < 0 ? text : text.slice(0, newline)).replace(/ at line \d+, column \d+:?$/, '');
}

function yamlFixFor(code: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'remove one of the duplicated keys; kubectl rejects duplicate keys too';
    case 'TAB_AS_INDENT':
      return 'indent with spaces, not tabs';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return 'check the indentation and the closing brackets around this line';
    default:
      return 'fix the YAML syntax at this line (a YAML linter shows the exact column)';
  }
}

/**
 * The node an alias refers to: the last node anchored with its name before it, in document order, as the yaml
 * package's Alias.resolve(doc) finds it. That method walks the whole document on every call, so a file with many
 * aliases took quadratic time (a 1.5 MB file with 999 aliases ran for minutes); one walk serves every alias here.
 */
function resolveAlias(state: ConvertState, doc: Document.Parsed, alias: Alias): YamlAstNode | undefined {
  if (state.aliasTargets === undefined) {
    const targets = new Map<Alias, YamlAstNode | undefined>();
    const latest = new Map<string, YamlAstNode>();
    visit(doc, {
      Node: (_key, node) => {
        if (isAlias(node)) targets.set(node, latest.get(node.source));
        else if (typeof node.anchor === 'string') latest.set(node.anchor, node);
      },
    });
    state.aliasTargets = targets;
  }
  return state.aliasTargets.get(alias);
}

function failConversion(state: ConvertState, problem: NonNullable<ConvertState['problem']>): never {
  state.problem = problem;
  throw new ConvertLimitError(problem.message);
}

function convertNode(input: {
  node: YamlAstNode;
  doc: Document.Parsed;
  lineAt: (offset: number) => number;
  state: ConvertState;
  depth: number;
}): YamlNode {
  const { doc, lineAt, state, depth } = input;
  let node: YamlAstNode = input.node;
  const line = lineAt(node.range?.[0] ?? 0);
  if (depth > yamlLimits.maxDepth) {
    failConversion(state, { code: 'yaml-too-deep', line, message: `nested more than ${yamlLimits.maxDepth} levels deep`, fix: 'flatten the document' });
  }
  state.expandedNodes++;
  if (state.expandedNodes > yamlLimits.maxExpandedNodes) {
    failConversion(state, {
      code: 'yaml-alias-limit',
      line,
      message: `the document expands to more than ${yamlLimits.maxExpandedNodes} values (YAML aliases multiply content)`,
      fix: 'write the content out instead of repeating anchors (&a / *a)',
    });
  }
  if (isAlias(node)) {
    state.aliases++;
    if (state.aliases > yamlLimits.maxAliases) {
      failConversion(state, { code: 'yaml-alias-limit', line, message: `more than ${yamlLimits.maxAliases} alias uses (*name)`, fix: 'write the content out instead of repeating anchors' });
    }
    const target = resolveAlias(state, doc, node);
    if (!target) {
      failConversion(state, { code: 'yaml-syntax', line, message: `alias *${node.source} has no anchor`, fix: `define &${node.source} before using it` });
    }
    node = target;
  }
  if (isScalar(node)) {
    const raw = node.value;
    if (typeof raw === 'string' && node.type === 'PLAIN') {
      const integer = resolvePrefixedInteger(raw);
      if (integer !== undefined) return { kind: 'scalar', line, value: integer, isInteger: true };
    }
    if (raw === null || typeof raw === 'string' || typeof raw === 'boolean') {
      return { kind: 'scalar', line, value: raw, isInteger: false };
    }
    if (typeof raw === 'number') {
      // `80.0` and `8e1` are floats to Go's decoder even when their value is whole.
      const isFloatText = typeof node.source === 'string' && /[.eE]/.test(node.source) && node.format !== 'HEX';
      return { kind: 'scalar', line, value: raw, isInteger: Number.isInteger(raw) && !isFloatText };
    }
    return { kind: 'scalar', line, value: String(raw), isInteger: false };
  }
  if (isSeq(node)) {
    const items: YamlNode[] = [];
    for (const item of node.items) {
      if (isPair(item)) {
        // A `!!omap`/`!!pairs` item: not something Kubernetes decodes; keep its value for the type check.
        if (isNode(item.value)) items.push(convertNode({ node: item.value, doc, lineAt, state, depth: depth + 1 }));
        continue;
      }
      if (!isNode(item)) {
        items.push({ kind: 'scalar', line, value: null, isInteger: false });
        continue;
      }
      items.push(convertNode({ node: item, doc, lineAt, state, depth: depth + 1 }));
    }
    return { kind: 'seq', line, items };
  }
  if (isMap(node)) {
    const entries: YamlEntry[] = [];
    const merged: YamlEntry[] = [];
    const keys = new Set<string>();
    for (const pair of node.items) {
      const keyNode = pair.key;
      const keyLine = isScalar(keyNode) || isAlias(keyNode) || isMap(keyNode) || isSeq(keyNode) ? lineAt(keyNode.range?.[0] ?? 0) : line;
      const isMergeKey = isScalar(keyNode) && keyNode.source === '<<' && keyNode.type === 'PLAIN';
      if (isScalar(keyNode) && !isMergeKey) {
        // "Map keys must be unique", with the yaml package's notion of equal keys (equal scalar values); kubectl
        // rejects duplicate keys too. Merge keys may repeat, in go-yaml as in the yaml package.
        const identity = `${typeof keyNode.value}\u0000${String(keyNode.value)}`;
        if (keys.has(identity)) state.duplicateKeys.set(keyNode.range?.[0] ?? 0, keyLine);
        keys.add(identity);
      }
      let valueNode: YamlNode =
        isNode(pair.value)
          ? convertNode({ node: pair.value, doc, lineAt, state, depth: depth + 1 })
          : { kind: 'scalar', line: keyLine, value: null, isInteger: false };
      // A block map or list starts on the line after its key; issues about it belong on `key:`, where people look.
      if (valueNode.kind !== 'scalar') valueNode = { ...valueNode, line: keyLine };
      if (isMergeKey) {
        // YAML 1.1 merge key (`<<: *base`), which go-yaml v2 honours: explicit keys win over merged ones.
        const sources = valueNode.kind === 'seq' ? valueNode.items : [valueNode];
        for (const source of sources) if (source.kind === 'map') merged.push(...source.entries);
        continue;
      }
      entries.push({ key: formatKey(keyNode), keyLine, value: valueNode });
    }
    const own = new Set(entries.map((e) => e.key));
    for (const entry of merged) {
      if (own.has(entry.key)) continue;
      own.add(entry.key);
      entries.push(entry);
    }
    return { kind: 'map', line, entries };
  }
  return { kind: 'scalar', line, value: null, isInteger: false };
}

const prefixedIntegers: readonly { readonly pattern: RegExp; readonly radix: number }[] = [
  { pattern: /^[-+]?0[oO][0-7]+$/, radix: 8 },
  { pattern: /^[-+]?0[xX][0-9a-fA-F]+$/, radix: 16 },
  { pattern: /^[-+]?0[bB][01]+$/, radix: 2 },
];

/**
 * Plain scalars go-yaml resolves as integers but YAML 1.1 leaves as strings: its resolver strips `_` and calls Go's
 * strconv.ParseInt(text, 0, 64), which also takes the 0o/0O octal, 0X hex and 0B binary prefixes. So kubectl reads
 * `port: 0o120` as 80, not as the port name "0o120".
 */
function resolvePrefixedInteger(text: string): number | undefined {
  const plain = text.replaceAll('_', '');
  for (const { pattern, radix } of prefixedIntegers) {
    if (!pattern.test(plain)) continue;
    const isNegative = plain.startsWith('-');
    const digits = plain.replace(/^[-+]?0./, '');
    const value = Number.parseInt(digits, radix);
    return Number.isSafeInteger(value) ? (isNegative ? -value : value) : undefined;
  }
  return undefined;
}

/** sigs.k8s.io/yaml turns non-string keys into their text (`80: x` → "80", `yes: x` → "true"). */
function formatKey(key: unknown): string {
  if (isScalar(key)) {
    const value = key.value;
    return value === null ? 'null' : String(value);
  }
  return '[complex key]';
}
