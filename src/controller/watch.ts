/**
 * A list+watch of one collection that restarts itself, written once for the
 * informers and every reconciler:
 *
 * - it lists page by page (rawList), then watches from the list's
 *   resourceVersion with bookmarks on, so the resourceVersion it would
 *   resume from stays recent even while nothing in the collection changes;
 * - a watch the server ends normally (its timeoutSeconds ran out) is opened
 *   again at once from the last resourceVersion, without a list;
 * - 410 Gone ("too old resource version", as an HTTP status or an ERROR
 *   event) lists again; that re-list reports `delete` for every key gone
 *   from the collection, `add` for new ones and `update` for the rest whose
 *   resourceVersion changed;
 * - any other error (a failed list, a refused or dropped watch, an ERROR
 *   event) restarts it after a delay that grows exponentially from
 *   `initialMs` up to `maxMs`, so an API server that is down is not
 *   hammered; a run of `healthyMs` without an error starts the delay again
 *   from `initialMs`; a restart watches from the last resourceVersion and
 *   lists only when the server says it is too old;
 * - after `stop` nothing restarts.
 *
 * Two ways to keep the collection: `watch` keeps every object (reconcilers
 * read it back with get/list); `watchKeys` keeps only each object's key and
 * resourceVersion (the informers, whose ClusterStore holds the slim records
 * policies read), which is all a re-list needs to tell what was deleted.
 */
import { request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { apiErrorMessage } from '../cluster/errors.js';
import { ApiError, rawListPages } from '../cluster/raw.js';
import type { Logger } from '../observability/log.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';

export interface Backoff {
  initialMs: number;
  maxMs: number;
  /** Running this long without an error resets the delay to `initialMs`. */
  healthyMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 250, maxMs: 30_000, healthyMs: 60_000 };

/** The server ends each watch after a random 5–10 min (as client-go asks), so connections are renewed. */
const WATCH_TIMEOUT_S = { min: 300, max: 600 };
/** A watch silent this much longer than its timeoutSeconds is a dead connection (bookmarks come about every minute). */
const IDLE_GRACE_MS = 60_000;
/** Time to the watch's response headers. */
const CONNECT_TIMEOUT_MS = 30_000;
/** A watch the server ends sooner than this after accepting it counts as an error (backoff), not a normal end. */
const MIN_WATCH_MS = 1000;

type Handler = (obj: KubernetesObject) => void;

export interface WatchOptions {
  kubeconfig: KubeConfig;
  /** Collection path, e.g. `/api/v1/namespaces`. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Handlers for changes; `change` gets all three. A `delete` found by a
   * re-list of a `watchKeys` feed gets only `{ metadata: { name, namespace,
   * resourceVersion } }` (the object itself was never kept).
   */
  on?: { add?: Handler; update?: Handler; delete?: Handler; change?: Handler };
  /** Called after each complete list (every page applied, deletions reported). */
  onListed?: () => void;
  logger: Logger;
  /** Names the watch in log lines. */
  name: string;
  /** Errors worth only a debug line (expected ones: an optional API not installed). */
  expected?: (err: unknown) => boolean;
  backoff?: Partial<Backoff>;
  clock?: Clock;
  /** Called on every error that stops the watch (before the restart is scheduled). */
  onError?: (err: unknown) => void;
  /**
   * Called each time the watch request is answered 200: the feed follows the
   * collection again (a restart re-watches from the last resourceVersion and
   * lists only when that is too old, so a successful list alone cannot say so).
   */
  onConnected?: () => void;
}

/** A restarting list+watch that keeps only keys and resourceVersions. */
export interface WatchFeed {
  /** Lists, then watches. Resolves once the first watch is accepted, or the first attempt failed (a failure restarts later). */
  start(): Promise<void>;
  /** Final: the watch is aborted and never restarted. */
  stop(): Promise<void>;
  /** Objects in the collection as last seen. */
  readonly size: number;
  /** The resourceVersion a restart would watch from ('' before the first list, and after 410 Gone). */
  readonly resourceVersion: string;
}

/** The cache of one watched collection, objects kept. */
export interface WatchCache extends WatchFeed {
  get(name: string, namespace?: string): KubernetesObject | undefined;
  list(namespace?: string): readonly KubernetesObject[];
}

/** How one mode keeps the collection: an entry per key, and whether it changed. */
interface Keeper<V> {
  key(namespace: string | undefined, name: string): string;
  value(obj: KubernetesObject): V;
  version(v: V): string | undefined;
  /** The object a `delete` handler gets for an entry a re-list no longer has. */
  gone(key: string, v: V): KubernetesObject;
}

const keyOf = (namespace: string | undefined, name: string): string => (namespace ? `${namespace}/${name}` : name);

/** A resourceVersion that is a plain decimal integer (etcd's) is kept as a number: no string per object. */
const CANONICAL_INTEGER = /^[1-9][0-9]{0,14}$/;

/**
 * Keys and resourceVersions only. A key is `namespace/name` built on one
 * shared `namespace/` prefix per namespace (flat, so it does not hold a
 * concatenation of its parts) and the object's own name string, which the
 * ClusterStore's record holds too: measured at 100,000 objects in 5,000
 * namespaces, 41 bytes an entry against 93 for a template-literal key and
 * a string resourceVersion.
 */
function keysKeeper(entries: Entries<string | number>): Keeper<string | number> {
  let prefixes = new Map<string, string>();
  return {
    key(namespace, name) {
      if (!namespace) return name;
      let prefix = prefixes.get(namespace);
      if (prefix === undefined) {
        // Namespaces that came and went would leave their prefixes here: bounded by the live entries.
        if (prefixes.size > entries.size) prefixes = new Map();
        // A concatenation is a cons string pointing at its halves; a parsed string is flat.
        prefix = JSON.parse(JSON.stringify(`${namespace}/`)) as string;
        prefixes.set(namespace, prefix);
      }
      return prefix + name;
    },
    value(o) {
      const rv = o.metadata?.resourceVersion ?? '';
      return CANONICAL_INTEGER.test(rv) ? Number(rv) : rv;
    },
    version: (rv) => (rv === '' ? undefined : String(rv)),
    gone(key, rv) {
      const slash = key.indexOf('/');
      const metadata = slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
      return { metadata: { ...metadata, resourceVersion: String(rv) } };
    },
  };
}

const objectsKeeper: Keeper<KubernetesObject> = {
  key: keyOf,
  value: (o) => o,
  version: (o) => o.metadata?.resourceVersion,
  gone: (_key, o) => o,
};

/** 410 Gone: the resourceVersion is older than what the server still has. */
function isGone(e: { code?: unknown; reason?: unknown; message?: unknown }): boolean {
  return e.code === 410 || e.reason === 'Expired' || e.reason === 'Gone' || (typeof e.message === 'string' && /too old resource version/i.test(e.message));
}

/** A Status from the server, as an error. */
function statusError(body: unknown, fallbackCode: number): ApiError {
  const s = (body ?? {}) as { code?: unknown; message?: unknown; reason?: unknown };
  const code = typeof s.code === 'number' ? s.code : fallbackCode;
  const err = new ApiError(code, typeof s.message === 'string' ? s.message : `HTTP ${code}`);
  if (isGone(s)) Object.assign(err, { gone: true });
  return err;
}

const gone = (err: unknown): boolean => err instanceof ApiError && ((err as { gone?: boolean }).gone === true || err.code === 410);

/** What `run` needs of where a mode keeps its entries (a Map has it all). */
interface Entries<V> extends Iterable<[string, V]> {
  get(k: string): V | undefined;
  set(k: string, v: V): unknown;
  delete(k: string): boolean;
  readonly size: number;
}

/**
 * The objects of a `watch`, by namespace then name: reconcilers ask for one
 * namespace's objects, and a scan of one flat map per call cost 213 ms for
 * one pass over 5,000 namespaces (measured, 5,000 objects) against 7 ms
 * here, for 0.7 MiB more.
 */
class ByNamespace<V> implements Entries<V> {
  readonly #byNs = new Map<string, Map<string, V>>();
  #size = 0;
  static #split(k: string): [string, string] {
    const slash = k.indexOf('/');
    return slash < 0 ? ['', k] : [k.slice(0, slash), k.slice(slash + 1)];
  }
  get size(): number {
    return this.#size;
  }
  get(k: string): V | undefined {
    const [ns, name] = ByNamespace.#split(k);
    return this.#byNs.get(ns)?.get(name);
  }
  set(k: string, v: V): void {
    const [ns, name] = ByNamespace.#split(k);
    let m = this.#byNs.get(ns);
    if (!m) this.#byNs.set(ns, (m = new Map<string, V>()));
    if (!m.has(name)) this.#size++;
    m.set(name, v);
  }
  delete(k: string): boolean {
    const [ns, name] = ByNamespace.#split(k);
    const m = this.#byNs.get(ns);
    if (!m?.delete(name)) return false;
    this.#size--;
    if (m.size === 0) this.#byNs.delete(ns);
    return true;
  }
  *[Symbol.iterator](): Iterator<[string, V]> {
    for (const [ns, m] of this.#byNs) for (const [name, v] of m) yield [keyOf(ns, name), v];
  }
  list(namespace?: string): V[] {
    if (namespace) return [...(this.#byNs.get(namespace)?.values() ?? [])];
    const out: V[] = [];
    for (const m of this.#byNs.values()) for (const v of m.values()) out.push(v);
    return out;
  }
}

/** A restarting list+watch of one collection that keeps the objects; call `start` to begin. */
export function watch(options: WatchOptions): WatchCache {
  const objects = new ByNamespace<KubernetesObject>();
  const feed = run(options, objects, objectsKeeper);
  return Object.assign(feed, {
    get: (name: string, namespace?: string) => objects.get(keyOf(namespace, name)),
    list: (namespace?: string): readonly KubernetesObject[] => objects.list(namespace),
  });
}

/** A restarting list+watch of one collection that keeps only keys and resourceVersions; call `start` to begin. */
export function watchKeys(options: WatchOptions): WatchFeed {
  const entries = new Map<string, string | number>();
  return run(options, entries, keysKeeper(entries));
}

function run<V>(options: WatchOptions, entries: Entries<V>, keeper: Keeper<V>): WatchFeed {
  const { kubeconfig, path, labelSelector, fieldSelector, logger } = options;
  const clock = options.clock ?? systemClock;
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  const selectors = { ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) };
  const on = options.on ?? {};
  const handlers = {
    add: [on.add, on.change].filter((h): h is Handler => h !== undefined),
    update: [on.update, on.change].filter((h): h is Handler => h !== undefined),
    delete: [on.delete, on.change].filter((h): h is Handler => h !== undefined),
  };

  let resourceVersion = '';
  let stopped = false;
  let failures = 0;
  let startedAt = 0;
  let timer: TimerHandle = undefined; // unknown already admits undefined: no timer pending
  let abort: (() => void) | undefined;
  /** 410s since the last accepted watch: a second one in a row is an error, not a reason to list at once again. */
  let goneInARow = 0;

  const key = (o: KubernetesObject): string | undefined => {
    const name = o.metadata?.name;
    return typeof name === 'string' ? keeper.key(o.metadata?.namespace, name) : undefined;
  };

  const emit = (verb: keyof typeof handlers, obj: KubernetesObject): void => {
    for (const h of handlers[verb]) {
      try {
        h(obj);
      } catch (err) {
        logger.error({ watch: options.name, err: apiErrorMessage(err), verb }, 'watch handler failed');
      }
    }
  };

  const apply = (type: string, obj: KubernetesObject, k: string): void => {
    if (type === 'DELETED') {
      if (entries.delete(k)) emit('delete', obj);
      return;
    }
    const prev = entries.get(k);
    const prevVersion = prev === undefined ? undefined : keeper.version(prev);
    if (prevVersion !== undefined && prevVersion === obj.metadata?.resourceVersion) return;
    entries.set(k, keeper.value(obj));
    emit(prev === undefined ? 'add' : 'update', obj);
  };

  /**
   * Lists page by page, each page applied as it arrives (a page is all that
   * is held of the list); then every key the list did not hold is deleted.
   */
  const relist = async (): Promise<void> => {
    const present = new Set<string>();
    const rv = await rawListPages<KubernetesObject>(kubeconfig, path, selectors, (items) => {
      if (stopped) return;
      for (const o of items) {
        const k = key(o);
        if (k === undefined) continue;
        present.add(k);
        apply('ADDED', o, k);
      }
    });
    if (stopped) return;
    for (const [k, v] of entries) {
      if (present.has(k)) continue;
      entries.delete(k);
      emit('delete', keeper.gone(k, v));
    }
    resourceVersion = rv ?? '';
    options.onListed?.();
  };

  /** One list if needed, then one watch request; resolves once it is accepted (its stream is read in the background) or failed. */
  const connect = async (): Promise<void> => {
    if (stopped) return;
    startedAt = clock.now();
    try {
      if (!resourceVersion) await relist();
      if (stopped) return;
      await openWatch();
      goneInARow = 0;
      options.onConnected?.();
    } catch (err) {
      if (gone(err) && goneInARow++ === 0) {
        resourceVersion = '';
        return connect();
      }
      failed(err);
    }
  };

  const failed = (err: unknown): void => {
    abort?.();
    abort = undefined;
    if (!stopped) options.onError?.(err);
    if (stopped || timer !== undefined) return; // one restart pending at a time
    if (clock.now() - startedAt >= backoff.healthyMs) failures = 0;
    const delayMs = Math.min(backoff.initialMs * 2 ** failures, backoff.maxMs);
    failures++;
    const level = options.expected?.(err) ? 'debug' : 'warn';
    logger[level]({ watch: options.name, ...selectors, err: apiErrorMessage(err), retryInMs: delayMs }, 'watch stopped; restarting');
    timer = clock.setTimeout(() => {
      timer = undefined;
      void connect();
    }, delayMs);
  };

  /** The stream of one accepted watch ended: normally, on 410, or on an error. */
  const ended = (err: unknown, acceptedAt: number): void => {
    abort = undefined;
    if (stopped) return;
    if (err === undefined && clock.now() - acceptedAt < MIN_WATCH_MS) err = new Error('watch closed by the server at once');
    if (err !== undefined && !gone(err)) return failed(err);
    if (err !== undefined) resourceVersion = '';
    void connect();
  };

  const openWatch = async (): Promise<void> => {
    const cluster = kubeconfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const url = new URL(path, cluster.server);
    const timeoutSeconds = WATCH_TIMEOUT_S.min + Math.floor(Math.random() * (WATCH_TIMEOUT_S.max - WATCH_TIMEOUT_S.min));
    const query: Record<string, string> = { watch: 'true', allowWatchBookmarks: 'true', resourceVersion, timeoutSeconds: String(timeoutSeconds), ...selectors };
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const opts: RequestOptions = { method: 'GET', headers: { accept: 'application/json' }, timeout: CONNECT_TIMEOUT_MS };
    await kubeconfig.applyToHTTPSOptions(opts);
    if (stopped) return;
    return new Promise<void>((resolve, reject) => {
      let settled = false; // the promise: accepted, or failed before that
      let over = false; // the stream: ended once
      const req = request(url, opts, (res) => {
        if (res.statusCode !== 200) return refused(res);
        settled = true;
        const acceptedAt = clock.now();
        const finish = (err?: unknown): void => {
          if (over) return;
          over = true;
          req.destroy();
          ended(err, acceptedAt);
        };
        req.setTimeout(timeoutSeconds * 1000 + IDLE_GRACE_MS);
        res.setEncoding('utf8');
        let partial = '';
        res.on('data', (chunk: string) => {
          if (over) return;
          partial += chunk;
          let nl: number;
          while (!over && (nl = partial.indexOf('\n')) >= 0) {
            const line = partial.slice(0, nl);
            partial = partial.slice(nl + 1);
            if (line.trim()) event(line, finish);
          }
        });
        res.on('end', () => finish());
        res.on('error', finish);
        res.on('close', () => finish(new Error('watch connection closed')));
        resolve();
      });
      const refused = (res: IncomingMessage): void => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            /* not a Status */
          }
          settled = true;
          reject(statusError(body, res.statusCode ?? 0));
        });
        res.on('error', (err) => ((settled = true), reject(err)));
      };
      req.on('timeout', () => req.destroy(new Error('watch timed out')));
      req.on('error', (err) => {
        if (!settled) {
          settled = true;
          reject(err);
        } else if (!over) {
          over = true;
          ended(err, 0);
        }
      });
      abort = () => {
        over = true;
        settled = true;
        req.destroy();
        resolve();
      };
      req.end();
    });
  };

  /** One line of the stream: an event applied, a bookmark noted, or an ERROR that ends the stream. */
  const event = (line: string, finish: (err?: unknown) => void): void => {
    let e: { type?: unknown; object?: KubernetesObject };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      return finish(new Error('watch stream: a line that is not JSON'));
    }
    const obj = e.object;
    if (e.type === 'ERROR') return finish(statusError(obj, 500));
    if (!obj || typeof obj !== 'object') return;
    if (e.type === 'ADDED' || e.type === 'MODIFIED' || e.type === 'DELETED') {
      const k = key(obj);
      if (k !== undefined) apply(e.type, obj, k);
    } else if (e.type !== 'BOOKMARK') return;
    const rv = obj.metadata?.resourceVersion;
    if (typeof rv === 'string' && rv) resourceVersion = rv;
  };

  return {
    start: () => (stopped ? Promise.resolve() : connect()),
    stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      abort?.();
      abort = undefined;
      return Promise.resolve();
    },
    get size() {
      return entries.size;
    },
    get resourceVersion() {
      return resourceVersion;
    },
  };
}
