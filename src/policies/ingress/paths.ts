/**
 * `spec.rules[].http.paths[]`: the path character allow-list for every
 * pathType, and ImplementationSpecific as a High-risk pathType (SPEC 3.5).
 *
 * ingress-nginx renders each path into a `location` block. Before its strict
 * path validation, Prefix and ImplementationSpecific paths such as
 * `/api/ { return 200; #` or paths with newlines injected configuration
 * (CVE-2021-25745, CVE-2021-25748, and the 2026 advisories of the same
 * class); ImplementationSpecific paths are passed through with the least
 * checking by every controller, so they need the namespace opt-in.
 */
import type { DecisionBuilder } from '../../policy/decision.js';
import type { PolicyInput } from '../../policy/types.js';
import { arr, rec } from '../../kube/narrow.js';
import { shown } from '../shared/values.js';
import { NGINX_PREFIX, RISK_NAMESPACE_ANNOTATION, RULES } from './names.js';
import { MAX_PATH_LENGTH, PATH_CHARSET_TEXT, REGEX_PATH_CHARS, firstOffendingChar } from './path-chars.js';

/** The annotation that makes every path of the Ingress an nginx regex. */
export const USE_REGEX = `${NGINX_PREFIX}use-regex`;

/**
 * What is wrong with one path string, or undefined. `regex` is whether the
 * Ingress has `use-regex: "true"`: then regex characters are allowed and the
 * path must compile (a regex nginx refuses would fail the reload for every
 * tenant on the controller).
 */
export function pathProblem(path: string, regex: boolean): string | undefined {
  const accepted = `paths may use only ${PATH_CHARSET_TEXT}${regex ? `, plus ${REGEX_PATH_CHARS} (use-regex)` : ''}`;
  if (!path.startsWith('/')) return `${shown(path)} must start with /`;
  if (path.length > MAX_PATH_LENGTH) return `is ${path.length} characters long; at most ${MAX_PATH_LENGTH} are allowed`;
  const bad = firstOffendingChar(path, { regex });
  if (bad) {
    const hint = !regex && REGEX_PATH_CHARS.includes(bad.char) ? `; ${shown(bad.char)} is a regex character, which needs ${USE_REGEX}: "true" (High risk)` : '';
    const what = bad.char === '%' ? `"%" not followed by two hex digits` : shown(bad.char);
    return `contains ${what} at position ${bad.index}, which is not allowed; ${accepted}${hint}`;
  }
  if (regex) {
    try {
      new RegExp(path);
    } catch {
      return `${shown(path)} is not a valid regular expression (this Ingress has ${USE_REGEX}: "true")`;
    }
  }
  return undefined;
}

const REGEX_META = '.^$*+?()[]{}|\\';

/** Whether a regex has a `|` outside every group and class: then it is unanchored and matches anywhere. */
function topLevelAlternation(path: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}

/**
 * The longest literal prefix of a regex path: everything up to the first
 * regex metacharacter, minus the character before a `?`, `*` or `{` (it may
 * be absent), lower-cased because ingress-nginx regex locations (`~*`) are
 * case-insensitive. A regex owns everything under this prefix when overlaps
 * are checked. `/` when nothing is literal, and for a top-level `|`, since
 * `^/a|/b` matches `/b` anywhere in the URI.
 */
export function regexLiteralPrefix(path: string): string {
  if (topLevelAlternation(path)) return '/';
  let end = 0;
  while (end < path.length && !REGEX_META.includes(path[end]!)) end++;
  const stop = path[end];
  const prefix = stop === '?' || stop === '*' || stop === '{' ? path.slice(0, Math.max(0, end - 1)) : path.slice(0, end);
  return (prefix || '/').toLowerCase();
}

/** `field` is built only when a message needs it: 20,000 paths should not cost 20,000 strings. */
function checkOne(fieldOf: () => string, raw: Record<string, unknown>, ctx: { regex: boolean; highAllowed: boolean }, out: DecisionBuilder): void {
  const pathType = typeof raw.pathType === 'string' ? raw.pathType : undefined;
  if (pathType === undefined) out.deny(RULES.pathType, () => `${fieldOf()}.pathType is required: Exact, Prefix or ImplementationSpecific`);
  if (pathType === 'ImplementationSpecific' && !ctx.highAllowed) {
    out.deny(
      RULES.pathType,
      `${fieldOf()}.pathType ImplementationSpecific is High risk (the controller interprets such paths its own way); use Prefix or Exact, or ask the platform for the namespace annotation ${RISK_NAMESPACE_ANNOTATION}: "high"`,
    );
  }
  const path = raw.path;
  if (path === undefined || path === null || path === '') {
    // The API server leaves an absent path absent: Prefix and Exact then fail its validation, ImplementationSpecific means "/".
    if (pathType === 'Prefix' || pathType === 'Exact')
      out.deny(RULES.path, `${fieldOf()}.path is required for pathType ${pathType}: an absolute path starting with /`);
    return;
  }
  if (typeof path !== 'string') {
    out.deny(RULES.path, `${fieldOf()}.path must be a string starting with /`);
    return;
  }
  const problem = pathProblem(path, ctx.regex);
  if (problem) out.deny(RULES.path, `${fieldOf()}.path ${problem}`);
}

/** Checks every path of every rule; linear in the number and length of the paths. */
export function checkPaths({ request, cluster }: PolicyInput, spec: Record<string, unknown>, out: DecisionBuilder): void {
  const annotations = rec(request.object?.metadata?.annotations) ?? {};
  const ctx = {
    regex: annotations[USE_REGEX] === 'true',
    highAllowed: cluster.getNamespace(request.namespace ?? '')?.annotations[RISK_NAMESPACE_ANNOTATION] === 'high',
  };
  arr(spec.rules).forEach((r, i) => {
    arr(rec(rec(r)?.http)?.paths).forEach((p, j) => checkOne(() => `spec.rules[${i}].http.paths[${j}]`, rec(p) ?? {}, ctx, out));
  });
}
