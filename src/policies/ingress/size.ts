/**
 * `ingress.size`: an upper bound on what one Ingress may declare. The API
 * server accepts a 3 MiB Ingress with 20,000 hosts or paths; every one of
 * them costs admission time (ownership look-ups, path checks) and the
 * controller a server block or location. Far above any hand-written or
 * generated Ingress seen in practice; past it, the Ingress should be split.
 * Checked first and alone, so an oversized request costs one count.
 */
import { recOrEmpty } from '../../kube/narrow.js';
import type { DecisionBuilder } from '../../policy/decision.js';
import { RULES } from './names.js';

export const MAX_RULES = 1000;
export const MAX_PATHS = 5000;
export const MAX_TLS = 1000;

const len = (v: unknown): number => (Array.isArray(v) ? v.length : 0);

/** Denies and returns false when the Ingress is larger than the bounds. */
export function checkSize(spec: Record<string, unknown>, out: DecisionBuilder): boolean {
  const rules = Array.isArray(spec.rules) ? spec.rules : [];
  let paths = 0;
  for (const r of rules) paths += len(recOrEmpty(recOrEmpty(r).http).paths);
  const over: string[] = [];
  if (rules.length > MAX_RULES) over.push(`spec.rules has ${rules.length} entries (at most ${MAX_RULES})`);
  if (paths > MAX_PATHS) over.push(`spec.rules[*].http.paths has ${paths} entries in all (at most ${MAX_PATHS})`);
  if (len(spec.tls) > MAX_TLS) over.push(`spec.tls has ${len(spec.tls)} entries (at most ${MAX_TLS})`);
  for (const o of over) out.deny(RULES.size, `${o}; split the Ingress into several`);
  return over.length === 0;
}
