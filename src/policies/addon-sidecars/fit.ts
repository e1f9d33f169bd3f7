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

export function fitResources(resources: { requests?: ResourceList; limits?: ResourceList } | undefined, limits: ContainerLimits): { requests?: ResourceList; limits?: ResourceList } {
  const out: { requests?: ResourceList; limits?: ResourceList } = {};
  for (const kind of ['requests', 'limits'] as const) {
    const list = resources?.[kind];
    if (!list) continue;
    out[kind] = Object.fromEntries(Object.entries(list).map(([r, v]) => [r, clamp(v, limits.min?.[r], limits.max?.[r])]));
  }
  return out;
}
