/**
 * Pure decisions of the addon manager: what the desired objects are (the
 * rendered chart, labelled and ordered), which owned objects to prune, what to
 * delete on disable, and whether a live object drifted from what we applied.
 */
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../kube/names.js';
import type { KubeObject } from '../kube/types.js';
import { compareQuantity, parseQuantity } from '../quantity/quantity.js';
import { ADDON_LABEL } from '../catalog/annotations.js';
import type { Addon } from '../catalog/catalog.js';
import { kindInfo } from './kinds.js';

/** Stable identity of an object: kind, namespace, name (apiVersion may differ between list and manifest). */
export function objectKey(o: KubeObject): string {
  return `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

/** True only for objects that carry both of our labels for this addon: nothing else is ever touched. */
export function isOwnedBy(o: KubeObject, addon: string): boolean {
  const l = o.metadata?.labels ?? {};
  return l[MANAGED_BY_LABEL] === MANAGED_BY_VALUE && l[ADDON_LABEL] === addon;
}

export class BundleError extends Error {}

/**
 * The addon namespace enforces the bundle's declared Pod Security level (and
 * warns and audits at it), so a cluster whose default is stricter still
 * admits the agents that need host access, and nothing in the namespace can
 * ask for more than the bundle declared.
 */
export function podSecurityLabels(addon: Addon): Record<string, string> {
  const out: Record<string, string> = {};
  for (const mode of ['enforce', 'warn', 'audit']) {
    out[`pod-security.kubernetes.io/${mode}`] = addon.podSecurity;
    out[`pod-security.kubernetes.io/${mode}-version`] = 'latest';
  }
  return out;
}

/** The rendered chart as we apply it: Namespace first, our labels on everything, namespaces set, sorted. */
export function desiredObjects(addon: Addon, rendered: readonly KubeObject[]): KubeObject[] {
  const labels = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [ADDON_LABEL]: addon.name };
  const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: addon.namespace, labels: podSecurityLabels(addon) } };
  const out = [ns, ...rendered].map((o) => {
    const info = kindInfo(o.kind);
    if (!info) throw new BundleError(`addon ${addon.name}: kind ${String(o.kind)} is not supported by the manager`);
    const copy = structuredClone(o);
    copy.metadata = { ...copy.metadata, labels: { ...copy.metadata?.labels, ...labels } };
    if (info.namespaced) copy.metadata.namespace ??= addon.namespace;
    else delete copy.metadata.namespace;
    labelClaimTemplates(copy, labels);
    return copy;
  });
  const seen = new Set<string>();
  for (const o of out) {
    const k = objectKey(o);
    if (seen.has(k)) throw new BundleError(`addon ${addon.name}: ${k} appears twice`);
    seen.add(k);
  }
  return orderForApply(out);
}

export function orderForApply(objects: readonly KubeObject[]): KubeObject[] {
  return [...objects].sort((a, b) => (kindInfo(a.kind)?.order ?? 99) - (kindInfo(b.kind)?.order ?? 99) || objectKey(a).localeCompare(objectKey(b)));
}

export function orderForDelete(objects: readonly KubeObject[]): KubeObject[] {
  return orderForApply(objects).reverse();
}

/** Owned objects that left the bundle. */
export function toPrune(owned: readonly KubeObject[], desired: readonly KubeObject[], addon: string): KubeObject[] {
  const want = new Set(desired.map(objectKey));
  // PVCs are created by StatefulSets from volumeClaimTemplates, not by us: pruning never removes data.
  return orderForDelete(owned.filter((o) => isOwnedBy(o, addon) && !want.has(objectKey(o)) && o.kind !== 'PersistentVolumeClaim'));
}

/**
 * What disabling removes: every owned object, in reverse order, except
 * PersistentVolumeClaims unless purging. The Namespace is never deleted:
 * deleting it would delete whatever else lives there, including objects
 * without our labels, which the manager must never touch.
 */
export function toDelete(owned: readonly KubeObject[], addon: string, options: { purge: boolean }): KubeObject[] {
  return orderForDelete(owned.filter((o) => isOwnedBy(o, addon) && o.kind !== 'Namespace' && (o.kind !== 'PersistentVolumeClaim' || options.purge)));
}

/** StatefulSet volume claim templates get our labels, so the claims they create can be found for a purge. */
function labelClaimTemplates(o: KubeObject, labels: Record<string, string>): void {
  if (o.kind !== 'StatefulSet') return;
  const templates = (o.spec as { volumeClaimTemplates?: Array<{ metadata?: { labels?: Record<string, string> } }> } | undefined)?.volumeClaimTemplates;
  for (const t of templates ?? []) t.metadata = { ...t.metadata, labels: { ...t.metadata?.labels, ...labels } };
}

function scalarEqual(want: unknown, have: unknown): boolean {
  if (want === have) return true;
  if ((typeof want === 'number' || typeof want === 'string') && (typeof have === 'number' || typeof have === 'string')) {
    if (String(want) === String(have)) return true;
    const a = parseQuantity(want);
    const b = parseQuantity(have);
    return a !== undefined && b !== undefined && compareQuantity(a, b) === 0;
  }
  return false;
}

/** Values the API server drops when serializing (omitempty): sending them and reading nothing back is not drift. */
function isZeroValue(v: unknown): boolean {
  if (v === '' || v === false || v === 0 || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && v !== null && Object.keys(v).length === 0;
}

/** Every field we set is present with our value (the API server may add defaults; those are not drift). */
export function contains(have: unknown, want: unknown): boolean {
  if (have === undefined && isZeroValue(want)) return true;
  if (Array.isArray(want)) {
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => contains(have[i], w));
  }
  if (want !== null && typeof want === 'object') {
    if (have === null || typeof have !== 'object' || Array.isArray(have)) return false;
    return Object.entries(want as Record<string, unknown>).every(([k, v]) => contains((have as Record<string, unknown>)[k], v));
  }
  if (want === null || want === undefined) return have === null || have === undefined;
  return scalarEqual(want, have);
}

/** Whether a live object no longer matches what we apply (status and server-set metadata ignored). */
export function isDrifted(desired: KubeObject, actual: KubeObject | undefined): boolean {
  if (!actual) return true;
  const { metadata: wantMeta, ...wantBody } = desired;
  const { metadata: haveMeta, status: _status, ...haveBody } = actual;
  void _status;
  if (!contains(haveMeta?.labels ?? {}, wantMeta?.labels ?? {})) return true;
  if (!contains(haveMeta?.annotations ?? {}, wantMeta?.annotations ?? {})) return true;
  return !contains(haveBody, wantBody);
}
