/**
 * A list+watch cache that restarts itself. client-node's ListWatch recovers
 * from 410 Gone on its own but stops on any other error (an API server
 * restart, a dropped connection, an API not installed yet) and must be
 * restarted by its owner. That restart is written here, once, for the
 * informers and every reconciler:
 *
 * - any error (a failed list, a failed watch, a rejected start) restarts it;
 * - delays grow exponentially from `initialMs` up to `maxMs`, so an API
 *   server that is down is not hammered;
 * - a watch that ran `healthyMs` without an error starts again from
 *   `initialMs`, so one blip an hour never waits the capped delay;
 * - after `stop` nothing restarts (stopping aborts the watch, which the
 *   library reports as an error).
 */
import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { apiErrorMessage } from '../cluster/errors.js';
import { rawList } from '../cluster/raw.js';
import type { Logger } from '../observability/log.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';

export interface Backoff {
  initialMs: number;
  maxMs: number;
  /** Running this long without an error resets the delay to `initialMs`. */
  healthyMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 250, maxMs: 30_000, healthyMs: 60_000 };

type Handler = (obj: KubernetesObject) => void;

export interface WatchOptions {
  kubeconfig: KubeConfig;
  /** Collection path, e.g. `/api/v1/namespaces`. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Handlers for cache changes; `change` gets all three. */
  on?: { add?: Handler; update?: Handler; delete?: Handler; change?: Handler };
  /**
   * Replaces the default list (raw, so the typed client renames no fields):
   * to slim objects on arrival or to note the first successful list.
   */
  list?: () => Promise<KubernetesListObject<KubernetesObject>>;
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
   * Called each time the watch request is answered 200: the cache follows the
   * collection again (a restart re-watches from the last resourceVersion and
   * lists only when that is too old, so a successful list alone cannot say so).
   */
  onConnected?: () => void;
}

/** A Watch that reports each watch request the API server accepted. */
function reportingWatch(kubeconfig: KubeConfig, onConnected: () => void): Watch {
  const w = new Watch(kubeconfig);
  const inner = w.watch.bind(w);
  w.watch = async (path, query, callback, done) => {
    let failed = false;
    const controller = await inner(path, query, callback, (err: unknown) => {
      if (err) failed = true;
      done(err);
    });
    if (!failed) onConnected();
    return controller;
  };
  return w;
}

/** The cache of one watched collection. */
export interface WatchCache {
  get(name: string, namespace?: string): KubernetesObject | undefined;
  list(namespace?: string): readonly KubernetesObject[];
  /** Lists, then watches. Resolves after the first attempt, failed or not (a failure restarts later). */
  start(): Promise<void>;
  /** Final: the watch is aborted and never restarted. */
  stop(): Promise<void>;
}

/** A restarting list+watch of one collection; call `start` to begin. */
export function watch(options: WatchOptions): WatchCache {
  const { kubeconfig, path, labelSelector, fieldSelector, logger } = options;
  const clock = options.clock ?? systemClock;
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  const selectors = { ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) };
  const list = options.list ?? (() => rawList<KubernetesObject>(kubeconfig, path, selectors));
  const w = options.onConnected ? reportingWatch(kubeconfig, options.onConnected) : new Watch(kubeconfig);
  const lw = new ListWatch<KubernetesObject>(path, w, list, false, labelSelector, fieldSelector);
  const on = options.on ?? {};
  for (const verb of ['add', 'update', 'delete'] as const) {
    const handler = on[verb];
    if (handler) lw.on(verb, handler);
    if (on.change) lw.on(verb, on.change);
  }

  let stopped = false;
  let failures = 0;
  let startedAt = 0;
  let timer: TimerHandle = undefined; // unknown already admits undefined: no timer pending

  const run = async (): Promise<void> => {
    startedAt = clock.now();
    try {
      await lw.start();
    } catch (err) {
      failed(err);
    }
  };

  const failed = (err: unknown): void => {
    if (!stopped) options.onError?.(err);
    if (stopped || timer !== undefined) return; // one restart pending at a time
    if (clock.now() - startedAt >= backoff.healthyMs) failures = 0;
    const delayMs = Math.min(backoff.initialMs * 2 ** failures, backoff.maxMs);
    failures++;
    const level = options.expected?.(err) ? 'debug' : 'warn';
    logger[level]({ watch: options.name, ...selectors, err: apiErrorMessage(err), retryInMs: delayMs }, 'watch stopped; restarting');
    timer = clock.setTimeout(() => {
      timer = undefined;
      if (!stopped) void run();
    }, delayMs);
  };
  lw.on('error', failed);

  return {
    get: (name, namespace) => lw.get(name, namespace),
    list: (namespace) => lw.list(namespace),
    start: () => (stopped ? Promise.resolve() : run()),
    async stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      await lw.stop();
    },
  };
}
