/**
 * What a container's requests/limits become once defaulted — one pure
 * function shared by the mutating policy (which writes it) and the validating
 * policy (which judges workload templates by the Pods they will produce).
 *
 * Decision (issue 11): a defaulted limit is never below the request. When a
 * container has a request but no limit, the limit is the profile default
 * *fitted* to the request: raised to the request when the request is higher,
 * lowered to request × maxLimitRequestRatio when the default would break the
 * ratio, and capped at the pod-level limit. Raising rather than denying keeps
 * `requests.cpu: "1"` (a common, valid manifest) working; when no valid limit
 * exists (the request is above the max or the pod-level limit) the result
 * carries a problem that says what to set, and the Pod is denied.
 *
 * The namespace LimitRange keeps its `default`: the API server would fill it
 * from `max` anyway, and it keeps Pods defaulted when this webhook is down.
 * LimitRanger runs first and sets the plain default even below the request;
 * it says so in its annotation, and such limits are fitted here like missing
 * ones.
 */
import type { ResourceList } from '../../config/types.js';
import { compareQuantity, formatQuantity, multiplyQuantity, parseQuantity, type Quantity } from '../../quantity/quantity.js';
import { rec, type Rec } from '../../kube/narrow.js';
import { isOvercommittable } from './resources.js';

export interface ContainerResources {
  limits: Rec;
  requests: Rec;
}

export interface DefaultWrite {
  kind: 'limits' | 'requests';
  resource: string;
  value: string;
  /** Why a limit differs from the profile default, for the warning. */
  note?: string;
}

export interface DefaultedContainer {
  writes: DefaultWrite[];
  /** Messages (without the field path prefix) for requests no valid limit can cover. */
  problems: Array<{ resource: string; message: string }>;
}

export interface DefaultInput {
  have: ContainerResources;
  container: { default?: ResourceList; defaultRequest?: ResourceList; max?: ResourceList; maxLimitRequestRatio?: ResourceList };
  /** Limits LimitRanger set on this container (they are ours to fit). */
  limitRangerSet: ReadonlySet<string>;
  /** The Pod's own `spec.resources.limits`: no container limit may exceed them. */
  podLimits: Rec;
  profileName: string;
}

function fitLimit(r: string, request: { raw: unknown; q: Quantity } | undefined, input: DefaultInput, out: DefaultedContainer): DefaultWrite | undefined {
  const c = input.container;
  const raw = c.default?.[r];
  const def = parseQuantity(raw);
  if (raw === undefined || !def) return undefined;
  if (!request) return { kind: 'limits', resource: r, value: raw };
  const profile = `profile "${input.profileName}"`;
  const max = parseQuantity(c.max?.[r]);
  if (max && compareQuantity(request.q, max) > 0) {
    out.problems.push({
      resource: r,
      message: `requests.${r} ${JSON.stringify(request.raw)} exceeds the maximum ${c.max?.[r]} of ${profile}, so no limit can be defaulted; set requests.${r} to at most ${c.max?.[r]}`,
    });
    return undefined;
  }
  const podLimit = parseQuantity(input.podLimits[r]);
  if (podLimit && compareQuantity(request.q, podLimit) > 0) {
    out.problems.push({
      resource: r,
      message: `requests.${r} ${JSON.stringify(request.raw)} exceeds the pod-level limit spec.resources.limits.${r} ${JSON.stringify(input.podLimits[r])}; lower the request or raise the pod-level limit`,
    });
    return undefined;
  }
  if (compareQuantity(def, request.q) < 0) {
    return { kind: 'limits', resource: r, value: String(request.raw), note: `limits.${r} ${String(request.raw)} = the request (default ${raw} is below it)` };
  }
  const ratio = parseQuantity(c.maxLimitRequestRatio?.[r]);
  let limit = def;
  let note: string | undefined;
  if (ratio && compareQuantity(def, multiplyQuantity(request.q, ratio)) > 0) {
    limit = multiplyQuantity(request.q, ratio);
    note = `limits.${r} ${formatQuantity(limit)} = the request × maxLimitRequestRatio ${c.maxLimitRequestRatio?.[r]}`;
  }
  if (podLimit && compareQuantity(limit, podLimit) > 0) {
    limit = podLimit;
    note = `limits.${r} ${formatQuantity(limit)} = the pod-level limit`;
  }
  return note ? { kind: 'limits', resource: r, value: formatQuantity(limit), note } : { kind: 'limits', resource: r, value: raw };
}

/**
 * The writes that default one container: a missing request becomes the
 * explicit limit (as the API server defaults Pods) or the profile's
 * defaultRequest; a missing (or LimitRanger-set) limit becomes the fitted
 * default. Only overcommittable resources are defaulted (see resources.ts).
 */
export function defaultContainer(input: DefaultInput): DefaultedContainer {
  const { have, container: c } = input;
  const out: DefaultedContainer = { writes: [], problems: [] };
  const names = [...new Set([...Object.keys(c.default ?? {}), ...Object.keys(c.defaultRequest ?? {})])].filter(isOvercommittable).sort();
  for (const r of names) {
    const userLimit = input.limitRangerSet.has(r) ? undefined : have.limits[r];
    let requestRaw: unknown = have.requests[r];
    if (requestRaw === undefined) {
      requestRaw = userLimit ?? c.defaultRequest?.[r] ?? c.default?.[r];
      // A limit that is not a quantity is reported as such; copying it would only repeat the message.
      if (parseQuantity(requestRaw)) out.writes.push({ kind: 'requests', resource: r, value: String(requestRaw) });
    }
    if (userLimit !== undefined) continue;
    const q = parseQuantity(requestRaw);
    const write = fitLimit(r, q ? { raw: requestRaw, q } : undefined, input, out);
    const current = have.limits[r];
    if (write && !(current !== undefined && (typeof current === 'string' || typeof current === 'number') && String(current) === write.value))
      out.writes.push(write);
  }
  return out;
}

/**
 * A copy of `spec` with every container defaulted as the Pod will be: how a
 * workload template is judged at `kubectl apply` time, so a template that
 * only works without our defaults (or not at all) fails there and not in its
 * ReplicaSet later. Problems are left to the checks (a request above the max
 * is reported as such).
 */
export function defaultedSpec(
  spec: Rec,
  input: Pick<DefaultInput, 'container' | 'profileName'> & { limitRangerSet: ReadonlyMap<string, ReadonlySet<string>> },
): Rec {
  const copy = structuredClone(spec);
  const podLimits = rec(rec(copy.resources)?.limits) ?? {};
  for (const field of ['initContainers', 'containers'] as const) {
    const list = copy[field];
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const container = rec(item);
      if (!container) continue;
      const resources = rec(container.resources) ?? {};
      const have = { limits: { ...rec(resources.limits) }, requests: { ...rec(resources.requests) } };
      const name = typeof container.name === 'string' ? container.name : '';
      const limitRangerSet = input.limitRangerSet.get(name) ?? new Set<string>();
      const result = defaultContainer({ have, container: input.container, limitRangerSet, podLimits, profileName: input.profileName });
      if (result.writes.length === 0) continue;
      for (const w of result.writes) have[w.kind][w.resource] = w.value;
      container.resources = { ...resources, limits: have.limits, requests: have.requests };
    }
  }
  return copy;
}
