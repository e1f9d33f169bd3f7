/**
 * Ownership conflicts between Ingresses that already exist — the ones
 * admission cannot prevent when two creates race through two webhook
 * replicas within the cache propagation window. Pure, and built on the same
 * ownership index and rules as admission (SPEC 3.0): for each host, wildcard
 * and class catch-all the oldest holder owns; every younger holder of another
 * namespace without the owner's consent is in conflict, as is a path that
 * overlaps another namespace's on a shared host.
 */
import { ageKey, parentDomain, wildcardParent } from '../../policy/claims.js';
import type { Holder, OwnershipView } from '../../policy/view.js';
import { PathSet } from './path-overlap.js';

export interface HostConflict {
  /** The Ingress that came later and should give way. */
  ingress: Holder;
  owner: Holder;
  rule: 'ingress.host-unique' | 'ingress.catch-all';
  /** What they compete for and why it is a conflict, naming the owner. */
  message: string;
}

function notShared(ingress: Holder, owner: Holder, what: string, rule: HostConflict['rule'] = 'ingress.host-unique'): HostConflict {
  return {
    ingress,
    owner,
    rule,
    message: `${what} belongs to Ingress ${owner.namespace}/${owner.name}, created first, which does not share it with namespace ${ingress.namespace}`,
  };
}

function consents(owner: Holder, ns: string): boolean {
  return owner.namespace === ns || owner.shareWith.includes(ns);
}

function hostConflicts(view: OwnershipView, host: string, out: HostConflict[]): void {
  const holders = view.hostHolders(host);
  const owner = holders[0];
  if (!owner) return;
  const regex = holders.some((h) => h.regex); // use-regex anywhere on a host makes all its locations regexes
  holders.forEach((h, i) => {
    if (h.namespace === owner.namespace) return;
    if (!consents(owner, h.namespace)) {
      out.push(notShared(h, owner, `host "${host}"`));
      return;
    }
    for (const older of holders.slice(0, i)) {
      if (older.namespace === h.namespace) continue;
      const set = new PathSet(older.paths.map((path) => ({ path, regex })));
      const hit = h.paths.find((p) => set.overlapping(p, regex) !== undefined);
      if (hit) {
        out.push({
          ingress: h,
          owner: older,
          rule: 'ingress.host-unique',
          message: `path "${hit.path}" on the shared host "${host}" overlaps a path of Ingress ${older.namespace}/${older.name}, created first`,
        });
        return;
      }
    }
  });
}

function wildcardConflicts(view: OwnershipView, wildcard: string, parent: string, out: HostConflict[]): void {
  const w = view.hostHolders(wildcard)[0];
  if (!w) return;
  const seen = new Set<string>();
  for (const [ns, hosts] of view.hostsUnder(parent)) {
    if (ns === w.namespace) continue;
    for (const host of hosts.keys()) {
      if (seen.has(host)) continue;
      seen.add(host);
      const h = view.hostHolders(host)[0];
      if (!h || h.namespace === w.namespace) continue;
      const [older, younger] = ageKey(w) < ageKey(h) ? [w, h] : [h, w];
      if (consents(older, younger.namespace)) continue;
      out.push(
        younger === h
          ? notShared(h, w, `host "${host}" is under the wildcard "${wildcard}", which`)
          : notShared(w, h, `the wildcard "${wildcard}" covers host "${host}", which`),
      );
    }
  }
}

/** The catch-all holders per effective class ('' counts as the default class, when there is one). */
function catchAllConflicts(view: OwnershipView, defaultClass: string | undefined, out: HostConflict[]): void {
  const classes = new Set<string>();
  for (const c of view.catchAllClasses()) classes.add(c === '' && defaultClass ? defaultClass : c);
  for (const cls of classes) {
    const holders = [...view.catchAllHolders(cls), ...(cls === defaultClass && cls !== '' ? view.catchAllHolders('') : [])].sort((a, b) =>
      ageKey(a) < ageKey(b) ? -1 : 1,
    );
    const owner = holders[0];
    for (const h of holders) {
      if (owner && !consents(owner, h.namespace)) out.push(notShared(h, owner, `the catch-all of ingress class "${cls}"`, 'ingress.catch-all'));
    }
  }
}

/** Every conflict in the cluster, one per younger Ingress and thing it competes for. */
export function findHostConflicts(view: OwnershipView, defaultClass?: string): HostConflict[] {
  const out: HostConflict[] = [];
  for (const host of view.hosts()) {
    hostConflicts(view, host, out);
    const parent = wildcardParent(host);
    if (parent !== undefined && parentDomain(host) !== undefined) wildcardConflicts(view, host, parent, out);
  }
  catchAllConflicts(view, defaultClass, out);
  return out;
}
