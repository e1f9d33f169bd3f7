/**
 * Loading the policy file: YAML → JSON Schema validation (every error, by
 * path) → semantic checks the schema cannot express → defaults filled in.
 * Never throws for bad content: returns the list of problems instead, so the
 * caller decides (exit at start, keep the last good config on reload).
 */
import { readFileSync } from 'node:fs';
import { addonNamespaces } from '../catalog/catalog.js';
import { Ajv, type ErrorObject } from 'ajv';
import ipaddr from 'ipaddr.js';
import { parseDocument } from 'yaml';
import { policySchema } from './schema.js';
import type { PolicyConfig } from './types.js';

export const DEFAULT_SYSTEM_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease', 'harbormaster-system'];

/** The server's ServiceAccount, and the controllers that delete a terminating namespace's objects. */
export const DEFAULT_TRUSTED_WRITERS = [
  'system:serviceaccount:harbormaster-system:harbormaster',
  'system:serviceaccount:kube-system:namespace-controller',
  'system:serviceaccount:kube-system:generic-garbage-collector',
];

/**
 * The platform when the policy file has no `platform` section: cluster-admins
 * (`system:masters`). They can already rewrite the policy ConfigMap and the
 * webhook configurations, so counting them as platform grants nothing new,
 * and an upgrade does not take quota profiles out of the operators' hands. A
 * `platform` section that is present means exactly what it lists (missing
 * lists are empty). Harbormaster's own ServiceAccount counts either way.
 */
export const DEFAULT_PLATFORM: PolicyConfig['platform'] = { users: [], groups: ['system:masters'], serviceAccounts: [] };

export interface ConfigProblem {
  /** JSON pointer of the offending value, `/` for the document. */
  path: string;
  message: string;
}

export type ConfigResult = { ok: true; config: PolicyConfig } | { ok: false; problems: ConfigProblem[] };

type Validator = ReturnType<Ajv['compile']>;
let compiled: Validator | undefined;

/** Compiled on first use, not at import time. */
function validator(): Validator {
  // strictRequired is off: `required: ['default']` names a key matched by additionalProperties.
  compiled ??= new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(policySchema);
  return compiled;
}

function describe(e: ErrorObject): ConfigProblem {
  const base = e.instancePath || '/';
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    return { path: `${e.instancePath}/${extra}`, message: 'unknown field' };
  }
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    return { path: `${e.instancePath}/${missing}`, message: 'required field is missing' };
  }
  return { path: base, message: e.message ?? e.keyword };
}

/** A calendar date or timestamp that exists (the schema checks only its shape). */
function realInstant(text: string): boolean {
  const [y = 0, m = 0, d = 0] = text.slice(0, 10).split('-').map(Number);
  const day = new Date(Date.UTC(y, m - 1, d));
  // Date.UTC rolls 2027-02-30 over to March 2; comparing the parts back catches it.
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return false;
  return text.length === 10 || Number.isFinite(Date.parse(text));
}

/** Checks the schema cannot express: CIDRs parse, at most one default class, exemptions say what they cover. */
function semanticProblems(c: PolicyConfig, ruleIds: ReadonlySet<string> | undefined): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const policies = ruleIds && new Set([...ruleIds].map((id) => id.slice(0, id.indexOf('.'))));
  const unknownRule = (ref: string): boolean => ruleIds !== undefined && (ref.endsWith('.*') ? !policies?.has(ref.slice(0, -2)) : !ruleIds.has(ref));
  for (const ref of Object.keys(c.modes)) {
    if (unknownRule(ref)) problems.push({ path: `/modes/${ref.replace(/~/g, '~0').replace(/\//g, '~1')}`, message: `no rule or policy "${ref}"` });
  }
  c.exemptions.forEach((e, i) => {
    if (e.namespaces === undefined && e.names === undefined) {
      problems.push({
        path: `/exemptions/${i}`,
        message: 'name the namespaces, the object names or both it covers (to disable a rule everywhere, set its mode to off)',
      });
    }
    if (unknownRule(e.rule)) problems.push({ path: `/exemptions/${i}/rule`, message: `no rule or policy "${e.rule}"` });
    if (e.expires !== undefined && !realInstant(e.expires)) {
      problems.push({ path: `/exemptions/${i}/expires`, message: `"${e.expires}" is not a real date or time` });
    }
  });
  c.loadBalancer.vipPools.forEach((pool, i) => {
    pool.cidrs.forEach((cidr, j) => {
      try {
        ipaddr.parseCIDR(cidr);
      } catch {
        problems.push({ path: `/loadBalancer/vipPools/${i}/cidrs/${j}`, message: `"${cidr}" is not a CIDR` });
      }
    });
  });
  const defaults = c.ingress.classes.filter((k) => k.default === true);
  if (defaults.length > 1) {
    problems.push({ path: '/ingress/classes', message: 'at most one class may be the default' });
  }
  return problems;
}

/** Addon namespaces are platform namespaces whatever the file says: the agents must not fall under tenant quota. */
export function withPlatformNamespaces(systemNamespaces: readonly string[]): string[] {
  return [...new Set([...systemNamespaces, ...addonNamespaces()])];
}

type RawConfig = Partial<Omit<PolicyConfig, 'resourceDefaults' | 'platform'>> & {
  platform?: Partial<PolicyConfig['platform']>;
  resourceDefaults: Partial<PolicyConfig['resourceDefaults']> & Pick<PolicyConfig['resourceDefaults'], 'profiles'>;
};

function withDefaults(raw: RawConfig): PolicyConfig {
  return {
    systemNamespaces: withPlatformNamespaces(raw.systemNamespaces ?? DEFAULT_SYSTEM_NAMESPACES),
    platform: raw.platform ? { users: [], groups: [], serviceAccounts: [], ...raw.platform } : structuredClone(DEFAULT_PLATFORM),
    modes: raw.modes ?? {},
    exemptions: raw.exemptions ?? [],
    resourceDefaults: { bestEffortPods: 20, trustedWriters: DEFAULT_TRUSTED_WRITERS, ...raw.resourceDefaults },
    loadBalancer: { vipPools: [], externalIPNamespaces: [], ...raw.loadBalancer },
    ingress: { classes: [], catchAllNamespaces: [], ...raw.ingress },
    addonSidecars: { native: true, ...raw.addonSidecars },
    ...(raw.dataLoading ? { dataLoading: raw.dataLoading } : {}),
  };
}

export interface ParseOptions {
  /**
   * Every rule id the server knows (src/policies): modes and exemptions that
   * name another rule are refused, so a typo does not silently enforce what
   * it meant to relax. Without it, rule references are checked for shape only.
   */
  ruleIds?: ReadonlySet<string>;
}

/** Parses and validates policy YAML/JSON text. */
export function parseConfig(text: string, options: ParseOptions = {}): ConfigResult {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map((e) => ({ path: '/', message: e.message.split('\n')[0] ?? 'invalid YAML' })) };
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 50 });
  const validate = validator();
  if (!validate(raw)) {
    return { ok: false, problems: (validate.errors ?? []).map(describe) };
  }
  const config = withDefaults(raw as RawConfig);
  const problems = semanticProblems(config, options.ruleIds);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}

export function loadConfigFile(path: string, options: ParseOptions = {}): ConfigResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { ok: false, problems: [{ path: '/', message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` }] };
  }
  return parseConfig(text, options);
}

export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems.map((p) => `  ${p.path}: ${p.message}`).join('\n');
}
