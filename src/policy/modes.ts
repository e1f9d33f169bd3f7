/**
 * Rule modes and exemptions from the policy file, resolved for one request.
 *
 * A mode says what a rule's finding does: `enforce` (a denial denies, a write
 * is made), `warn` (the denial becomes an admission warning, the write is not
 * made), `audit` (admitted silently; the finding is counted and reported by
 * `harbormaster audit`), `off` (the rule does nothing). The most specific
 * entry wins: the rule's own id, then `<policy>.*`, then `enforce`.
 *
 * An exemption drops a rule's findings for objects it names (by namespace,
 * name, or both) until it expires. Expiry is read against the clock the
 * caller passes, so review, audit and the server agree for the same instant.
 */
import type { Exemption, PolicyConfig, RuleMode } from '../config/types.js';

export type { RuleMode } from '../config/types.js';

/** What a finding of `rule` does under `config`. */
export function ruleMode(config: PolicyConfig, rule: string): RuleMode {
  const modes = config.modes;
  const own = modes[rule];
  if (own !== undefined) return own;
  const dot = rule.indexOf('.');
  return (dot > 0 ? modes[`${rule.slice(0, dot)}.*`] : undefined) ?? 'enforce';
}

/** Whether an exemption's `rule` (an id or `<policy>.*`) covers `rule`. */
export function exemptionCovers(exemption: Pick<Exemption, 'rule'>, rule: string): boolean {
  const r = exemption.rule;
  return r === rule || (r.endsWith('.*') && rule.startsWith(r.slice(0, -1)));
}

/**
 * The instant an exemption stops applying, in ms since the epoch. A bare date
 * (`2027-01-31`) means through the end of that day, UTC; a timestamp means
 * that instant. Undefined when the exemption does not expire.
 */
export function exemptionExpiry(exemption: Pick<Exemption, 'expires'>): number | undefined {
  const e = exemption.expires;
  if (e === undefined) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(e)) return Date.parse(`${e}T00:00:00Z`) + 24 * 3600 * 1000;
  return Date.parse(e);
}

export function exemptionState(exemption: Pick<Exemption, 'expires'>, nowMs: number): 'active' | 'expired' {
  const until = exemptionExpiry(exemption);
  return until !== undefined && nowMs >= until ? 'expired' : 'active';
}

/** The object a request is about, as exemptions name it. */
export interface ExemptionSubject {
  namespace: string | undefined;
  name: string | undefined;
}

function matchesSubject(e: Exemption, s: ExemptionSubject): boolean {
  if (e.namespaces !== undefined && (s.namespace === undefined || !e.namespaces.includes(s.namespace))) return false;
  if (e.names !== undefined && (s.name === undefined || !e.names.includes(s.name))) return false;
  return true;
}

/**
 * A predicate telling whether `rule` is exempt for this subject now. Built
 * once per request; the common case (no exemption names this subject)
 * answers with a constant function.
 */
export function exemptionMatcher(config: PolicyConfig, subject: ExemptionSubject, nowMs: number): (rule: string) => boolean {
  if (config.exemptions.length === 0) return () => false;
  const matching = config.exemptions.filter((e) => matchesSubject(e, subject) && exemptionState(e, nowMs) === 'active');
  if (matching.length === 0) return () => false;
  return (rule) => matching.some((e) => exemptionCovers(e, rule));
}
