// Does one rule admit everything another rule admits? A syntactic, conservative answer (a "yes" is always
// right, a "no" may miss exotic cases) used by lint to find rules shadowed by a broader rule.
import { isCidrWithin, doCidrsOverlap, parseCidr } from './cidr.ts';
import { isEmptySelector, matchesSelector } from './selector.ts';
import { namespaceLabels } from './select.ts';
import type { ClusterIndex } from './select.ts';
import type { Peer, Policy, PortMatch, Rule, Selector } from './model.ts';

/** Does every label set matched by `narrow` also match `broad`? */
export function doesSelectorCover(broad: Selector, narrow: Selector): boolean {
  if (isEmptySelector(broad)) return true;
  const narrowIn = (key: string): readonly string[] | undefined => {
    const fixed = narrow.matchLabels[key];
    if (fixed !== undefined) return [fixed];
    return narrow.matchExpressions.find((req) => req.key === key && req.operator === 'In')?.values;
  };
  const hasNarrowOperator = (key: string, operator: string): boolean =>
    narrow.matchExpressions.some((req) => req.key === key && req.operator === operator);
  for (const [key, value] of Object.entries(broad.matchLabels)) {
    const values = narrowIn(key);
    if (values === undefined || values.some((v) => v !== value)) return false;
  }
  for (const req of broad.matchExpressions) {
    const values = narrowIn(req.key);
    switch (req.operator) {
      case 'In':
        if (values === undefined || values.some((v) => !req.values.includes(v))) return false;
        break;
      case 'NotIn': {
        const isExcludedByValues = values !== undefined && values.every((v) => !req.values.includes(v));
        const isExcludedByNotIn = narrow.matchExpressions.some(
          (other) => other.key === req.key && other.operator === 'NotIn' && req.values.every((v) => other.values.includes(v)),
        );
        if (!isExcludedByValues && !isExcludedByNotIn && !hasNarrowOperator(req.key, 'DoesNotExist')) return false;
        break;
      }
      case 'Exists':
        if (values === undefined && !hasNarrowOperator(req.key, 'Exists')) return false;
        break;
      case 'DoesNotExist':
        if (!hasNarrowOperator(req.key, 'DoesNotExist')) return false;
        break;
    }
  }
  return true;
}

const everything: Selector = { matchLabels: {}, matchExpressions: [] };

function doesPeerCover(index: ClusterIndex, policy: Policy, broad: Peer, narrow: Peer): boolean {
  if (broad.kind === 'ipBlock' && narrow.kind === 'ipBlock') {
    const broadCidr = parseCidr(broad.ipBlock.cidr);
    const narrowCidr = parseCidr(narrow.ipBlock.cidr);
    if (broadCidr === undefined || narrowCidr === undefined || !isCidrWithin(narrowCidr, broadCidr)) return false;
    // Every hole in the broad block must fall outside the narrow block or inside one of its own holes.
    return broad.ipBlock.except.every((text) => {
      const hole = parseCidr(text);
      if (hole === undefined) return false;
      if (!doCidrsOverlap(hole, narrowCidr)) return true;
      return narrow.ipBlock.except.some((own) => {
        const ownHole = parseCidr(own);
        return ownHole !== undefined && isCidrWithin(hole, ownHole);
      });
    });
  }
  if (broad.kind !== 'selector' || narrow.kind !== 'selector') return false;
  if (broad.namespaceSelector === undefined) {
    if (narrow.namespaceSelector !== undefined) return false;
  } else if (narrow.namespaceSelector === undefined) {
    if (!matchesSelector(broad.namespaceSelector, namespaceLabels(index, policy.namespace))) return false;
  } else if (!doesSelectorCover(broad.namespaceSelector, narrow.namespaceSelector)) {
    return false;
  }
  return doesSelectorCover(broad.podSelector ?? everything, narrow.podSelector ?? everything);
}

function describeRange(port: PortMatch): readonly [number, number] | undefined {
  if (typeof port.port !== 'number') return undefined;
  return [port.port, port.endPort ?? port.port];
}

function doesPortCover(broad: PortMatch, narrow: PortMatch): boolean {
  if (broad.protocol !== narrow.protocol) return false;
  if (broad.port === undefined) return true;
  if (narrow.port === undefined) return false;
  if (typeof broad.port === 'string' || typeof narrow.port === 'string') return broad.port === narrow.port;
  const broadRange = describeRange(broad);
  const narrowRange = describeRange(narrow);
  return broadRange !== undefined && narrowRange !== undefined && broadRange[0] <= narrowRange[0] && narrowRange[1] <= broadRange[1];
}

/**
 * A rule admits (any of its peers) x (any of its ports), so `broad` covers `narrow` when each of narrow's peers
 * is inside one of broad's and each of narrow's ports inside one of broad's.
 */
export function doesRuleCover(index: ClusterIndex, policy: Policy, broad: Rule, narrow: Rule): boolean {
  const peersCovered =
    broad.matchesAllPeers ||
    (!narrow.matchesAllPeers && narrow.peers.every((peer) => broad.peers.some((b) => doesPeerCover(index, policy, b, peer))));
  if (!peersCovered) return false;
  return (
    broad.matchesAllPorts ||
    (!narrow.matchesAllPorts && narrow.ports.every((port) => broad.ports.some((b) => doesPortCover(b, port))))
  );
}
