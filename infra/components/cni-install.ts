// Installs a CNI plan into a cluster: namespaces the charts expect, the reference plugins where the CNI needs
// them, then each pinned chart. Every object is `deletedWith` the cluster: when the cluster goes, Pulumi skips
// their deletes instead of calling an API server that no longer exists (pulumi-kubernetes#2517).
import * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import { makeReferencePluginsDaemonSet, referencePluginsName } from '../cni/reference-plugins.ts';
import type { CniPlan } from '../cni/types.ts';

export interface InstallCniOptions {
  readonly namePrefix: string;
  readonly plan: CniPlan;
  readonly provider: k8s.Provider;
  /** The resource whose deletion takes the whole cluster (and so every in-cluster object) with it. */
  readonly cluster: pulumi.Resource;
  readonly parent: pulumi.Resource;
  readonly labels: Readonly<Record<string, string>>;
  /** Resources the cluster must have before charts go in (node groups: a chart's DaemonSet await needs nodes). */
  readonly dependsOn?: readonly pulumi.Resource[];
}

/** Returns every in-cluster resource created, last ones last (so callers can depend on the whole install). */
export function installCni(options: InstallCniOptions): readonly pulumi.Resource[] {
  const baseOptions = {
    provider: options.provider,
    parent: options.parent,
    deletedWith: options.cluster,
    dependsOn: [...(options.dependsOn ?? [])],
  };
  const prerequisites: pulumi.Resource[] = [];
  if (options.plan.needsReferencePlugins) {
    prerequisites.push(
      new k8s.apps.v1.DaemonSet(`${options.namePrefix}-${referencePluginsName}`, makeReferencePluginsDaemonSet(options.labels), baseOptions),
    );
  }
  const created: pulumi.Resource[] = [...prerequisites];
  for (const chart of options.plan.charts) {
    const chartPrerequisites = [...prerequisites];
    if (chart.createNamespace !== undefined) {
      chartPrerequisites.push(
        new k8s.core.v1.Namespace(
          `${options.namePrefix}-ns-${chart.namespace}`,
          { metadata: { name: chart.namespace, labels: { ...options.labels, ...chart.createNamespace.labels } } },
          baseOptions,
        ),
      );
    }
    const release = new k8s.helm.v4.Chart(
      `${options.namePrefix}-${chart.releaseName}`,
      {
        name: chart.releaseName,
        chart: chart.chart,
        version: chart.version,
        namespace: chart.namespace,
        repositoryOpts: { repo: chart.repo },
        values: { ...chart.values },
      },
      { ...baseOptions, dependsOn: [...baseOptions.dependsOn, ...chartPrerequisites] },
    );
    created.push(...chartPrerequisites.filter((resource) => !prerequisites.includes(resource)), release);
  }
  return created;
}
