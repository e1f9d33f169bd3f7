/**
 * Pipeline step 5, prune: delete what left the bundle after an upgrade or a
 * values change, and everything (but data, unless purged) when the addon is
 * disabled. Only objects carrying the addon's labels are ever candidates.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../kube/types.js';
import type { AddonSetting } from '../catalog/annotations.js';
import type { Addon } from '../catalog/catalog.js';
import { deleteManaged, type ManagedObjects } from './objects.js';
import { toDelete, toPrune } from './plan.js';
import type { Phase } from './status.js';

export interface PruneOptions {
  kubeconfig: KubeConfig;
  objects: ManagedObjects;
  addon: Addon;
  onDeleted: (kind: string) => void;
}

async function deleteAll(o: PruneOptions, doomed: readonly KubeObject[]): Promise<void> {
  for (const obj of doomed) {
    if (await deleteManaged(o.kubeconfig, obj)) o.onDeleted(String(obj.kind));
  }
}

/** Deletes the addon's objects that are no longer in `desired`. */
export async function pruneLeftovers(o: PruneOptions, desired: readonly KubeObject[]): Promise<void> {
  await deleteAll(o, toPrune(o.objects.owned(o.addon.name), desired, o.addon.name));
}

/** Deletes a disabled addon's objects; the phase and message its status should show. */
export async function removeAddon(o: PruneOptions, setting: AddonSetting | undefined): Promise<{ phase: Phase; message: string }> {
  const { addon } = o;
  const doomed = toDelete(o.objects.owned(addon.name), addon.name, { purge: setting?.purge ?? false });
  await deleteAll(o, doomed);
  const phase: Phase = doomed.length > 0 ? 'Removing' : 'Disabled';
  const kept = o.objects.owned(addon.name).filter((obj) => obj.kind === 'PersistentVolumeClaim').length;
  const message = phase === 'Removing'
    ? `deleting ${doomed.length} objects`
    : `removed${kept > 0 ? `; ${kept} PersistentVolumeClaims kept (set .purge: "true" to delete them)` : ''}; namespace ${addon.namespace} kept`;
  return { phase, message };
}
