/** Sidecar resources fitted into the namespace profile: each value clamped to the profile's container min/max. */
import type { ContainerLimits, ResourceList } from '../../config/types.js';
import { compareQuantity, parseQuantity } from '../../quantity/quantity.js';

function clamp(value: string, min: string | undefined, max: string | undefined): string {
  const q = parseQuantity(value);
  if (!q) return value;
  const hi = max !== undefined ? parseQuantity(max) : undefined;
  if (hi && compareQuantity(q, hi) > 0) return max as string;
  const lo = min !== undefined ? parseQuantity(min) : undefined;
  if (lo && compareQuantity(q, lo) < 0) return min as string;
  return value;
}

/** The smallest request that keeps limit/request within `ratio`: cpu in millicores, others in whole units. */
function minimumRequest(limit: string, ratio: string, resource: string): string | undefined {
  const l = parseQuantity(limit);
  const r = parseQuantity(ratio);
  if (!l || !r || r.num <= 0n) return undefined;
  // limit / ratio, rounded up: (l.num * r.den) / (l.den * r.num)
  const scale = resource === 'cpu' ? 1000n : 1n;
  const num = l.num * r.den * scale;
  const den = l.den * r.num;
  const ceil = (num + den - 1n) / den;
  return resource === 'cpu' ? `${ceil}m` : `${ceil}`;
}

export function fitResources(
  resources: { requests?: ResourceList; limits?: ResourceList } | undefined,
  limits: ContainerLimits,
): { requests?: ResourceList; limits?: ResourceList } {
  const out: { requests?: ResourceList; limits?: ResourceList } = {};
  for (const kind of ['requests', 'limits'] as const) {
    const list = resources?.[kind];
    if (!list) continue;
    out[kind] = Object.fromEntries(Object.entries(list).map(([r, v]) => [r, clamp(v, limits.min?.[r], limits.max?.[r])]));
  }
  // Raise requests where limit/request would exceed the profile's maxLimitRequestRatio.
  for (const [r, ratio] of Object.entries(limits.maxLimitRequestRatio ?? {})) {
    const limit = out.limits?.[r];
    const request = out.requests?.[r];
    if (limit === undefined || request === undefined) continue;
    const floor = minimumRequest(limit, ratio, r);
    const fq = floor !== undefined ? parseQuantity(floor) : undefined;
    const rq = parseQuantity(request);
    if (fq && rq && compareQuantity(rq, fq) < 0 && out.requests) out.requests[r] = floor as string;
  }
  return out;
}
