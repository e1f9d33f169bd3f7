/**
 * Feeds the ClusterStore from the API server with list+watch informers. Each
 * object is slimmed on arrival and the full object dropped: the store's slim
 * record is the only copy (so no Secret data stays in memory), and the feed
 * itself keeps only keys and resourceVersions (`watchKeys`), enough to tell
 * what a re-list no longer holds. Each feed restarts itself with backoff
 * when it stops on an error.
 *
 * `ready` (what /readyz reports) is false until every feed has listed once,
 * and again while a feed has been disconnected (its watch stopped and has
 * not been accepted again, nor a list succeeded, since) for longer than
 * `staleAfterMs`: answers from a cache that no longer follows the cluster
 * could admit what the policies would refuse. The reconnect makes it true.
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { watchKeys, type WatchFeed } from '../controller/watch.js';
import { ApiError } from './raw.js';
import { CLUSTER_API, TLS_SECRET_TYPE } from '../kube/names.js';
import type { KubeObject } from '../kube/types.js';
import type { Logger } from '../observability/log.js';
import type { ClusterStore, TrackedKind } from './store.js';

interface Feed {
  kind: TrackedKind;
  apiVersion: string;
  path: string;
  fieldSelector?: string;
  /** Its API may not be installed (the Cluster CRD): a 404 counts as synced and empty. */
  optional?: boolean;
}

/** Secret types the policies look up; data of every other type is never listed. */
export const WATCHED_SECRET_TYPES = ['gcp-credential', 'aws-credential', TLS_SECRET_TYPE];

export const FEEDS: readonly Feed[] = [
  { kind: 'Namespace', apiVersion: 'v1', path: '/api/v1/namespaces' },
  { kind: 'ServiceAccount', apiVersion: 'v1', path: '/api/v1/serviceaccounts' },
  ...WATCHED_SECRET_TYPES.map((t) => ({ kind: 'Secret' as const, apiVersion: 'v1', path: '/api/v1/secrets', fieldSelector: `type=${t}` })),
  { kind: 'Service', apiVersion: 'v1', path: '/api/v1/services' },
  { kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', path: '/apis/networking.k8s.io/v1/ingresses' },
  { kind: 'IngressClass', apiVersion: 'networking.k8s.io/v1', path: '/apis/networking.k8s.io/v1/ingressclasses' },
  // data-loading: slimmed to the data.harbormaster.io/ annotations and the DataLoaded condition.
  { kind: 'PersistentVolumeClaim', apiVersion: 'v1', path: '/api/v1/persistentvolumeclaims' },
  { kind: CLUSTER_API.kind, apiVersion: CLUSTER_API.apiVersion, path: CLUSTER_API.path, optional: true },
];

/** Default of InformerSetOptions.staleAfterMs. */
export const STALE_AFTER_MS = 5000;

/** Retry delays of a disconnected feed: short, so a cache is back within ~2 s of the API server. */
const FEED_BACKOFF = { initialMs: 250, maxMs: 2000 };

export interface InformerSetOptions {
  kubeconfig: KubeConfig;
  store: ClusterStore;
  logger: Logger;
  feeds?: readonly Feed[];
  /** A feed disconnected longer than this makes `ready` false (default STALE_AFTER_MS). */
  staleAfterMs?: number;
  now?: () => number;
}

export class InformerSet {
  readonly #options: InformerSetOptions;
  readonly #informers: WatchFeed[] = [];
  readonly #synced = new Set<number>();
  /** Feed index → when it lost its watch (cleared by the next successful list). */
  readonly #downSince = new Map<number, number>();
  readonly #now: () => number;
  constructor(options: InformerSetOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Every feed has listed once (an optional feed whose API is not installed counts as listed). */
  get synced(): boolean {
    return (this.#options.feeds ?? FEEDS).every((_f, i) => this.#synced.has(i));
  }

  /** Synced, and no feed disconnected for longer than `staleAfterMs`. */
  get ready(): boolean {
    if (!this.synced) return false;
    const limit = this.#now() - (this.#options.staleAfterMs ?? STALE_AFTER_MS);
    for (const since of this.#downSince.values()) if (since < limit) return false;
    return true;
  }

  /** Starts every informer. Resolves at once; `waitForSync` tells when all have listed. */
  start(): void {
    (this.#options.feeds ?? FEEDS).forEach((feed, i) => this.#startOne(feed, i));
  }

  /** Resolves when every informer has listed once (or rejects after `timeoutMs`). */
  async waitForSync(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.synced) {
      if (Date.now() > deadline) throw new Error('informers did not sync in time');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  #startOne(feed: Feed, index: number): void {
    const { kubeconfig, store, logger } = this.#options;
    const notInstalled = (err: unknown): boolean => feed.optional === true && err instanceof ApiError && err.code === 404;
    const listed = (): void => {
      this.#synced.add(index);
      this.#downSince.delete(index);
    };
    const upsert = (o: KubernetesObject): void => store.upsert(feed.kind, o as KubeObject); // the store copies what policies read
    const informer = watchKeys({
      kubeconfig,
      path: feed.path,
      ...(feed.fieldSelector ? { fieldSelector: feed.fieldSelector } : {}),
      on: { add: upsert, update: upsert, delete: (o) => store.remove(feed.kind, o as KubeObject) },
      logger,
      name: feed.kind,
      // An optional API that is not installed is expected, not worth a warning every 30 s.
      expected: notInstalled,
      ...(feed.optional ? {} : { backoff: FEED_BACKOFF }),
      onListed: listed,
      onError: (err) => {
        // An optional API that is not installed (404) holds nothing to wait for; keep retrying in the background.
        if (notInstalled(err)) listed();
        else if (!this.#downSince.has(index)) this.#downSince.set(index, this.#now());
      },
      onConnected: () => this.#downSince.delete(index),
    });
    this.#informers.push(informer);
    void informer.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.#informers.map((i) => i.stop()));
  }
}
