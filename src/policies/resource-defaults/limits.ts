/**
 * The min/max/ratio checks of a LimitRange, done at admission time on Pods
 * and on workload templates so `kubectl apply` of a Deployment fails at once
 * instead of its ReplicaSet failing quietly later. Missing values are skipped:
 * defaults fill them when the Pod is created.
 */
import type { DecisionBuilder } from '../../policy/decision.js';
import type { ResourceList } from '../../config/types.js';
import { addQuantity, compareQuantity, divideQuantity, formatRatio, parseQuantity, type Quantity } from '../../quantity/quantity.js';
import { RULES } from './names.js';
import { containersOf, fieldPath, rec, type PodSpecRef } from '../shared/podspec.js';
import type { ResolvedProfile } from './profile.js';

function parsedList(list: ResourceList | undefined): Map<string, { q: Quantity; text: string }> {
  const out = new Map<string, { q: Quantity; text: string }>();
  for (const [k, v] of Object.entries(list ?? {})) {
    const q = parseQuantity(v);
    if (q) out.set(k, { q, text: v });
  }
  return out;
}

function show(v: unknown): string {
  return JSON.stringify(typeof v === 'string' ? v.slice(0, 40) : v);
}

export function checkPodResources(args: { pod: PodSpecRef; resolved: ResolvedProfile; out: DecisionBuilder }): void {
  const { pod, resolved, out } = args;
  const c = resolved.profile.limits.container;
  const min = parsedList(c.min);
  const max = parsedList(c.max);
  const ratio = parsedList(c.maxLimitRequestRatio);
  const profile = `profile "${resolved.name}"`;
  const sums = { limits: new Map<string, Quantity>(), requests: new Map<string, Quantity>() };
  const initPeak = { limits: new Map<string, Quantity>(), requests: new Map<string, Quantity>() };

  for (const ref of containersOf(pod)) {
    const resources = rec(ref.container.resources);
    const values = { limits: rec(resources?.limits) ?? {}, requests: rec(resources?.requests) ?? {} };
    for (const kind of ['limits', 'requests'] as const) {
      for (const [r, raw] of Object.entries(values[kind])) {
        // request <= limit always holds, so one message per bound is enough: max is judged on the
        // limit (on the request only when no limit is set), min on the request (or the lone limit).
        const other = kind === 'limits' ? values.requests[r] : values.limits[r];
        const path = fieldPath([...ref.segments, 'resources', kind, r]);
        const q = parseQuantity(raw);
        if (!q) {
          out.deny(RULES.limits, `${path} ${show(raw)} is not a quantity`);
          continue;
        }
        const lo = min.get(r);
        const judgeMin = kind === 'requests' || other === undefined;
        const judgeMax = kind === 'limits' || other === undefined;
        if (judgeMin && lo && compareQuantity(q, lo.q) < 0) {
          out.deny(RULES.limits, `${path} ${show(raw)} is below the minimum ${lo.text} of ${profile}`);
        }
        const hi = max.get(r);
        if (judgeMax && hi && compareQuantity(q, hi.q) > 0) {
          out.deny(RULES.limits, `${path} ${show(raw)} exceeds the maximum ${hi.text} of ${profile}`);
        }
        // Sequential init containers run alone: the Pod needs the largest of them, not their sum.
        const bucket = ref.sequentialInit ? initPeak[kind] : sums[kind];
        const prev = bucket.get(r);
        bucket.set(r, ref.sequentialInit ? (prev && compareQuantity(prev, q) >= 0 ? prev : q) : prev ? addQuantity(prev, q) : q);
      }
    }
    for (const [r, max] of ratio) {
      const limit = parseQuantity(values.limits[r]);
      const request = parseQuantity(values.requests[r]);
      if (!limit || !request) continue;
      const actual = divideQuantity(limit, request);
      if (!actual || compareQuantity(actual, max.q) > 0) {
        out.deny(
          RULES.limits,
          `${fieldPath([...ref.segments, 'resources', 'limits', r])} is ${actual ? formatRatio(actual) : 'infinitely'} times its request, ` +
            `over the maxLimitRequestRatio ${max.text} of ${profile}`,
        );
      }
    }
  }

  const podMax = parsedList(resolved.profile.limits.pod?.max);
  const overPodMax = new Set<string>();
  for (const kind of ['limits', 'requests'] as const) {
    for (const [r, hi] of podMax) {
      if (overPodMax.has(r)) continue; // requests never exceed limits: one message per resource
      const sum = sums[kind].get(r);
      const peak = initPeak[kind].get(r);
      const effective = sum && peak ? (compareQuantity(sum, peak) >= 0 ? sum : peak) : (sum ?? peak);
      if (effective && compareQuantity(effective, hi.q) > 0) {
        overPodMax.add(r);
        out.deny(
          RULES.podMax,
          `${fieldPath(pod.path)}: the containers' ${kind}.${r} add up to ${formatRatio(effective)}, over the Pod maximum ${hi.text} of ${profile}`,
        );
      }
    }
  }
}
