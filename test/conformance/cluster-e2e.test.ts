// The provider contract against a REAL cluster, when REHEARSAL_E2E_KUBECONFIG points at one (kind, a cloud
// cluster, anything with an enforcing CNI). Without it the suite is skipped and says so.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { createClusterProvider } from '../../server/sandbox/cluster/cluster-provider.ts';
import { createClientNodeKubeClient } from '../../server/sandbox/k8s/client-node-kube-client.ts';
import { parseObjectMeta } from '../../server/sandbox/k8s/object-status.ts';
import { createStderrLogger, systemClock } from '../../server/sandbox/k8s/runtime-deps.ts';
import { describeProviderContract } from './provider-contract.ts';

const kubeconfigPath = process.env['REHEARSAL_E2E_KUBECONFIG'];

if (kubeconfigPath === undefined || kubeconfigPath === '') {
  describe('SandboxProvider contract: cluster (real)', () => {
    it.skip('skipped: set REHEARSAL_E2E_KUBECONFIG=/path/to/kubeconfig to run the provider contract against a real cluster', () => {});
  });
} else {
  describeProviderContract(
    'cluster (real, REHEARSAL_E2E_KUBECONFIG)',
    () =>
      createClusterProvider({
        createKubeClient: createClientNodeKubeClient,
        clock: systemClock,
        logger: createStderrLogger('cluster-e2e'),
        home: process.env['REHEARSAL_HOME'] ?? join(homedir(), '.rehearsal'),
        kubeconfigPath,
        readFile: (path) => readFile(path, 'utf8'),
      }),
    {
      cni: 'existing',
      probeTimeoutMs: 3000,
      makeId: () => `sb-${randomBytes(4).toString('hex')}`,
      skip: { attribution: 'real CNIs drop silently; attribution needs their flow logs' },
      findLeftovers: async (record) => {
        const client = createClientNodeKubeClient(await readFile(kubeconfigPath, 'utf8'));
        const namespaces = await client.list('v1', 'Namespace', { labelSelector: `rehearsal.dev/sandbox-id=${record.id}` });
        // Namespaces terminate asynchronously; one still listed must at least be terminating.
        return namespaces.flatMap((raw) => {
          const meta = parseObjectMeta(raw);
          return meta === undefined || meta.isTerminating ? [] : [`namespace ${meta.name}`];
        });
      },
    },
  );
}
