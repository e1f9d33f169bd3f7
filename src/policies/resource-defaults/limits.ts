/**
 * The min/max/ratio checks of a LimitRange, done at admission time on Pods,
 * on `pods/resize`, and on workload templates so `kubectl apply` of a
 * Deployment fails at once instead of its ReplicaSet failing quietly later.
 * Templates are judged as the Pods they will become: defaults.ts fills what
 * the Pod will get before the checks run.
 */
import type { DecisionBuilder } from '../../policy/decision.js';
import type { ResourceList } from '../../config/types.js';
import { compareQuantity, divideQuantity, formatRatio, parseQuantity, type Quantity } from '../../quantity/quantity.js';
import { RULES } from './names.js';
import { containersOf, fieldPath, type ContainerRef, type PodSpecRef } from '../shared/podspec.js';
import { rec } from '../../kube/narrow.js';
import type { ResolvedProfile } from './profile.js';
import { defaultedSpec } from './defaults.js';
import { checkPodMax } from './podmax.js';
import { isOvercommittable, limitsSetByLimitRanger } from './resources.js';

type Bounds = Map<string, { q: Quantity; text: string }>;

function parsedList(list: ResourceList | undefined): Bounds {
  const out: Bounds = new Map();
  for (const [k, v] of Object.entries(list ?? {})) {
    const q = parseQuantity(v);
    if (q) out.set(k, { q, text: v });
  }
  return out;
}

function show(v: unknown): string {
  return JSON.stringify(typeof v === 'string' ? v.slice(0, 40) : v);
}

interface Profile {
  min: Bounds;
  max: Bounds;
  ratio: Bounds;
  label: string;
}

/**
 * Extended resources and hugepages: the API server refuses a request without
 * a limit or a request that differs from its limit, and nothing defaults
 * them, so the message says what to write.
 */
function checkNonOvercommittable(
  ref: ContainerRef,
  values: { limits: Record<string, unknown>; requests: Record<string, unknown> },
  out: DecisionBuilder,
): void {
  for (const r of new Set([...Object.keys(values.limits), ...Object.keys(values.requests)])) {
    if (isOvercommittable(r)) continue;
    const limit = values.limits[r];
    const request = values.requests[r];
    const path = fieldPath([...ref.segments, 'resources']);
    if (limit === undefined) {
      out.deny(
        RULES.extendedResources,
        `${path}.limits.${r} is missing: ${r} cannot be overcommitted and is never defaulted; set limits.${r} equal to requests.${r} ${show(request)}`,
      );
      continue;
    }
    const lq = parseQuantity(limit);
    const rq = parseQuantity(request);
    if (request !== undefined && lq && rq && compareQuantity(lq, rq) !== 0) {
      out.deny(
        RULES.extendedResources,
        `${path}.requests.${r} ${show(request)} differs from limits.${r} ${show(limit)}: ${r} cannot be overcommitted; set both to the same value`,
      );
    }
  }
}

type Kind = 'limits' | 'requests';

/** One resource of one container against the profile's min, max and ratio: one message per bound. */
interface Fields {
  /** The field path of one resource value. */
  field: (kind: Kind, r: string) => string;
  /** The field path and the value as written, for messages. */
  at: (kind: Kind, r: string) => string;
}

function checkResource(r: string, q: { limit?: Quantity; request?: Quantity }, p: Profile, f: Fields, out: DecisionBuilder): void {
  const { limit, request } = q;
  const { at } = f;
  // min is judged on the request (the lone limit when there is none), max on the limit,
  // then on the request, which is checked too (issue 11: a request above max).
  const lo = p.min.get(r);
  const low = request ?? limit;
  if (lo && low && compareQuantity(low, lo.q) < 0)
    out.deny(RULES.limits, () => `${at(request ? 'requests' : 'limits', r)} is below the minimum ${lo.text} of ${p.label}`);
  const hi = p.max.get(r);
  if (hi && limit && compareQuantity(limit, hi.q) > 0) out.deny(RULES.limits, () => `${at('limits', r)} exceeds the maximum ${hi.text} of ${p.label}`);
  else if (hi && request && compareQuantity(request, hi.q) > 0)
    out.deny(RULES.limits, () => `${at('requests', r)} exceeds the maximum ${hi.text} of ${p.label}`);
  const ratio = p.ratio.get(r);
  if (!ratio || !limit || !request) return;
  const actual = divideQuantity(limit, request);
  if (!actual || compareQuantity(actual, ratio.q) > 0) {
    out.deny(
      RULES.limits,
      `${f.field('limits', r)} is ${actual ? formatRatio(actual) : 'infinitely'} times its request, over the maxLimitRequestRatio ${ratio.text} of ${p.label}`,
    );
  }
}

function checkContainer(ref: ContainerRef, p: Profile, out: DecisionBuilder): void {
  const resources = rec(ref.container.resources);
  const values = { limits: rec(resources?.limits) ?? {}, requests: rec(resources?.requests) ?? {} };
  const parsed = { limits: new Map<string, Quantity>(), requests: new Map<string, Quantity>() };
  for (const kind of ['limits', 'requests'] as const) {
    for (const [r, raw] of Object.entries(values[kind])) {
      const q = parseQuantity(raw);
      if (q) parsed[kind].set(r, q);
      else out.deny(RULES.limits, `${fieldPath([...ref.segments, 'resources', kind, r])} ${show(raw)} is not a quantity`);
    }
  }
  const field = (kind: Kind, r: string): string => fieldPath([...ref.segments, 'resources', kind, r]);
  const fields: Fields = { field, at: (kind, r) => `${field(kind, r)} ${show(values[kind][r])}` };
  for (const r of new Set([...parsed.limits.keys(), ...parsed.requests.keys()])) {
    const limit = parsed.limits.get(r);
    const request = parsed.requests.get(r);
    checkResource(r, { ...(limit ? { limit } : {}), ...(request ? { request } : {}) }, p, fields, out);
  }
  checkNonOvercommittable(ref, values, out);
}

export interface CheckInput {
  pod: PodSpecRef;
  resolved: ResolvedProfile;
  out: DecisionBuilder;
  /** Judge the Pod as defaulted (CREATE/UPDATE of Pods and templates); false for a resize, which sets values itself. */
  applyDefaults: boolean;
}

export function checkPodResources({ pod, resolved, out, applyDefaults }: CheckInput): void {
  const c = resolved.profile.limits.container;
  const view: PodSpecRef = applyDefaults
    ? { ...pod, spec: defaultedSpec(pod.spec, { container: c, profileName: resolved.name, limitRangerSet: limitsSetByLimitRanger(pod.annotations) }) }
    : pod;
  const p: Profile = { min: parsedList(c.min), max: parsedList(c.max), ratio: parsedList(c.maxLimitRequestRatio), label: `profile "${resolved.name}"` };
  for (const ref of containersOf(view)) checkContainer(ref, p, out);
  checkPodMax({ pod: view, resolved, out });
}
