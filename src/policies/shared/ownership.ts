/**
 * The ownership decision of SPEC 3.0, shared by every policy that guards a
 * shared resource (VIPs, hosts, catch-alls) and by the conflict reporter: the
 * oldest holder's namespace owns; another namespace may hold it only when the
 * owning object names it in `harbormaster.io/share-with`.
 */
import { ageKey, SHARE_WITH_ANNOTATION } from '../../policy/claims.js';
import type { DecisionBuilder } from '../../policy/decision.js';
import { DNS_LABEL, shown } from './values.js';
import type { Holder } from '../../policy/view.js';

/** The object asking to hold something, and since when it has held it. */
export interface Claimant {
  kind: Holder['kind'];
  namespace: string;
  name: string;
  /**
   * The object's creationTimestamp when it already held this claim before the
   * request (an UPDATE that keeps it); undefined for a new claim, which is the
   * youngest of all. An old object that adds a host does not jump the queue.
   */
  created?: string;
}

export type Verdict = 'same-namespace' | 'shared' | 'foreign';

export interface Ownership<H extends Holder> {
  owner: H;
  verdict: Verdict;
}

function isSelf(h: Holder, me: Claimant): boolean {
  return h.kind === me.kind && h.namespace === me.namespace && h.name === me.name;
}

/**
 * Who owns the resource as seen by `me`: undefined when `me` holds it first
 * (or alone); otherwise the owning holder and whether `me` may use it.
 * `holders` is oldest first, as the ownership index returns it.
 */
export function ownershipFor<H extends Holder>(holders: readonly H[], me: Claimant): Ownership<H> | undefined {
  // A new claim is younger than every holder, even one whose creation time is unknown.
  const mine = me.created === undefined ? undefined : ageKey(me);
  for (const h of holders) {
    if (isSelf(h, me)) continue;
    if (mine !== undefined && ageKey(h) > mine) return undefined;
    if (h.namespace === me.namespace) return { owner: h, verdict: 'same-namespace' };
    return { owner: h, verdict: h.shareWith.includes(me.namespace) ? 'shared' : 'foreign' };
  }
  return undefined;
}

/** "since <time>" for messages, when the holder has a creation time. */
export function since(h: Holder): string {
  return h.created ? `, created ${h.created}` : '';
}

/** The advice every ownership denial ends with. */
export function consentHint(owner: Holder, namespace: string): string {
  return `another namespace may use it only with the owner's consent: harbormaster.io/share-with: "${namespace}" on ${owner.kind} ${owner.namespace}/${owner.name}`;
}

/** What is wrong with a share-with value, or undefined: namespace names, comma-separated, nothing else. */
function shareWithProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  const parts = value.split(',').map((s) => s.trim());
  if (parts.length > 100) return 'may name at most 100 namespaces';
  const bad = parts.find((p) => !DNS_LABEL.test(p));
  return bad === undefined ? undefined : 'must be a comma-separated list of namespace names (no wildcards)';
}

/** Denies a malformed `harbormaster.io/share-with` on the object under review (Service or Ingress alike). */
export function checkShareWith(annotations: Readonly<Record<string, string>> | undefined, rule: string, out: DecisionBuilder): void {
  const value = annotations?.[SHARE_WITH_ANNOTATION];
  const problem = value === undefined ? undefined : shareWithProblem(value);
  if (problem) out.deny(rule, `metadata.annotations["${SHARE_WITH_ANNOTATION}"] ${shown(String(value))} ${problem}`);
}
