// Lint checks on rules and their ports: hidden allow-alls, shadowed rules, named ports no pod defines, and
// port ranges (endPort) that are huge or that some CNIs ignore.
import { doesRuleCover } from './rule-cover.ts';
import { resolveNamedPort, resolvePeerPods, selectPolicySubjects } from './select.ts';
import { formatNameList, listDirectedRules, makePolicyIssue } from './lint-context.ts';
import type { DirectedRules, LintContext } from './lint-context.ts';
import type { Issue, Pod, Policy, PortMatch, Rule } from './model.ts';

const restrictiveName = /deny|restrict|isolat|lock|block|only/i;

function isAllowAll(rule: Rule): boolean {
  return rule.matchesAllPeers && rule.matchesAllPorts;
}

/**
 * "If this field is empty or missing, this rule matches all sources" and "all ports": a rule written as `- {}`
 * (or with both lists empty) admits everything, which silently undoes a policy that otherwise restricts.
 */
function checkAllowAll(policy: Policy, directed: DirectedRules): Issue[] {
  const issues: Issue[] = [];
  const word = directed.direction === 'Ingress' ? 'ingress' : 'egress';
  for (const rule of directed.rules) {
    if (!isAllowAll(rule)) continue;
    const others = directed.rules.filter((r) => r !== rule);
    const isNamedRestrictive = restrictiveName.test(policy.name);
    if (others.length === 0 && !isNamedRestrictive) continue;
    const consequence =
      others.length > 0
        ? `, so ${formatNameList(others.map((r) => r.path))} ${others.length === 1 ? 'adds' : 'add'} nothing`
        : `, although the policy's name (${policy.name}) suggests it restricts`;
    issues.push(
      makePolicyIssue(policy, 'allow-all-hidden', {
        path: rule.path,
        message: `${rule.path} has no ${directed.peerKey} and no ports: it allows all ${word} of the selected pods${consequence}`,
        fix: `delete this rule to deny what the other rules do not allow (\`${word}: []\` allows nothing), or give it ${directed.peerKey} and ports`,
      }),
    );
  }
  return issues;
}

function checkShadowed(context: LintContext, policy: Policy, directed: DirectedRules): Issue[] {
  const issues: Issue[] = [];
  for (const narrow of directed.rules) {
    for (const broad of directed.rules) {
      // A rule admitting everything is reported by allow-all-hidden; naming every rule it covers adds noise.
      if (broad === narrow || isAllowAll(broad)) continue;
      if (!doesRuleCover(context.index, policy, broad, narrow)) continue;
      const isMutual = doesRuleCover(context.index, policy, narrow, broad);
      // Two identical rules cover each other: report only the later one.
      if (isMutual && broad.index > narrow.index) continue;
      issues.push(
        makePolicyIssue(policy, 'rule-shadowed', {
          path: narrow.path,
          message: isMutual
            ? `${narrow.path} admits exactly what ${broad.path} admits: it is a duplicate`
            : `every peer and port of ${narrow.path} is already admitted by the broader ${broad.path}, so ${narrow.path} changes nothing`,
          fix: isMutual
            ? `delete ${narrow.path}`
            : `delete ${narrow.path}, or narrow ${broad.path} if it admits more than intended`,
        }),
      );
      break;
    }
  }
  return issues;
}

function listDestinations(context: LintContext, policy: Policy, directed: DirectedRules, rule: Rule): readonly Pod[] {
  if (directed.direction === 'Ingress') return selectPolicySubjects(context.index, policy);
  if (rule.matchesAllPeers) return context.cluster.pods;
  const pods = new Set<Pod>();
  for (const peer of rule.peers) for (const pod of resolvePeerPods(context.index, policy, peer)) pods.add(pod);
  return [...pods];
}

/**
 * "port ... can either be a numerical or named port on a pod": a name is looked up on the destination pod, for
 * the rule's protocol. A name no destination defines matches nothing.
 */
function checkNamedPort(context: LintContext, policy: Policy, directed: DirectedRules, rule: Rule, port: PortMatch): Issue[] {
  if (typeof port.port !== 'string') return [];
  const name = port.port;
  const destinations = listDestinations(context, policy, directed, rule);
  if (destinations.length === 0) return [];
  const defining = destinations.filter((pod) => resolveNamedPort(pod, name, port.protocol) !== undefined);
  const who = directed.direction === 'Ingress' ? 'pods this policy selects' : `pods ${rule.path} allows traffic to`;
  if (defining.length === 0) {
    const otherProtocols = (['TCP', 'UDP', 'SCTP'] as const).filter(
      (protocol) => protocol !== port.protocol && destinations.some((pod) => resolveNamedPort(pod, name, protocol) !== undefined),
    );
    const portNames = new Set<string>();
    for (const pod of destinations)
      for (const container of pod.containers)
        for (const cp of container.ports) if (cp.name !== undefined && cp.protocol === port.protocol) portNames.add(cp.name);
    const hint =
      otherProtocols.length > 0
        ? `; it is defined for ${otherProtocols.join(' and ')}, not ${port.protocol}`
        : portNames.size > 0
          ? `; they define ${formatNameList([...portNames].sort(), 4)}`
          : '';
    return [
      makePolicyIssue(policy, 'named-port-undefined', {
        path: `${port.path}.port`,
        message: `no ${who} defines a ${port.protocol} container port named "${name}", so this port matches nothing${hint}`,
        fix:
          otherProtocols.length > 0
            ? `set protocol: ${otherProtocols[0] ?? 'TCP'} on this port, or name the ${port.protocol} container port "${name}"`
            : `use a port name the destination pods declare (spec.containers[].ports[].name) or a port number`,
      }),
    ];
  }
  const numbers = new Set(defining.map((pod) => resolveNamedPort(pod, name, port.protocol)));
  if (numbers.size <= 1) return [];
  return [
    makePolicyIssue(policy, 'named-port-inconsistent', {
      path: `${port.path}.port`,
      message:
        `port name "${name}" means ${[...numbers].sort((a, b) => (a ?? 0) - (b ?? 0)).join(' and ')} on different destination pods; ` +
        'Cilium mis-enforces a name that maps to different numbers (cilium#30003, research/cni-differences.md §3.1)',
      fix: 'give the port one number everywhere, or use distinct names per number',
    }),
  ];
}

/** endPort: "indicates that the range of ports from port to endPort if set, inclusive, should be allowed". */
function checkRange(policy: Policy, port: PortMatch): Issue[] {
  if (port.endPort === undefined || typeof port.port !== 'number') return [];
  const issues: Issue[] = [];
  const count = port.endPort - port.port + 1;
  issues.push(
    makePolicyIssue(policy, 'endport-cni-support', {
      path: `${port.path}.endPort`,
      message:
        `ports ${port.port}-${port.endPort}/${port.protocol}: Cilium before 1.16 and Weave Net ignore endPort and allow only port ${port.port} ` +
        '(cilium#28684, weave npc predates endPort; research/cni-differences.md §3.1); upstream: "plugins without support apply only port"',
      fix: `check on your CNI (rehearse matrix --cni <name>), or list the ports you need one by one if the policy must work everywhere`,
    }),
  );
  if (count > 1000) {
    issues.push(
      makePolicyIssue(policy, 'port-range-huge', {
        path: `${port.path}.endPort`,
        message: `ports ${port.port}-${port.endPort}/${port.protocol} open ${count} ports, far more than a workload listens on`,
        fix: 'narrow the range to the ports the destination actually serves',
      }),
    );
  }
  return issues;
}

export function lintRules(context: LintContext): Issue[] {
  const issues: Issue[] = [];
  for (const policy of context.cluster.policies) {
    for (const directed of listDirectedRules(policy)) {
      issues.push(...checkAllowAll(policy, directed));
      issues.push(...checkShadowed(context, policy, directed));
      for (const rule of directed.rules) {
        for (const port of rule.ports) {
          if (context.hasWorkloads) issues.push(...checkNamedPort(context, policy, directed, rule, port));
          issues.push(...checkRange(policy, port));
        }
      }
    }
  }
  return issues;
}
