/**
 * The Cluster object's addon annotations (SPEC 5), parsed and checked — pure,
 * shared by the validating webhook and the manager:
 *   addons.harbormaster.io/<addon>: "enabled" | "disabled"
 *   addons.harbormaster.io/<addon>.values: YAML or JSON, checked against the addon's schema
 *   addons.harbormaster.io/<addon>.purge: "true" | "false"
 *   addons.harbormaster.io/<addon>.version: a bundle version the catalog keeps (holds the addon back)
 */
import { addonVersion, type Addon } from './catalog.js';
import { parseValuesText } from './values-text.js';

export const ADDON_PREFIX = 'addons.harbormaster.io/';
export const ADDON_LABEL = 'addons.harbormaster.io/name';

export interface AddonSetting {
  name: string;
  enabled: boolean;
  values: Record<string, unknown>;
  purge: boolean;
  /** The bundle version pinned with `.version`; undefined follows the catalog's current one. */
  version: string | undefined;
}

export interface AddonProblem {
  rule: 'addons.known-addon' | 'addons.state' | 'addons.values' | 'addons.no-credentials' | 'addons.version';
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

interface Grouped {
  states: Map<string, string>;
  rawValues: Map<string, string>;
  purge: Map<string, string>;
  version: Map<string, string>;
}

/** Sorts the `addons.harbormaster.io/` annotations by addon and field; unknown addons and fields are problems. */
function group(annotations: Readonly<Record<string, string>>, catalog: readonly Addon[], problems: AddonProblem[]): Grouped {
  const names = new Set(catalog.map((a) => a.name));
  const g: Grouped = { states: new Map(), rawValues: new Map(), purge: new Map(), version: new Map() };
  for (const [k, v] of Object.entries(annotations)) {
    if (!k.startsWith(ADDON_PREFIX)) continue;
    const rest = k.slice(ADDON_PREFIX.length);
    const dot = rest.indexOf('.');
    const name = dot < 0 ? rest : rest.slice(0, dot);
    const field = dot < 0 ? '' : rest.slice(dot + 1);
    if (!names.has(name)) {
      problems.push({
        rule: 'addons.known-addon',
        addon: name,
        message: `metadata.annotations["${k}"]: unknown addon "${name}"; the catalog has ${[...names].join(', ')}`,
      });
    } else if (field === '') g.states.set(name, v);
    else if (field === 'values') g.rawValues.set(name, v);
    else if (field === 'purge') g.purge.set(name, v);
    else if (field === 'version') g.version.set(name, v);
    else
      problems.push({
        rule: 'addons.state',
        addon: name,
        message: `metadata.annotations["${k}"]: unknown field "${field}" (use ${ADDON_PREFIX}${name}, .values, .version or .purge)`,
      });
  }
  return g;
}

/** One addon's values text: parsed, a mapping, no literal credentials, valid for its schema; undefined after a problem that stops it. */
function checkValues(addon: Addon, raw: string | undefined, problems: AddonProblem[]): Record<string, unknown> | undefined {
  const at = `metadata.annotations["${ADDON_PREFIX}${addon.name}.values"]`;
  if (raw === undefined || raw.trim() === '') return {};
  const text = parseValuesText(raw);
  if (!text.ok) {
    problems.push({ rule: 'addons.values', addon: addon.name, message: `${at} ${text.problem}` });
    return undefined;
  }
  const parsed = text.value;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push({ rule: 'addons.values', addon: addon.name, message: `${at} must be a mapping` });
    return undefined;
  }
  const values = parsed as Record<string, unknown>;
  for (const path of credentialPaths(values)) {
    problems.push({ rule: 'addons.no-credentials', addon: addon.name, message: `${at} ${path} looks like a credential; reference a Secret instead` });
  }
  for (const e of addon.validateValues(values)) problems.push({ rule: 'addons.values', addon: addon.name, message: `${at} ${e}` });
  return values;
}

export function parseAddonAnnotations(
  annotations: Readonly<Record<string, string>>,
  catalog: readonly Addon[],
): { settings: AddonSetting[]; problems: AddonProblem[] } {
  const problems: AddonProblem[] = [];
  const g = group(annotations, catalog, problems);
  const settings: AddonSetting[] = [];
  for (const addon of catalog) {
    const state = g.states.get(addon.name);
    const key = `${ADDON_PREFIX}${addon.name}`;
    if (state !== undefined && state !== 'enabled' && state !== 'disabled') {
      problems.push({ rule: 'addons.state', addon: addon.name, message: `metadata.annotations["${key}"] must be "enabled" or "disabled"` });
      continue;
    }
    const p = g.purge.get(addon.name);
    if (p !== undefined && p !== 'true' && p !== 'false') {
      problems.push({ rule: 'addons.state', addon: addon.name, message: `metadata.annotations["${key}.purge"] must be "true" or "false"` });
    }
    const pinned = g.version.get(addon.name);
    const bundle = addonVersion(addon, pinned);
    if (!bundle) {
      const kept = [addon, ...addon.older].map((a) => a.version).join(', ');
      problems.push({
        rule: 'addons.version',
        addon: addon.name,
        message: `metadata.annotations["${key}.version"]: the catalog has no version "${pinned}" of ${addon.name} (it keeps ${kept})`,
      });
      continue;
    }
    // Values are checked against the schema of the version that will render them.
    const values = checkValues(bundle, g.rawValues.get(addon.name), problems);
    if (values === undefined) continue;
    if (state !== undefined) settings.push({ name: addon.name, enabled: state === 'enabled', values, purge: p === 'true', version: pinned });
  }
  return { settings, problems };
}
