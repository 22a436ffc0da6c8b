// The only place the engine writes text: verdicts, rule matches, mismatches and flow errors rendered for people.
// Everything else in the engine returns data; the CLI, the terminal and the web UI show these lines as they are.

import type { IpFamily } from './cidr.ts';
import type {
  DirectionVerdict,
  EndpointRef,
  FlowError,
  Labels,
  Mismatch,
  NearMiss,
  PolicyRef,
  ProfileNote,
  Protocol,
  RuleMatch,
  Verdict,
} from './model.ts';
import type { MatrixDecision, MatrixDirectionDecision } from './matrix.ts';
import { formatLabels, formatSelector } from './selector.ts';

/** A caller's mistake found while evaluating a flow, as data; `describeFlowProblem` renders it into a FlowError. */
export type FlowProblem =
  | { readonly code: 'unknown-endpoint'; readonly ref: EndpointRef; readonly known: readonly string[] }
  | {
      readonly code: 'unknown-port-name';
      readonly portName: string;
      readonly protocol: Protocol;
      readonly endpoint: string;
      readonly isExternal: boolean;
      readonly declared: readonly string[];
    }
  | { readonly code: 'no-address-in-family'; readonly endpoint: string; readonly family: IpFamily; readonly hasAnyAddress: boolean }
  | { readonly code: 'invalid-port'; readonly port: string }
  | { readonly code: 'unknown-profile'; readonly profile: string; readonly known: readonly string[] }
  | { readonly code: 'unknown-service'; readonly service: string; readonly known: readonly string[] }
  | { readonly code: 'unknown-service-port'; readonly service: string; readonly port: string; readonly protocol: Protocol; readonly declared: readonly string[] }
  | { readonly code: 'target-port-missing'; readonly service: string; readonly backend: string; readonly targetPort: string; readonly protocol: Protocol };

const listLimit = 12;

function formatList(items: readonly string[]): string {
  if (items.length === 0) return '(none)';
  const shown = items.slice(0, listLimit).join(', ');
  return items.length > listLimit ? `${shown}, … (${items.length - listLimit} more)` : shown;
}

function formatEndpointRef(ref: EndpointRef): string {
  return ref.kind === 'pod' ? `pod ${ref.namespace}/${ref.name}` : `external endpoint ${ref.name}`;
}

export function describeFlowProblem(problem: FlowProblem): FlowError {
  switch (problem.code) {
    case 'unknown-endpoint':
      return {
        code: problem.code,
        message: `${formatEndpointRef(problem.ref)} does not exist in this cluster`,
        fix: `use one of: ${formatList(problem.known)}`,
      };
    case 'unknown-port-name':
      if (problem.isExternal) {
        return {
          code: problem.code,
          message: `port name "${problem.portName}" cannot be resolved on ${problem.endpoint}: named ports exist only on pods`,
          fix: 'give the port number for an external endpoint',
        };
      }
      return {
        code: problem.code,
        message: `${problem.endpoint} declares no ${problem.protocol} container port named "${problem.portName}"`,
        fix: `use a port number or one of its ${problem.protocol} port names: ${formatList(problem.declared)}`,
      };
    case 'no-address-in-family':
      return {
        code: problem.code,
        message: problem.hasAnyAddress
          ? `${problem.endpoint} has no ${problem.family} address`
          : `${problem.endpoint} has no address at all`,
        fix: problem.hasAnyAddress ? `ask for the address family ${problem.endpoint} has (ipFamily)` : 'give the endpoint an address',
      };
    case 'invalid-port':
      return { code: problem.code, message: `port ${problem.port} is not a port number (1-65535) or a port name`, fix: 'use 1-65535 or a named container port' };
    case 'unknown-profile':
      return {
        code: problem.code,
        message: `unknown CNI profile "${problem.profile}"`,
        fix: `use one of: ${formatList(problem.known)}`,
      };
    case 'unknown-service':
      return { code: 'unknown-endpoint', message: `service ${problem.service} does not exist in this cluster`, fix: `use one of: ${formatList(problem.known)}` };
    case 'unknown-service-port':
      return {
        code: /^\d+$/.test(problem.port) ? 'invalid-port' : 'unknown-port-name',
        message: `service ${problem.service} has no ${problem.protocol} port ${problem.port}`,
        fix: `use one of its ports: ${formatList(problem.declared)}`,
      };
    case 'target-port-missing':
      return {
        code: 'unknown-port-name',
        message: `backend ${problem.backend} of service ${problem.service} declares no ${problem.protocol} container port named "${problem.targetPort}", so it is not an endpoint for that port`,
        fix: `name a container port "${problem.targetPort}" on ${problem.backend}, or use a numeric targetPort`,
      };
  }
}

export function formatPolicyRef(ref: PolicyRef): string {
  return `${ref.namespace}/${ref.name}`;
}

function formatPolicyRefs(refs: readonly PolicyRef[]): string {
  return refs.map(formatPolicyRef).join(', ');
}

/** `y/allow-web spec.ingress[0] (peer from[1], port ports[0])`; `(all peers, all ports)` for open rules. */
export function formatRuleMatch(match: RuleMatch): string {
  const peerKey = match.direction === 'Ingress' ? 'from' : 'to';
  const peer = match.peerIndex === null ? 'all peers' : `peer ${peerKey}[${match.peerIndex}]`;
  const port = match.portIndex === null ? 'all ports' : `port ports[${match.portIndex}]`;
  return `${formatPolicyRef(match.policy)} ${match.path} (${peer}, ${port})`;
}

// Sorted so the text is stable whatever order the labels were written in.
function formatSortedLabels(labels: Labels): string {
  const sorted = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return formatLabels(sorted);
}

function isExternalKey(key: string): boolean {
  return key.startsWith('external/');
}

export function formatMismatch(mismatch: Mismatch): string {
  switch (mismatch.kind) {
    case 'port':
      return `port ${mismatch.path} allows ${mismatch.ruleHas}, not ${mismatch.wanted}`;
    case 'named-port-missing':
      return isExternalKey(mismatch.pod)
        ? `port ${mismatch.path} names "${mismatch.portName}", which never matches ${mismatch.pod} (named ports exist only on pods)`
        : `port ${mismatch.path} names "${mismatch.portName}", which ${mismatch.pod} does not declare`;
    case 'protocol':
      return `port ${mismatch.path} is for ${mismatch.ruleHas}, not ${mismatch.wanted}`;
    case 'pod-selector':
      return `peer ${mismatch.path} podSelector ${formatSelector(mismatch.selector)} does not match pod ${mismatch.pod} (labels: ${formatSortedLabels(mismatch.podLabels)})`;
    case 'namespace-selector':
      return `peer ${mismatch.path} namespaceSelector ${formatSelector(mismatch.selector)} does not match namespace ${mismatch.namespace} (labels: ${formatSortedLabels(mismatch.namespaceLabels)})`;
    case 'other-namespace':
      return `peer ${mismatch.path} has no namespaceSelector, so it selects pods of namespace ${mismatch.policyNamespace} only, not of ${mismatch.peerNamespace}`;
    case 'ip-not-in-cidr':
      return `peer ${mismatch.path} ipBlock ${mismatch.cidr} does not contain ${mismatch.ip}`;
    case 'ip-excepted':
      return `peer ${mismatch.path} ipBlock ${mismatch.cidr} contains ${mismatch.ip} but except ${mismatch.except} removes it`;
    case 'peer-is-external':
      return `peer ${mismatch.path} selects pods, and ${mismatch.endpoint} is outside the cluster (only an ipBlock can match it)`;
    case 'profile':
      return `${mismatch.path} does not apply under profile ${mismatch.profile}: ${mismatch.note}`;
  }
}

interface FlowTerms {
  readonly portText: string;
  /** The key of the end that the direction's rules look at. */
  readonly peerKey: string;
}

function describeTerms(verdict: Verdict, direction: DirectionVerdict): FlowTerms {
  return {
    portText: `${verdict.port}/${verdict.protocol}`,
    peerKey: direction.direction === 'Egress' ? verdict.to.key : verdict.from.key,
  };
}

/** `y/allow-web spec.ingress[0] matches port 80/TCP but peer ... does not match namespace x (labels: ...)`. */
export function formatNearMiss(nearMiss: NearMiss, terms: FlowTerms): string {
  const parts: string[] = [];
  if (nearMiss.matched.includes('port')) parts.push(`port ${terms.portText}`);
  if (nearMiss.matched.includes('peer')) parts.push(`peer ${terms.peerKey}`);
  const head = `${formatPolicyRef(nearMiss.policy)} ${nearMiss.path}`;
  const reasons = nearMiss.mismatches.map(formatMismatch).join('; ');
  if (parts.length === 0) return `${head} matches neither peer nor port: ${reasons}`;
  return `${head} matches ${parts.join(' and ')} but ${reasons}`;
}

function nameDirection(direction: DirectionVerdict): string {
  return direction.direction === 'Egress' ? 'egress' : 'ingress';
}

function findSubjectKey(verdict: Verdict, direction: DirectionVerdict): string {
  return direction.subject ?? (direction.direction === 'Egress' ? verdict.from.key : verdict.to.key);
}

function describeDenial(verdict: Verdict, direction: DirectionVerdict): string {
  const terms = describeTerms(verdict, direction);
  const preposition = direction.direction === 'Egress' ? 'to' : 'from';
  return `isolated by ${formatPolicyRefs(direction.isolatingPolicies)}; no rule admits ${terms.portText} ${preposition} ${terms.peerKey}`;
}

function explainDirection(verdict: Verdict, direction: DirectionVerdict): string[] {
  const head = `${nameDirection(direction)} at ${findSubjectKey(verdict, direction)}`;
  switch (direction.outcome) {
    case 'not-applicable':
      return [`${head}: not applicable (outside the cluster, no NetworkPolicy applies)`];
    case 'not-enforced':
      return direction.isolatingPolicies.length === 0
        ? [`${head}: not enforced (profile ${verdict.profile} enforces no NetworkPolicy)`]
        : [
            `${head}: not enforced (profile ${verdict.profile} enforces no NetworkPolicy; under the API it is isolated by ${formatPolicyRefs(direction.isolatingPolicies)})`,
          ];
    case 'not-isolated':
      return [`${head}: not isolated (no NetworkPolicy selecting it has ${direction.direction} in policyTypes)`];
    case 'allowed-by-rule':
      return [
        `${head}: isolated by ${formatPolicyRefs(direction.isolatingPolicies)}; allowed by ${direction.allowedBy.map(formatRuleMatch).join(', ')}`,
      ];
    case 'denied-no-rule': {
      const lines = [`${head}: ${describeDenial(verdict, direction)}`];
      const terms = describeTerms(verdict, direction);
      direction.nearMisses.forEach((nearMiss, i) => {
        lines.push(`  ${i === 0 ? 'closest' : 'also'}: ${formatNearMiss(nearMiss, terms)}`);
      });
      const withRules = new Set(direction.nearMisses.map((n) => formatPolicyRef(n.policy)));
      for (const policy of direction.isolatingPolicies) {
        if (!withRules.has(formatPolicyRef(policy))) {
          lines.push(`  ${formatPolicyRef(policy)} has no ${nameDirection(direction)} rules: it only isolates (default deny)`);
        }
      }
      return lines;
    }
  }
}

export function formatProfileNote(note: ProfileNote): string {
  return `profile ${note.profile} differs from the API reference here: ${note.note} (${note.source})`;
}

function formatFlowHead(verdict: Verdict): string {
  const port = verdict.portName === undefined ? `${verdict.port}/${verdict.protocol}` : `${verdict.port}/${verdict.protocol} (${verdict.portName})`;
  return `${verdict.from.key} (${verdict.from.ip}) → ${verdict.to.key} (${verdict.to.ip}) ${port}`;
}

/** A multi-line explanation: the verdict, egress at the source, ingress at the destination, profile notes. */
export function explainVerdict(verdict: Verdict): string[] {
  const lines = [`${verdict.isAllowed ? 'ALLOWED' : 'DENIED'} ${formatFlowHead(verdict)} [profile ${verdict.profile}]`];
  lines.push(...explainDirection(verdict, verdict.egress));
  lines.push(...explainDirection(verdict, verdict.ingress));
  for (const note of verdict.profileNotes) lines.push(formatProfileNote(note));
  if (verdict.from.key === verdict.to.key) {
    lines.push('note: a pod connecting to itself is implementation-defined; CNIs differ (kubernetes#95879)');
  }
  return lines;
}

function summarizeAllowedDirection(direction: DirectionVerdict): string {
  const name = nameDirection(direction);
  switch (direction.outcome) {
    case 'not-applicable':
      return `${name} not applicable`;
    case 'not-enforced':
      return `${name} not enforced`;
    case 'not-isolated':
      return `${name} not isolated`;
    case 'allowed-by-rule':
      return `${name} allowed by ${direction.allowedBy.map((m) => `${formatPolicyRef(m.policy)} ${m.path}`).join(', ')}`;
    case 'denied-no-rule':
      return `${name} denied`;
  }
}

/** One line: `denied at ingress of y/b: isolated by y/deny-all; no rule admits 80/TCP from x/a`. */
export function summarizeVerdict(verdict: Verdict): string {
  if (verdict.isAllowed) {
    const notes = verdict.profileNotes.length > 0 ? ` (profile ${verdict.profile} differs from the API reference)` : '';
    return `allowed ${verdict.from.key} → ${verdict.to.key} ${verdict.port}/${verdict.protocol}: ${summarizeAllowedDirection(verdict.egress)}; ${summarizeAllowedDirection(verdict.ingress)}${notes}`;
  }
  const denials = [verdict.egress, verdict.ingress]
    .filter((d) => !d.isAllowed)
    .map((d) => `at ${nameDirection(d)} of ${findSubjectKey(verdict, d)}: ${describeDenial(verdict, d)}`);
  const notes = verdict.profileNotes.length > 0 ? ` (profile ${verdict.profile} differs from the API reference)` : '';
  return `denied ${denials.join('; and denied ')}${notes}`;
}

/** Why an expectation could not be expanded into flows, as data; `describeExpectationProblem` renders it. */
export type ExpectationProblem =
  | { readonly code: 'unknown-pod'; readonly pod: string; readonly known: readonly string[] }
  | { readonly code: 'unknown-namespace'; readonly namespace: string; readonly known: readonly string[] }
  | { readonly code: 'empty-workload'; readonly workload: string; readonly known: readonly string[] }
  | { readonly code: 'unknown-service'; readonly service: string; readonly known: readonly string[] }
  | { readonly code: 'service-without-backends'; readonly service: string }
  | { readonly code: 'unknown-external'; readonly external: string; readonly known: readonly string[] }
  | { readonly code: 'empty-selector'; readonly selector: string; readonly namespace: string | undefined }
  | { readonly code: 'external-to-external'; readonly from: string; readonly to: string }
  | { readonly code: 'no-pairs'; readonly side: string };

export interface ExpectationError {
  readonly code: ExpectationProblem['code'];
  readonly message: string;
  readonly fix: string;
  /** YAML path of the part of the expectation at fault (`expectations[2].to`). */
  readonly path: string;
}

export function describeExpectationProblem(problem: ExpectationProblem, path: string): ExpectationError {
  const base = { code: problem.code, path };
  switch (problem.code) {
    case 'unknown-pod':
      return { ...base, message: `pod ${problem.pod} does not exist`, fix: `use one of: ${formatList(problem.known)}` };
    case 'unknown-namespace':
      return { ...base, message: `namespace ${problem.namespace} does not exist`, fix: `use one of: ${formatList(problem.known)}` };
    case 'empty-workload':
      return { ...base, message: `workload ${problem.workload} has no pods`, fix: `use one of the workloads in that namespace: ${formatList(problem.known)}` };
    case 'unknown-service':
      return { ...base, message: `service ${problem.service} does not exist`, fix: `use one of: ${formatList(problem.known)}` };
    case 'service-without-backends':
      return {
        ...base,
        message: `service ${problem.service} selects no pods, so nothing can be checked through it`,
        fix: 'fix the service selector or the pod labels',
      };
    case 'unknown-external':
      return { ...base, message: `external endpoint ${problem.external} does not exist`, fix: `use one of: ${formatList(problem.known)}` };
    case 'empty-selector':
      return {
        ...base,
        message: `podSelector ${problem.selector} matches no pod${problem.namespace === undefined ? '' : ` in namespace ${problem.namespace}`}`,
        fix: 'fix the selector or the pod labels; an expectation that selects nothing checks nothing',
      };
    case 'external-to-external':
      return {
        ...base,
        message: `${problem.from} → ${problem.to} never touches the cluster, so no NetworkPolicy can decide it`,
        fix: 'make one side a pod, workload, service or selector',
      };
    case 'no-pairs':
      return { ...base, message: `every pair of this expectation is a pod to itself (${problem.side}), which is not checked`, fix: 'pick different sources and targets' };
  }
}

// One line and a list of deciding policies for a matrix decision (the compact verdict a matrix cell shares),
// for matrix JSON and policy diffs.
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
