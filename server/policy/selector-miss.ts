// Why a label selector matches none of a set of objects, and the closest label that exists ("did you mean
// app=checkout?"): the part of a selector lint finding that turns "matches nothing" into a fix.
import { findClosestMatch } from './levenshtein.ts';
import { matchesSelector } from './selector.ts';
import type { Labels, Selector } from './model.ts';

export interface LabelledObject {
  /** `ns/name` of a pod or a namespace name, for the message. */
  readonly name: string;
  readonly labels: Labels;
}

export interface SelectorMiss {
  /** One sentence: "no pod has app=chekout" / "no single pod has both app=web and tier=db; closest: x/a (app=web,tier=fe)". */
  readonly detail: string;
  /** Replacements worth suggesting: `{ written: 'app=chekout', suggested: 'app=checkout' }`. */
  readonly suggestions: readonly { readonly written: string; readonly suggested: string }[];
}

interface Requirement {
  readonly text: string;
  readonly matches: (labels: Labels) => boolean;
  readonly suggest: (vocabulary: LabelVocabulary) => string | undefined;
}

/** Every label key and, per key, every value among the candidate objects. */
interface LabelVocabulary {
  readonly valuesByKey: ReadonlyMap<string, readonly string[]>;
}

function buildVocabulary(objects: readonly LabelledObject[]): LabelVocabulary {
  const valuesByKey = new Map<string, string[]>();
  for (const object of objects) {
    for (const [key, value] of Object.entries(object.labels)) {
      const values = valuesByKey.get(key);
      if (values === undefined) valuesByKey.set(key, [value]);
      else if (!values.includes(value)) values.push(value);
    }
  }
  return { valuesByKey };
}

/** The closest existing `key=value` to a written one: fix the value when the key exists, else fix the key. */
function suggestPair(key: string, value: string, vocabulary: LabelVocabulary): string | undefined {
  const values = vocabulary.valuesByKey.get(key);
  if (values !== undefined) {
    const closeValue = findClosestMatch(value, values);
    return closeValue === undefined ? undefined : `${key}=${closeValue}`;
  }
  const closeKey = findClosestMatch(key, vocabulary.valuesByKey.keys());
  if (closeKey === undefined) return undefined;
  const closeKeyValues = vocabulary.valuesByKey.get(closeKey) ?? [];
  if (closeKeyValues.includes(value)) return `${closeKey}=${value}`;
  const closeValue = findClosestMatch(value, closeKeyValues);
  return closeValue === undefined ? undefined : `${closeKey}=${closeValue}`;
}

function listRequirements(selector: Selector): Requirement[] {
  const requirements: Requirement[] = Object.entries(selector.matchLabels).map(([key, value]) => ({
    text: `${key}=${value}`,
    matches: (labels) => labels[key] === value,
    suggest: (vocabulary) => suggestPair(key, value, vocabulary),
  }));
  for (const req of selector.matchExpressions) {
    switch (req.operator) {
      case 'In':
        requirements.push({
          text: `${req.key} in (${req.values.join(',')})`,
          matches: (labels) => {
            const value = labels[req.key];
            return value !== undefined && req.values.includes(value);
          },
          suggest: (vocabulary) => {
            for (const value of req.values) {
              const suggestion = suggestPair(req.key, value, vocabulary);
              if (suggestion !== undefined) return suggestion;
            }
            return undefined;
          },
        });
        break;
      case 'NotIn':
        requirements.push({
          text: `${req.key} notin (${req.values.join(',')})`,
          matches: (labels) => {
            const value = labels[req.key];
            return value === undefined || !req.values.includes(value);
          },
          suggest: () => undefined,
        });
        break;
      case 'Exists':
        requirements.push({
          text: `${req.key} (exists)`,
          matches: (labels) => Object.hasOwn(labels, req.key),
          suggest: (vocabulary) => findClosestMatch(req.key, vocabulary.valuesByKey.keys()),
        });
        break;
      case 'DoesNotExist':
        requirements.push({
          text: `!${req.key}`,
          matches: (labels) => !Object.hasOwn(labels, req.key),
          suggest: () => undefined,
        });
        break;
    }
  }
  return requirements;
}

function formatLabelsShort(labels: Labels): string {
  const entries = Object.entries(labels).filter(([key]) => key !== 'kubernetes.io/metadata.name');
  return entries.length === 0 ? 'no labels' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

/**
 * Explain a selector that matches none of `objects` (the caller has checked that). `noun` names the objects
 * ("pod in namespace x", "namespace").
 */
export function explainSelectorMiss(selector: Selector, objects: readonly LabelledObject[], noun: string): SelectorMiss {
  if (objects.length === 0) return { detail: `there is no ${noun} at all`, suggestions: [] };
  const requirements = listRequirements(selector);
  const unmet = requirements.filter((req) => !objects.some((object) => req.matches(object.labels)));
  const vocabulary = buildVocabulary(objects);
  if (unmet.length > 0) {
    const suggestions: { written: string; suggested: string }[] = [];
    for (const req of unmet) {
      const suggested = req.suggest(vocabulary);
      if (suggested !== undefined) suggestions.push({ written: req.text, suggested });
    }
    return { detail: `no ${noun} has ${unmet.map((req) => req.text).join(' or ')}`, suggestions };
  }
  // Each requirement alone matches something; only their combination fails. Name the object meeting the most.
  let closest: LabelledObject | undefined;
  let closestCount = -1;
  for (const object of objects) {
    const count = requirements.filter((req) => req.matches(object.labels)).length;
    if (count > closestCount) {
      closest = object;
      closestCount = count;
    }
  }
  const all = requirements.map((req) => req.text).join(' and ');
  const nearest = closest === undefined ? '' : `; closest is ${closest.name} (${formatLabelsShort(closest.labels)})`;
  return { detail: `no single ${noun} has ${all}${nearest}`, suggestions: [] };
}

/** Does the selector match any of the objects? */
export function matchesAny(selector: Selector, objects: readonly LabelledObject[]): boolean {
  return objects.some((object) => matchesSelector(selector, object.labels));
}
