/**
 * The Pod total judged against the profile's Pod max, computed the way
 * LimitRanger computes it (podRequests/podLimits in
 * plugin/pkg/admission/limitranger): containers and native sidecars add up;
 * a sequential init container runs alone, beside the sidecars started before
 * it, so the Pod needs the larger of the two totals; and pod-level
 * `spec.resources` (Kubernetes 1.34+) stands for the whole Pod, since the
 * API server makes every container fit inside it.
 */
import type { DecisionBuilder } from '../../policy/decision.js';
import { addQuantity, compareQuantity, formatQuantity, parseQuantity, type Quantity } from '../../quantity/quantity.js';
import { containersOf, fieldPath, type PodSpecRef } from '../shared/podspec.js';
import { rec } from '../../kube/narrow.js';
import { RULES } from './names.js';
import type { ResolvedProfile } from './profile.js';

type Totals = Map<string, Quantity>;

function add(into: Totals, list: Readonly<Record<string, unknown>>): void {
  for (const [r, raw] of Object.entries(list)) {
    const q = parseQuantity(raw);
    if (!q) continue;
    const prev = into.get(r);
    into.set(r, prev ? addQuantity(prev, q) : q);
  }
}

function raiseTo(into: Totals, other: Totals): void {
  for (const [r, q] of other) {
    const prev = into.get(r);
    if (!prev || compareQuantity(q, prev) > 0) into.set(r, q);
  }
}

/** The Pod's requests or limits from its containers alone. */
function containerTotals(pod: PodSpecRef, kind: 'limits' | 'requests'): Totals {
  const running: Totals = new Map();
  const sidecars: Totals = new Map();
  const initPeak: Totals = new Map();
  for (const ref of containersOf(pod)) {
    const list = rec(rec(ref.container.resources)?.[kind]) ?? {};
    if (ref.sequentialInit) {
      const alone: Totals = new Map(sidecars);
      add(alone, list);
      raiseTo(initPeak, alone);
      continue;
    }
    add(running, list);
    if (ref.segments.includes('initContainers')) add(sidecars, list);
  }
  raiseTo(running, initPeak);
  return running;
}

export function checkPodMax(args: { pod: PodSpecRef; resolved: ResolvedProfile; out: DecisionBuilder }): void {
  const { pod, resolved, out } = args;
  const profile = `profile "${resolved.name}"`;
  const podLevel = rec(pod.spec.resources);
  const maxList = resolved.profile.limits.pod?.max ?? {};
  const reported = new Set<string>();
  for (const kind of ['limits', 'requests'] as const) {
    const totals = containerTotals(pod, kind);
    const own = rec(podLevel?.[kind]) ?? {};
    for (const [r, text] of Object.entries(maxList)) {
      const hi = parseQuantity(text);
      if (!hi || reported.has(r)) continue; // requests never exceed limits: one message per resource
      const ownRaw = own[r];
      const ownQ = parseQuantity(ownRaw);
      if (ownRaw !== undefined && !ownQ) {
        reported.add(r);
        out.deny(RULES.podMax, `${fieldPath([...pod.path, 'resources', kind, r])} ${JSON.stringify(ownRaw)} is not a quantity`);
        continue;
      }
      if (ownQ) {
        if (compareQuantity(ownQ, hi) <= 0) continue;
        reported.add(r);
        out.deny(RULES.podMax, `${fieldPath([...pod.path, 'resources', kind, r])} ${JSON.stringify(ownRaw)} exceeds the Pod maximum ${text} of ${profile}`);
        continue;
      }
      const total = totals.get(r);
      if (total && compareQuantity(total, hi) > 0) {
        reported.add(r);
        out.deny(
          RULES.podMax,
          `${fieldPath(pod.path)}: the containers' ${kind}.${r} add up to ${formatQuantity(total)}, over the Pod maximum ${text} of ${profile}`,
        );
      }
    }
  }
}
