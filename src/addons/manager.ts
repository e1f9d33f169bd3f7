/**
 * The addon manager (runs only on the leader). It watches the Cluster object
 * and every object it manages (by label), and for each addon makes the
 * cluster match the annotations: render (cached), apply what is missing or
 * drifted with server-side apply, prune what left the bundle, delete on
 * disable (keeping data unless purged). It compares against its watch caches
 * before every write, so at steady state it makes no API calls; it never
 * touches an object without its labels.
 */
import { createHash } from 'node:crypto';
import { KubeConfig, ListWatch, Watch, type KubernetesObject } from '@kubernetes/client-node';
import type { KubeObject } from '../admission/types.js';
import { apiErrorMessage } from '../cluster/errors.js';
import { ApiError, deleteObject, objectPath, rawList, rawRequest, serverSideApply } from '../cluster/raw.js';
import type { Logger } from '../observability/log.js';
import { FIELD_MANAGER } from '../controller/names.js';
import { WorkQueue } from '../controller/queue.js';
import { ADDON_LABEL, parseAddonAnnotations, type AddonSetting } from './annotations.js';
import type { Addon } from './catalog.js';
import { collectionPath, KINDS, kindInfo } from './kinds.js';
import { desiredObjects, isDrifted, isOwnedBy, MANAGED_BY, MANAGED_BY_LABEL, objectKey, toDelete, toPrune } from './plan.js';
import type { HelmRenderer } from './render.js';
import { countReady, nextStatus, runningPhase, sameStatus, summary, type AddonStatus, type Phase } from './status.js';

export const CLUSTER_API = { group: 'harbormaster.io', version: 'v1alpha1', path: '/apis/harbormaster.io/v1alpha1/clusters' } as const;
const SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY},${ADDON_LABEL}`;

export interface AddonManagerOptions {
  kubeconfig: KubeConfig;
  catalog: readonly Addon[];
  renderer: HelmRenderer;
  logger: Logger;
  onWrite?: (verb: 'apply' | 'delete' | 'status' | 'event', kind: string) => void;
  now?: () => Date;
  /** Heals of one object allowed per minute before backing off (a fight with another controller). */
  healsPerMinute?: number;
}

interface ClusterObject extends KubernetesObject {
  status?: { addons?: AddonStatus[]; summary?: string };
}

export class AddonManager {
  readonly #o: AddonManagerOptions;
  readonly #clusters: ListWatch<KubernetesObject>;
  readonly #caches = new Map<string, ListWatch<KubernetesObject>>();
  readonly #queue: WorkQueue;
  readonly #heals = new Map<string, number[]>();
  readonly #conflictRetries = new Map<string, number>();
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Status entries as last written, so a write happens only on change. */
  #written: AddonStatus[] | undefined;
  #stopped = false;

  constructor(options: AddonManagerOptions) {
    this.#o = options;
    const kc = options.kubeconfig;
    const restart = (what: string, lw: ListWatch<KubernetesObject>) => (err: unknown) => {
      if (this.#stopped) return; // stopping aborts the watch, which reports as an error
      options.logger.warn({ watch: what, err: apiErrorMessage(err) }, 'addon watch stopped; restarting');
      const t = setTimeout(() => { this.#timers.delete(t); if (!this.#stopped) void lw.start().catch(() => undefined); }, 2000);
      t.unref();
      this.#timers.add(t);
    };
    this.#clusters = new ListWatch(CLUSTER_API.path, new Watch(kc), () => rawList<KubernetesObject>(kc, CLUSTER_API.path), false);
    this.#clusters.on('error', restart('clusters', this.#clusters));
    for (const verb of ['add', 'update', 'delete'] as const) this.#clusters.on(verb, () => this.enqueueAll());
    for (const k of KINDS) {
      const path = collectionPath(k);
      const lw = new ListWatch<KubernetesObject>(path, new Watch(kc), () => rawList<KubernetesObject>(kc, path, { labelSelector: SELECTOR }), false, SELECTOR);
      for (const verb of ['add', 'update', 'delete'] as const) {
        lw.on(verb, (o) => {
          const addon = o.metadata?.labels?.[ADDON_LABEL];
          if (addon) this.#queue.add(addon);
        });
      }
      lw.on('error', restart(k.resource, lw));
      this.#caches.set(k.kind, lw);
    }
    this.#queue = new WorkQueue({
      concurrency: 1, // one writer of the Cluster status at a time
      process: (name) => this.reconcile(name),
      onError: (name, err) => options.logger.warn({ addon: name, err: apiErrorMessage(err) }, 'addon reconcile failed; will retry'),
    });
  }

  async start(): Promise<void> {
    await Promise.all([...this.#caches.values()].map((c) => c.start()));
    await this.#clusters.start();
    this.enqueueAll();
  }

  stop(): void {
    this.#stopped = true;
    this.#queue.stop();
    for (const t of this.#timers) clearTimeout(t);
    void this.#clusters.stop();
    for (const c of this.#caches.values()) void c.stop();
  }

  enqueueAll(): void {
    for (const a of this.#o.catalog) this.#queue.add(a.name);
  }

  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /** The Cluster object in charge: the oldest one (there is normally exactly one). */
  cluster(): ClusterObject | undefined {
    return [...this.#clusters.list()].sort((a, b) =>
      String(a.metadata?.creationTimestamp ?? '').localeCompare(String(b.metadata?.creationTimestamp ?? '')) || String(a.metadata?.name).localeCompare(String(b.metadata?.name)),
    )[0] as ClusterObject | undefined;
  }

  #get(kind: string, name: string, namespace?: string): KubeObject | undefined {
    return this.#caches.get(kind)?.get(name, namespace) as KubeObject | undefined;
  }

  #owned(addon: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const c of this.#caches.values()) {
      for (const o of c.list()) if (o.metadata?.labels?.[ADDON_LABEL] === addon && !o.metadata?.deletionTimestamp) out.push(o as KubeObject);
    }
    return out;
  }

  async reconcile(name: string): Promise<void> {
    const addon = this.#o.catalog.find((a) => a.name === name);
    const cluster = this.cluster();
    if (!addon || !cluster) return;
    const { settings, problems } = parseAddonAnnotations(cluster.metadata?.annotations ?? {}, this.#o.catalog);
    const prev = (this.#written ?? cluster.status?.addons ?? []).find((s) => s.name === name);
    const mine = problems.filter((p) => p.addon === name);
    const setting = settings.find((s) => s.name === name);
    const base = { name, version: addon.version, objects: { applied: 0, total: 0 }, workloads: { ready: 0, total: addon.ready.length }, manifestHash: prev?.manifestHash ?? '' };
    if (mine.length > 0) {
      await this.#setStatus(cluster, prev, { ...base, phase: 'Failed', message: mine.map((p) => p.message).join('; ') });
      return;
    }
    if (setting?.enabled) await this.#install(cluster, addon, { setting, all: settings }, prev);
    else if (setting || this.#owned(name).length > 0 || prev) await this.#remove(cluster, addon, setting, prev);
  }

  async #install(cluster: ClusterObject, addon: Addon, settings: { setting: AddonSetting; all: AddonSetting[] }, prev: AddonStatus | undefined): Promise<void> {
    const { setting } = settings;
    const base = { name: addon.name, version: addon.version, workloads: { ready: 0, total: addon.ready.length } };
    const missing = addon.dependencies.filter((d) => !settings.all.some((s) => s.name === d && s.enabled));
    if (missing.length > 0) {
      await this.#setStatus(cluster, prev, { ...base, phase: 'Failed', message: `needs addon ${missing.join(', ')} enabled first`, objects: { applied: 0, total: 0 }, manifestHash: prev?.manifestHash ?? '' });
      return;
    }
    let desired: KubeObject[];
    try {
      desired = desiredObjects(addon, await this.#o.renderer.render(addon, setting.values));
    } catch (err) {
      await this.#setStatus(cluster, prev, { ...base, phase: 'Failed', message: (err as Error).message, objects: { applied: 0, total: 0 }, manifestHash: prev?.manifestHash ?? '' });
      return;
    }
    const manifestHash = createHash('sha256').update(JSON.stringify(desired)).digest('hex').slice(0, 16);
    let applied = 0;
    let fighting: string | undefined;
    const foreign: string[] = [];
    for (const obj of desired) {
      const actual = this.#get(String(obj.kind), obj.metadata?.name ?? '', obj.metadata?.namespace);
      if (!isDrifted(obj, actual)) {
        applied++;
        continue;
      }
      const key = objectKey(obj);
      if (!actual) {
        // Not in our (label-selected) caches: an object of that name without our labels must not be taken over.
        const existing = await this.#unlabelled(obj);
        if (existing === 'namespace') {
          applied++; // a Namespace the user made: use it, leave it as it is
          continue;
        }
        if (existing === 'foreign') {
          foreign.push(key);
          continue;
        }
      }
      if (actual && this.#rateLimited(key, addon.name)) {
        fighting = key;
        continue;
      }
      await serverSideApply(this.#o.kubeconfig, obj, kindInfo(obj.kind)?.resource ?? '', FIELD_MANAGER);
      this.#o.onWrite?.('apply', String(obj.kind));
      applied++;
      if (actual || (prev && prev.objects.applied > 0 && prev.phase !== 'Disabled')) {
        this.#o.logger.info({ addon: addon.name, object: key }, 'drift undone');
        await this.#event(cluster, 'Normal', 'AddonDriftHealed', `${addon.name}: ${actual ? 're-applied' : 're-created'} ${key}`);
      }
    }
    for (const obj of toPrune(this.#owned(addon.name), desired, addon.name)) {
      await this.#delete(obj);
    }
    const ready = countReady(addon.ready, (w) => this.#get(w.kind, w.name, addon.namespace));
    if (foreign.length > 0) {
      // Deleting the foreign object raises no event we watch: look again later, less and less often.
      const n = (this.#conflictRetries.get(addon.name) ?? 0) + 1;
      this.#conflictRetries.set(addon.name, n);
      this.#later(addon.name, Math.min(5000 * 2 ** (n - 1), 300_000));
      await this.#setStatus(cluster, prev, { ...base, phase: 'Failed', message: `${foreign.join(', ')} already exist${foreign.length === 1 ? 's' : ''} without Harbormaster's labels; rename or remove ${foreign.length === 1 ? 'it' : 'them'}`, objects: { applied, total: desired.length }, workloads: { ready, total: addon.ready.length }, manifestHash });
      return;
    }
    this.#conflictRetries.delete(addon.name);
    const phase: Phase = fighting ? 'Degraded' : runningPhase(prev, ready === addon.ready.length && applied === desired.length);
    const message = fighting
      ? `another controller keeps changing ${fighting}; backing off`
      : phase === 'Ready' ? `all ${desired.length} objects applied, ${ready}/${addon.ready.length} workloads ready` : `${applied}/${desired.length} objects applied, ${ready}/${addon.ready.length} workloads ready`;
    await this.#setStatus(cluster, prev, { ...base, phase, message, objects: { applied, total: desired.length }, workloads: { ready, total: addon.ready.length }, manifestHash });
  }

  async #remove(cluster: ClusterObject, addon: Addon, setting: AddonSetting | undefined, prev: AddonStatus | undefined): Promise<void> {
    const doomed = toDelete(this.#owned(addon.name), addon.name, { purge: setting?.purge ?? false });
    for (const obj of doomed) await this.#delete(obj);
    const phase: Phase = doomed.length > 0 ? 'Removing' : 'Disabled';
    const kept = this.#owned(addon.name).filter((o) => o.kind === 'PersistentVolumeClaim').length;
    const message = phase === 'Removing'
      ? `deleting ${doomed.length} objects`
      : `removed${kept > 0 ? `; ${kept} PersistentVolumeClaims kept (set .purge: "true" to delete them)` : ''}; namespace ${addon.namespace} kept`;
    await this.#setStatus(cluster, prev, { name: addon.name, version: addon.version, phase, message, objects: { applied: 0, total: 0 }, workloads: { ready: 0, total: 0 }, manifestHash: prev?.manifestHash ?? '' });
  }

  /**
   * Whether an object we are about to create already exists without our
   * labels ('foreign'; a user's Namespace is 'namespace'). Ours but not yet
   * in the cache (watch lag) counts as 'absent': applying it again is harmless.
   */
  async #unlabelled(obj: KubeObject): Promise<'absent' | 'namespace' | 'foreign'> {
    const info = kindInfo(obj.kind);
    if (!info) return 'absent';
    let live: KubeObject;
    try {
      live = (await rawRequest<KubeObject>(this.#o.kubeconfig, {
        method: 'GET',
        path: objectPath({ apiVersion: info.apiVersion, resource: info.resource, ...(info.namespaced && obj.metadata?.namespace ? { namespace: obj.metadata.namespace } : {}), name: obj.metadata?.name ?? '' }),
      })).body;
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return 'absent';
      throw err;
    }
    if (isOwnedBy(live, obj.metadata?.labels?.[ADDON_LABEL] ?? '')) return 'absent';
    return obj.kind === 'Namespace' ? 'namespace' : 'foreign';
  }

  async #delete(obj: KubeObject): Promise<void> {
    const info = kindInfo(obj.kind);
    if (!info) return;
    await deleteObject(this.#o.kubeconfig, {
      apiVersion: info.apiVersion,
      resource: info.resource,
      ...(info.namespaced && obj.metadata?.namespace ? { namespace: obj.metadata.namespace } : {}),
      name: obj.metadata?.name ?? '',
    });
    this.#o.onWrite?.('delete', String(obj.kind));
  }

  /** Reconciles `addon` again after `ms`. */
  #later(addon: string, ms: number): void {
    const t = setTimeout(() => { this.#timers.delete(t); this.#queue.add(addon); }, ms);
    t.unref();
    this.#timers.add(t);
  }

  /** True when `key` was healed too often lately: back off instead of fighting another controller. */
  #rateLimited(key: string, addon: string): boolean {
    const now = (this.#o.now ?? (() => new Date()))().getTime();
    const recent = (this.#heals.get(key) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= (this.#o.healsPerMinute ?? 5)) {
      this.#later(addon, Math.max(1000, 60_000 - (now - (recent[0] ?? now))));
      this.#heals.set(key, recent);
      return true;
    }
    recent.push(now);
    this.#heals.set(key, recent);
    return false;
  }

  async #setStatus(cluster: ClusterObject, prev: AddonStatus | undefined, observed: Omit<AddonStatus, 'lastTransitionTime' | 'revision'>): Promise<void> {
    const now = (this.#o.now ?? (() => new Date()))();
    const next = nextStatus(prev, observed, now);
    if (sameStatus(prev, next)) return;
    const current = this.#written ?? cluster.status?.addons ?? [];
    const entries = [...current.filter((s) => s.name !== next.name), next].sort((a, b) => a.name.localeCompare(b.name));
    await rawRequest(this.#o.kubeconfig, {
      method: 'PATCH',
      path: `${CLUSTER_API.path}/${encodeURIComponent(cluster.metadata?.name ?? '')}/status`,
      body: { status: { addons: entries, summary: summary(entries) } },
      contentType: 'application/merge-patch+json',
    });
    this.#written = entries;
    this.#o.onWrite?.('status', 'Cluster');
    if (prev?.phase !== next.phase) {
      const warning = next.phase === 'Failed' || next.phase === 'Degraded';
      await this.#event(cluster, warning ? 'Warning' : 'Normal', `Addon${next.phase}`, `${next.name}: ${next.message}`);
    }
  }

  async #event(cluster: ClusterObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const now = (this.#o.now ?? (() => new Date()))().toISOString();
    try {
      await rawRequest(this.#o.kubeconfig, {
        method: 'POST',
        path: '/api/v1/namespaces/default/events',
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { generateName: `${cluster.metadata?.name ?? 'cluster'}.` },
          involvedObject: { apiVersion: `${CLUSTER_API.group}/${CLUSTER_API.version}`, kind: 'Cluster', name: cluster.metadata?.name, uid: cluster.metadata?.uid },
          type,
          reason,
          message: message.slice(0, 1024),
          source: { component: 'harbormaster-addon-manager' },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
      this.#o.onWrite?.('event', 'Event');
    } catch (err) {
      this.#o.logger.warn({ err: apiErrorMessage(err) }, 'could not record an event on the Cluster');
    }
  }
}
