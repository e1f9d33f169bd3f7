/** Host syntax and host+path ownership across namespaces. */
import type { IngressInfo } from '../../cluster/view.js';
import { DNS_SUBDOMAIN } from './value-types.js';

/** DNS-1123 subdomain, with `*` allowed only as the whole leftmost label. */
export function hostProblem(host: string): string | undefined {
  if (host !== host.toLowerCase()) return 'must be lower case';
  const name = host.startsWith('*.') ? host.slice(2) : host;
  if (name.includes('*')) return 'may use * only as the whole leftmost label (*.example.com)';
  if (!DNS_SUBDOMAIN.test(name)) return 'is not a valid DNS name';
  if (host.startsWith('*.') && !name.includes('.')) return 'is a wildcard over a top-level domain';
  return undefined;
}

export interface PathRef {
  path: string;
  pathType?: string;
}

function under(path: string, prefix: string): boolean {
  if (prefix === '/' || path === prefix) return true;
  const p = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return path.startsWith(p);
}

/**
 * Whether two paths on one host would compete for requests: equal paths, or
 * one inside the other where the outer one is a prefix match (longest-prefix
 * routing would hand part of one tenant's traffic to the other).
 */
export function pathsOverlap(a: PathRef, b: PathRef): boolean {
  const aPrefix = a.pathType !== 'Exact';
  const bPrefix = b.pathType !== 'Exact';
  if (a.path === b.path) return true;
  return (bPrefix && under(a.path, b.path)) || (aPrefix && under(b.path, a.path));
}

/** The first Ingress of another namespace serving an overlapping host+path. */
export function ownerOf(host: string, path: PathRef, self: { namespace: string; name: string }, ingresses: readonly IngressInfo[]): { ingress: IngressInfo; path: string } | undefined {
  for (const ing of ingresses) {
    if (ing.namespace === self.namespace) continue; // same namespace may share; the owner updating itself too
    for (const rule of ing.rules) {
      if (rule.host !== host) continue;
      const hit = rule.paths.find((p) => pathsOverlap(path, p));
      if (hit) return { ingress: ing, path: hit.path };
    }
  }
  return undefined;
}
