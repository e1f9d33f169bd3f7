/**
 * Reports host+path conflicts that got past admission (two creates racing
 * through two webhook replicas). Runs on the leader: when the Ingress cache
 * changes it recomputes conflicts and records one Warning Event on each newly
 * conflicting Ingress, naming the owner. A conflict already reported is not
 * reported again, so at rest it writes nothing.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { recordEvent } from '../controller/events.js';
import type { ClusterStore } from '../cluster/store.js';
import type { Logger } from '../observability/log.js';
import { findHostConflicts, type HostConflict } from '../policies/ingress/conflicts.js';

export interface IngressConflictReporterOptions {
  kubeconfig: KubeConfig;
  store: ClusterStore;
  logger: Logger;
  /** The policy's default ingress class: Ingresses naming none hold its catch-all. */
  defaultClass?: () => string | undefined;
  onConflicts?: (count: number) => void;
  onWrite?: () => void;
  debounceMs?: number;
}

export class IngressConflictReporter {
  readonly #o: IngressConflictReporterOptions;
  readonly #reported = new Set<string>();
  #unsubscribe: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();

  constructor(options: IngressConflictReporterOptions) {
    this.#o = options;
  }

  start(): void {
    this.#unsubscribe = this.#o.store.subscribe((kind) => {
      if (kind === 'Ingress') this.#schedule();
    });
    this.#schedule();
  }

  stop(): void {
    this.#unsubscribe?.();
    if (this.#timer) clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#running
        .then(async () => {
          await this.check();
        })
        .catch((err: unknown) => this.#o.logger.warn({ err: (err as Error).message }, 'ingress conflict check failed'));
    }, this.#o.debounceMs ?? 200);
    this.#timer.unref();
  }

  async check(): Promise<HostConflict[]> {
    const conflicts = findHostConflicts(this.#o.store.ownership, this.#o.defaultClass?.());
    this.#o.onConflicts?.(conflicts.length);
    const current = new Set<string>();
    for (const c of conflicts) {
      const key = `${c.ingress.namespace}/${c.ingress.name}|${c.message}`;
      current.add(key);
      if (this.#reported.has(key)) continue;
      this.#reported.add(key);
      this.#o.logger.warn({ ingress: `${c.ingress.namespace}/${c.ingress.name}`, owner: `${c.owner.namespace}/${c.owner.name}` }, 'ingress host conflict');
      await this.#event(c);
    }
    for (const k of this.#reported) if (!current.has(k)) this.#reported.delete(k);
    return conflicts;
  }

  async #event(c: HostConflict): Promise<void> {
    await recordEvent({
      kubeconfig: this.#o.kubeconfig,
      namespace: c.ingress.namespace,
      involvedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: c.ingress.namespace, name: c.ingress.name },
      type: 'Warning',
      reason: 'HostConflict',
      message: `[${c.rule}] ${c.message}; this Ingress got past admission in a race and should be removed or changed`,
      component: 'harbormaster',
    });
    this.#o.onWrite?.();
  }
}
