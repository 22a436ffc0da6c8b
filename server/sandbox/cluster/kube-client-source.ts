// A KubeClientFactory, or how to load one on first use: the client-node adapter takes half a second to import, and
// listing providers or their sandboxes (`rehearse ls`, `rehearse providers`) must not pay it for nothing.
import type { KubeClientFactory } from '../k8s/kube-client.ts';

export type KubeClientSource = KubeClientFactory | { readonly load: () => Promise<KubeClientFactory> };

/** The factory behind a source, loading it when asked for the first time. */
export async function resolveKubeClientFactory(source: KubeClientSource): Promise<KubeClientFactory> {
  return typeof source === 'function' ? source : source.load();
}
