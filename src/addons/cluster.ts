/**
 * The Cluster object (harbormaster.io/v1alpha1) from the addon manager's
 * side: which one is in charge, and Events about it. Its annotations say
 * what to install; its status says how that went.
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { apiErrorMessage } from '../cluster/errors.js';
import { recordEvent } from '../controller/events.js';
import type { Logger } from '../observability/log.js';
import { CLUSTER_API } from '../kube/names.js';
import type { AddonStatus } from './status.js';

export { CLUSTER_API };

export interface ClusterObject extends KubernetesObject {
  status?: { addons?: AddonStatus[]; summary?: string };
}

/** The Cluster object in charge: the oldest one (there is normally exactly one). */
export function clusterInCharge(clusters: readonly KubernetesObject[]): ClusterObject | undefined {
  return [...clusters].sort((a, b) =>
    String(a.metadata?.creationTimestamp ?? '').localeCompare(String(b.metadata?.creationTimestamp ?? '')) || String(a.metadata?.name).localeCompare(String(b.metadata?.name)),
  )[0];
}

export interface ClusterEventOptions {
  kubeconfig: KubeConfig;
  logger: Logger;
  now: () => Date;
  onWrite?: (verb: 'event', kind: string) => void;
}

/**
 * Records an Event on the (cluster-scoped) Cluster, in `default`. Best
 * effort: a lost Event must not fail the reconcile that reported it.
 */
export async function clusterEvent(
  o: ClusterEventOptions,
  cluster: ClusterObject,
  event: { type: 'Normal' | 'Warning'; reason: string; message: string },
): Promise<void> {
  try {
    await recordEvent({
      kubeconfig: o.kubeconfig,
      namespace: 'default',
      involvedObject: { apiVersion: `${CLUSTER_API.group}/${CLUSTER_API.version}`, kind: 'Cluster', name: cluster.metadata?.name ?? 'cluster', ...(cluster.metadata?.uid ? { uid: cluster.metadata.uid } : {}) },
      ...event,
      component: 'harbormaster-addon-manager',
      now: o.now,
    });
    o.onWrite?.('event', 'Event');
  } catch (err) {
    o.logger.warn({ err: apiErrorMessage(err) }, 'could not record an event on the Cluster');
  }
}
