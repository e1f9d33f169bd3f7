/**
 * Pipeline step 6, status: one entry per addon on the Cluster's status,
 * patched only when it changed, with an Event on every phase change. Keeps
 * the entries as last written, so consecutive reconciles of different addons
 * build on each other before the watch has caught up (one writer at a time:
 * the manager's queue runs with concurrency 1).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { rawRequest } from '../cluster/raw.js';
import type { Logger } from '../observability/log.js';
import { CLUSTER_API, clusterEvent, type ClusterObject } from './cluster.js';
import { nextStatus, sameStatus, summary, type AddonStatus } from './status.js';

export type ObservedStatus = Omit<AddonStatus, 'lastTransitionTime' | 'revision'>;

export interface StatusWriterOptions {
  kubeconfig: KubeConfig;
  logger: Logger;
  now: () => Date;
  onWrite?: (verb: 'status' | 'event', kind: string) => void;
}

export class StatusWriter {
  readonly #o: StatusWriterOptions;
  /** Status entries as last written, so a write happens only on change. */
  #written: AddonStatus[] | undefined;

  constructor(options: StatusWriterOptions) {
    this.#o = options;
  }

  /** The addon's entry as we last wrote it (or as found on the Cluster). */
  previous(cluster: ClusterObject, name: string): AddonStatus | undefined {
    return (this.#written ?? cluster.status?.addons ?? []).find((s) => s.name === name);
  }

  async write(cluster: ClusterObject, prev: AddonStatus | undefined, observed: ObservedStatus): Promise<void> {
    const next = nextStatus(prev, observed, this.#o.now());
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
      await clusterEvent(this.#o, cluster, { type: warning ? 'Warning' : 'Normal', reason: `Addon${next.phase}`, message: `${next.name}: ${next.message}` });
    }
  }
}
