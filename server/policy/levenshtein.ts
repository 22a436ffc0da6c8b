// Edit distance and "did you mean" lookups, for label typos in lint and unknown names in the CLI.

/** Levenshtein distance: the fewest single-character inserts, deletes and substitutions turning `a` into `b`. */
export function computeEditDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let previous: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      const deletion = (previous[j] ?? 0) + 1;
      const insertion = (current[j - 1] ?? 0) + 1;
      current.push(Math.min(substitution, deletion, insertion));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

export interface ClosestMatchOptions {
  /**
   * Largest distance still worth suggesting. Defaults to a third of the target's length (at least 2) but
   * always less than the length itself, so `chekout` suggests `checkout` while `d` never suggests `a`.
   */
  readonly maxDistance?: number;
}

/** The candidate nearest to `target`, ties broken by candidate order; undefined when none is close enough. */
export function findClosestMatch(target: string, candidates: Iterable<string>, options: ClosestMatchOptions = {}): string | undefined {
  const maxDistance = options.maxDistance ?? Math.min(Math.max(2, Math.floor(target.length / 3)), target.length - 1);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = computeEditDistance(target, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= maxDistance ? best : undefined;
}
