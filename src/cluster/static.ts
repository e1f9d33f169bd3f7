/**
 * A ClusterView built from manifest files: the cluster state for
 * `review --state DIR` and `serve --state DIR`, with no API server anywhere.
 */
import type { KubeObject } from '../kube/types.js';
import { readManifestDir } from './manifests.js';
import { ClusterStore, isTrackedKind } from './store.js';

export function storeFromObjects(objects: readonly KubeObject[]): ClusterStore {
  const store = new ClusterStore();
  for (const obj of objects) {
    if (isTrackedKind(obj.kind)) store.upsert(obj.kind, obj);
  }
  return store;
}

export function storeFromDir(dir: string | undefined): ClusterStore {
  return storeFromObjects(dir ? readManifestDir(dir) : []);
}
