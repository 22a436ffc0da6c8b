// Lint checks on ipBlock peers: blocks that cover pod addresses (where CNIs disagree), broken `except`
// lists, and CIDRs written with host bits.
import { doCidrsOverlap, formatIp, isCidrWithin, parseCidr, parseIp } from './cidr.ts';
import type { ParsedCidr } from './cidr.ts';
import { matchIpBlock } from './select.ts';
import { formatNameList, listDirectedRules, makePolicyIssue } from './lint-context.ts';
import type { IpBlockPeer, LintContext } from './lint-context.ts';
import type { Issue, Policy } from './model.ts';

function isSameCidr(a: ParsedCidr, b: ParsedCidr): boolean {
  return a.family === b.family && a.prefixLength === b.prefixLength && a.network === b.network;
}

/**
 * "ipBlock ... is meant for cluster-external IPs; whether pod IPs match is not defined." Calico, Antrea,
 * kube-router, OVN-K and kube-network-policies match pods by IP; Cilium (and AKS-Cilium, GKE Dataplane V2) never
 * do. Source: research/cni-differences.md §3.2 ([CIL2], [AKS1], [K5]).
 */
function checkPodCidr(context: LintContext, policy: Policy, peer: IpBlockPeer): Issue[] {
  const block = parseCidr(peer.ipBlock.cidr);
  const podCidr = parseCidr(context.cluster.podCidr);
  if (block === undefined) return [];
  const matchedPods = context.cluster.pods.filter((pod) =>
    pod.ips.some((text) => {
      const ip = parseIp(text);
      return ip !== undefined && matchIpBlock(context.index, peer.ipBlock, ip).kind === 'match';
    }),
  );
  const excepts = peer.ipBlock.except.map((text) => parseCidr(text)).filter((c): c is ParsedCidr => c !== undefined);
  const overlapsPodCidr =
    podCidr !== undefined &&
    doCidrsOverlap(block, podCidr) &&
    // The usual idiom `0.0.0.0/0 except <pod CIDR>` keeps pods out; that is fine on every CNI.
    !excepts.some((hole) => isCidrWithin(podCidr, hole) || isCidrWithin(block, hole));
  if (matchedPods.length === 0 && !overlapsPodCidr) return [];
  const pods =
    matchedPods.length > 0
      ? `pods ${formatNameList(matchedPods.map((pod) => `${pod.namespace}/${pod.name}`))}`
      : `the pod CIDR ${context.cluster.podCidr}`;
  return [
    makePolicyIssue(policy, 'ipblock-covers-pod-cidr', {
      path: `${peer.path}.ipBlock.cidr`,
      message:
        `ipBlock ${peer.ipBlock.cidr} covers ${pods}: Calico, Antrea, kube-router and OVN-Kubernetes match those pods by address, ` +
        'Cilium, AKS-Cilium and GKE Dataplane V2 never do (research/cni-differences.md §3.2, cilium#9209)',
      fix:
        `select in-cluster peers with podSelector/namespaceSelector and keep ipBlock for outside addresses` +
        (podCidr !== undefined && podCidr.family === block.family ? ` (add except: [${context.cluster.podCidr}])` : ''),
    }),
  ];
}

/** "except is a list of CIDRs that should not be included within an IPBlock ... Except values will be rejected if they are outside the cidr range." */
function checkExcept(policy: Policy, peer: IpBlockPeer): Issue[] {
  const block = parseCidr(peer.ipBlock.cidr);
  if (block === undefined) return [];
  const issues: Issue[] = [];
  const parsed: (ParsedCidr | undefined)[] = [];
  peer.ipBlock.except.forEach((text, i) => {
    const path = `${peer.path}.ipBlock.except[${i}]`;
    const hole = parseCidr(text);
    parsed.push(hole);
    if (hole === undefined) {
      issues.push(
        makePolicyIssue(policy, 'ipblock-except-invalid', {
          path,
          message: `except entry "${text}" is not a CIDR`,
          fix: 'write an address with a prefix length, e.g. 10.0.5.0/24',
        }),
      );
    } else if (isSameCidr(hole, block)) {
      issues.push(
        makePolicyIssue(policy, 'ipblock-except-invalid', {
          path,
          message: `except ${text} is the whole cidr ${peer.ipBlock.cidr}, so the ipBlock matches no address (the API server rejects this)`,
          fix: 'remove the peer, or except only part of the cidr',
        }),
      );
    } else if (!isCidrWithin(hole, block)) {
      issues.push(
        makePolicyIssue(policy, 'ipblock-except-invalid', {
          path,
          message: `except ${text} is outside cidr ${peer.ipBlock.cidr} (the API server rejects it)`,
          fix: `except only ranges inside ${peer.ipBlock.cidr}, or widen the cidr`,
        }),
      );
    }
  });
  for (let i = 0; i < parsed.length; i++) {
    for (let j = i + 1; j < parsed.length; j++) {
      const a = parsed[i];
      const b = parsed[j];
      if (a === undefined || b === undefined || !doCidrsOverlap(a, b)) continue;
      issues.push(
        makePolicyIssue(policy, 'ipblock-except-invalid', {
          severity: 'warning',
          path: `${peer.path}.ipBlock.except[${j}]`,
          message: `except[${j}] ${b.text} overlaps except[${i}] ${a.text}; one of them is redundant`,
          fix: `keep only the wider of the two (${a.prefixLength <= b.prefixLength ? a.text : b.text})`,
        }),
      );
    }
  }
  return issues;
}

function checkHostBits(policy: Policy, peer: IpBlockPeer): Issue[] {
  const entries: [string, string][] = [
    [`${peer.path}.ipBlock.cidr`, peer.ipBlock.cidr],
    ...peer.ipBlock.except.map((text, i): [string, string] => [`${peer.path}.ipBlock.except[${i}]`, text]),
  ];
  const issues: Issue[] = [];
  for (const [path, text] of entries) {
    const cidr = parseCidr(text);
    if (cidr === undefined || !cidr.hasHostBits) continue;
    const network = `${formatIp({ family: cidr.family, value: cidr.network })}/${cidr.prefixLength}`;
    issues.push(
      makePolicyIssue(policy, 'ipblock-host-bits', {
        path,
        message: `${text} has host bits set and means ${network}; a single address needs /${cidr.family === 'IPv4' ? 32 : 128}`,
        fix: `write ${network}, or the address with /${cidr.family === 'IPv4' ? 32 : 128} if one host was meant`,
      }),
    );
  }
  return issues;
}

export function lintIpBlocks(context: LintContext): Issue[] {
  const issues: Issue[] = [];
  for (const policy of context.cluster.policies) {
    for (const directed of listDirectedRules(policy)) {
      for (const rule of directed.rules) {
        for (const peer of rule.peers) {
          if (peer.kind !== 'ipBlock') continue;
          issues.push(...checkPodCidr(context, policy, peer));
          issues.push(...checkExcept(policy, peer));
          issues.push(...checkHostBits(policy, peer));
        }
      }
    }
  }
  return issues;
}
