/**
 * The controller's pure half: the loader Job a PVC should have, the
 * DataLoaded condition a Job's status means, and whether a waiting Pod may
 * go. No I/O.
 */
import { createHash } from 'node:crypto';
import { arr, rec, recOrEmpty, str, strMap } from '../kube/narrow.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../kube/names.js';
import type { KubeObject } from '../kube/types.js';
import { loaderPodTemplate } from '../policies/data-loading/loader-pod.js';
import {
  ANNOTATION_PREFIX,
  CREDENTIALS_ANNOTATION,
  DATA_LOADED_CONDITION,
  ENDPOINT_ANNOTATION,
  LOADER_LABEL,
  LOADING_GATE,
  SOURCE_ANNOTATION,
} from '../policies/data-loading/names.js';

export interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: 'Loading' | 'Loaded' | 'Failed';
  message: string;
}

/** The PVC's data.harbormaster.io/ annotations. */
export function dataAnnotations(pvc: KubeObject): Record<string, string> {
  return Object.fromEntries(Object.entries(strMap(pvc.metadata?.annotations)).filter(([k]) => k.startsWith(ANNOTATION_PREFIX)));
}

/** One Job per (PVC, source, endpoint, credentials): a changed source is a new name, so a new load. */
export function loaderJobName(pvc: KubeObject): string {
  const a = dataAnnotations(pvc);
  const hash = createHash('sha256')
    .update(JSON.stringify([str(pvc.metadata?.uid) ?? '', a[SOURCE_ANNOTATION] ?? '', a[ENDPOINT_ANNOTATION] ?? '', a[CREDENTIALS_ANNOTATION] ?? '']))
    .digest('hex')
    .slice(0, 10);
  const base = (pvc.metadata?.name ?? '')
    .slice(0, 40)
    .replace(/[.-]+$/, '')
    .replace(/\./g, '-');
  return `hm-load-${base}-${hash}`;
}

export interface JobInput {
  pvc: KubeObject;
  image: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

export function desiredJob({ pvc, image, resources }: JobInput): KubeObject {
  const name = pvc.metadata?.name ?? '';
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: loaderJobName(pvc),
      namespace: pvc.metadata?.namespace ?? '',
      labels: { [LOADER_LABEL]: name, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
      // Deleting the PVC deletes the Job (and its Pods) through the garbage collector.
      ownerReferences: [{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', name, uid: str(pvc.metadata?.uid) ?? '', controller: true }],
    },
    spec: {
      backoffLimit: 3,
      template: loaderPodTemplate({ pvc: name, annotations: dataAnnotations(pvc), image, ...(resources ? { resources } : {}) }),
    },
  };
}

function jobCondition(job: KubeObject, type: string): { message?: string; reason?: string } | undefined {
  const c = arr(recOrEmpty(job.status).conditions).find((x) => recOrEmpty(x).type === type && recOrEmpty(x).status === 'True');
  if (!c) return undefined;
  const message = str(recOrEmpty(c).message);
  const reason = str(recOrEmpty(c).reason);
  return { ...(message ? { message } : {}), ...(reason ? { reason } : {}) };
}

/** What the Job's status means for the PVC; `podMessage` is the failed loader's last words (its termination message). */
export function conditionFor(job: KubeObject | undefined, source: string, podMessage?: string): Condition {
  const base = { type: DATA_LOADED_CONDITION };
  const name = job?.metadata?.name ?? '';
  if (job && jobCondition(job, 'Complete')) return { ...base, status: 'True', reason: 'Loaded', message: `${source} loaded by Job ${name}` };
  const failed = job ? jobCondition(job, 'Failed') : undefined;
  if (failed) {
    const why = [failed.reason, failed.message].filter(Boolean).join(': ');
    const last = podMessage ? `; the loader said: ${podMessage.trim().slice(-600)}` : '';
    return { ...base, status: 'False', reason: 'Failed', message: `Job ${name} failed (${why || 'no reason given'})${last}` };
  }
  return { ...base, status: 'False', reason: 'Loading', message: `Job ${name} is loading ${source}` };
}

/** The PVC's current DataLoaded condition, if any. */
export function currentCondition(pvc: KubeObject): Partial<Condition> | undefined {
  const c = arr(recOrEmpty(pvc.status).conditions).find((x) => recOrEmpty(x).type === DATA_LOADED_CONDITION);
  return c ? rec(c) : undefined;
}

export function sameCondition(a: Partial<Condition> | undefined, b: Condition): boolean {
  return a?.status === b.status && a.reason === b.reason && a.message === b.message;
}

/** Claim names of a Pod's PVC volumes. */
export function podClaims(pod: KubeObject): string[] {
  return arr(recOrEmpty(pod.spec).volumes).flatMap((v) => {
    const c = str(rec(recOrEmpty(v).persistentVolumeClaim)?.claimName);
    return c ? [c] : [];
  });
}

/** Index of our gate in spec.schedulingGates, or -1. */
export function gateIndex(pod: KubeObject): number {
  return arr(recOrEmpty(pod.spec).schedulingGates).findIndex((g) => recOrEmpty(g).name === LOADING_GATE);
}

/**
 * Whether an existing Job is the one we would create: a tenant may create a Job of the same name
 * and labels (owned by its own PVC) before we do; one that runs anything else is not trusted to
 * say the data is loaded, and is replaced.
 */
export function isOurJob(job: KubeObject, desired: KubeObject): boolean {
  const pick = (j: KubeObject): unknown => {
    const spec = recOrEmpty(recOrEmpty(recOrEmpty(j.spec).template).spec);
    const containers = arr(spec.containers).map((c) => {
      const r = recOrEmpty(c);
      return [r.name, r.image, r.command, r.args, r.env ?? [], r.envFrom ?? [], r.lifecycle ?? null];
    });
    const init = arr(spec.initContainers).length;
    const volumes = arr(spec.volumes).map((v) => {
      const r = recOrEmpty(v);
      return [r.name, rec(r.persistentVolumeClaim)?.claimName ?? null, rec(r.secret)?.secretName ?? null];
    });
    return [containers, init, volumes];
  };
  return JSON.stringify(pick(job)) === JSON.stringify(pick(desired));
}
