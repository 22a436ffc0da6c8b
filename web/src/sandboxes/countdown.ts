// Time left before a sandbox is torn down, as the list and the workspace header show it every second.

export function computeSecondsLeft(expiresAt: string, nowMs: number): number {
  const expiresMs = Date.parse(expiresAt);
  if (Number.isNaN(expiresMs)) return 0;
  return Math.max(0, Math.ceil((expiresMs - nowMs) / 1000));
}

const pad = (value: number): string => String(value).padStart(2, '0');

/** `0:09`, `4:59`, `1:02:03`: the shape of a kitchen timer, readable at a glance. */
export function formatCountdown(secondsLeft: number): string {
  const total = Math.max(0, Math.floor(secondsLeft));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(seconds)}` : `${minutes}:${pad(seconds)}`;
}

/** The same time in words, for screen readers (`1 hour 2 minutes left`); seconds only under ten minutes. */
export function describeCountdown(secondsLeft: number): string {
  const total = Math.max(0, Math.floor(secondsLeft));
  if (total === 0) return 'expiring now';
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const unit = (value: number, name: string): string => `${value} ${name}${value === 1 ? '' : 's'}`;
  const parts: string[] = [];
  if (hours > 0) parts.push(unit(hours, 'hour'));
  if (minutes > 0) parts.push(unit(minutes, 'minute'));
  if (seconds > 0 && total < 600) parts.push(unit(seconds, 'second'));
  return `${parts.join(' ')} left`;
}

export const CountdownUrgencies = { calm: 'calm', soon: 'soon', imminent: 'imminent' } as const;
export type CountdownUrgency = (typeof CountdownUrgencies)[keyof typeof CountdownUrgencies];

/**
 * Matches the server's warning thresholds (`ttlWarningSeconds`, default 300 and 60): past the largest one
 * the countdown turns amber, past the smallest red, so the colour agrees with the warning notices.
 */
export function classifyUrgency(secondsLeft: number, warningSeconds: readonly number[]): CountdownUrgency {
  if (warningSeconds.length === 0) return CountdownUrgencies.calm;
  const largest = Math.max(...warningSeconds);
  const smallest = Math.min(...warningSeconds);
  if (secondsLeft <= smallest) return CountdownUrgencies.imminent;
  if (secondsLeft <= largest) return CountdownUrgencies.soon;
  return CountdownUrgencies.calm;
}
