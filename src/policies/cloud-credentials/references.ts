/**
 * The credentials a Pod asks for: its own `credentials.harbormaster.io/inject`
 * and its ServiceAccount's `credentials.harbormaster.io/secret`, parsed
 * strictly. An entry is a Secret name (DNS subdomain) or `<own-ns>/<name>`;
 * anything else is denied rather than cut to something that happens to
 * parse (`team-b/x/team-a/y` once became `team-b/x`). Work is bounded: each
 * list is deduplicated and refused past MAX_REFERENCES before any look-up.
 */
import type { DecisionBuilder } from '../../policy/decision.js';
import type { PolicyInput } from '../../policy/types.js';
import { rec } from '../../kube/narrow.js';
import { DNS_LABEL, shown } from '../shared/values.js';
import { AWS_TYPE, GCP_TYPE, MAX_REFERENCES, POD_INJECT_ANNOTATION, RULES, SA_SECRET_ANNOTATION } from './names.js';

export interface Credential {
  name: string;
  provider: 'gcp' | 'aws';
  /** Where the reference came from, for messages. */
  from: string;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Calls `visit` with each trimmed, non-empty entry of a comma-separated
 * annotation value, in order, until it returns false. No intermediate array
 * or set: a 30,000-entry value costs one scan.
 */
export function forEachEntry(value: string | undefined, visit: (entry: string) => boolean | void): void {
  const v = value ?? '';
  for (let i = 0; i <= v.length;) {
    let j = v.indexOf(',', i);
    if (j < 0) j = v.length;
    const entry = v.slice(i, j).trim();
    if (entry && visit(entry) === false) return;
    i = j + 1;
  }
}

/** The distinct entries of a list, or undefined as soon as there are more than `max`. */
export function fewEntries(value: string | undefined, max: number): Set<string> | undefined {
  const out = new Set<string>();
  let over = false;
  forEachEntry(value, (e) => {
    out.add(e);
    over = out.size > max;
    return !over;
  });
  return over ? undefined : out;
}

/** The Secret name an entry names in namespace `ns`, or the reason it names none. */
function secretName(entry: string, ns: string): { name?: string; problem?: string } {
  const parts = entry.split('/');
  if (parts.length === 2 && DNS_LABEL.test(parts[0] ?? '') && parts[0] !== ns) {
    return { problem: `references Secret ${shown(entry)} in another namespace; create a copy in ${ns} and reference it by name` };
  }
  const name = parts.length === 2 && parts[0] === ns ? (parts[1] ?? '') : entry;
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    return {
      problem: `names ${shown(entry)}, which is not a valid Secret name (lower-case letters, digits, '-' and '.'); list Secrets of namespace ${ns} by name, comma-separated`,
    };
  }
  return { name };
}

interface Source {
  from: string;
  value: string | undefined;
}

function sourcesOf({ request, cluster }: PolicyInput): Source[] {
  const ns = request.namespace ?? '';
  const spec = rec(request.object?.spec) ?? {};
  const sa = typeof spec.serviceAccountName === 'string' && spec.serviceAccountName ? spec.serviceAccountName : 'default';
  return [
    { from: `metadata.annotations["${POD_INJECT_ANNOTATION}"]`, value: request.object?.metadata?.annotations?.[POD_INJECT_ANNOTATION] },
    { from: `ServiceAccount ${ns}/${sa} annotation ${SA_SECRET_ANNOTATION}`, value: cluster.getServiceAccount(ns, sa)?.annotations[SA_SECRET_ANNOTATION] },
  ];
}

/** Resolves one entry against the cache; a denial and undefined when it names no credential Secret. */
function lookUp(input: PolicyInput, out: DecisionBuilder, entry: string, from: string): Credential | undefined {
  const ns = input.request.namespace ?? '';
  const { name, problem } = secretName(entry, ns);
  if (name === undefined) {
    out.deny(RULES.reference, `${from} ${problem ?? ''}`);
    return undefined;
  }
  const secret = input.cluster.getSecret(ns, name);
  if (!secret) {
    out.deny(RULES.reference, `${from} references Secret ${ns}/${name}, which does not exist (of type ${GCP_TYPE} or ${AWS_TYPE}); create it first`);
    return undefined;
  }
  if (secret.type !== GCP_TYPE && secret.type !== AWS_TYPE) {
    out.deny(RULES.reference, `${from} references Secret ${ns}/${name} of type ${shown(secret.type)}; only ${GCP_TYPE} and ${AWS_TYPE} Secrets are injected`);
    return undefined;
  }
  return { name, provider: secret.type === GCP_TYPE ? 'gcp' : 'aws', from };
}

/**
 * Every credential the Pod asks for, once each, or undefined after denying
 * (every bad reference is reported, not just the first).
 */
export function resolveCredentials(input: PolicyInput, out: DecisionBuilder): Credential[] | undefined {
  const byName = new Map<string, Credential>();
  let ok = true;
  for (const { from, value } of sourcesOf(input)) {
    const list = fewEntries(value, MAX_REFERENCES);
    if (!list) {
      out.deny(
        RULES.reference,
        `${from} lists more than ${MAX_REFERENCES} distinct Secrets; a Pod uses at most one credential per provider (${GCP_TYPE}, ${AWS_TYPE}), so list at most ${MAX_REFERENCES}`,
      );
      ok = false;
      continue;
    }
    for (const entry of list) {
      const cred = lookUp(input, out, entry, from);
      if (!cred) ok = false;
      else if (!byName.has(cred.name)) byName.set(cred.name, cred);
    }
  }
  const creds = [...byName.values()];
  for (const provider of ['gcp', 'aws'] as const) {
    const of = creds.filter((c) => c.provider === provider);
    if (of.length > 1) {
      out.deny(
        RULES.onePerProvider,
        `${of.map((c) => `${c.name} (${c.from})`).join(' and ')} are both ${provider === 'gcp' ? GCP_TYPE : AWS_TYPE}; a Pod can use one credential per provider — drop one reference`,
      );
      ok = false;
    }
  }
  return ok ? creds : undefined;
}
