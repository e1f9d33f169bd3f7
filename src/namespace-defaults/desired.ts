/**
 * What the namespace reconciler keeps in each tenant namespace, as a pure
 * function of (namespace, profile). Normal namespaces get one LimitRange with
 * defaults and one ResourceQuota. Namespaces that allow best-effort Pods get a
 * LimitRange without Container/Pod constraints (LimitRanger would refuse Pods
 * without requests/limits; our webhooks default and check the others) and a
 * quota split by scope: NotBestEffort compute, BestEffort pod count, while
 * `harbormaster-quota` keeps object counts and storage (scoped quotas cannot
 * track those). `harbormaster-quota` is unscoped in both modes because the
 * API server makes `scopes` immutable.
 */
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../kube/names.js';
import type { KubeObject } from '../kube/types.js';
import type { QuotaProfile, ResourceList } from '../config/types.js';
import { BEST_EFFORT_QUOTA_NAME, LIMIT_RANGE_NAME, NOT_BEST_EFFORT_QUOTA_NAME, QUOTA_NAME } from '../policies/resource-defaults/names.js';
import { isOvercommittable } from '../policies/resource-defaults/resources.js';

export const PROFILE_LABEL = 'harbormaster.io/quota-profile';

/** Quota keys a NotBestEffort-scoped quota may track. */
function isComputeKey(key: string): boolean {
  return (
    ['pods', 'cpu', 'memory'].includes(key) ||
    /^(requests|limits)\.(cpu|memory)$/.test(key) ||
    key.startsWith('hugepages-') ||
    key.startsWith('requests.hugepages-')
  );
}

function meta(name: string, namespace: string, profile: string): KubeObject['metadata'] {
  return { name, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [PROFILE_LABEL]: profile } };
}

function nonEmpty(list: ResourceList | undefined): list is ResourceList {
  return list !== undefined && Object.keys(list).length > 0;
}

/** The entries of `list` whose resource is in `keep`. */
function only(list: ResourceList | undefined, keep: (r: string) => boolean): ResourceList {
  return Object.fromEntries(Object.entries(list ?? {}).filter(([r]) => keep(r)));
}

/**
 * The LimitRange carries only the resources the profile defaults (cpu,
 * memory, ephemeral-storage with a `default`). The API server fills a
 * Container item's missing `default` from `max` and `defaultRequest` from
 * `min`, and LimitRanger refuses a Pod without a limit for every resource in
 * a `max`: a `max: { nvidia.com/gpu: "2" }` there would give every container
 * two GPUs or refuse every Pod without one. Bounds on the other resources are
 * enforced by the validating webhook alone.
 */
function limitRange(namespace: string, profileName: string, profile: QuotaProfile, allowBestEffort: boolean): KubeObject {
  const limits: Array<Record<string, unknown>> = [];
  const c = profile.limits.container;
  if (!allowBestEffort) {
    const defaulted = (r: string) => isOvercommittable(r) && c.default?.[r] !== undefined;
    const container: Record<string, unknown> = { type: 'Container' };
    for (const key of ['default', 'defaultRequest', 'min', 'max', 'maxLimitRequestRatio'] as const) {
      const list = only(c[key], key === 'defaultRequest' ? isOvercommittable : defaulted);
      if (nonEmpty(list)) container[key] = list;
    }
    limits.push(container);
    const podMax = only(profile.limits.pod?.max, defaulted);
    if (nonEmpty(podMax)) limits.push({ type: 'Pod', max: podMax });
  }
  const pvc = profile.limits.pvc;
  if (pvc && (nonEmpty(pvc.min) || nonEmpty(pvc.max))) {
    limits.push({
      type: 'PersistentVolumeClaim',
      ...(nonEmpty(pvc.min) ? { min: { ...pvc.min } } : {}),
      ...(nonEmpty(pvc.max) ? { max: { ...pvc.max } } : {}),
    });
  }
  return { apiVersion: 'v1', kind: 'LimitRange', metadata: meta(LIMIT_RANGE_NAME, namespace, profileName), spec: { limits } };
}

function quota(name: string, namespace: string, profile: string, hard: ResourceList, scopes?: string[]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: meta(name, namespace, profile),
    spec: { hard: { ...hard }, ...(scopes ? { scopes } : {}) },
  };
}

export interface DesiredInput {
  namespace: string;
  profileName: string;
  profile: QuotaProfile;
  allowBestEffort: boolean;
  bestEffortPods: number;
}

/** The managed objects a namespace should have; any other managed object there is pruned. */
export function desiredObjects(input: DesiredInput): KubeObject[] {
  const { namespace, profileName, profile, allowBestEffort } = input;
  const out = [limitRange(namespace, profileName, profile, allowBestEffort)];
  const hard = profile.quota.hard;
  if (!allowBestEffort) {
    out.push(quota(QUOTA_NAME, namespace, profileName, hard));
    return out;
  }
  const compute: ResourceList = {};
  const objects: ResourceList = {};
  for (const [k, v] of Object.entries(hard)) (isComputeKey(k) ? compute : objects)[k] = v;
  out.push(quota(QUOTA_NAME, namespace, profileName, objects));
  out.push(quota(NOT_BEST_EFFORT_QUOTA_NAME, namespace, profileName, compute, ['NotBestEffort']));
  out.push(quota(BEST_EFFORT_QUOTA_NAME, namespace, profileName, { pods: String(input.bestEffortPods) }, ['BestEffort']));
  return out;
}
