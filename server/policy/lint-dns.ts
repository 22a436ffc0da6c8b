// Lint check egress-blocks-dns: an egress-isolated pod must still reach the cluster DNS on UDP and TCP 53, or
// every name lookup fails. Checked with the evaluator, against the real kube-dns backends of the input.
import { formatIp, nthAddress, parseCidr } from './cidr.ts';
import { createEvaluator } from './evaluate.ts';
import { isolatingPolicies, serviceBackends } from './select.ts';
import { formatNameList, makePolicyIssue } from './lint-context.ts';
import type { LintContext } from './lint-context.ts';
import type { Cluster, Issue, Pod, Policy, Protocol } from './model.ts';

const dnsProtocols: readonly Protocol[] = ['UDP', 'TCP'];
const dnsLabels = { 'k8s-app': 'kube-dns' } as const;

interface DnsTarget {
  readonly cluster: Cluster;
  readonly backends: readonly Pod[];
  /** How the message names the DNS pods. */
  readonly description: string;
}

/**
 * The pods behind cluster.dnsServiceIp; else kube-system pods labelled k8s-app=kube-dns; else (topology without a
 * DNS) a stand-in pod shaped as kubeadm, kind and the local sandbox deploy it, so the check still speaks.
 */
function findDnsTarget(context: LintContext): DnsTarget {
  const { cluster, index } = context;
  const service = cluster.services.find((s) => s.clusterIP === cluster.dnsServiceIp);
  const behindService = service === undefined ? [] : serviceBackends(index, service);
  if (behindService.length > 0 && service !== undefined) {
    return { cluster, backends: behindService, description: `the cluster DNS (service ${service.namespace}/${service.name})` };
  }
  const labelled = (index.podsByNamespace.get('kube-system') ?? []).filter((pod) => pod.labels['k8s-app'] === 'kube-dns');
  if (labelled.length > 0) return { cluster, backends: labelled, description: 'the cluster DNS (kube-system pods k8s-app=kube-dns)' };
  const used = new Set(cluster.pods.flatMap((pod) => pod.ips));
  const podCidr = parseCidr(cluster.podCidr);
  let ip = '10.244.255.253';
  for (let n = 2n; podCidr !== undefined && n < 4096n; n++) {
    const candidate = nthAddress(podCidr, n);
    if (candidate === undefined) break;
    const text = formatIp(candidate);
    if (!used.has(text)) {
      ip = text;
      break;
    }
  }
  const standIn: Pod = {
    namespace: 'kube-system',
    name: 'kube-dns',
    labels: dnsLabels,
    annotations: {},
    ips: [ip],
    containers: [
      {
        name: 'coredns',
        ports: [
          { name: 'dns', containerPort: 53, protocol: 'UDP' },
          { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
        ],
      },
    ],
    workload: { kind: 'Deployment', name: 'coredns' },
    source: { file: '', line: 0, docIndex: 0, path: '' },
    isSystem: true,
  };
  const hasKubeSystem = cluster.namespaces.some((ns) => ns.name === 'kube-system');
  return {
    cluster: {
      ...cluster,
      namespaces: hasKubeSystem
        ? cluster.namespaces
        : [
            ...cluster.namespaces,
            {
              name: 'kube-system',
              labels: { 'kubernetes.io/metadata.name': 'kube-system' },
              source: standIn.source,
              isImplicit: true,
            },
          ],
      pods: [...cluster.pods, standIn],
    },
    backends: [standIn],
    description: 'the cluster DNS (kube-system pods k8s-app=kube-dns, as kubeadm and kind deploy it)',
  };
}

const dnsRuleFix =
  'add an egress rule: - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, ' +
  'podSelector: {matchLabels: {k8s-app: kube-dns}}}] ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]';

export function lintDns(context: LintContext): Issue[] {
  if (!context.hasWorkloads) return [];
  const candidates = context.cluster.pods.filter((pod) => !pod.isSystem && isolatingPolicies(context.index, pod, 'Egress').length > 0);
  if (candidates.length === 0) return [];
  const target = findDnsTarget(context);
  const evaluator = createEvaluator(target.cluster);
  // Pods are reported on the first policy isolating them, grouped by what they miss.
  const groups = new Map<string, { policy: Policy; missing: Protocol[]; pods: Pod[] }>();
  for (const pod of candidates) {
    const missing: Protocol[] = [];
    for (const protocol of dnsProtocols) {
      const isReachable = target.backends.some((backend) => {
        const result = evaluator.evaluate({
          from: { kind: 'pod', namespace: pod.namespace, name: pod.name },
          to: { kind: 'pod', namespace: backend.namespace, name: backend.name },
          port: 53,
          protocol,
        });
        // A flow the evaluator cannot form (no address in the family) says nothing about policy: not a finding.
        return !result.ok || result.verdict.egress.isAllowed;
      });
      if (!isReachable) missing.push(protocol);
    }
    if (missing.length === 0) continue;
    const policy = isolatingPolicies(context.index, pod, 'Egress')[0];
    if (policy === undefined) continue;
    const key = `${policy.namespace}/${policy.name}#${policy.source.file}:${policy.source.line}|${missing.join(',')}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { policy, missing, pods: [pod] });
    else group.pods.push(pod);
  }
  const issues: Issue[] = [];
  for (const { policy, missing, pods } of groups.values()) {
    const names = formatNameList(pods.map((pod) => `${pod.namespace}/${pod.name}`));
    const blocked =
      missing.length === 2
        ? 'neither UDP 53 nor TCP 53 is allowed'
        : `${missing[0] ?? ''} 53 is not allowed (${missing[0] === 'UDP' ? 'TCP' : 'UDP'} 53 is)`;
    const consequence =
      missing.length === 2 || missing[0] === 'UDP'
        ? 'name lookups fail'
        : 'large answers and clients that use TCP (truncated replies, some resolvers) fail';
    issues.push(
      makePolicyIssue(policy, 'egress-blocks-dns', {
        path: 'spec.egress',
        message: `${pods.length === 1 ? 'pod' : 'pods'} ${names} ${pods.length === 1 ? 'is' : 'are'} egress-isolated and ${blocked} to ${target.description}: ${consequence}`,
        fix: dnsRuleFix,
      }),
    );
  }
  return issues;
}
