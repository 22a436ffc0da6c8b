// lintPolicies: every mistake the engine can see in a set of NetworkPolicies without sending a packet, each
// with a stable code, a YAML path, a message and a fix. Findings come back sorted by file, line and path.
import { indexCluster } from './select.ts';
import { lintChecks } from './lint-context.ts';
import type { LintCode, LintContext } from './lint-context.ts';
import { lintDns } from './lint-dns.ts';
import { lintIpBlocks } from './lint-ipblock.ts';
import { lintIsolation } from './lint-isolation.ts';
import { lintRules } from './lint-rules.ts';
import { lintSelectors } from './lint-selectors.ts';
import type { Cluster, Issue, Severity } from './model.ts';

export { lintChecks };
export type { LintCode };

const severityRank: Readonly<Record<Severity, number>> = { error: 0, warning: 1, info: 2 };

/** Order for printing: file, line, path, then the most severe first, then code. */
export function compareIssues(a: Issue, b: Issue): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  if (a.severity !== b.severity) return severityRank[a.severity] - severityRank[b.severity];
  if (a.code !== b.code) return a.code < b.code ? -1 : 1;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}

export function lintPolicies(cluster: Cluster): Issue[] {
  const hasWorkloads = cluster.pods.some((pod) => !pod.isSystem);
  const context: LintContext = { cluster, index: indexCluster(cluster), hasWorkloads };
  const issues: Issue[] = [
    ...lintSelectors(context),
    ...lintRules(context),
    ...lintIpBlocks(context),
    ...lintIsolation(context),
    ...lintDns(context),
  ];
  const first = cluster.policies[0];
  if (!hasWorkloads && first !== undefined) {
    issues.push({
      code: 'no-workloads',
      severity: lintChecks['no-workloads'].severity,
      file: first.source.file,
      line: 0,
      path: '',
      message: 'the input has NetworkPolicies but no pods or workloads, so checks that need the topology (selectors, named ports, DNS) were skipped',
      fix: 'pass the workloads too: rehearse lint -f policies/ -f topology.yaml (or a scenario file)',
    });
  }
  return issues.sort(compareIssues);
}
