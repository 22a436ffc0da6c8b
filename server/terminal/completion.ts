// Tab completion for the command language: command names, pod and endpoint keys, policy names, ports, run kinds.
// Pure: the sandbox's names come in as data.
import { commandSpecs, runKinds } from './command-line.ts';

export interface CompletionContext {
  /** `ns/pod` keys (system pods included: the DNS pod is a valid probe target). */
  readonly pods: readonly string[];
  /** `svc/ns/name` keys. */
  readonly services: readonly string[];
  /** `external/name` keys. */
  readonly externals: readonly string[];
  /** `ns/name` of each policy. */
  readonly policies: readonly string[];
  /** Port specs a target serves (`80/TCP`, `http`), by endpoint key. */
  readonly portsOf: (key: string) => readonly string[];
}

export interface Completion {
  /** Index (in code points) where the completed word starts. */
  readonly from: number;
  /** The word as typed so far. */
  readonly word: string;
  readonly candidates: readonly string[];
}

function candidatesFor(tokens: readonly string[], index: number, context: CompletionContext): readonly string[] {
  if (index === 0) return commandSpecs.map((spec) => spec.name);
  const [command, first, second] = tokens;
  switch (command) {
    case 'help':
      return index === 1 ? commandSpecs.map((spec) => spec.name) : [];
    case 'delete':
      if (index === 1) return ['policy'];
      return index === 2 && first === 'policy' ? context.policies : [];
    case 'label':
      if (index === 1) return ['pod'];
      return index === 2 && first === 'pod' ? context.pods : [];
    case 'probe':
    case 'explain':
      if (index === 1) return [...context.pods, ...context.externals];
      if (index === 2) return [...context.pods, ...context.services, ...context.externals];
      return index === 3 && second !== undefined ? context.portsOf(second) : [];
    case 'run':
      return index === 1 ? runKinds : [];
    case 'ttl':
      return index === 1 ? ['extend'] : [];
    case 'matrix':
      return index === 1 ? [...new Set([...context.pods, ...context.externals].flatMap((key) => context.portsOf(key)))].sort() : [];
    default:
      return [];
  }
}

/** What Tab offers for the word that ends at `cursor` in `chars`. */
export function completeLine(chars: readonly string[], cursor: number, context: CompletionContext): Completion {
  const before = chars.slice(0, cursor).join('');
  const wordStart = before.lastIndexOf(' ') + 1;
  const word = before.slice(wordStart);
  const tokens = before.slice(0, wordStart).trim().split(/\s+/).filter((token) => token !== '');
  const index = tokens.length;
  const candidates = [...new Set(candidatesFor(tokens, index, context))].filter((candidate) => candidate.startsWith(word)).sort();
  return { from: Array.from(before.slice(0, wordStart)).length, word, candidates };
}

export function findCommonPrefix(words: readonly string[]): string {
  const [first, ...rest] = words;
  if (first === undefined) return '';
  let prefix = first;
  for (const word of rest) {
    while (!word.startsWith(prefix)) prefix = prefix.slice(0, -1);
  }
  return prefix;
}
