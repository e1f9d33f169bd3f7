/**
 * Who may serve what (SPEC 3.0, 3.5): a whole host belongs to the namespace of
 * its oldest Ingress, a wildcard covers the hosts one label below it in both
 * directions, the catch-all of a class (an empty host or spec.defaultBackend)
 * is held only where the policy file allows and by one owner, and a static
 * VIP follows the Service VIP rules. Sharing needs the owner's
 * `harbormaster.io/share-with`; on a shared host, paths of different
 * namespaces may not overlap. Every look-up goes through the ownership index.
 */
import { ageKey, ingressClaims, parentDomain, wildcardParent, type IngressClaims } from '../../policy/claims.js';
import type { Holder, HostHolder, IngressPathInfo } from '../../policy/view.js';
import { slimIngress } from '../../policy/slim.js';
import type { DecisionBuilder } from '../../policy/decision.js';
import type { PolicyInput } from '../../policy/types.js';
import { checkShareWith, consentHint, ownershipFor, since, type Claimant } from '../shared/ownership.js';
import { FORBIDDEN_CHARS, shown } from '../shared/values.js';
import { checkVipPool, checkVipUse } from '../shared/vip.js';
import { HM_PREFIX, RULES } from './names.js';
import { PathSet } from './path-overlap.js';

/** Stop looking for more once this many hosts under a wildcard were found in the way (messages are capped anyway). */
const MAX_COVERED_REPORTS = 20;

interface Ctx {
  input: PolicyInput;
  out: DecisionBuilder;
  namespace: string;
  name: string;
  claims: IngressClaims;
  old: IngressClaims | undefined;
  /** Rule index of each host and of the first empty host, for field paths. */
  ruleIndex: Map<string, number>;
  /** The Ingress as a new claimant, and as one that held the claim before this request. */
  fresh: Claimant;
  holding: Claimant;
}

function claimant(c: Ctx, heldBefore: boolean): Claimant {
  return heldBefore ? c.holding : c.fresh;
}

function hostField(c: Ctx, host: string): string {
  return `spec.rules[${c.ruleIndex.get(host) ?? 0}].host ${shown(host)}`;
}

function checkPathsOnSharedHost(c: Ctx, host: string, paths: readonly IngressPathInfo[], holders: readonly HostHolder[]): void {
  const others = holders.filter((h) => h.namespace !== c.namespace);
  if (others.length === 0) return;
  // use-regex on any Ingress of a host makes every location of the host a regex.
  const regex = c.claims.regex || holders.some((h) => h.regex);
  for (const h of others) {
    const set = new PathSet(h.paths.map((path) => ({ path, regex })));
    for (const p of paths) {
      const hit = set.overlapping(p, regex);
      if (hit !== undefined)
        c.out.deny(
          RULES.hostUnique,
          `${hostField(c, host)} path ${shown(p.path)} overlaps path ${shown(hit)} of Ingress ${h.namespace}/${h.name}; namespaces sharing a host may not serve overlapping paths`,
        );
    }
  }
}

function checkHost(c: Ctx, host: string, paths: readonly IngressPathInfo[]): void {
  const index = c.input.cluster.ownership;
  const me = claimant(c, c.old?.hosts.has(host) === true);
  const holders = index.hostHolders(host);
  const own = ownershipFor(holders, me);
  if (own?.verdict === 'foreign') {
    c.out.deny(
      RULES.hostUnique,
      `${hostField(c, host)} is already served by Ingress ${own.owner.namespace}/${own.owner.name}${since(own.owner)}; a host belongs to the namespace of its oldest Ingress, and ${consentHint(own.owner, c.namespace)}`,
    );
    return;
  }
  checkPathsOnSharedHost(c, host, paths, holders);
  const parent = wildcardParent(host);
  if (parent === undefined) checkUnderWildcard(c, host, me);
  else checkOverHosts(c, host, parent, me);
}

/** A host under another namespace's wildcard belongs to that namespace. */
function checkUnderWildcard(c: Ctx, host: string, me: Claimant): void {
  const parent = parentDomain(host);
  if (parent === undefined) return;
  const wildcard = `*.${parent}`;
  const own = ownershipFor(c.input.cluster.ownership.hostHolders(wildcard), me);
  if (own?.verdict === 'foreign') {
    c.out.deny(
      RULES.hostUnique,
      `${hostField(c, host)} is under the wildcard "${wildcard}" of Ingress ${own.owner.namespace}/${own.owner.name}${since(own.owner)}; ${consentHint(own.owner, c.namespace)}`,
    );
  }
}

/** A wildcard may not cover hosts another namespace holds. */
function checkOverHosts(c: Ctx, wildcard: string, parent: string, me: Claimant): void {
  const index = c.input.cluster.ownership;
  let found = 0;
  for (const [ns, hosts] of index.hostsUnder(parent)) {
    if (ns === c.namespace) continue;
    for (const host of hosts.keys()) {
      const own = ownershipFor(index.hostHolders(host), me);
      if (own?.verdict !== 'foreign') continue;
      c.out.deny(
        RULES.hostUnique,
        `${hostField(c, wildcard)} would cover host "${host}" of Ingress ${own.owner.namespace}/${own.owner.name}${since(own.owner)}; ${consentHint(own.owner, c.namespace)}`,
      );
      if (++found >= MAX_COVERED_REPORTS) return;
    }
  }
}

function effectiveClass(c: Ctx): string {
  return c.claims.declaredClass || (c.input.config.ingress.classes.find((k) => k.default)?.name ?? '');
}

function catchAllHolders(c: Ctx, cls: string): Holder[] {
  const index = c.input.cluster.ownership;
  const isDefault = c.input.config.ingress.classes.some((k) => k.default && k.name === cls);
  const all = isDefault && cls !== '' ? [...index.catchAllHolders(cls), ...index.catchAllHolders('')] : [...index.catchAllHolders(cls)];
  return all.sort((a, b) => (ageKey(a) < ageKey(b) ? -1 : 1));
}

function checkCatchAll(c: Ctx, spec: Record<string, unknown>): void {
  if (!c.claims.catchAll) return;
  const field =
    spec.defaultBackend !== undefined && spec.defaultBackend !== null ? 'spec.defaultBackend' : `spec.rules[${c.ruleIndex.get('') ?? 0}].host (empty)`;
  const cls = effectiveClass(c);
  if (!c.input.config.ingress.catchAllNamespaces.includes(c.namespace)) {
    c.out.deny(
      RULES.catchAll,
      `${field} claims the catch-all of ingress class "${cls}" (every request no other host matches); namespace ${c.namespace} is not in the policy file's ingress.catchAllNamespaces: set a host on every rule and remove spec.defaultBackend`,
    );
    return;
  }
  const own = ownershipFor(catchAllHolders(c, cls), claimant(c, c.old?.catchAll === true));
  if (own?.verdict === 'foreign') {
    c.out.deny(
      RULES.catchAll,
      `${field} claims the catch-all of ingress class "${cls}", already held by Ingress ${own.owner.namespace}/${own.owner.name}${since(own.owner)}; ${consentHint(own.owner, c.namespace)}`,
    );
  }
}

function checkStaticVip(c: Ctx): void {
  const raw = c.input.request.object?.metadata?.annotations?.[`${HM_PREFIX}static-vip`];
  if (typeof raw !== 'string' || FORBIDDEN_CHARS.test(raw)) return; // unsafe values are denied by the annotation rules
  const field = `metadata.annotations["${HM_PREFIX}static-vip"]`;
  if (!checkVipPool({ vip: raw, field, namespace: c.namespace, config: c.input.config, rule: RULES.controllerValues, out: c.out })) return;
  checkVipUse({
    vip: raw,
    field,
    me: claimant(c, c.old?.vip !== undefined && c.old.vip === c.claims.vip),
    ports: [
      { port: 80, protocol: 'TCP' },
      { port: 443, protocol: 'TCP' },
    ],
    cluster: c.input.cluster,
    rules: { owner: RULES.vipOwner, sharing: RULES.vipOwner },
    out: c.out,
  });
}

function ruleIndexOf(spec: Record<string, unknown>): Map<string, number> {
  const out = new Map<string, number>();
  (Array.isArray(spec.rules) ? spec.rules : []).forEach((r, i) => {
    const host = r !== null && typeof r === 'object' && typeof (r as { host?: unknown }).host === 'string' ? (r as { host: string }).host : '';
    if (!out.has(host)) out.set(host, i);
  });
  return out;
}

/** Every ownership rule for the Ingress under review; `invalidHosts` failed the syntax check and are skipped. */
export function checkIngressOwnership(input: PolicyInput, spec: Record<string, unknown>, invalidHosts: ReadonlySet<string>, out: DecisionBuilder): void {
  const { request } = input;
  const namespace = request.namespace ?? '';
  const name = request.name ?? request.object?.metadata?.name ?? '';
  const slim = (o: typeof request.object) => slimIngress({ ...o, metadata: { ...o?.metadata, namespace, name } });
  const created = request.object?.metadata?.creationTimestamp;
  const c: Ctx = {
    input,
    out,
    namespace,
    name,
    claims: ingressClaims(slim(request.object)),
    old: request.oldObject ? ingressClaims(slim(request.oldObject)) : undefined,
    ruleIndex: ruleIndexOf(spec),
    fresh: { kind: 'Ingress', namespace, name },
    holding: { kind: 'Ingress', namespace, name, ...(typeof created === 'string' ? { created } : {}) },
  };
  checkShareWith(request.object?.metadata?.annotations, RULES.shareWith, out);
  for (const [host, paths] of c.claims.hosts) if (!invalidHosts.has(host)) checkHost(c, host, paths);
  checkCatchAll(c, spec);
  checkStaticVip(c);
}
