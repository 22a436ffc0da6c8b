// TTL input: people type `30m`, `2h`, `1h30m` or `90s`; the API wants seconds. Same grammar as the CLI's
// --ttl, so what works in one works in the other.

export type DurationParse = { readonly ok: true; readonly seconds: number } | { readonly ok: false; readonly message: string };

export function parseDuration(text: string, bounds: { readonly minSeconds: number; readonly maxSeconds: number }): DurationParse {
  const trimmed = text.trim().toLowerCase();
  let seconds: number | undefined;
  if (/^\d{1,9}$/.test(trimmed)) {
    seconds = Number(trimmed);
  } else {
    const match = /^(?:(\d{1,5})h)?\s*(?:(\d{1,6})m)?\s*(?:(\d{1,9})s)?$/.exec(trimmed);
    if (match !== null && trimmed !== '') seconds = Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
  }
  if (seconds === undefined) return { ok: false, message: 'write a duration like 30m, 2h, 90s or 1h30m' };
  if (seconds < bounds.minSeconds) return { ok: false, message: `at least ${formatDuration(bounds.minSeconds)}` };
  if (seconds > bounds.maxSeconds) return { ok: false, message: `at most ${formatDuration(bounds.maxSeconds)} on this server` };
  return { ok: true, seconds };
}

/** The inverse, shortest form: 1800 → `30m`, 5400 → `1h30m`, 45 → `45s`. */
export function formatDuration(totalSeconds: number): string {
  const total = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const text = `${hours > 0 ? `${hours}h` : ''}${minutes > 0 ? `${minutes}m` : ''}${seconds > 0 ? `${seconds}s` : ''}`;
  return text === '' ? '0s' : text;
}
