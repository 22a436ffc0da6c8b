// Kubeconfig documents for cloud clusters, with exec credential plugins (short-lived tokens from the cloud's own
// CLI), and reading the API endpoint back out of a kubeconfig.
import { parse, stringify } from 'yaml';
import { z } from 'zod';

export interface ExecKubeconfigOptions {
  readonly clusterName: string;
  readonly endpoint: string;
  readonly caDataBase64: string;
  readonly command: string;
  readonly args: readonly string[];
  /** One line shown by kubectl when the plugin is missing. */
  readonly installHint: string;
}

export function renderExecKubeconfig(options: ExecKubeconfigOptions): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: options.clusterName, cluster: { server: options.endpoint, 'certificate-authority-data': options.caDataBase64 } }],
    users: [
      {
        name: options.clusterName,
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1beta1',
            command: options.command,
            args: [...options.args],
            interactiveMode: 'Never',
            provideClusterInfo: false,
            installHint: options.installHint,
          },
        },
      },
    ],
    contexts: [{ name: options.clusterName, context: { cluster: options.clusterName, user: options.clusterName } }],
    'current-context': options.clusterName,
  });
}

const kubeconfigSchema = z.object({
  clusters: z.array(z.object({ cluster: z.object({ server: z.string().min(1) }) })).min(1),
});

/** The first cluster's server URL (`clusters[0].cluster.server`); throws naming that path when absent. */
export function readKubeconfigEndpoint(kubeconfigYaml: string): string {
  const result = kubeconfigSchema.safeParse(parse(kubeconfigYaml));
  const first = result.success ? result.data.clusters[0] : undefined;
  if (first === undefined) throw new Error('kubeconfig has no clusters[0].cluster.server');
  return first.cluster.server;
}
