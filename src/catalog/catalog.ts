/**
 * The addon catalog: every bundle under addons/<name>/<version>/ (a Helm
 * chart plus addon.yaml), loaded once at start. A bundle version is never
 * edited once released; the catalog keeps the newest and the one before it,
 * so an operator can hold a cluster back with
 * `addons.harbormaster.io/<addon>.version`. Each version carries a digest of
 * its chart files (the render cache key) and a compiled validator of its
 * values schema.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse } from 'yaml';
import { ADDONS_DIR } from '../paths.js';
import { addonMetaSchema, type AddonMeta, type ApiCalls, type GeneratedSecret, type ImagePin, type PodSecurityLevel } from './addon-meta.js';

export interface ReadyWorkload {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  name: string;
}

/** A sidecar an addon offers to tenant Pods (SPEC 3.3), declared in its addon.yaml. */
export interface SidecarSpec {
  name: string;
  description: string;
  /** A container to add (as a native sidecar where supported). */
  container?: { image: string; args?: string[]; resources?: { requests?: Record<string, string>; limits?: Record<string, string> } };
  /** An emptyDir shared by every container of the Pod and the sidecar. */
  sharedVolume?: { name: string; mountPath: string };
  /** Env vars added to every container. */
  env?: Array<Record<string, unknown>>;
}

export interface Addon {
  name: string;
  description: string;
  namespace: string;
  version: string;
  appVersion: string;
  dependencies: string[];
  sidecars: SidecarSpec[];
  ready: ReadyWorkload[];
  /** The Pod Security level its namespace enforces (the manager labels the namespace). */
  podSecurity: PodSecurityLevel;
  images: ImagePin[];
  apiCalls: ApiCalls[];
  generatedSecrets: GeneratedSecret[];
  /** Older versions kept in the catalog, newest first (empty on an older version itself). */
  older: Addon[];
  chartDir: string;
  /** sha256 over every file of the chart: changes when the bundle changes. */
  digest: string;
  /** Problems of `values` against values.schema.json, by path; empty when valid. */
  validateValues(values: unknown): string[];
}

function files(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((e) => {
      const p = join(dir, e);
      return statSync(p).isDirectory() ? files(p) : [p];
    });
}

function digestOf(dir: string): string {
  const h = createHash('sha256');
  for (const f of files(dir)) h.update(relative(dir, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex');
}

function describeError(e: ErrorObject): string {
  const at = e.instancePath || '/';
  if (e.keyword === 'additionalProperties') return `${at === '/' ? '' : at}/${(e.params as { additionalProperty: string }).additionalProperty}: unknown field`;
  return `${at}: ${e.message ?? e.keyword}`;
}

const VERSION = /^(\d+)\.(\d+)\.(\d+)$/;

/** Orders MAJOR.MINOR.PATCH versions (the only form bundle versions take). */
export function compareVersions(a: string, b: string): number {
  const pa = VERSION.exec(a)?.slice(1).map(Number) ?? [];
  const pb = VERSION.exec(b)?.slice(1).map(Number) ?? [];
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

function readMeta(dir: string, where: string, ajv: Ajv): AddonMeta {
  const meta = parse(readFileSync(join(dir, 'addon.yaml'), 'utf8')) as unknown;
  const check = ajv.compile(addonMetaSchema);
  if (!check(meta)) throw new Error(`${where}/addon.yaml: ${(check.errors ?? []).map(describeError).join('; ')}`);
  return meta as AddonMeta;
}

export function loadAddon(dir: string, name: string, ajv: Ajv): Addon {
  const chart = parse(readFileSync(join(dir, 'Chart.yaml'), 'utf8')) as { version: string; appVersion?: string; name: string };
  const where = `addons/${name}/${relative(join(dir, '..'), dir)}`;
  if (chart.name !== name) throw new Error(`${where}: Chart.yaml name is ${chart.name}`);
  if (!VERSION.test(String(chart.version)) || relative(join(dir, '..'), dir) !== String(chart.version)) {
    throw new Error(`${where}: the folder must be named after Chart.yaml's version (MAJOR.MINOR.PATCH), found ${chart.version}`);
  }
  const meta = readMeta(dir, where, ajv);
  const schema = JSON.parse(readFileSync(join(dir, 'values.schema.json'), 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  const validate = ajv.compile(schema);
  return {
    name,
    description: meta.description,
    namespace: meta.namespace,
    version: String(chart.version),
    appVersion: String(chart.appVersion ?? ''),
    dependencies: meta.dependencies ?? [],
    sidecars: meta.sidecars ?? [],
    ready: meta.ready,
    podSecurity: meta.podSecurity,
    images: meta.images,
    apiCalls: meta.apiCalls ?? [],
    generatedSecrets: meta.generatedSecrets ?? [],
    older: [],
    chartDir: dir,
    digest: digestOf(dir),
    validateValues(values) {
      return validate(values) ? [] : (validate.errors ?? []).map(describeError);
    },
  };
}

/** The catalog keeps this many versions of a bundle: the current one and the one before. */
export const KEPT_VERSIONS = 2;

/** Every version of one bundle, newest first; all share one namespace (pinning never moves an addon). */
function loadVersions(dir: string, name: string, ajv: Ajv): Addon {
  const versions = readdirSync(dir)
    .filter((e) => statSync(join(dir, e)).isDirectory())
    .map((v) => loadAddon(join(dir, v), name, ajv))
    .sort((a, b) => compareVersions(b.version, a.version));
  const [current, ...older] = versions;
  if (!current) throw new Error(`addons/${name}: no version`);
  if (versions.length > KEPT_VERSIONS) throw new Error(`addons/${name}: keeps ${versions.length} versions; the catalog keeps ${KEPT_VERSIONS}`);
  for (const o of older) {
    if (o.namespace !== current.namespace)
      throw new Error(`addons/${name}/${o.version}: namespace ${o.namespace} differs from ${current.version}'s ${current.namespace}`);
  }
  return { ...current, older };
}

/** The version of `addon` a pin asks for (undefined: not in the catalog); no pin means the current one. */
export function addonVersion(addon: Addon, version: string | undefined): Addon | undefined {
  if (version === undefined || version === addon.version) return addon;
  return addon.older.find((o) => o.version === version);
}

export function loadCatalog(dir: string): Addon[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  return readdirSync(dir)
    .filter((e) => statSync(join(dir, e)).isDirectory())
    .sort()
    .map((name) => loadVersions(join(dir, name), name, ajv));
}

let shippedNamespaces: string[] | undefined;

/**
 * The namespaces the shipped bundles install into. They are platform
 * namespaces: excluded from tenant rules like the system namespaces (no
 * tenant quota on the agents, no tenant PVC cap on the data stores). Tenants
 * hold namespace-scoped roles only, so they cannot create one of these.
 */
export function addonNamespaces(dir: string = ADDONS_DIR): string[] {
  if (dir === ADDONS_DIR && shippedNamespaces) return shippedNamespaces;
  const out = new Set<string>();
  for (const name of readdirSync(dir).filter((e) => statSync(join(dir, e)).isDirectory())) {
    for (const v of readdirSync(join(dir, name)).filter((e) => statSync(join(dir, name, e)).isDirectory())) {
      const meta = parse(readFileSync(join(dir, name, v, 'addon.yaml'), 'utf8')) as { namespace?: unknown };
      if (typeof meta.namespace === 'string') out.add(meta.namespace);
    }
  }
  const list = [...out].sort();
  if (dir === ADDONS_DIR) shippedNamespaces = list;
  return list;
}
