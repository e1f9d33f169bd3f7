/**
 * `harbormaster addons list|enable|disable|status`: the addon catalog, and
 * control through the Cluster object's annotations (SPEC 5). enable/disable
 * only edit annotations; the manager in the server does the work, and these
 * commands show its progress from the Cluster status.
 */
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { ADDON_PREFIX } from '../catalog/annotations.js';
import { compareVersions, type Addon } from '../catalog/catalog.js';
import { CLUSTER_API } from '../kube/names.js';
import type { AddonStatus } from '../addons/status.js';
import { rawRequest } from '../cluster/raw.js';
import { defaultCatalog } from '../policies/index.js';
import type { CliIO } from './review.js';

interface ClusterObject {
  metadata: { name: string; annotations?: Record<string, string>; creationTimestamp?: string };
  status?: { addons?: AddonStatus[]; summary?: string };
}

export interface AddonsCliOptions {
  kubeconfig?: string;
  cluster?: string;
  timeout?: string;
}

function kubeconfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

async function getCluster(kc: KubeConfig, name: string | undefined): Promise<ClusterObject> {
  if (name) return (await rawRequest<ClusterObject>(kc, { method: 'GET', path: `${CLUSTER_API.path}/${encodeURIComponent(name)}` })).body;
  const list = (await rawRequest<{ items: ClusterObject[] }>(kc, { method: 'GET', path: CLUSTER_API.path })).body.items;
  const oldest = [...list].sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)))[0];
  if (!oldest) throw new Error('no Cluster object (clusters.harbormaster.io) exists in this cluster');
  return oldest;
}

/** The version a cluster runs (or will): its status, else its pin, else the catalog's current one; with a note when a newer one is kept. */
export function versionColumn(a: Addon, pinned: string | undefined, s: AddonStatus | undefined): string {
  const running = s && s.phase !== 'Disabled' ? s.version : (pinned ?? a.version);
  const notes: string[] = [];
  if (pinned) notes.push('pinned');
  if (compareVersions(running, a.version) < 0) notes.push(`${a.version} available`);
  return notes.length > 0 ? `${running} (${notes.join(', ')})` : running;
}

function line(a: Addon, state: string, version: string, s: AddonStatus | undefined): string {
  const progress = s
    ? `${s.phase.padEnd(10)} objects ${s.objects.applied}/${s.objects.total}  workloads ${s.workloads.ready}/${s.workloads.total}  ${s.message}`
    : '';
  return `${a.name.padEnd(11)} ${version.padEnd(24)} ${state.padEnd(9)} ${progress}`;
}

function table(catalog: readonly Addon[], cluster: ClusterObject): string {
  const ann = cluster.metadata.annotations ?? {};
  const rows = catalog.map((a) => {
    const s = cluster.status?.addons?.find((x) => x.name === a.name);
    return line(a, ann[`${ADDON_PREFIX}${a.name}`] ?? 'disabled', versionColumn(a, ann[`${ADDON_PREFIX}${a.name}.version`], s), s);
  });
  return `${'ADDON'.padEnd(11)} ${'VERSION'.padEnd(24)} ${'STATE'.padEnd(9)} STATUS\n${rows.join('\n')}\n`;
}

export async function runAddonsList(options: AddonsCliOptions, io: CliIO): Promise<number> {
  const catalog = defaultCatalog();
  let cluster: ClusterObject | undefined;
  try {
    cluster = await getCluster(kubeconfig(options.kubeconfig), options.cluster);
  } catch (err) {
    io.err(`addons list: cluster state unavailable (${(err as Error).message}); showing the catalog only\n`);
  }
  if (cluster) io.out(`Cluster ${cluster.metadata.name}\n${table(catalog, cluster)}`);
  else {
    const versions = (a: Addon): string => [a, ...a.older].map((v) => v.version).join(', ');
    io.out(catalog.map((a) => `${a.name.padEnd(11)} ${versions(a).padEnd(15)} ${a.namespace.padEnd(21)} ${a.description}`).join('\n') + '\n');
  }
  return 0;
}

async function patchAnnotations(kc: KubeConfig, cluster: ClusterObject, annotations: Record<string, string | null>): Promise<void> {
  await rawRequest(kc, {
    method: 'PATCH',
    path: `${CLUSTER_API.path}/${encodeURIComponent(cluster.metadata.name)}`,
    body: { metadata: { annotations } },
    contentType: 'application/merge-patch+json',
  });
}

interface FollowOptions {
  kc: KubeConfig;
  /** The Cluster object's name. */
  name: string;
  addon: Addon;
  io: CliIO;
  done: (s: AddonStatus | undefined) => 'ok' | 'failed' | undefined;
  timeoutMs: number;
}

/** Polls the Cluster status, printing each change, until `done` says so or time runs out. */
async function follow({ kc, name, addon, io, done, timeoutMs }: FollowOptions): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const cluster = await getCluster(kc, name);
    const s = cluster.status?.addons?.find((x) => x.name === addon.name);
    const text = s
      ? `${addon.name}: ${s.phase} — objects ${s.objects.applied}/${s.objects.total}, workloads ${s.workloads.ready}/${s.workloads.total} — ${s.message}`
      : `${addon.name}: waiting for the addon manager`;
    if (text !== last) io.out(`${text}\n`);
    last = text;
    const verdict = done(s);
    if (verdict === 'ok') return 0;
    if (verdict === 'failed') return 1;
    if (Date.now() > deadline) {
      io.err(`${addon.name}: not done after ${timeoutMs / 1000}s; 'harbormaster addons status --watch' keeps following\n`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

function findAddon(name: string, io: CliIO): Addon | undefined {
  const catalog = defaultCatalog();
  const addon = catalog.find((a) => a.name === name);
  if (!addon) io.err(`unknown addon "${name}"; the catalog has ${catalog.map((a) => a.name).join(', ')}\n`);
  return addon;
}

export async function runAddonsEnable(
  name: string,
  options: AddonsCliOptions & { values?: string; version?: string; wait?: boolean },
  io: CliIO,
): Promise<number> {
  const addon = findAddon(name, io);
  if (!addon) return 2;
  const annotations: Record<string, string | null> = { [`${ADDON_PREFIX}${name}`]: 'enabled' };
  if (options.version !== undefined) {
    const kept = [addon, ...addon.older].map((a) => a.version);
    if (!kept.includes(options.version)) {
      io.err(`addons enable: the catalog keeps ${name} ${kept.join(', ')}, not ${options.version}\n`);
      return 2;
    }
    // The current version needs no pin: dropping it lets the next Harbormaster upgrade move the addon on.
    annotations[`${ADDON_PREFIX}${name}.version`] = options.version === addon.version ? null : options.version;
  }
  if (options.values) {
    let text: string;
    try {
      text = readFileSync(options.values, 'utf8');
      parse(text);
    } catch (err) {
      io.err(`addons enable: cannot read values ${options.values}: ${(err as Error).message.split('\n')[0]}\n`);
      return 2;
    }
    annotations[`${ADDON_PREFIX}${name}.values`] = text;
  }
  const kc = kubeconfig(options.kubeconfig);
  const cluster = await getCluster(kc, options.cluster);
  await patchAnnotations(kc, cluster, annotations);
  io.out(`${name} enabled on Cluster ${cluster.metadata.name}\n`);
  if (options.wait === false) return 0;
  // Done when the workloads finished rolling out, at the version asked for.
  const want = options.version ?? cluster.metadata.annotations?.[`${ADDON_PREFIX}${name}.version`] ?? addon.version;
  const done = (s: AddonStatus | undefined): 'ok' | 'failed' | undefined => {
    if (!s) return undefined;
    if (s.phase === 'Failed') return 'failed';
    return s.phase === 'Ready' && s.version === want ? 'ok' : undefined;
  };
  return follow({ kc, name: cluster.metadata.name, addon, io, done, timeoutMs: Number(options.timeout ?? 120) * 1000 });
}

export async function runAddonsDisable(name: string, options: AddonsCliOptions & { purge?: boolean; wait?: boolean }, io: CliIO): Promise<number> {
  const addon = findAddon(name, io);
  if (!addon) return 2;
  const kc = kubeconfig(options.kubeconfig);
  const cluster = await getCluster(kc, options.cluster);
  await patchAnnotations(kc, cluster, { [`${ADDON_PREFIX}${name}`]: 'disabled', [`${ADDON_PREFIX}${name}.purge`]: options.purge ? 'true' : null });
  io.out(`${name} disabled on Cluster ${cluster.metadata.name}${options.purge ? ' (purging its PersistentVolumeClaims)' : ''}\n`);
  if (options.wait === false) return 0;
  const done = (s: AddonStatus | undefined): 'ok' | 'failed' | undefined => (s?.phase === 'Disabled' ? 'ok' : s?.phase === 'Failed' ? 'failed' : undefined);
  return follow({ kc, name: cluster.metadata.name, addon, io, done, timeoutMs: Number(options.timeout ?? 120) * 1000 });
}

export async function runAddonsStatus(options: AddonsCliOptions & { watch?: boolean }, io: CliIO): Promise<number> {
  const kc = kubeconfig(options.kubeconfig);
  const catalog = defaultCatalog();
  let last = '';
  for (;;) {
    const cluster = await getCluster(kc, options.cluster);
    const text = `Cluster ${cluster.metadata.name}  addons ready/enabled: ${cluster.status?.summary ?? '0/0'}\n${table(catalog, cluster)}`;
    if (!options.watch) {
      io.out(text);
      return 0;
    }
    if (text !== last) io.out(process.stdout.isTTY ? `\x1b[2J\x1b[H${text}` : `${text}\n`);
    last = text;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
