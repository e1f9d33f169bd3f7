/**
 * Whether a managed object already matches what we want — pure, so the
 * reconciler writes nothing at steady state. Quantities compare by value (the
 * API server rewrites `0.5` as `500m`), and LimitRange items may carry fields
 * the API server defaulted (default from max, defaultRequest from default), so
 * every field we set must be present with our value and the item list must
 * have the same shape.
 */
import type { KubeObject } from '../kube/types.js';
import { compareQuantity, parseQuantity } from '../quantity/quantity.js';

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});

function quantitiesInclude(actual: unknown, desired: unknown, exact: boolean): boolean {
  const a = rec(actual);
  const d = rec(desired);
  if (exact && Object.keys(a).length !== Object.keys(d).length) return false;
  for (const [k, v] of Object.entries(d)) {
    const want = parseQuantity(v);
    const have = parseQuantity(a[k]);
    if (!want || !have || compareQuantity(want, have) !== 0) return false;
  }
  return true;
}

function labelsMatch(actual: KubeObject, desired: KubeObject): boolean {
  const have = actual.metadata?.labels ?? {};
  return Object.entries(desired.metadata?.labels ?? {}).every(([k, v]) => have[k] === v);
}

function limitRangeMatches(actual: KubeObject, desired: KubeObject): boolean {
  const a = (rec(actual.spec).limits as unknown[]) ?? [];
  const d = (rec(desired.spec).limits as unknown[]) ?? [];
  if (!Array.isArray(a) || a.length !== d.length) return false;
  return d.every((want) => {
    const w = rec(want);
    const have = a.map(rec).find((x) => x.type === w.type);
    if (!have) return false;
    return Object.keys(w)
      .filter((k) => k !== 'type')
      .every((k) => quantitiesInclude(have[k], w[k], false));
  });
}

function quotaMatches(actual: KubeObject, desired: KubeObject): boolean {
  const a = rec(actual.spec);
  const d = rec(desired.spec);
  const scopes = (v: unknown) => JSON.stringify([...((Array.isArray(v) ? v : []) as string[])].sort());
  return quantitiesInclude(a.hard, d.hard, true) && scopes(a.scopes) === scopes(d.scopes);
}

export function isUpToDate(actual: KubeObject | undefined, desired: KubeObject): boolean {
  if (!actual || !labelsMatch(actual, desired)) return false;
  if (desired.kind === 'LimitRange') return limitRangeMatches(actual, desired);
  if (desired.kind === 'ResourceQuota') return quotaMatches(actual, desired);
  return false;
}
