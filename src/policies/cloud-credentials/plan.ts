/**
 * What injecting one credential writes, checked against what the Pod already
 * has before anything is written.
 *
 * SPEC 3.2 says an env var or mount a container already has "is left
 * alone". We read that as: never overwritten, and left alone *only when it
 * is exactly ours* (what this policy injects, e.g. from an earlier pass under
 * reinvocationPolicy IfNeeded), in which case nothing is added twice. Anything
 * else in our place (a volume named `hm-gcp-<secret>` that is not that Secret
 * volume, a mount at, over or under the credential directory, one of our env
 * names with another value) would silently point the app at a file or value
 * the tenant controls instead of the credential it asked for, so it is a
 * collision: the Pod is denied, naming the field. Values are never echoed:
 * a tenant's AWS_SECRET_ACCESS_KEY literal is a secret too.
 */
import { posix } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { fieldPath, type ContainerRef } from '../shared/podspec.js';
import { rec, type Rec } from '../../kube/narrow.js';
import { shown } from '../shared/values.js';
import { AWS_KEYS, GCP_KEY_FILE, GCP_MOUNT_ROOT, SKIP_CONTAINERS_ANNOTATION } from './names.js';
import type { Credential } from './references.js';
import { gcpVolumeName } from './volume-name.js';

export interface Write {
  /** The array appended to (created when missing). */
  segments: Array<string | number>;
  /** Fresh objects, never shared between containers. */
  values: Rec[];
}

export interface Plan {
  writes: Write[];
  collisions: string[];
}

const skipHint = (c: ContainerRef): string => `, or list ${shown(c.name)} in ${SKIP_CONTAINERS_ANNOTATION}`;

/** A mount path as the kubelet would resolve it: no `.`/`..`, no doubled or trailing slash. */
function normal(path: string): string {
  const n = posix.normalize(path);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);
}

/**
 * The env vars of `make()` that `c` lacks; a collision for each one it has
 * with another value. `make` returns fresh objects per call, so containers
 * never share one (cheaper than cloning per write on a 3,000-container Pod).
 */
function planEnv(c: ContainerRef, make: () => Rec[], plan: Plan): void {
  const env = Array.isArray(c.container.env) ? c.container.env : [];
  if (env.length === 0) {
    plan.writes.push({ segments: [...c.segments, 'env'], values: make() });
    return;
  }
  const wanted = make();
  const byName = new Map(wanted.map((w) => [String(w.name), w]));
  const have = new Set<string>();
  env.forEach((e, i) => {
    const name = rec(e)?.name;
    const want = typeof name === 'string' ? byName.get(name) : undefined;
    if (!want || typeof name !== 'string') return;
    have.add(name);
    if (!isDeepStrictEqual(e, want)) {
      plan.collisions.push(
        `${fieldPath([...c.segments, 'env', i])} (container ${shown(c.name)}) already sets ${name} to something other than the injected credential; remove it${skipHint(c)}`,
      );
    }
  });
  const missing = wanted.filter((w) => !have.has(String(w.name)));
  if (missing.length > 0) plan.writes.push({ segments: [...c.segments, 'env'], values: missing });
}

/** Adds `want` unless `c` has it exactly; any other mount at, over or under its path collides. */
function planMount(c: ContainerRef, want: { name: string; mountPath: string; readOnly: true }, plan: Plan): void {
  let have = false;
  const mounts = Array.isArray(c.container.volumeMounts) ? c.container.volumeMounts : [];
  mounts.forEach((m, i) => {
    const path = rec(m)?.mountPath;
    if (typeof path !== 'string') return;
    const p = normal(path);
    const where = p === want.mountPath ? 'at' : within(p, want.mountPath) ? 'under' : within(want.mountPath, p) ? 'over' : undefined;
    if (!where) return;
    if (where === 'at' && isDeepStrictEqual(m, want)) {
      have = true;
      return;
    }
    plan.collisions.push(
      `${fieldPath([...c.segments, 'volumeMounts', i])} (container ${shown(c.name)}) mounts ${shown(path)} ${where} the credential directory ${want.mountPath}; mount it elsewhere${skipHint(c)}`,
    );
  });
  if (!have) plan.writes.push({ segments: [...c.segments, 'volumeMounts'], values: [{ ...want }] });
}

export interface PlanOptions {
  cred: Credential;
  targets: readonly ContainerRef[];
  /** The pod spec and its path from the object root. */
  spec: Rec;
  specPath: readonly string[];
}

function planGcp({ cred, targets, spec, specPath }: PlanOptions): Plan {
  const plan: Plan = { writes: [], collisions: [] };
  const volume = { name: gcpVolumeName(cred.name), secret: { secretName: cred.name, defaultMode: 0o440 } };
  const dir = `${GCP_MOUNT_ROOT}/${cred.name}`;
  let have = false;
  const volumes = Array.isArray(spec.volumes) ? spec.volumes : [];
  volumes.forEach((v, i) => {
    if (rec(v)?.name !== volume.name) return;
    if (isDeepStrictEqual(v, volume)) have = true;
    else
      plan.collisions.push(
        `${fieldPath([...specPath, 'volumes', i])} is named ${volume.name}, the volume Harbormaster injects for Secret ${cred.name}, but is not that Secret volume; rename it (hm-gcp-* volume names are reserved)`,
      );
  });
  if (!have) plan.writes.push({ segments: [...specPath, 'volumes'], values: [volume] });
  for (const c of targets) {
    planMount(c, { name: volume.name, mountPath: dir, readOnly: true }, plan);
    planEnv(c, () => [{ name: 'GOOGLE_APPLICATION_CREDENTIALS', value: `${dir}/${GCP_KEY_FILE}` }], plan);
  }
  return plan;
}

function planAws({ cred, targets }: PlanOptions): Plan {
  const plan: Plan = { writes: [], collisions: [] };
  const ref = (key: string, optional: boolean): Rec => ({ secretKeyRef: { name: cred.name, key, ...(optional ? { optional: true } : {}) } });
  const make = (): Rec[] => [
    { name: 'AWS_ACCESS_KEY_ID', valueFrom: ref(AWS_KEYS.accessKeyId, false) },
    { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: ref(AWS_KEYS.secretAccessKey, false) },
    { name: 'AWS_SESSION_TOKEN', valueFrom: ref(AWS_KEYS.sessionToken, true) },
    { name: 'AWS_REGION', valueFrom: ref(AWS_KEYS.region, true) },
    { name: 'AWS_DEFAULT_REGION', valueFrom: ref(AWS_KEYS.region, true) },
  ];
  for (const c of targets) planEnv(c, make, plan);
  return plan;
}

/** Every write one credential needs, and every collision that forbids them. */
export function planCredential(options: PlanOptions): Plan {
  return options.cred.provider === 'gcp' ? planGcp(options) : planAws(options);
}
