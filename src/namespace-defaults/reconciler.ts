/**
 * The namespace-defaults reconciler (runs only on the leader). For every
 * tenant namespace it keeps the managed LimitRange and ResourceQuota equal to
 * the namespace's profile: on namespace create or annotation change, on policy
 * reload, and when a managed object is edited or deleted (watch events, no
 * polling). It compares against its caches first and writes only on a
 * difference, with server-side apply (field manager `harbormaster`); at steady
 * state it makes no API calls at all.
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { deleteObject, serverSideApply } from '../cluster/raw.js';
import type { KubeObject } from '../kube/types.js';
import type { PolicyConfig } from '../config/types.js';
import type { Logger } from '../observability/log.js';
import { desiredObjects } from './desired.js';
import { isUpToDate } from './drift.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../kube/names.js';
import { MANAGED_OBJECT_NAMES } from '../policies/resource-defaults/names.js';
import { resolveProfile } from '../policies/resource-defaults/profile.js';
import { ClusterStore } from '../cluster/store.js';
import { FIELD_MANAGER } from '../controller/names.js';
import { WorkQueue } from '../controller/queue.js';
import { watch, type WatchCache } from '../controller/watch.js';
import { apiErrorMessage } from '../cluster/errors.js';

export interface ReconcilerStats {
  applies: number;
  deletes: number;
  reconciles: number;
}

export interface NamespaceReconcilerOptions {
  kubeconfig: KubeConfig;
  config: () => PolicyConfig;
  logger: Logger;
  /** Called for every API write, for metrics. */
  onWrite?: (verb: 'apply' | 'delete', kind: string) => void;
}

const SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
const RESOURCES: Record<string, string> = { LimitRange: 'limitranges', ResourceQuota: 'resourcequotas' };

/** True when `a` is an older version than `b` (resourceVersions compare as integers on 1.35+ API servers; otherwise false). */
function olderThan(a: KubernetesObject, b: KubernetesObject): boolean {
  const [x, y] = [a.metadata?.resourceVersion ?? '', b.metadata?.resourceVersion ?? ''];
  return /^\d+$/.test(x) && /^\d+$/.test(y) && BigInt(x) < BigInt(y);
}

function scopesDiffer(actual: KubeObject, desired: KubeObject): boolean {
  const scopes = (o: KubeObject) => JSON.stringify(((o.spec as { scopes?: string[] } | undefined)?.scopes ?? []).slice().sort());
  return desired.kind === 'ResourceQuota' && scopes(actual) !== scopes(desired);
}

export class NamespaceReconciler {
  readonly #o: NamespaceReconcilerOptions;
  readonly #namespaces: WatchCache;
  readonly #limitRanges: WatchCache;
  readonly #quotas: WatchCache;
  readonly #queue: WorkQueue;
  /**
   * What our last apply of an object returned, until the watch cache shows that
   * version: a reconcile that runs before the cache saw our own write (another
   * event of the namespace came first) must not take the object for missing
   * and write it a second time.
   */
  readonly #written = new Map<string, KubeObject>();
  readonly stats: ReconcilerStats = { applies: 0, deletes: 0, reconciles: 0 };

  constructor(options: NamespaceReconcilerOptions) {
    this.#o = options;
    const { kubeconfig, logger } = options;
    this.#queue = new WorkQueue({
      process: (ns) => this.reconcile(ns),
      onError: (ns, err) => logger.warn({ namespace: ns, err: apiErrorMessage(err) }, 'namespace reconcile failed; will retry'),
    });
    const byNamespace = (o: KubernetesObject): void => {
      if (o.metadata?.namespace) this.#queue.add(o.metadata.namespace);
    };
    const byName = (o: KubernetesObject): void => {
      if (o.metadata?.name) this.#queue.add(o.metadata.name);
    };
    // A deleted object must look missing again (list items carry no kind: it comes from the watch).
    const forget = (kind: string) => (o: KubernetesObject) => {
      this.#written.delete(`${kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`);
    };
    this.#namespaces = watch({ kubeconfig, logger, name: 'namespaces', path: '/api/v1/namespaces', on: { change: byName } });
    this.#limitRanges = watch({
      kubeconfig,
      logger,
      name: 'limitranges',
      path: '/api/v1/limitranges',
      labelSelector: SELECTOR,
      on: { change: byNamespace, delete: forget('LimitRange') },
    });
    this.#quotas = watch({
      kubeconfig,
      logger,
      name: 'resourcequotas',
      path: '/api/v1/resourcequotas',
      labelSelector: SELECTOR,
      on: { change: byNamespace, delete: forget('ResourceQuota') },
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.#limitRanges.start(), this.#quotas.start()]);
    await this.#namespaces.start(); // its add events enqueue every namespace
  }

  stop(): void {
    this.#queue.stop();
    void this.#namespaces.stop();
    void this.#limitRanges.stop();
    void this.#quotas.stop();
  }

  /** Re-checks every namespace: after a policy reload. */
  resyncAll(): void {
    for (const ns of this.#namespaces.list()) if (ns.metadata?.name) this.#queue.add(ns.metadata.name);
  }

  idle(): Promise<void> {
    return this.#queue.idle();
  }

  async reconcile(name: string): Promise<void> {
    this.stats.reconciles++;
    const desired = this.#desiredFor(name);
    if (!desired) return;
    for (const obj of desired.objects) await this.#converge(name, obj, desired.profile);
    await this.#prune(name, new Set(desired.objects.map((o) => `${o.kind}/${o.metadata?.name}`)));
  }

  /** What the namespace should hold, or undefined for a system, terminating or unresolvable namespace. */
  #desiredFor(name: string): { objects: KubeObject[]; profile: string } | undefined {
    const config = this.#o.config();
    const ns = this.#namespaces.get(name);
    if (!ns || config.systemNamespaces.includes(name)) return undefined;
    if ((ns as { status?: { phase?: string } }).status?.phase === 'Terminating' || ns.metadata?.deletionTimestamp) return undefined;
    const view = new ClusterStore();
    view.upsert('Namespace', ns as KubeObject);
    const resolved = resolveProfile(name, view, config);
    if (!resolved) return undefined;
    const objects = desiredObjects({
      namespace: name,
      profileName: resolved.name,
      profile: resolved.profile,
      allowBestEffort: resolved.allowBestEffort,
      bestEffortPods: config.resourceDefaults.bestEffortPods,
    });
    return { objects, profile: resolved.name };
  }

  /** Applies one desired object unless the cache shows it up to date; replaces it when its immutable scopes differ. */
  async #converge(name: string, obj: KubeObject, profile: string): Promise<void> {
    const cache = obj.kind === 'LimitRange' ? this.#limitRanges : this.#quotas;
    const objName = obj.metadata?.name ?? '';
    const kind = String(obj.kind);
    const key = `${kind}/${name}/${objName}`;
    const actual = this.#current(key, cache.get(objName, name) as KubeObject | undefined);
    if (isUpToDate(actual, obj)) return;
    if (actual && scopesDiffer(actual, obj)) {
      // scopes are immutable: replace the object.
      await deleteObject(this.#o.kubeconfig, { apiVersion: 'v1', resource: RESOURCES[kind] ?? '', namespace: name, name: objName });
      this.#written.delete(key);
      this.stats.deletes++;
      this.#o.onWrite?.('delete', kind);
    }
    const applied = (await serverSideApply(this.#o.kubeconfig, obj, RESOURCES[kind] ?? '', FIELD_MANAGER)) as KubeObject | undefined;
    if (applied?.metadata?.resourceVersion) this.#written.set(key, applied);
    this.stats.applies++;
    this.#o.onWrite?.('apply', kind);
    this.#o.logger.info({ namespace: name, kind: obj.kind, name: objName, profile }, actual ? 'healed managed object' : 'created managed object');
  }

  /** The cached object, or what our own apply returned while the cache has not seen that version yet. */
  #current(key: string, cached: KubeObject | undefined): KubeObject | undefined {
    const mine = this.#written.get(key);
    if (!mine) return cached;
    if (cached && !olderThan(cached, mine)) {
      this.#written.delete(key); // the cache caught up
      return cached;
    }
    return mine;
  }

  /** Deletes managed objects this namespace no longer needs (best-effort mode switched off or on). */
  async #prune(name: string, wanted: ReadonlySet<string>): Promise<void> {
    for (const [kind, cache] of [
      ['LimitRange', this.#limitRanges],
      ['ResourceQuota', this.#quotas],
    ] as const) {
      const managed = Object.hasOwn(MANAGED_OBJECT_NAMES, kind) ? (MANAGED_OBJECT_NAMES[kind] ?? []) : [];
      for (const obj of cache.list(name)) {
        const objName = obj.metadata?.name ?? '';
        if (!managed.includes(objName) || wanted.has(`${kind}/${objName}`)) continue;
        await deleteObject(this.#o.kubeconfig, { apiVersion: 'v1', resource: RESOURCES[kind] ?? '', namespace: name, name: objName });
        this.stats.deletes++;
        this.#o.onWrite?.('delete', kind);
      }
    }
  }
}
