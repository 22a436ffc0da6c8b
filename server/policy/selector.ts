// Label selector matching (metav1.LabelSelector semantics) and a compact text form for explanations.

import type { Labels, Selector } from './model.ts';

/** An empty selector (no matchLabels, no matchExpressions) selects every object. */
export function matchesSelector(selector: Selector, labels: Labels): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    if (labels[key] !== value) return false;
  }
  for (const req of selector.matchExpressions) {
    const has = Object.hasOwn(labels, req.key);
    const value = labels[req.key];
    switch (req.operator) {
      case 'In':
        if (!has || value === undefined || !req.values.includes(value)) return false;
        break;
      case 'NotIn':
        // "NotIn": the key may be absent; an absent label satisfies NotIn (labels.Selector semantics).
        if (has && value !== undefined && req.values.includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

export function isEmptySelector(selector: Selector): boolean {
  return Object.keys(selector.matchLabels).length === 0 && selector.matchExpressions.length === 0;
}

/** `app=web,tier in (a,b),!legacy`: the kubectl `-l` text form; `{}` for the empty selector. */
export function formatSelector(selector: Selector): string {
  if (isEmptySelector(selector)) return '{} (everything)';
  const parts: string[] = Object.entries(selector.matchLabels).map(([k, v]) => `${k}=${v}`);
  for (const req of selector.matchExpressions) {
    switch (req.operator) {
      case 'In':
        parts.push(`${req.key} in (${req.values.join(',')})`);
        break;
      case 'NotIn':
        parts.push(`${req.key} notin (${req.values.join(',')})`);
        break;
      case 'Exists':
        parts.push(req.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${req.key}`);
        break;
    }
  }
  return parts.join(',');
}

export function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  return entries.length === 0 ? '(no labels)' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}
