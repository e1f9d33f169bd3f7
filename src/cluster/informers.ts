/**
 * Feeds the ClusterStore from the API server with list+watch informers. Each
 * object is slimmed on arrival; Secret data is scrubbed from the informer's
 * own cache too, so no secret material stays in memory. An informer that
 * stops on an error is restarted with backoff (client-node informers only
 * recover from 410 Gone by themselves).
 */
import { KubeConfig, ListWatch, Watch, type KubernetesObject } from '@kubernetes/client-node';
import { ApiError, rawList } from './raw.js';
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
  { kind: CLUSTER_API.kind, apiVersion: CLUSTER_API.apiVersion, path: CLUSTER_API.path, optional: true },
];

function scrub(obj: KubernetesObject): KubernetesObject {
  const o = obj as KubernetesObject & { data?: unknown; stringData?: unknown };
  delete o.data;
  delete o.stringData;
  if (o.metadata?.managedFields) delete o.metadata.managedFields;
  return o;
}

export interface InformerSetOptions {
  kubeconfig: KubeConfig;
  store: ClusterStore;
  logger: Logger;
  feeds?: readonly Feed[];
}

export class InformerSet {
  readonly #options: InformerSetOptions;
  readonly #informers: ListWatch<KubernetesObject>[] = [];
  readonly #synced = new Set<number>();
  #stopped = false;

  constructor(options: InformerSetOptions) {
    this.#options = options;
  }

  /** True once every informer has completed its first list. */
  /** Every feed has listed once (an optional feed whose API is not installed counts as listed). */
  get synced(): boolean {
    return (this.#options.feeds ?? FEEDS).every((_f, i) => this.#synced.has(i));
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
    const list = async () => {
      try {
        const res = await rawList<KubernetesObject>(kubeconfig, feed.path, feed.fieldSelector ? { fieldSelector: feed.fieldSelector } : {});
        res.items = res.items.map(scrub);
        this.#synced.add(index);
        return res;
      } catch (err) {
        // An optional API that is not installed (404) holds nothing to wait for; keep retrying in the background.
        if (feed.optional && err instanceof ApiError && err.code === 404) this.#synced.add(index);
        throw err;
      }
    };
    const informer = new ListWatch<KubernetesObject>(feed.path, new Watch(kubeconfig), list, false, undefined, feed.fieldSelector);
    const upsert = (o: KubernetesObject): void => store.upsert(feed.kind, scrub(o) as KubeObject);
    informer.on('add', upsert);
    informer.on('update', upsert);
    informer.on('delete', (o) => store.remove(feed.kind, o as KubeObject));
    let backoffMs = 250;
    const restart = (): void => {
      if (this.#stopped) return;
      setTimeout(() => {
        if (!this.#stopped) informer.start().catch(restart);
      }, backoffMs).unref();
      backoffMs = Math.min(backoffMs * 2, 30_000);
    };
    // Fires when a list or watch fails; the informer has stopped and is ours to restart.
    informer.on('error', (err) => {
      if (this.#stopped) return;
      const notInstalled = feed.optional && err instanceof ApiError && err.code === 404;
      // An optional API that is not installed is expected, not worth a warning every 30 s.
      logger[notInstalled ? 'debug' : 'warn']({ feed: feed.path, fieldSelector: feed.fieldSelector, err: (err as Error)?.message }, 'informer stopped; restarting');
      restart();
    });
    // A watch that ends normally re-lists by itself; a successful connect resets the backoff.
    informer.on('connect', () => { backoffMs = 250; });
    this.#informers.push(informer);
    informer.start().catch(restart);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#informers.map((i) => i.stop()));
  }
}
