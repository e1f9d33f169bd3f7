/**
 * Host+path conflicts between namespaces that already exist — the ones the
 * admission check cannot prevent when two creates race through two webhook
 * replicas within the cache propagation window. Pure: the oldest Ingress owns
 * the host+path, every younger one from another namespace is in conflict.
 */
import type { IngressInfo } from '../../cluster/view.js';
import { pathsOverlap } from './hosts.js';

export interface HostConflict {
  /** The Ingress that came later and should give way. */
  ingress: IngressInfo;
  owner: IngressInfo;
  host: string;
  path: string;
}

function age(i: IngressInfo): string {
  return `${i.created ?? '9999'}/${i.namespace}/${i.name}`;
}

function overlap(young: IngressInfo, old: IngressInfo): { host: string; path: string } | undefined {
  for (const yr of young.rules) {
    for (const orule of old.rules) {
      if (orule.host !== yr.host) continue;
      const yp = yr.paths.find((p) => orule.paths.some((op) => pathsOverlap(p, op)));
      if (yp) return { host: yr.host, path: yp.path };
    }
  }
  return undefined;
}

/** For each Ingress, the oldest Ingress it overlaps decides: another namespace there means a conflict. */
export function findHostConflicts(ingresses: readonly IngressInfo[]): HostConflict[] {
  const byAge = [...ingresses].sort((a, b) => age(a).localeCompare(age(b)));
  const out: HostConflict[] = [];
  byAge.forEach((young, i) => {
    for (let j = 0; j < i; j++) {
      const old = byAge[j]!;
      const hit = overlap(young, old);
      if (!hit) continue;
      if (old.namespace !== young.namespace) out.push({ ingress: young, owner: old, ...hit });
      return; // the oldest overlapping Ingress is the owner
    }
  });
  return out;
}
