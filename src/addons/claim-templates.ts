/**
 * StatefulSet volumeClaimTemplates are immutable: the API server refuses any
 * update that changes them. They matter only when a new claim is created, so
 * when the live templates already carry everything the bundle asks for (same
 * claims, same specs, our labels), we send the live templates back unchanged
 * instead of ours. That lets a bundle drop a label from its templates (1.0.0
 * had a version-bearing helm.sh/chart label there) without a refused update;
 * a real change (size, class, access modes, a new label) still reaches the
 * API server, which refuses it, and the addon shows Failed with its message.
 */
import type { KubeObject } from '../kube/types.js';
import { contains } from './plan.js';

type Claim = { metadata?: { name?: string; labels?: Record<string, string> }; spec?: unknown };

function templatesOf(o: KubeObject | undefined): Claim[] | undefined {
  return (o?.spec as { volumeClaimTemplates?: Claim[] } | undefined)?.volumeClaimTemplates;
}

/** `desired` with the live claim templates when those already satisfy it; `desired` itself otherwise. */
export function keepSatisfiedClaimTemplates(desired: KubeObject, live: KubeObject | undefined): KubeObject {
  if (desired.kind !== 'StatefulSet') return desired;
  const want = templatesOf(desired);
  const have = templatesOf(live);
  if (!want || !have || want.length !== have.length) return desired;
  const satisfied = want.every((w, i) => {
    const h = have[i];
    return h?.metadata?.name === w.metadata?.name && contains(h?.metadata?.labels ?? {}, w.metadata?.labels ?? {}) && contains(h?.spec, w.spec);
  });
  if (!satisfied) return desired;
  const copy = structuredClone(desired);
  (copy.spec as { volumeClaimTemplates: Claim[] }).volumeClaimTemplates = structuredClone(have);
  return copy;
}
