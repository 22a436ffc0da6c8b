// What a run keeps of an engine verdict: the prediction as one word, the one-line reason, the full explanation,
// the deciding policies and rules, and the nearest rule (why a denied flow was not admitted, or what admitted it).
import { explainVerdict, formatNearMiss, formatPolicyRef, formatRuleMatch, summarizeVerdict } from '../policy/index.ts';
import type { DirectionVerdict, ProfileNote, Verdict } from '../policy/index.ts';
import type { Reachability } from './run-types.ts';

export interface VerdictDescription {
  readonly predicted: Reachability;
  readonly reason: string;
  readonly explanation: readonly string[];
  readonly decidedBy: readonly string[];
  readonly nearestRule?: string;
  readonly profileNotes: readonly ProfileNote[];
}

function directionWord(direction: DirectionVerdict): string {
  return direction.direction === 'Egress' ? 'egress' : 'ingress';
}

function subjectOf(verdict: Verdict, direction: DirectionVerdict): string {
  return direction.subject ?? (direction.direction === 'Egress' ? verdict.from.key : verdict.to.key);
}

/** The rule a person should look at first: the closest miss of a denial, or the rule (or absence of one) that admits. */
function findNearestRule(verdict: Verdict): string | undefined {
  const directions = [verdict.egress, verdict.ingress];
  if (!verdict.isAllowed) {
    const denying = directions.find((direction) => !direction.isAllowed);
    if (denying === undefined) return undefined;
    const terms = {
      portText: `${verdict.port}/${verdict.protocol}`,
      peerKey: denying.direction === 'Egress' ? verdict.to.key : verdict.from.key,
    };
    const closest = denying.nearMisses[0];
    if (closest !== undefined) return formatNearMiss(closest, terms);
    const policies = denying.isolatingPolicies.map(formatPolicyRef).join(', ');
    return `${policies} ${denying.isolatingPolicies.length === 1 ? 'has' : 'have'} no ${directionWord(denying)} rule for ${subjectOf(verdict, denying)}: ${denying.isolatingPolicies.length === 1 ? 'it only isolates' : 'they only isolate'} (default deny)`;
  }
  const admitting = directions.flatMap((direction) => direction.allowedBy.map(formatRuleMatch));
  if (admitting.length > 0) return `admitted by ${admitting.join(' and ')}`;
  const open = directions.filter((direction) => direction.outcome === 'not-isolated').map((direction) => `${directionWord(direction)} of ${subjectOf(verdict, direction)}`);
  if (open.length > 0) return `no NetworkPolicy isolates the ${open.join(' or the ')}, so nothing restricts this flow`;
  const unenforced = directions.find((direction) => direction.outcome === 'not-enforced');
  if (unenforced !== undefined) return `profile ${verdict.profile} enforces no NetworkPolicy`;
  return undefined;
}

function listDecidedBy(verdict: Verdict): string[] {
  const directions = [verdict.egress, verdict.ingress];
  if (verdict.isAllowed) return directions.flatMap((direction) => direction.allowedBy.map((match) => `${formatPolicyRef(match.policy)} ${match.path}`));
  return [...new Set(directions.filter((direction) => !direction.isAllowed).flatMap((direction) => direction.isolatingPolicies.map(formatPolicyRef)))];
}

export function describeVerdict(verdict: Verdict): VerdictDescription {
  const nearestRule = findNearestRule(verdict);
  return {
    predicted: verdict.isAllowed ? 'allowed' : 'denied',
    reason: summarizeVerdict(verdict),
    explanation: explainVerdict(verdict),
    decidedBy: listDecidedBy(verdict),
    ...(nearestRule === undefined ? {} : { nearestRule }),
    profileNotes: verdict.profileNotes,
  };
}
