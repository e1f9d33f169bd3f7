/**
 * The addon manager's view of what it manages: one kit watch per kind it may
 * create, selected by our labels, so lookups before every write cost no API
 * call. Also the two API calls a step makes about a single object: the live
 * GET that guards against taking over an unlabelled object, and delete.
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { KubeObject } from '../kube/types.js';
import { ApiError, deleteObject, objectPath, rawRequest } from '../cluster/raw.js';
import { watch, type WatchCache } from '../controller/watch.js';
import type { Logger } from '../observability/log.js';
import { ADDON_LABEL } from '../catalog/annotations.js';
import { collectionPath, KINDS, kindInfo } from './kinds.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE as MANAGED_BY } from '../kube/names.js';
import { isOwnedBy } from './plan.js';

const SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY},${ADDON_LABEL}`;

export interface ManagedObjectsOptions {
  kubeconfig: KubeConfig;
  logger: Logger;
  /** An object of `addon` was added, changed or deleted. */
  onChange: (addon: string) => void;
}

export class ManagedObjects {
  readonly #caches = new Map<string, WatchCache>();

  constructor(options: ManagedObjectsOptions) {
    const { kubeconfig, logger } = options;
    const changed = (o: KubernetesObject): void => {
      const addon = o.metadata?.labels?.[ADDON_LABEL];
      if (addon) options.onChange(addon);
    };
    for (const k of KINDS) {
      this.#caches.set(k.kind, watch({ kubeconfig, logger, name: k.resource, path: collectionPath(k), labelSelector: SELECTOR, on: { change: changed } }));
    }
  }

  async start(): Promise<void> {
    await Promise.all([...this.#caches.values()].map((c) => c.start()));
  }

  stop(): void {
    for (const c of this.#caches.values()) void c.stop();
  }

  get(kind: string, name: string, namespace?: string): KubeObject | undefined {
    return this.#caches.get(kind)?.get(name, namespace) as KubeObject | undefined;
  }

  /** Everything labelled as `addon`'s that is not already being deleted. */
  owned(addon: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const [kind, c] of this.#caches) {
      // Objects from a list carry no kind (only watch events do): a new leader's cache holds those,
      // and an object without its kind cannot be located, so nothing would ever be deleted.
      for (const o of c.list()) if (o.metadata?.labels?.[ADDON_LABEL] === addon && !o.metadata?.deletionTimestamp) out.push((o.kind ? o : { ...o, kind }) as KubeObject);
    }
    return out;
  }
}

function locate(obj: KubeObject): { apiVersion: string; resource: string; namespace?: string; name: string } | undefined {
  const info = kindInfo(obj.kind);
  if (!info) return undefined;
  return {
    apiVersion: info.apiVersion,
    resource: info.resource,
    ...(info.namespaced && obj.metadata?.namespace ? { namespace: obj.metadata.namespace } : {}),
    name: obj.metadata?.name ?? '',
  };
}

/**
 * Whether an object we are about to create already exists without our
 * labels ('foreign'; a user's Namespace is 'namespace'). Ours but not yet
 * in the cache (watch lag) counts as 'absent': applying it again is harmless.
 */
export async function unlabelled(kubeconfig: KubeConfig, obj: KubeObject): Promise<'absent' | 'namespace' | 'foreign'> {
  const where = locate(obj);
  if (!where) return 'absent';
  let live: KubeObject;
  try {
    live = (await rawRequest<KubeObject>(kubeconfig, { method: 'GET', path: objectPath(where) })).body;
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return 'absent';
    throw err;
  }
  if (isOwnedBy(live, obj.metadata?.labels?.[ADDON_LABEL] ?? '')) return 'absent';
  return obj.kind === 'Namespace' ? 'namespace' : 'foreign';
}

/** Deletes one managed object; true when a delete was sent (unknown kinds are skipped). */
export async function deleteManaged(kubeconfig: KubeConfig, obj: KubeObject): Promise<boolean> {
  const where = locate(obj);
  if (!where) return false;
  await deleteObject(kubeconfig, where);
  return true;
}
