// The one-line effect of a policy change, from the server's counts (its flow list may be truncated).

export interface ChangeCounts {
  readonly newlyAllowed: number;
  readonly newlyDenied: number;
}

/** `newly denies 3 flows and newly allows 1 flow`, or `changes no flow`. */
export function describeChangeCounts(changes: ChangeCounts): string {
  const plural = (count: number): string => `${count} flow${count === 1 ? '' : 's'}`;
  const parts: string[] = [];
  if (changes.newlyDenied > 0) parts.push(`newly denies ${plural(changes.newlyDenied)}`);
  if (changes.newlyAllowed > 0) parts.push(`newly allows ${plural(changes.newlyAllowed)}`);
  return parts.length === 0 ? 'changes no flow' : parts.join(' and ');
}
