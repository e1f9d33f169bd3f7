/**
 * Ingress annotations: the GKE-like controller keys under
 * `ingress.harbormaster.io/` and the nginx allow-list with risk levels.
 * Values are data: they are only ever compared and parsed, never rendered.
 */
import type { DecisionBuilder } from '../../policy/decision.js';
import type { PolicyConfig } from '../../config/types.js';
import { suggester } from '../shared/suggest.js';
import { FORBIDDEN_CHARS, intInRange, isBool, shown } from '../shared/values.js';
import { HM_KEYS, HM_PREFIX, NGINX_PREFIX, RISK_NAMESPACE_ANNOTATION, RULES } from './names.js';
import { ALLOWED_NGINX_KEYS, isSnippetKey, nginxAnnotation } from './nginx-annotations.js';
import { referenceProblem } from './references.js';
import { typeProblem } from './value-types.js';

/** The field path of an annotation; the key is JSON-quoted (and capped) because it is tenant input too. */
const at = (key: string) => `metadata.annotations[${JSON.stringify(key.length > 320 ? `${key.slice(0, 320)}…` : key)}]`;

/** Why a snippet key of another controller is refused (ours carry their own reason in the table). */
const FOREIGN_SNIPPET = 'raw proxy configuration for whichever controller reads this prefix';

function checkControllerKeys(hm: Map<string, string>, _config: PolicyConfig, out: DecisionBuilder): void {
  const bad = (key: string, what: string) => out.deny(RULES.controllerValues, `${at(HM_PREFIX + key)} ${shown(hm.get(key) ?? '')} ${what}`);
  // static-vip: pool, ownership and sharing are checked with the Service VIP rules (ownership.ts).
  for (const key of ['allow-http', 'ssl-redirect']) {
    const v = hm.get(key);
    if (v !== undefined && !isBool(v)) bad(key, 'must be "true" or "false"');
  }
  const min = hm.get('min-replicas');
  const max = hm.get('max-replicas');
  if (min !== undefined && !intInRange(min, 1, 100)) bad('min-replicas', 'must be a whole number from 1 to 100');
  if (max !== undefined && !intInRange(max, 1, 100)) bad('max-replicas', 'must be a whole number from 1 to 100');
  if (min !== undefined && max !== undefined && intInRange(min, 1, 100) && intInRange(max, 1, 100) && Number(min) > Number(max)) {
    bad('min-replicas', `must not exceed max-replicas (${max})`);
  }
  const cpu = hm.get('target-cpu-utilization');
  if (cpu !== undefined && !intInRange(cpu, 1, 100)) bad('target-cpu-utilization', 'must be a whole number from 1 to 100');
}

interface KeyCtx {
  out: DecisionBuilder;
  refs: { namespace: string; namespaceExists: (name: string) => boolean };
  highAllowed: boolean;
  suggest: ReturnType<typeof suggester>;
}

/** An nginx key with a safe value: on the allow-list, within the namespace's risk, references at home, value of its type. */
function checkNginxKey(k: string, key: string, v: string, ctx: KeyCtx): void {
  const { out } = ctx;
  const entry = nginxAnnotation(key);
  if (!entry) {
    out.deny(
      RULES.nginxAllowList,
      `${at(k)} is not on the nginx annotation allow-list${ctx.suggest(key, ALLOWED_NGINX_KEYS, '; see `harbormaster policies` for the keys allowed')}`,
    );
    return;
  }
  if (entry.risk === 'High' && !ctx.highAllowed) {
    out.deny(
      RULES.nginxRisk,
      `${at(k)} is High risk${entry.why ? ` (${entry.why})` : ''}; it needs the namespace annotation ${RISK_NAMESPACE_ANNOTATION}: "high", set by the platform`,
    );
    return;
  }
  const elsewhere = referenceProblem(entry.type, v, ctx.refs);
  if (elsewhere) {
    out.deny(RULES.references, `${at(k)} ${elsewhere}`);
    return;
  }
  const problem = typeProblem(entry.type, v);
  if (problem) out.deny(RULES.nginxValues, `${at(k)} ${shown(v)} ${problem}`);
}

/**
 * Checks every controller annotation of an Ingress. Snippet keys are refused
 * under any prefix; other keys are looked at only under our two prefixes.
 */
export function checkIngressAnnotations(args: {
  annotations: Record<string, string>;
  /** The Ingress's namespace: references must stay in it. */
  namespace: string;
  namespaceExists: (name: string) => boolean;
  namespaceRisk: string | undefined;
  config: PolicyConfig;
  out: DecisionBuilder;
}): void {
  const { annotations, out } = args;
  const ctx: KeyCtx = {
    out,
    refs: { namespace: args.namespace, namespaceExists: args.namespaceExists },
    highAllowed: args.namespaceRisk === 'high',
    suggest: suggester(),
  };
  const hm = new Map<string, string>();
  for (const [k, v] of Object.entries(annotations)) {
    const ours = k.startsWith(HM_PREFIX);
    const nginx = k.startsWith(NGINX_PREFIX);
    // Critical first: a snippet is refused for what it is, whatever its value or prefix.
    if (isSnippetKey(k)) {
      const why = nginx ? nginxAnnotation(k.slice(NGINX_PREFIX.length))?.why : FOREIGN_SNIPPET;
      out.deny(RULES.nginxRisk, `${at(k)} is Critical risk (${why ?? 'raw configuration'}) and never allowed`);
      continue;
    }
    if (!ours && !nginx) continue;
    const key = k.slice((ours ? HM_PREFIX : NGINX_PREFIX).length);
    if (ours && !(HM_KEYS as readonly string[]).includes(key)) {
      out.deny(RULES.knownKeys, `${at(k)} is not a known key${ctx.suggest(key, HM_KEYS, `; valid keys: ${HM_KEYS.join(', ')}`)}`);
      continue;
    }
    if (nginxAnnotation(key)?.risk === 'Critical' && nginx) {
      out.deny(RULES.nginxRisk, `${at(k)} is Critical risk (${nginxAnnotation(key)?.why ?? 'raw configuration'}) and never allowed`);
      continue;
    }
    if (typeof v !== 'string' || FORBIDDEN_CHARS.test(v)) {
      out.deny(RULES.unsafeChars, `${at(k)} contains a control character, newline, brace or semicolon, which are never allowed`);
      continue;
    }
    if (ours) hm.set(key, v);
    else checkNginxKey(k, key, v, ctx);
  }
  checkControllerKeys(hm, args.config, out);
}
