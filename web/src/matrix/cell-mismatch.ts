// Which views of a flow disagree, recomputed in the browser when a live probe result changes a cell's
// observation. Same rules as the server's judge (server/probe/judge-result.ts), so a repainted cell matches
// what the next matrix reload says.
import type { MatrixCell } from './matrix-layout.ts';

/** `refused` means a packet reached the pod, so it contradicts a predicted denial; errors prove nothing. */
function isDrift(prediction: MatrixCell['prediction'], observation: MatrixCell['observation']): boolean {
  switch (observation) {
    case 'allowed':
    case 'denied':
      return observation !== prediction;
    case 'refused':
      return prediction === 'denied';
    case 'unsupported':
    case 'error':
    case undefined:
      return false;
  }
}

export function computeCellMismatch(cell: Pick<MatrixCell, 'intent' | 'prediction' | 'observation'>): MatrixCell['mismatch'] {
  const isPolicy = cell.intent !== undefined && cell.intent !== cell.prediction;
  const drift = isDrift(cell.prediction, cell.observation);
  if (isPolicy && drift) return 'both';
  if (isPolicy) return 'policy';
  return drift ? 'drift' : 'none';
}
