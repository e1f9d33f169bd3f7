/**
 * The data-loading controller (leader only). For every PVC annotated with
 * data.harbormaster.io/source it keeps one loader Job (owned by the PVC, so
 * deleting the PVC deletes it), a changed source replacing the Job, and the
 * PVC's DataLoaded condition (status subresource) at False/Loading,
 * True/Loaded or False/Failed with the loader's message. When a PVC is
 * loaded it lifts the scheduling gate from the Pods that wait for it (and
 * for no other PVC still loading). Watches: PVCs, Jobs labelled
 * data.harbormaster.io/loader, Pods labelled data.harbormaster.io/waiting;
 * writes only on a difference.
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { apiErrorMessage } from '../cluster/errors.js';
import { ApiError, objectPath, rawRequest } from '../cluster/raw.js';
import type { ClusterView } from '../policy/view.js';
import type { PolicyConfig } from '../config/types.js';
import { WorkQueue } from '../controller/queue.js';
import { watch, type WatchCache } from '../controller/watch.js';
import { strMap } from '../kube/narrow.js';
import type { KubeObject } from '../kube/types.js';
import type { Logger } from '../observability/log.js';
import { LOADER_LABEL, SOURCE_ANNOTATION, WAITING_LABEL } from '../policies/data-loading/names.js';
import { dataLoadingSettings } from '../policies/data-loading/settings.js';
import { resolveProfile } from '../policies/resource-defaults/profile.js';
import {
  conditionFor,
  currentCondition,
  dataAnnotations,
  desiredJob,
  gateIndex,
  isOurJob,
  loaderJobName,
  podClaims,
  sameCondition,
  type Condition,
} from './desired.js';

export interface DataLoadingControllerOptions {
  kubeconfig: KubeConfig;
  config: () => PolicyConfig;
  /** Namespaces (for their profile) from the informer cache. */
  view: ClusterView;
  logger: Logger;
  onWrite?: (verb: string, kind: string) => void;
  /** Every PVC is looked at again this often (a Pod gated while its PVC turned loaded is released then). */
  resyncMs?: number;
}

const key = (o: KubernetesObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export class DataLoadingController {
  readonly #o: DataLoadingControllerOptions;
  readonly #pvcs: WatchCache;
  readonly #jobs: WatchCache;
  readonly #pods: WatchCache;
  readonly #queue: WorkQueue;
  #resync: NodeJS.Timeout | undefined;

  constructor(options: DataLoadingControllerOptions) {
    this.#o = options;
    const { kubeconfig, logger } = options;
    this.#queue = new WorkQueue({
      process: (k) => this.reconcile(k),
      onError: (k, err) => logger.warn({ pvc: k, err: apiErrorMessage(err) }, 'data-loading reconcile failed; will retry'),
    });
    const byPvc = (o: KubernetesObject): void => this.#queue.add(key(o));
    const byLoader = (o: KubernetesObject): void => {
      const pvc = o.metadata?.labels?.[LOADER_LABEL];
      if (pvc) this.#queue.add(`${o.metadata?.namespace ?? ''}/${pvc}`);
    };
    const byClaims = (o: KubernetesObject): void => {
      for (const c of podClaims(o as KubeObject)) this.#queue.add(`${o.metadata?.namespace ?? ''}/${c}`);
    };
    this.#pvcs = watch({ kubeconfig, logger, name: 'data-loading pvcs', path: '/api/v1/persistentvolumeclaims', on: { change: byPvc } });
    this.#jobs = watch({ kubeconfig, logger, name: 'data-loading jobs', path: '/apis/batch/v1/jobs', labelSelector: LOADER_LABEL, on: { change: byLoader } });
    this.#pods = watch({
      kubeconfig,
      logger,
      name: 'data-loading pods',
      path: '/api/v1/pods',
      labelSelector: `${WAITING_LABEL}=true`,
      on: { add: byClaims, update: byClaims },
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.#jobs.start(), this.#pods.start()]);
    await this.#pvcs.start();
    this.#resync = setInterval(() => {
      for (const p of this.#pvcs.list()) if (strMap(p.metadata?.annotations)[SOURCE_ANNOTATION]) this.#queue.add(key(p));
    }, this.#o.resyncMs ?? 60_000);
  }

  stop(): void {
    if (this.#resync) clearInterval(this.#resync);
    this.#queue.stop();
    void this.#pvcs.stop();
    void this.#jobs.stop();
    void this.#pods.stop();
  }

  /** Resolves when no reconcile is pending or running. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  async reconcile(k: string): Promise<void> {
    const [namespace = '', name = ''] = k.split('/');
    const pvc = this.#pvcs.get(name, namespace) as KubeObject | undefined;
    if (!pvc) return; // the garbage collector removes its Jobs
    const ours = this.#jobs
      .list(namespace)
      .filter((j) => j.metadata?.labels?.[LOADER_LABEL] === name && j.metadata.ownerReferences?.some((r) => r.uid === pvc.metadata?.uid));
    if (pvc.metadata?.deletionTimestamp) {
      // Its loader Pods keep the claim in use (pvc-protection) while the garbage collector waits
      // for the claim to go: the Jobs go first.
      for (const j of ours) await this.#deleteJob(namespace, j.metadata?.name ?? '');
      return;
    }
    const source = dataAnnotations(pvc)[SOURCE_ANNOTATION];
    if (!source) return this.#release(namespace, name); // nothing to wait for any more
    const want = loaderJobName(pvc);
    // The source changed: the old load stops, its Pods go with it.
    for (const stale of ours.filter((j) => j.metadata?.name !== want)) await this.#deleteJob(namespace, stale.metadata?.name ?? '');
    let job = ours.find((j) => j.metadata?.name === want) as KubeObject | undefined;
    if (job && !isOurJob(job, this.#desired(pvc))) {
      this.#o.logger.warn({ pvc: k, job: want }, 'data-loading: a Job of our name runs something else; replacing it');
      await this.#deleteJob(namespace, want);
      return; // its deletion brings us back
    }
    if (!job) job = await this.#createJob(pvc);
    await this.#releaseLoader(namespace, job);
    const condition = conditionFor(job, source, await this.#failureMessage(job));
    if (!sameCondition(currentCondition(pvc), condition)) await this.#writeCondition(pvc, condition);
    if (condition.status === 'True') await this.#release(namespace, name);
  }

  /** Deletes a loader Job with its Pods (a Job's default is to orphan them). */
  async #deleteJob(namespace: string, name: string): Promise<void> {
    try {
      await rawRequest(this.#o.kubeconfig, {
        method: 'DELETE',
        path: objectPath({ apiVersion: 'batch/v1', resource: 'jobs', namespace, name }),
        query: { propagationPolicy: 'Background' },
      });
      this.#o.onWrite?.('delete', 'Job');
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }

  #desired(pvc: KubeObject): KubeObject {
    const config = this.#o.config();
    const container = resolveProfile(pvc.metadata?.namespace ?? '', this.#o.view, config)?.profile.limits.container;
    const resources = container
      ? { ...(container.defaultRequest ? { requests: container.defaultRequest } : {}), ...(container.default ? { limits: container.default } : {}) }
      : undefined;
    return desiredJob({ pvc, image: dataLoadingSettings(config).loaderImage, ...(resources ? { resources } : {}) });
  }

  async #createJob(pvc: KubeObject): Promise<KubeObject | undefined> {
    const namespace = pvc.metadata?.namespace ?? '';
    const job = this.#desired(pvc);
    try {
      const res = await rawRequest<KubeObject>(this.#o.kubeconfig, {
        method: 'POST',
        path: objectPath({ apiVersion: 'batch/v1', resource: 'jobs', namespace }),
        body: job,
      });
      this.#o.onWrite?.('create', 'Job');
      this.#o.logger.info({ pvc: `${namespace}/${pvc.metadata?.name ?? ''}`, job: job.metadata?.name }, 'data-loading: loader Job created');
      return res.body;
    } catch (err) {
      if (err instanceof ApiError && err.code === 409) return undefined; // created already; the watch brings it
      throw err;
    }
  }

  /** The termination message of the loader's last failed Pod (the kubelet falls back to its log tail). */
  async #failureMessage(job: KubeObject | undefined): Promise<string | undefined> {
    if (!job || conditionFor(job, '').reason !== 'Failed') return undefined;
    const res = await rawRequest<{ items?: KubeObject[] }>(this.#o.kubeconfig, {
      method: 'GET',
      path: objectPath({ apiVersion: 'v1', resource: 'pods', namespace: job.metadata?.namespace ?? '' }),
      query: { labelSelector: `batch.kubernetes.io/job-name=${job.metadata?.name ?? ''}` },
    });
    const messages = (res.body.items ?? []).flatMap((p) => {
      const statuses = (p.status as { containerStatuses?: Array<{ state?: { terminated?: { message?: string } } }> } | undefined)?.containerStatuses ?? [];
      return statuses.flatMap((s) => (s.state?.terminated?.message ? [s.state.terminated.message] : []));
    });
    return messages.pop();
  }

  async #writeCondition(pvc: KubeObject, c: Condition): Promise<void> {
    const namespace = pvc.metadata?.namespace ?? '';
    const name = pvc.metadata?.name ?? '';
    const condition = { ...c, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
    await rawRequest(this.#o.kubeconfig, {
      method: 'PATCH',
      path: `${objectPath({ apiVersion: 'v1', resource: 'persistentvolumeclaims', namespace, name })}/status`,
      body: { status: { conditions: [condition] } },
      contentType: 'application/strategic-merge-patch+json',
    });
    this.#o.onWrite?.('patch', 'PersistentVolumeClaim/status');
    this.#o.logger.info({ pvc: `${namespace}/${name}`, status: c.status, reason: c.reason }, 'data-loading: condition DataLoaded');
  }

  /**
   * A loader Pod created while the webhook's cache still had the PVC's old annotations is not
   * recognised and gets the gate; the controller knows its own Job by uid and lifts it.
   */
  async #releaseLoader(namespace: string, job: KubeObject | undefined): Promise<void> {
    const uid = job?.metadata?.uid;
    if (!uid) return;
    for (const pod of this.#pods.list(namespace) as KubeObject[]) {
      const index = gateIndex(pod);
      if (index >= 0 && pod.metadata?.ownerReferences?.some((r) => r.controller === true && r.kind === 'Job' && r.uid === uid)) await this.#ungate(pod, index);
    }
  }

  /** Lifts the gate from Pods waiting on this PVC whose every data PVC is loaded. */
  async #release(namespace: string, claim: string): Promise<void> {
    for (const pod of this.#pods.list(namespace) as KubeObject[]) {
      const claims = podClaims(pod);
      const index = gateIndex(pod);
      if (!claims.includes(claim) || index < 0) continue;
      const stillLoading = claims.some((c) => {
        const p = this.#pvcs.get(c, namespace) as KubeObject | undefined;
        if (!p || !dataAnnotations(p)[SOURCE_ANNOTATION]) return false;
        return currentCondition(p)?.status !== 'True' && c !== claim;
      });
      if (stillLoading) continue;
      await this.#ungate(pod, index);
    }
  }

  async #ungate(pod: KubeObject, index: number): Promise<void> {
    const namespace = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    try {
      await rawRequest(this.#o.kubeconfig, {
        method: 'PATCH',
        path: objectPath({ apiVersion: 'v1', resource: 'pods', namespace, name }),
        contentType: 'application/json-patch+json',
        body: [
          { op: 'test', path: `/spec/schedulingGates/${index}/name`, value: 'data.harbormaster.io/loading' },
          { op: 'remove', path: `/spec/schedulingGates/${index}` },
          { op: 'remove', path: `/metadata/labels/${WAITING_LABEL.replace(/~/g, '~0').replace(/\//g, '~1')}` },
        ],
      });
      this.#o.onWrite?.('patch', 'Pod');
      this.#o.logger.info({ pod: `${namespace}/${name}` }, 'data-loading: scheduling gate removed');
    } catch (err) {
      // Gone, or changed since the cache saw it (the test op failed): the watch brings the new state.
      if (!(err instanceof ApiError && (err.code === 404 || err.code === 422 || err.code === 409))) throw err;
    }
  }
}
