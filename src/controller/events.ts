/**
 * Kubernetes Events (core/v1) as our controllers record them: one new Event
 * per call, no aggregation (each call site already reports a change once).
 * Written once so every Event carries the same source and a message within
 * the API's limit.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { rawRequest } from '../cluster/raw.js';

/** The API server rejects longer Event messages. */
const MAX_MESSAGE = 1024;

export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

export interface EventOptions {
  kubeconfig: KubeConfig;
  /** Where the Event lives: the object's namespace, or `default` for a cluster-scoped one. */
  namespace: string;
  involvedObject: InvolvedObject;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** `source.component` shown by `kubectl describe`. */
  component: string;
  now?: () => Date;
}

/** Creates one Event; rejects on API errors (the caller decides whether that matters). */
export async function recordEvent(options: EventOptions): Promise<void> {
  const { involvedObject } = options;
  const now = (options.now ?? (() => new Date()))().toISOString();
  await rawRequest(options.kubeconfig, {
    method: 'POST',
    path: `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/events`,
    body: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${involvedObject.name}.` },
      involvedObject,
      type: options.type,
      reason: options.reason,
      message: options.message.slice(0, MAX_MESSAGE),
      source: { component: options.component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    },
  });
}
