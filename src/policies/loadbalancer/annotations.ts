/** The `lb.harbormaster.io/` annotation grammar of SPEC 3.4, one check per key. */
import type { DecisionBuilder } from '../../policy/decision.js';
import { suggester } from '../shared/suggest.js';
import { DNS_LABEL, FORBIDDEN_CHARS, intInRange, isBool, shown } from '../shared/values.js';
import { ALGORITHMS, LB_KEYS, LB_PREFIX, RULES } from './names.js';

const at = (key: string) => `metadata.annotations["${LB_PREFIX}${key}"]`;

export interface LbAnnotations {
  vip?: string;
  sharedVipKey?: string;
  dsr?: boolean;
}

/** The `lb.harbormaster.io/` keys present, by short name; unknown keys and unsafe values are denied here. */
function collect(annotations: Record<string, string>, out: DecisionBuilder): Record<string, string> {
  const lb: Record<string, string> = {};
  const suggest = suggester();
  for (const [k, v] of Object.entries(annotations)) {
    if (!k.startsWith(LB_PREFIX)) continue;
    const key = k.slice(LB_PREFIX.length);
    if (!(LB_KEYS as readonly string[]).includes(key)) {
      out.deny(RULES.knownKeys, `${at(key)} is not a known key${suggest(key, LB_KEYS, `; valid keys: ${LB_KEYS.join(', ')}`)}`);
    } else if (typeof v !== 'string' || FORBIDDEN_CHARS.test(v)) {
      out.deny(RULES.values, `${at(key)} contains a control character, brace or semicolon`);
    } else {
      lb[key] = v;
    }
  }
  return lb;
}

type Bad = (key: string, what: string) => void;

function checkDsr(lb: Record<string, string>, spec: { externalTrafficPolicy?: unknown }, bad: Bad, out: DecisionBuilder): void {
  if (lb.dsr === undefined) return;
  if (!isBool(lb.dsr)) bad('dsr', 'must be "true" or "false"');
  else if (lb.dsr === 'true' && spec.externalTrafficPolicy !== 'Local') {
    out.deny(RULES.values, `${at('dsr')} "true" requires spec.externalTrafficPolicy: Local (direct server return answers from the node the packet reached)`);
  }
}

function checkHealth(lb: Record<string, string>, bad: Bad): void {
  const interval = lb['health-check-interval'];
  const timeout = lb['health-check-timeout'];
  const intervalOk = interval !== undefined && intInRange(interval, 1, 300);
  if (interval !== undefined && !intervalOk) bad('health-check-interval', 'must be a whole number of seconds from 1 to 300');
  if (timeout !== undefined && !intInRange(timeout, 1, 299)) bad('health-check-timeout', 'must be a whole number of seconds from 1 to 299');
  else if (timeout !== undefined && intervalOk && Number(timeout) >= Number(interval))
    bad('health-check-timeout', `must be less than health-check-interval (${interval})`);
  const path = lb['health-check-path'];
  if (path !== undefined && !(path.startsWith('/') && path.length <= 256 && /^[\x21-\x7e]+$/.test(path))) {
    bad('health-check-path', 'must start with /, be at most 256 characters, printable ASCII without spaces');
  }
}

/** Checks every `lb.harbormaster.io/` key; returns the values later rules need. */
export function checkLbAnnotations(annotations: Record<string, string>, spec: { externalTrafficPolicy?: unknown }, out: DecisionBuilder): LbAnnotations {
  const lb = collect(annotations, out);
  const bad: Bad = (key, what) => out.deny(RULES.values, `${at(key)} ${shown(lb[key] ?? '')} ${what}`);
  if (lb['shared-vip-key'] !== undefined && !DNS_LABEL.test(lb['shared-vip-key'])) bad('shared-vip-key', 'must be a DNS label');
  if (lb.algorithm !== undefined && !ALGORITHMS.includes(lb.algorithm)) bad('algorithm', `must be one of ${ALGORITHMS.join(', ')}`);
  checkDsr(lb, spec, bad, out);
  checkHealth(lb, bad);
  if (lb['idle-timeout'] !== undefined && !intInRange(lb['idle-timeout'], 1, 3600)) bad('idle-timeout', 'must be a whole number of seconds from 1 to 3600');
  return {
    ...(lb.vip !== undefined ? { vip: lb.vip } : {}),
    ...(lb['shared-vip-key'] !== undefined ? { sharedVipKey: lb['shared-vip-key'] } : {}),
    ...(lb.dsr !== undefined ? { dsr: lb.dsr === 'true' } : {}),
  };
}
