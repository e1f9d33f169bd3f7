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

export function findHostConflicts(ingresses: readonly IngressInfo[]): HostConflict[] {
  const byAge = [...ingresses].sort((a, b) => age(a).localeCompare(age(b)));
  const out: HostConflict[] = [];
  for (let i = 0; i < byAge.length; i++) {
    const young = byAge[i]!;
    let found: HostConflict | undefined;
    for (let j = 0; j < i && !found; j++) {
      const old = byAge[j]!;
      if (old.namespace === young.namespace) continue;
      for (const yr of young.rules) {
        for (const orule of old.rules) {
          if (orule.host !== yr.host) continue;
          const yp = yr.paths.find((p) => orule.paths.some((op) => pathsOverlap(p, op)));
          if (yp) {
            found = { ingress: young, owner: old, host: yr.host, path: yp.path };
            break;
          }
        }
        if (found) break;
      }
    }
    if (found) out.push(found);
  }
  return out;
}
