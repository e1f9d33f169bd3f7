/**
 * The addon manager (runs only on the leader). It watches the Cluster object
 * and every object it manages (by label), and for each addon makes the
 * cluster match the annotations. Each reconcile is a pipeline of named steps,
 * each in its own file:
 *
 *   desiredState (desired-state.ts) → renderDesired (render-desired.ts)
 *   → plan (plan.ts, used by the next two) → applyDesired (apply.ts)
 *   → pruneLeftovers / removeAddon (prune.ts) → StatusWriter (status-writer.ts)
 *
 * It compares against its watch caches before every write, so at steady
 * state it makes no API calls; it never touches an object without its labels.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../kube/types.js';
import { apiErrorMessage } from '../cluster/errors.js';
import { systemClock, type TimerHandle } from '../controller/clock.js';
import { WorkQueue } from '../controller/queue.js';
import { watch, type WatchCache } from '../controller/watch.js';
import type { Logger } from '../observability/log.js';
import type { AddonSetting } from '../catalog/annotations.js';
import { applyDesired } from './apply.js';
import type { Addon } from '../catalog/catalog.js';
import { CLUSTER_API, clusterEvent, clusterInCharge, type ClusterObject } from './cluster.js';
import { desiredState } from './desired-state.js';
import { GeneratedSecrets } from './generated-secrets.js';
import { HealLimiter } from './heal-limit.js';
import { ManagedObjects } from './objects.js';
import { pruneLeftovers, removeAddon } from './prune.js';
import type { HelmRenderer } from './render.js';
import { renderDesired } from './render-desired.js';
import { countReady, installedStatus, type AddonStatus } from './status.js';
import { StatusWriter, type ObservedStatus } from './status-writer.js';

export { CLUSTER_API } from './cluster.js';

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

export class AddonManager {
  readonly #o: AddonManagerOptions;
  readonly #now: () => Date;
  readonly #clusters: WatchCache;
  readonly #objects: ManagedObjects;
  readonly #queue: WorkQueue;
  readonly #status: StatusWriter;
  readonly #heals: HealLimiter;
  readonly #conflictRetries = new Map<string, number>();
  readonly #secrets: GeneratedSecrets;
  /** Per addon, what the API server refused last: manifests hash and the refused object's resourceVersion. */
  readonly #refused = new Map<string, { hash: string; key: string; version: string; message: string }>();
  readonly #timers = new Set<TimerHandle>();

  constructor(options: AddonManagerOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    const { kubeconfig, logger } = options;
    this.#clusters = watch({ kubeconfig, logger, name: 'clusters', path: CLUSTER_API.path, on: { change: () => this.enqueueAll() } });
    this.#objects = new ManagedObjects({ kubeconfig, logger, onChange: (addon) => this.#queue.add(addon) });
    this.#queue = new WorkQueue({
      concurrency: 1, // one writer of the Cluster status at a time
      process: (name) => this.reconcile(name),
      onError: (name, err) => logger.warn({ addon: name, err: apiErrorMessage(err) }, 'addon reconcile failed; will retry'),
    });
    this.#status = new StatusWriter({ kubeconfig, logger, now: this.#now, ...(options.onWrite ? { onWrite: options.onWrite } : {}) });
    this.#secrets = new GeneratedSecrets(kubeconfig);
    this.#heals = new HealLimiter({ perMinute: options.healsPerMinute ?? 5, now: () => this.#now().getTime() });
  }

  async start(): Promise<void> {
    await this.#objects.start();
    await this.#clusters.start();
    this.enqueueAll();
  }

  stop(): void {
    this.#queue.stop();
    for (const t of this.#timers) systemClock.clearTimeout(t);
    void this.#clusters.stop();
    this.#objects.stop();
  }

  enqueueAll(): void {
    for (const a of this.#o.catalog) this.#queue.add(a.name);
  }

  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /** The Cluster object in charge: the oldest one (there is normally exactly one). */
  cluster(): ClusterObject | undefined {
    return clusterInCharge(this.#clusters.list());
  }

  async reconcile(name: string): Promise<void> {
    const addon = this.#o.catalog.find((a) => a.name === name);
    const cluster = this.cluster();
    if (!addon || !cluster) return;
    const prev = this.#status.previous(cluster, name);
    const intent = desiredState({
      addon,
      annotations: cluster.metadata?.annotations ?? {},
      catalog: this.#o.catalog,
      present: this.#objects.owned(name).length > 0 || prev !== undefined,
    });
    const version = intent.action === 'install' ? intent.bundle.version : (prev?.version ?? addon.version);
    const write = (observed: Omit<ObservedStatus, 'name' | 'version'>): Promise<void> => this.#status.write(cluster, prev, { name, version, ...observed });
    const keptHash = prev?.manifestHash ?? '';
    const nothingApplied = { objects: { applied: 0, total: 0 }, workloads: { ready: 0, total: addon.ready.length }, manifestHash: keptHash };
    switch (intent.action) {
      case 'fail':
        return write({ phase: 'Failed', message: intent.message, ...nothingApplied });
      case 'install':
        return this.#install(cluster, intent.bundle, intent.setting, prev, write);
      case 'remove': {
        const removed = await removeAddon(this.#pruneOptions(addon), intent.setting);
        return write({ ...removed, objects: { applied: 0, total: 0 }, workloads: { ready: 0, total: 0 }, manifestHash: keptHash });
      }
      case 'nothing':
        return undefined;
    }
  }

  /** Renders and applies `bundle` (the version to install), prunes what left it, and reports. */
  async #install(
    cluster: ClusterObject,
    bundle: Addon,
    setting: AddonSetting,
    prev: AddonStatus | undefined,
    write: (observed: Omit<ObservedStatus, 'name' | 'version'>) => Promise<void>,
  ): Promise<void> {
    const readyTotal = bundle.ready.length;
    const rendered = await renderDesired(this.#o.renderer, bundle, setting.values);
    if (!rendered.ok) {
      return write({ phase: 'Failed', message: rendered.message, objects: { applied: 0, total: 0 }, workloads: { ready: 0, total: readyTotal }, manifestHash: prev?.manifestHash ?? '' });
    }
    const desired: KubeObject[] = rendered.objects;
    const total = desired.length;
    const refusal = this.#refusalStands(bundle.name, rendered.manifestHash);
    if (refusal) {
      // The same manifests against the same object: the API server would refuse again. Wait for a change.
      return write({ phase: 'Failed', message: refusal, objects: prev?.objects ?? { applied: 0, total }, workloads: prev?.workloads ?? { ready: 0, total: readyTotal }, manifestHash: prev?.manifestHash ?? '' });
    }
    const secretsReady = await this.#secrets.ensure(bundle, () => this.#o.onWrite?.('apply', 'Secret'));
    const outcome = await applyDesired({
      kubeconfig: this.#o.kubeconfig,
      logger: this.#o.logger,
      objects: this.#objects,
      addon: bundle,
      desired,
      prev,
      rateLimited: (key) => this.#rateLimited(key, bundle.name),
      onApplied: (kind) => this.#o.onWrite?.('apply', kind),
      onHealed: (message) => clusterEvent(this.#eventOptions(), cluster, { type: 'Normal', reason: 'AddonDriftHealed', message }),
    });
    if (!secretsReady) await this.#secrets.ensure(bundle, () => this.#o.onWrite?.('apply', 'Secret')); // its namespace exists now
    if (outcome.refused) this.#rememberRefusal(bundle.name, rendered.manifestHash, outcome.refused);
    else {
      this.#refused.delete(bundle.name);
      await pruneLeftovers(this.#pruneOptions(bundle), desired);
    }
    const ready = countReady(bundle.ready, (w) => this.#objects.get(w.kind, w.name, bundle.namespace));
    if (outcome.foreign.length > 0) this.#retryForeign(bundle.name);
    else this.#conflictRetries.delete(bundle.name);
    const { phase, message } = installedStatus(prev, { ...outcome, total, ready, readyTotal });
    const manifestHash = outcome.refused ? (prev?.manifestHash ?? '') : rendered.manifestHash;
    await write({ phase, message, objects: { applied: outcome.applied, total }, workloads: { ready, total: readyTotal }, manifestHash });
  }

  #liveVersion(key: string): string {
    const [kind = '', namespace = '', name = ''] = key.split('/');
    const version = this.#objects.get(kind, name, namespace || undefined)?.metadata?.resourceVersion;
    return typeof version === 'string' ? version : 'absent';
  }

  #rememberRefusal(addon: string, hash: string, refused: { key: string; message: string }): void {
    const message = installedStatus(undefined, { applied: 0, total: 0, ready: 0, readyTotal: 0, fighting: undefined, foreign: [], refused }).message;
    this.#refused.set(addon, { hash, key: refused.key, version: this.#liveVersion(refused.key), message });
    this.#o.logger.warn({ addon, object: refused.key, err: refused.message }, 'the API server refused an addon object; stopped until the manifests or that object change');
  }

  /** The message of a refusal that still stands: same manifests, refused object unchanged since. */
  #refusalStands(addon: string, hash: string): string | undefined {
    const r = this.#refused.get(addon);
    if (!r) return undefined;
    if (r.hash === hash && r.version === this.#liveVersion(r.key)) return r.message;
    this.#refused.delete(addon);
    return undefined;
  }

  /** Deleting a foreign object raises no event we watch: look again later, less and less often. */
  #retryForeign(addon: string): void {
    const n = (this.#conflictRetries.get(addon) ?? 0) + 1;
    this.#conflictRetries.set(addon, n);
    this.#later(addon, Math.min(5000 * 2 ** (n - 1), 300_000));
  }

  /** True when `key` was healed too often lately: back off instead of fighting another controller. */
  #rateLimited(key: string, addon: string): boolean {
    const retryInMs = this.#heals.retryIn(key);
    if (retryInMs === undefined) return false;
    this.#later(addon, retryInMs);
    return true;
  }

  /** Reconciles `addon` again after `ms`. */
  #later(addon: string, ms: number): void {
    const t = systemClock.setTimeout(() => { this.#timers.delete(t); this.#queue.add(addon); }, ms);
    this.#timers.add(t);
  }

  #pruneOptions(addon: Addon): Parameters<typeof removeAddon>[0] {
    return { kubeconfig: this.#o.kubeconfig, objects: this.#objects, addon, onDeleted: (kind) => this.#o.onWrite?.('delete', kind) };
  }

  #eventOptions(): Parameters<typeof clusterEvent>[0] {
    return { kubeconfig: this.#o.kubeconfig, logger: this.#o.logger, now: this.#now, ...(this.#o.onWrite ? { onWrite: this.#o.onWrite } : {}) };
  }
}
