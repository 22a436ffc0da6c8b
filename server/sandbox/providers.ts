// Builds a provider by name for the composition root and the CLI (`rehearse up --provider kind|eks|gke|aks|cluster
// [--kubeconfig PATH]`). Real seams are the defaults; each provider's heavy modules (Pulumi, client-node) load
// only when that provider is asked for. The local provider comes from a factory the caller passes in, so this
// file never imports it.
import { access } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultCnis, findCniChoice, listCniNames } from '../../infra/cni/catalog.ts';
import { listCniProfileNames } from '../policy/cni-profiles.ts';
import { existingClusterCni, listClusterCnis } from './cluster/cluster-cnis.ts';
import type { ProviderName, SandboxProvider } from './contract.ts';
import { SandboxError, SandboxErrorCodes } from './contract.ts';
import type { KubeClientSource } from './cluster/kube-client-source.ts';
import type { KubeClientFactory } from './k8s/kube-client.ts';
import type { Clock, Logger } from './k8s/runtime-deps.ts';
import { createStderrLogger, systemClock } from './k8s/runtime-deps.ts';
import type { Automation } from './pulumi/automation.ts';
import type { RunTool } from './pulumi/host-tools.ts';
import type { HostFacts } from './pulumi/preflight.ts';

export const realClusterProviderNames = ['kind', 'eks', 'gke', 'aks', 'cluster'] as const satisfies readonly ProviderName[];

/** The CNIs a provider offers (names as `--cni` takes them): engine profiles for `local`, the pinned charts for kind. */
export function listProviderCnis(name: ProviderName): readonly string[] {
  switch (name) {
    case 'local':
      return listCniProfileNames();
    case 'cluster':
      return listClusterCnis();
    default:
      return listCniNames(name);
  }
}

/** The CNI a sandbox gets when `--cni` is not given. */
export function getDefaultCni(name: ProviderName): string {
  switch (name) {
    case 'local':
      return 'reference';
    case 'cluster':
      return existingClusterCni;
    default:
      return defaultCnis[name];
  }
}

/** The engine profile whose predictions a sandbox of this provider and CNI should match; undefined for an unknown CNI. */
export function getEngineProfileOf(name: ProviderName, cni: string): string | undefined {
  if (!listProviderCnis(name).includes(cni)) return undefined;
  switch (name) {
    case 'local':
      return cni;
    case 'cluster':
      return cni === existingClusterCni ? 'reference' : cni;
    default:
      return findCniChoice(name, cni)?.engineProfile;
  }
}

export interface ProviderFactoryOptions {
  /** REHEARSAL_HOME (sandbox records, Pulumi workspace, state and passphrase live under it). */
  readonly home: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The local provider, built by the caller (this file does not import it). */
  readonly createLocalProvider: () => SandboxProvider | Promise<SandboxProvider>;
  /** `--kubeconfig` for the cluster provider; default: first KUBECONFIG entry, else ~/.kube/config. */
  readonly kubeconfigPath?: string;
  /** Stack config for kind/cloud sandboxes (`nodeCount`, `awsRegion`, `gcpProject`, ...), see infra/config.ts. */
  readonly stackSettings?: Readonly<Record<string, string>>;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Seams, for tests and embedding; real implementations by default. */
  readonly createKubeClient?: KubeClientFactory;
  readonly openAutomation?: () => Promise<Automation>;
  readonly runTool?: RunTool;
}

export function resolveKubeconfigPath(options: { readonly explicit?: string; readonly env: Readonly<Record<string, string | undefined>>; readonly homeDir: string }): string {
  if (options.explicit !== undefined && options.explicit !== '') return options.explicit;
  const fromEnv = options.env['KUBECONFIG']?.split(delimiter).find((entry) => entry !== '');
  return fromEnv ?? join(options.homeDir, '.kube', 'config');
}

/** Stack settings the environment already answers (region, project), under any given explicitly. */
export function readStackSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const settings: Record<string, string> = {};
  const region = env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
  if (region !== undefined && region !== '') settings['awsRegion'] = region;
  const project = env['GOOGLE_CLOUD_PROJECT'] ?? env['GOOGLE_PROJECT'] ?? env['CLOUDSDK_CORE_PROJECT'];
  if (project !== undefined && project !== '') settings['gcpProject'] = project;
  return settings;
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function makeHostFacts(options: ProviderFactoryOptions): Promise<HostFacts> {
  const runTool = options.runTool ?? (await import('./pulumi/host-tools.ts')).runHostTool;
  return { env: options.env, homeDir: homedir(), fileExists, runTool };
}

/** The real client-node adapter, imported when a provider first talks to a cluster (listing providers never does). */
function makeKubeClientSource(options: ProviderFactoryOptions): KubeClientSource {
  return options.createKubeClient ?? { load: async () => (await import('./k8s/client-node-kube-client.ts')).createClientNodeKubeClient };
}

function makeAutomationOpener(options: ProviderFactoryOptions): () => Promise<Automation> {
  if (options.openAutomation !== undefined) return options.openAutomation;
  return async () => {
    const [{ createLocalWorkspaceAutomation }, { resolvePassphrase }] = await Promise.all([
      import('./pulumi/local-workspace-automation.ts'),
      import('./pulumi/passphrase.ts'),
    ]);
    const backendUrl = options.env['REHEARSAL_PULUMI_BACKEND_URL'] ?? pathToFileURL(join(options.home, 'pulumi', 'state')).href;
    return createLocalWorkspaceAutomation({
      workDir: join(options.home, 'pulumi', 'workspace'),
      backendUrl,
      passphrase: await resolvePassphrase({ home: options.home, env: options.env }),
    });
  };
}

export async function createProviderByName(name: ProviderName, options: ProviderFactoryOptions): Promise<SandboxProvider> {
  const logger = options.logger ?? createStderrLogger(`sandbox-${name}`);
  const clock = options.clock ?? systemClock;
  switch (name) {
    case 'local':
      return options.createLocalProvider();
    case 'cluster': {
      const { createClusterProvider } = await import('./cluster/cluster-provider.ts');
      return createClusterProvider({
        createKubeClient: makeKubeClientSource(options),
        clock,
        logger,
        home: options.home,
        kubeconfigPath: resolveKubeconfigPath({ ...(options.kubeconfigPath === undefined ? {} : { explicit: options.kubeconfigPath }), env: options.env, homeDir: homedir() }),
        readFile: (path) => readFile(path, 'utf8'),
      });
    }
    case 'kind':
    case 'eks':
    case 'gke':
    case 'aks': {
      const deps = {
        openAutomation: makeAutomationOpener(options),
        createKubeClient: makeKubeClientSource(options),
        clock,
        logger,
        host: await makeHostFacts(options),
        home: options.home,
        hostname: hostname(),
        stackSettings: { ...readStackSettingsFromEnv(options.env), ...options.stackSettings },
      };
      if (name === 'kind') return (await import('./kind/kind-provider.ts')).createKindProvider(deps);
      return (await import('./cloud/cloud-provider.ts')).createCloudProvider(name, deps);
    }
    default: {
      const unknown: never = name;
      throw new SandboxError(SandboxErrorCodes.hostUnsupported, `unknown provider ${String(unknown)}`);
    }
  }
}
