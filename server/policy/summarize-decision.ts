// One line and a list of deciding policies for a matrix decision (the compact verdict a matrix cell shares),
// for matrix JSON and policy diffs. Built from explain.ts's formatters so the wording stays the engine's.
import { formatPolicyRef } from './explain.ts';
import type { MatrixDecision, MatrixDirectionDecision } from './matrix.ts';

export interface DecisionSummary {
  readonly isAllowed: boolean;
  /**
   * What decided: for an allowed flow the admitting rules (`y/allow-x spec.ingress[0]`), for a denied one the
   * isolating policies of each denying direction (`y/deny-all`). Empty when no policy is involved.
   */
  readonly decidedBy: readonly string[];
  /** `ingress denied at the destination: isolated by y/deny-all, no rule admits the flow`. */
  readonly text: string;
}

function directionWord(direction: MatrixDirectionDecision): string {
  return direction.direction === 'Egress' ? 'egress' : 'ingress';
}

function describeAllowed(direction: MatrixDirectionDecision): string {
  const word = directionWord(direction);
  switch (direction.outcome) {
    case 'not-isolated':
      return `${word} not isolated`;
    case 'not-applicable':
      return `${word} not applicable (outside the cluster)`;
    case 'not-enforced':
      return `${word} not enforced by the profile`;
    case 'allowed-by-rule':
      return `${word} allowed by ${direction.allowedBy.map((m) => `${formatPolicyRef(m.policy)} ${m.path}`).join(', ')}`;
    case 'denied-no-rule':
      return `${word} denied`;
  }
}

export function summarizeDecision(decision: MatrixDecision): DecisionSummary {
  if (decision.error !== undefined) return { isAllowed: false, decidedBy: [], text: `not evaluated: ${decision.error.message}` };
  const directions = [decision.egress, decision.ingress].filter((d): d is MatrixDirectionDecision => d !== null);
  const notes = decision.profileNotes.length > 0 ? ` (${decision.profileNotes.map((n) => n.note).join('; ')})` : '';
  if (decision.isAllowed) {
    const decidedBy = directions.flatMap((d) => d.allowedBy.map((m) => `${formatPolicyRef(m.policy)} ${m.path}`));
    return { isAllowed: true, decidedBy, text: `allowed: ${directions.map(describeAllowed).join('; ')}${notes}` };
  }
  const denying = directions.filter((d) => !d.isAllowed);
  const decidedBy = [...new Set(denying.flatMap((d) => d.isolatingPolicies.map(formatPolicyRef)))];
  const reasons = denying.map(
    (d) => `${directionWord(d)} isolated by ${d.isolatingPolicies.map(formatPolicyRef).join(', ')} and no rule admits the flow`,
  );
  return { isAllowed: false, decidedBy, text: `denied: ${reasons.join('; ')}${notes}` };
}
