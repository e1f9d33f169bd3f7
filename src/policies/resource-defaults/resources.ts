/**
 * How the API server classifies resource names, which decides what we may
 * default and what must hold between request and limit (facts from
 * k8s.io/kubernetes pkg/apis/core/helper and validation):
 * - native resources have no `/` or live under `kubernetes.io/`;
 * - hugepages-<size> and extended resources (any other `domain/name`, such as
 *   `nvidia.com/gpu`) cannot be overcommitted: a request needs a limit and the
 *   two must be equal, or the Pod (and a workload template) is refused;
 * - pod-level `spec.resources` (cpu, memory, hugepages) bounds the whole Pod:
 *   every container must fit inside it.
 */

export function isHugePages(name: string): boolean {
  return name.startsWith('hugepages-');
}

export function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

/**
 * True for cpu, memory, ephemeral-storage and other native resources. Only
 * these are ever defaulted: a defaulted GPU or hugepage would hand every
 * container hardware it did not ask for.
 */
export function isOvercommittable(name: string): boolean {
  return isNativeResource(name) && !isHugePages(name);
}

/**
 * LimitRanger (built into the API server, run before any mutating webhook)
 * records what it defaulted in this annotation, e.g. `LimitRanger plugin set:
 * cpu, memory request for container app; cpu limit for init container setup`.
 */
export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

/**
 * The limits LimitRanger set, keyed by container name (names are unique
 * across containers and initContainers). A tenant could write this annotation
 * by hand; the worst that buys is that we fit their limit the way we fit a
 * defaulted one, which only ever turns an invalid limit into a valid one.
 */
export function limitsSetByLimitRanger(annotations: Readonly<Record<string, unknown>>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const raw = annotations[LIMIT_RANGER_ANNOTATION];
  if (typeof raw !== 'string' || !raw.startsWith('LimitRanger plugin set: ')) return out;
  for (const part of raw.slice('LimitRanger plugin set: '.length).split('; ')) {
    const m = /^(.+) limit for (?:init )?container (\S+)$/.exec(part);
    if (!m || m[1] === undefined || m[2] === undefined) continue;
    const set = out.get(m[2]) ?? new Set<string>();
    for (const r of m[1].split(', ')) set.add(r);
    out.set(m[2], set);
  }
  return out;
}
