// Provisioning progress as the launch view shows it: the steps seen so far in order, each done, current or
// failed, and one overall fraction for the bar. The server names the steps; the UI does not invent any.

export interface ProgressEntry {
  readonly step: string;
  readonly message: string;
  readonly fraction?: number;
  readonly at: string;
}

export const StepStates = { done: 'done', current: 'current', failed: 'failed' } as const;
export type StepState = (typeof StepStates)[keyof typeof StepStates];

export interface ProgressStep {
  readonly step: string;
  /** The latest message reported for this step. */
  readonly message: string;
  readonly state: StepState;
}

export interface ProgressSummary {
  readonly steps: readonly ProgressStep[];
  /** 0..1; undefined when the provider reports no fractions (the bar is then indeterminate). */
  readonly fraction: number | undefined;
  /** One line for the bar's aria-valuetext and the list row. */
  readonly headline: string;
}

export function summarizeProgress(entries: readonly ProgressEntry[], status: string): ProgressSummary {
  const order: string[] = [];
  const messages = new Map<string, string>();
  let fraction: number | undefined;
  for (const entry of entries) {
    if (!messages.has(entry.step)) order.push(entry.step);
    messages.set(entry.step, entry.message);
    // Fractions only grow: a late, smaller one (two events racing) must not move the bar backwards.
    if (entry.fraction !== undefined && Number.isFinite(entry.fraction)) {
      const clamped = Math.min(1, Math.max(0, entry.fraction));
      fraction = fraction === undefined ? clamped : Math.max(fraction, clamped);
    }
  }
  const isReady = status === 'ready' || status === 'expiring';
  const isFailed = status === 'failed';
  const steps = order.map((step, index): ProgressStep => {
    const isLast = index === order.length - 1;
    const state = !isLast || isReady ? StepStates.done : isFailed ? StepStates.failed : StepStates.current;
    return { step, message: messages.get(step) ?? '', state };
  });
  if (isReady) fraction = 1;
  const last = steps.at(-1);
  const headline = isReady
    ? 'ready'
    : last === undefined
      ? isFailed
        ? 'failed before the first step'
        : 'waiting for the first step'
      : `${last.step}: ${last.message}`;
  return { steps, fraction, headline };
}
