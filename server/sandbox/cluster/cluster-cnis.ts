// The CNI names an existing-cluster sandbox accepts: the cluster keeps its own CNI, so the name only picks the engine
// profile whose predictions observations are compared with. Light on purpose: the CLI lists it without loading the
// provider.
import { cniProfiles } from '../../policy/cni-profiles.ts';

/** The cluster runs whatever CNI it runs; callers may name it (e.g. `calico`) to pick the engine profile. */
export const existingClusterCni = 'existing';

/** `existing`, or the engine profile of the CNI the cluster is known to run (its predictions are then compared). */
export function listClusterCnis(): readonly string[] {
  return [existingClusterCni, ...Object.keys(cniProfiles).filter((name) => name !== 'reference')];
}
