/**
 * The addon catalog: every bundle under addons/<name>/ (a Helm chart plus
 * addon.yaml), loaded once at start. Each addon carries a digest of its chart
 * files (the render cache key) and a compiled validator of its values schema.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse } from 'yaml';

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

export function loadAddon(dir: string, name: string, ajv: Ajv): Addon {
  const meta = parse(readFileSync(join(dir, 'addon.yaml'), 'utf8')) as Partial<Addon>;
  const chart = parse(readFileSync(join(dir, 'Chart.yaml'), 'utf8')) as { version: string; appVersion?: string; name: string };
  if (chart.name !== name) throw new Error(`addons/${name}: Chart.yaml name is ${chart.name}`);
  const schema = JSON.parse(readFileSync(join(dir, 'values.schema.json'), 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  const validate = ajv.compile(schema);
  return {
    name,
    description: String(meta.description ?? ''),
    namespace: String(meta.namespace ?? name),
    version: String(chart.version),
    appVersion: String(chart.appVersion ?? ''),
    dependencies: meta.dependencies ?? [],
    sidecars: meta.sidecars ?? [],
    ready: meta.ready ?? [],
    chartDir: dir,
    digest: digestOf(dir),
    validateValues(values) {
      return validate(values) ? [] : (validate.errors ?? []).map(describeError);
    },
  };
}

export function loadCatalog(dir: string): Addon[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  return readdirSync(dir)
    .filter((e) => statSync(join(dir, e)).isDirectory())
    .sort()
    .map((name) => loadAddon(join(dir, name), name, ajv));
}
