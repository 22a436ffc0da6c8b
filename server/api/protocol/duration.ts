// Durations as people type and read them (`15m`, `1h30m`, `45s`), shared by the server, the terminal and the
// web UI's TTL countdown. Pure.

/** `30m`, `2h`, `90s`, `1h30m`, or a plain number of seconds; undefined for anything else. */
export function parseDurationSeconds(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d{1,9}$/.test(trimmed)) return Number(trimmed);
  const match = /^(?:(\d{1,5})h)?(?:(\d{1,6})m)?(?:(\d{1,9})s)?$/.exec(trimmed);
  if (match === null || trimmed === '') return undefined;
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}

/** `1h 30m`, `12m 5s`, `45s`; whole seconds, rounded up so a countdown never shows 0s while time is left. */
export function formatDurationSeconds(seconds: number): string {
  if (seconds <= 0) return '0s';
  const total = Math.ceil(seconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  if (hours > 0) return minutes === 0 ? `${hours}h` : `${hours}h ${minutes}m`;
  if (minutes > 0) return rest === 0 ? `${minutes}m` : `${minutes}m ${rest}s`;
  return `${rest}s`;
}
