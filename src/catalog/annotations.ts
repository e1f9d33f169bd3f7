/**
 * The Cluster object's addon annotations (SPEC 5), parsed and checked — pure,
 * shared by the validating webhook and the manager:
 *   addons.harbormaster.io/<addon>: "enabled" | "disabled"
 *   addons.harbormaster.io/<addon>.values: YAML or JSON, checked against the addon's schema
 *   addons.harbormaster.io/<addon>.purge: "true" | "false"
 */
import type { Addon } from './catalog.js';
import { parseValuesText } from './values-text.js';

export const ADDON_PREFIX = 'addons.harbormaster.io/';
export const ADDON_LABEL = 'addons.harbormaster.io/name';

export interface AddonSetting {
  name: string;
  enabled: boolean;
  values: Record<string, unknown>;
  purge: boolean;
}

export interface AddonProblem {
  rule: 'addons.known-addon' | 'addons.state' | 'addons.values' | 'addons.no-credentials';
  addon: string;
  message: string;
}

/** Keys that name a credential: holding a literal string there means a secret in an annotation. */
const CREDENTIAL_KEY = /(api[-_]?key|app[-_]?key|password|passwd|token|secret|private[-_]?key|credentials?|access[-_]?key)$/i;
/** …unless the key says it holds a reference to a Secret: `apiKeySecretName`, `tokenSecretRef`, `existingSecret`. */
const REFERENCE_KEY = /(secretname|secretref|secretkeyref|existingsecret)$/i;

/** Paths of string values under credential-like keys. */
export function credentialPaths(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => credentialPaths(v, `${path}/${i}`));
  if (value === null || typeof value !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const p = `${path}/${k}`;
    if (typeof v === 'string' && v.length > 0 && CREDENTIAL_KEY.test(k) && !REFERENCE_KEY.test(k)) {
      out.push(p);
    } else {
      out.push(...credentialPaths(v, p));
    }
  }
  return out;
}

export function parseAddonAnnotations(annotations: Readonly<Record<string, string>>, catalog: readonly Addon[]): { settings: AddonSetting[]; problems: AddonProblem[] } {
  const problems: AddonProblem[] = [];
  const byName = new Map(catalog.map((a) => [a.name, a]));
  const states = new Map<string, string>();
  const rawValues = new Map<string, string>();
  const purge = new Map<string, string>();
  for (const [k, v] of Object.entries(annotations)) {
    if (!k.startsWith(ADDON_PREFIX)) continue;
    const rest = k.slice(ADDON_PREFIX.length);
    const dot = rest.indexOf('.');
    const name = dot < 0 ? rest : rest.slice(0, dot);
    const field = dot < 0 ? '' : rest.slice(dot + 1);
    if (!byName.has(name)) {
      problems.push({ rule: 'addons.known-addon', addon: name, message: `metadata.annotations["${k}"]: unknown addon "${name}"; the catalog has ${[...byName.keys()].join(', ')}` });
      continue;
    }
    if (field === '') states.set(name, v);
    else if (field === 'values') rawValues.set(name, v);
    else if (field === 'purge') purge.set(name, v);
    else problems.push({ rule: 'addons.state', addon: name, message: `metadata.annotations["${k}"]: unknown field "${field}" (use ${ADDON_PREFIX}${name}, .values or .purge)` });
  }
  const settings: AddonSetting[] = [];
  for (const addon of catalog) {
    const state = states.get(addon.name);
    const key = `${ADDON_PREFIX}${addon.name}`;
    if (state !== undefined && state !== 'enabled' && state !== 'disabled') {
      problems.push({ rule: 'addons.state', addon: addon.name, message: `metadata.annotations["${key}"] must be "enabled" or "disabled"` });
      continue;
    }
    const p = purge.get(addon.name);
    if (p !== undefined && p !== 'true' && p !== 'false') {
      problems.push({ rule: 'addons.state', addon: addon.name, message: `metadata.annotations["${key}.purge"] must be "true" or "false"` });
    }
    let values: Record<string, unknown> = {};
    const raw = rawValues.get(addon.name);
    if (raw !== undefined && raw.trim() !== '') {
      const text = parseValuesText(raw);
      if (!text.ok) {
        problems.push({ rule: 'addons.values', addon: addon.name, message: `metadata.annotations["${key}.values"] ${text.problem}` });
        continue;
      }
      const parsed = text.value;
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        problems.push({ rule: 'addons.values', addon: addon.name, message: `metadata.annotations["${key}.values"] must be a mapping` });
        continue;
      }
      values = parsed as Record<string, unknown>;
      const creds = credentialPaths(values);
      for (const path of creds) {
        problems.push({ rule: 'addons.no-credentials', addon: addon.name, message: `metadata.annotations["${key}.values"] ${path} looks like a credential; reference a Secret instead` });
      }
      for (const e of addon.validateValues(values)) {
        problems.push({ rule: 'addons.values', addon: addon.name, message: `metadata.annotations["${key}.values"] ${e}` });
      }
    }
    if (state !== undefined) settings.push({ name: addon.name, enabled: state === 'enabled', values, purge: p === 'true' });
  }
  return { settings, problems };
}
