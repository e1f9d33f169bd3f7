/**
 * Path overlaps on one host, for hosts shared between namespaces by consent
 * (SPEC 3.0: within a shared host, path+pathType overlaps between namespaces
 * stay denied). Three ways nginx matches a path:
 *   - Exact: that path only;
 *   - Prefix: that path and everything below it, segment by segment (`/api`
 *     covers `/api/v1`, not `/apis`);
 *   - string prefix: ImplementationSpecific paths are plain nginx locations,
 *     and regex paths (use-regex) own everything under their longest literal
 *     prefix, case-insensitively (`/[a]pi` owns all of `/`).
 * With use-regex on any Ingress of a host, ingress-nginx makes every location
 * of that host a regex, so callers pass `regex` for the whole host then.
 * A PathSet indexes the other namespaces' paths so each of ours is checked
 * with a few set look-ups and one binary search, not against every path.
 */
import type { IngressPathInfo } from '../../policy/view.js';

import { regexLiteralPrefix } from './paths.js';

type Match = { kind: 'exact' | 'segment'; path: string } | { kind: 'string'; path: string };

function strip(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') || '/' : path;
}

export function matchOf(p: IngressPathInfo, regex: boolean): Match {
  if (regex) return { kind: 'string', path: regexLiteralPrefix(p.path) };
  if (p.pathType === 'ImplementationSpecific') return { kind: 'string', path: p.path };
  if (p.pathType === 'Exact') return { kind: 'exact', path: p.path };
  return { kind: 'segment', path: strip(p.path) };
}

/** Every segment prefix of a path, `/` first: the Prefix paths that would cover it. */
function ancestors(path: string): string[] {
  const out = ['/'];
  for (let i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) out.push(path.slice(0, i));
  if (path !== '/') out.push(strip(path));
  return out;
}

function under(path: string, prefix: string): boolean {
  return prefix === '/' || path === prefix || path.startsWith(`${prefix}/`);
}

/** The other side's paths on one host, indexed. */
export class PathSet {
  readonly #exact = new Map<string, string>();
  readonly #segment = new Map<string, string>();
  /** Exact and Prefix paths, sorted, to find those below a prefix by binary search. */
  readonly #sorted: string[];
  readonly #strings: Array<{ path: string; shown: string }> = [];

  constructor(paths: Iterable<{ path: IngressPathInfo; regex: boolean }>) {
    const all: string[] = [];
    for (const { path, regex } of paths) {
      const m = matchOf(path, regex);
      if (m.kind === 'string') this.#strings.push({ path: m.path, shown: path.path });
      else {
        (m.kind === 'exact' ? this.#exact : this.#segment).set(m.path, path.path);
        all.push(m.path);
      }
    }
    this.#sorted = all.sort();
  }

  /** The first of the indexed paths that competes with `p` for requests, as written; undefined when none. */
  overlapping(p: IngressPathInfo, regex: boolean): string | undefined {
    const m = matchOf(p, regex);
    if (m.kind === 'string') return this.#againstString(m.path);
    for (const a of ancestors(m.path)) {
      const hit = this.#segment.get(a);
      if (hit !== undefined) return hit;
    }
    const same = this.#exact.get(m.path);
    if (same !== undefined) return same;
    if (m.kind === 'segment') {
      const below = this.#firstUnder(m.path);
      if (below !== undefined) return below;
    }
    const lower = m.path.toLowerCase();
    return this.#strings.find((s) => lower.startsWith(s.path) || (m.kind === 'segment' && under(s.path, lower)))?.shown;
  }

  /** A string prefix competes with every path that starts with it, and with every prefix above it. */
  #againstString(prefix: string): string | undefined {
    for (const [k, shown] of this.#segment) if (k.toLowerCase().startsWith(prefix) || under(prefix, k.toLowerCase())) return shown;
    for (const [k, shown] of this.#exact) if (k.toLowerCase().startsWith(prefix)) return shown;
    return this.#strings.find((s) => s.path.startsWith(prefix) || prefix.startsWith(s.path))?.shown;
  }

  #firstUnder(prefix: string): string | undefined {
    const start = prefix === '/' ? '/' : `${prefix}/`;
    let lo = 0;
    let hi = this.#sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#sorted[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    const k = this.#sorted[lo];
    if (k === undefined || !k.startsWith(start)) return undefined;
    return this.#exact.get(k) ?? this.#segment.get(k);
  }
}
