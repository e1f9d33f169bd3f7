/**
 * The mode and the exemptions of a rule as the report shows them. The policy
 * file's `modes` and exemption expiry are read the way src/policy/modes.ts
 * defines them; kept behind these two functions so the report has one place
 * that knows.
 */
import type { PolicyConfig } from '../config/types.js';

export type ReportMode = 'enforce' | 'warn' | 'audit' | 'off';

export function matchesRule(pattern: string, ruleId: string): boolean {
  return pattern === ruleId || (pattern.endsWith('.*') && ruleId.startsWith(pattern.slice(0, -1)));
}

export function modeOf(config: PolicyConfig, ruleId: string): ReportMode {
  const modes = (config as PolicyConfig & { modes?: Record<string, ReportMode> }).modes ?? {};
  if (Object.hasOwn(modes, ruleId)) return modes[ruleId] as ReportMode;
  const policy = `${ruleId.slice(0, ruleId.indexOf('.'))}.*`;
  return Object.hasOwn(modes, policy) ? (modes[policy] as ReportMode) : 'enforce';
}

/** A date-only expiry lasts through the end of that UTC day. */
export function expiryMs(expires: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(expires) ? Date.parse(`${expires}T23:59:59.999Z`) : Date.parse(expires);
}
