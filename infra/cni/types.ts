// What installing one CNI means, as data: the Helm charts (pinned), extra host preparation, and what the
// readiness gate must see before the network counts as up. Components turn this into resources; the server
// reads `readiness` to know what to wait for.

/** A Helm chart release, pinned to an exact version so two sandboxes made a month apart behave alike. */
export interface ChartSpec {
  /** Helm release name; also the prefix of most object names the chart renders. */
  readonly releaseName: string;
  readonly chart: string;
  readonly repo: string;
  readonly version: string;
  readonly namespace: string;
  /** Create the namespace first, with these labels (charts that expect it to exist, e.g. tigera-operator). */
  readonly createNamespace?: { readonly labels: Readonly<Record<string, string>> };
  readonly values: Readonly<Record<string, unknown>>;
}

export interface WorkloadRef {
  readonly namespace: string;
  readonly name: string;
}

/** What must be true before the CNI counts as installed (the server's readiness gate checks each). */
export interface CniReadiness {
  /** DaemonSets that must be fully rolled out (desired = ready = updated). */
  readonly daemonSets: readonly WorkloadRef[];
  /** CRDs that must report the `Established` condition before any CNI-specific policy kind can be applied. */
  readonly crds: readonly string[];
  /** The cluster DNS Deployment that must be Available. */
  readonly dns: WorkloadRef;
}

export interface CniPlan {
  readonly cni: string;
  /** kind node config: keep kind's own kindnetd (false) or start without a CNI (true). */
  readonly disablesDefaultCni: boolean;
  readonly charts: readonly ChartSpec[];
  /**
   * The CNI delegates to containernetworking plugins (`bridge`, ...) that kind node images lack (kind#3015,
   * flannel#1847), so a DaemonSet must put them on every node first.
   */
  readonly needsReferencePlugins: boolean;
  readonly readiness: CniReadiness;
  /** One line on how this CNI enforces NetworkPolicy (shown in docs and the launch form). */
  readonly enforcement: string;
}

export interface KindCniContext {
  readonly podSubnet: string;
  readonly clusterName: string;
}

export const coreDns: WorkloadRef = { namespace: 'kube-system', name: 'coredns' };
