/**
 * Ingress annotations: the GKE-like controller keys under
 * `ingress.harbormaster.io/` and the nginx allow-list with risk levels.
 * Values are data: they are only ever compared and parsed, never rendered.
 */
import type { DecisionBuilder } from '../../policy/decision.js';
import type { PolicyConfig } from '../../config/types.js';
import { didYouMean } from '../shared/suggest.js';
import { FORBIDDEN_CHARS, intInRange, isBool, shown } from '../shared/values.js';
import { HM_KEYS, HM_PREFIX, NGINX_PREFIX, RISK_NAMESPACE_ANNOTATION, RULES } from './names.js';
import { NGINX_ANNOTATIONS, nginxAnnotation } from './nginx-annotations.js';
import { typeProblem } from './value-types.js';

const at = (key: string) => `metadata.annotations["${key}"]`;

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

export function checkIngressAnnotations(args: { annotations: Record<string, string>; namespaceRisk: string | undefined; config: PolicyConfig; out: DecisionBuilder }): void {
  const { annotations, out } = args;
  const hm = new Map<string, string>();
  const highAllowed = args.namespaceRisk === 'high';
  for (const [k, v] of Object.entries(annotations)) {
    const ours = k.startsWith(HM_PREFIX);
    const nginx = k.startsWith(NGINX_PREFIX);
    if (!ours && !nginx) continue;
    const key = k.slice((ours ? HM_PREFIX : NGINX_PREFIX).length);
    if (ours && !(HM_KEYS as readonly string[]).includes(key)) {
      out.deny(RULES.knownKeys, `${at(k)} is not a known key${didYouMean(key, HM_KEYS)}`);
      continue;
    }
    const entry = ours ? undefined : nginxAnnotation(key);
    // Critical first: a snippet is refused for what it is, whatever its value.
    if (entry?.risk === 'Critical') {
      out.deny(RULES.nginxRisk, `${at(k)} is Critical risk (${entry.why ?? 'raw configuration'}) and never allowed`);
      continue;
    }
    if (typeof v !== 'string' || FORBIDDEN_CHARS.test(v)) {
      out.deny(RULES.unsafeChars, `${at(k)} contains a control character, newline, brace or semicolon, which are never allowed`);
      continue;
    }
    if (ours) {
      hm.set(key, v);
      continue;
    }
    if (!entry) {
      out.deny(RULES.nginxAllowList, `${at(k)} is not on the nginx annotation allow-list${didYouMean(key, NGINX_ANNOTATIONS.filter((a) => a.risk !== 'Critical').map((a) => a.key))}`);
      continue;
    }
    if (entry.risk === 'High' && !highAllowed) {
      out.deny(RULES.nginxRisk, `${at(k)} is High risk${entry.why ? ` (${entry.why})` : ''}; it needs the namespace annotation ${RISK_NAMESPACE_ANNOTATION}: "high", set by the platform`);
      continue;
    }
    const problem = typeProblem(entry.type, v);
    if (problem) out.deny(RULES.nginxValues, `${at(k)} ${shown(v)} ${problem}`);
  }
  checkControllerKeys(hm, args.config, out);
}
