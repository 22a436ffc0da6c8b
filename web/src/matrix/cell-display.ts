// How one matrix cell reads in each view. Every state has a symbol and words as well as a colour, so the
// matrix is readable without colour (and by a screen reader): ✓ allowed, ✗ denied, ! and ~ for the two
// kinds of mismatch, ? for "not observed yet".
import type { MatrixCell } from './matrix-layout.ts';

export const MatrixModes = { intent: 'intent', prediction: 'prediction', observation: 'observation', mismatch: 'mismatch' } as const;
export type MatrixMode = (typeof MatrixModes)[keyof typeof MatrixModes];
export const matrixModeList: readonly MatrixMode[] = ['intent', 'prediction', 'observation', 'mismatch'];

export const modeDescriptions: Readonly<Record<MatrixMode, string>> = {
  intent: 'what the scenario says should happen',
  prediction: 'what the policy engine computes from the Kubernetes API semantics',
  observation: 'what real packets did in the sandbox',
  mismatch: 'where the three views disagree',
};

/** Colour families in the stylesheet; the symbol carries the same meaning. */
export const CellTones = {
  allowed: 'allowed',
  denied: 'denied',
  refused: 'refused',
  unknown: 'unknown',
  agree: 'agree',
  policyMismatch: 'policy-mismatch',
  driftMismatch: 'drift-mismatch',
  bothMismatch: 'both-mismatch',
  error: 'error',
} as const;
export type CellTone = (typeof CellTones)[keyof typeof CellTones];

export interface CellDisplay {
  readonly symbol: string;
  readonly tone: CellTone;
  /** The state in words: `denied`, `not observed yet`. */
  readonly words: string;
}

const allowed: CellDisplay = { symbol: '✓', tone: CellTones.allowed, words: 'allowed' };
const denied: CellDisplay = { symbol: '✗', tone: CellTones.denied, words: 'denied' };

const observationDisplays: Readonly<Record<string, CellDisplay>> = {
  allowed,
  denied,
  refused: { symbol: '⊘', tone: CellTones.refused, words: 'refused (reached, nothing listening)' },
  unsupported: { symbol: '–', tone: CellTones.unknown, words: 'unsupported here' },
  error: { symbol: '!', tone: CellTones.error, words: 'probe error' },
};

const mismatchDisplays: Readonly<Record<MatrixCell['mismatch'], CellDisplay>> = {
  none: { symbol: '=', tone: CellTones.agree, words: 'views agree' },
  policy: { symbol: '!', tone: CellTones.policyMismatch, words: 'intent ≠ prediction: the policy does not do what was intended' },
  drift: { symbol: '~', tone: CellTones.driftMismatch, words: 'prediction ≠ observation: this CNI or environment differs' },
  both: { symbol: '‼', tone: CellTones.bothMismatch, words: 'intent, prediction and observation disagree' },
};

const notObserved: CellDisplay = { symbol: '?', tone: CellTones.unknown, words: 'not observed yet' };
const noIntent: CellDisplay = { symbol: '·', tone: CellTones.unknown, words: 'no expectation written' };

export function describeCell(cell: MatrixCell, mode: MatrixMode): CellDisplay {
  switch (mode) {
    case 'intent':
      return cell.intent === undefined ? noIntent : cell.intent === 'allowed' ? allowed : denied;
    case 'prediction':
      return cell.prediction === 'allowed' ? allowed : denied;
    case 'observation':
      return cell.observation === undefined ? notObserved : (observationDisplays[cell.observation] ?? notObserved);
    case 'mismatch':
      return mismatchDisplays[cell.mismatch];
  }
}

export function formatCellPort(cell: Pick<MatrixCell, 'port' | 'portName' | 'protocol'>): string {
  return cell.portName === undefined ? `${cell.port}/${cell.protocol}` : `${cell.port}/${cell.protocol} (${cell.portName})`;
}

/** The accessible name of a cell button: the flow, then the state in words. */
export function labelCell(cell: MatrixCell, mode: MatrixMode): string {
  const display = describeCell(cell, mode);
  const loopback = cell.isLoopback ? ' (a pod to itself)' : '';
  const mismatch = mode !== 'mismatch' && cell.mismatch !== 'none' ? `; mismatch: ${mismatchDisplays[cell.mismatch].words}` : '';
  return `${cell.from} to ${cell.to} on ${formatCellPort(cell)}${loopback}: ${mode} ${display.words}${mismatch}`;
}

/** The legend for one view: every symbol that can appear in it. */
export function listLegend(mode: MatrixMode): readonly CellDisplay[] {
  switch (mode) {
    case 'intent':
      return [allowed, denied, noIntent];
    case 'prediction':
      return [allowed, denied];
    case 'observation':
      return [...Object.values(observationDisplays), notObserved];
    case 'mismatch':
      return Object.values(mismatchDisplays);
  }
}

/** Counts per symbol for the summary line above the grid (`12 ✓ allowed, 4 ✗ denied`). */
export function countDisplays(cells: readonly MatrixCell[], mode: MatrixMode): ReadonlyMap<string, { readonly display: CellDisplay; readonly count: number }> {
  const counts = new Map<string, { display: CellDisplay; count: number }>();
  for (const cell of cells) {
    const display = describeCell(cell, mode);
    const entry = counts.get(display.words);
    if (entry === undefined) counts.set(display.words, { display, count: 1 });
    else entry.count += 1;
  }
  return counts;
}
