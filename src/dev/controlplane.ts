/**
 * A real, local Kubernetes control plane: etcd + kube-apiserver +
 * kube-controller-manager + kube-scheduler on loopback with free ports, data
 * in a temp dir, and simulated nodes: kwok plays the kubelet of a few fake
 * Linux nodes, so Pods are scheduled, run and turn Ready (no container
 * runs), and claims of the default StorageClass bind (hostPath provisioner).
 * Used by `harbormaster dev` (npm start) and by the e2e suite. The steps are
 * in controlplane-steps.ts, the nodes in nodes.ts; this file orders them and
 * owns cleanup.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Binaries } from './binaries.js';
import {
  spawnApiServer,
  startControllerManager,
  startEtcd,
  startNodes,
  startScheduler,
  waitForApiServer,
  writeKubeconfigs,
  writePki,
  type StepContext,
} from './controlplane-steps.js';
import { IDENTITIES } from './identities.js';
import { DEFAULT_NODE_COUNT, HOSTPATH_PV_DIR, nodeName } from './nodes.js';
import { freePort, httpsJson, httpsOk, Processes, tail, waitFor } from './processes.js';

export { IDENTITIES, type Identity } from './identities.js';
export { freePort } from './processes.js';

export interface ControlPlaneOptions {
  binaries: Binaries;
  /** Where to put data and logs; a new temp dir when omitted (removed on stop). */
  dir?: string;
  /** Called with one line per milestone, for progress output. */
  progress?: (line: string) => void;
  /** How many simulated nodes; default HARBORMASTER_DEV_NODES or 3. 0: no kwok, Pods stay Pending. */
  nodes?: number;
}

/** The node count from HARBORMASTER_DEV_NODES, else the default. */
export function nodeCount(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.HARBORMASTER_DEV_NODES;
  if (v === undefined || v === '') return DEFAULT_NODE_COUNT;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 100) throw new Error(`HARBORMASTER_DEV_NODES must be an integer 0..100, got ${JSON.stringify(v)}`);
  return n;
}

export interface ControlPlane {
  dir: string;
  apiServerUrl: string;
  /** Names of the simulated nodes. */
  nodes: string[];
  /** Kubeconfig paths per identity. */
  kubeconfigs: Record<keyof typeof IDENTITIES, string>;
  caCert: string;
  /**
   * CA of the client certificate kube-apiserver presents to every admission
   * webhook (AdmissionConfiguration): give it to the webhook server as its
   * client CA so only this API server can call the admission paths.
   */
  webhookClientCaFile: string;
  /** Restarts kube-apiserver (SIGTERM, then the same flags) and resolves once its /readyz answers ok: a fault for HA tests. */
  restartApiServer(): Promise<void>;
  /** SIGSTOPs etcd: its sockets stay open but nothing answers, as with a hung disk or a partition. */
  pauseEtcd(): void;
  /** SIGCONTs etcd after pauseEtcd. */
  resumeEtcd(): void;
  stop(): Promise<void>;
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const count = options.nodes ?? nodeCount();
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'harbormaster-cp-'));
  const ctx: StepContext = {
    dir,
    pki: join(dir, 'pki'),
    logs: join(dir, 'logs'),
    procs: new Processes(),
    binaries: options.binaries,
    say: options.progress ?? (() => undefined),
    died: () => {
      const dead = ctx.procs.list.find((p) => p.child.exitCode !== null);
      return dead ? `${dead.name} exited with code ${dead.child.exitCode}; see ${join(ctx.logs, dead.name + '.log')}` : undefined;
    },
  };
  mkdirSync(ctx.pki, { recursive: true });
  mkdirSync(ctx.logs, { recursive: true });

  try {
    const now = new Date();
    const pki = writePki(ctx, now);
    const [etcdPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = await startEtcd(ctx, { client: etcdPort, peer: etcdPeerPort });
    const apiServerUrl = spawnApiServer(ctx, { etcdUrl, port: apiPort, pki });
    const { kubeconfigs, creds } = writeKubeconfigs(ctx, { apiServerUrl, now, pki });
    await waitForApiServer(ctx, { apiServerUrl, caCert: pki.ca.cert, admin: creds.admin });
    const { gitVersion } = await httpsJson<{ gitVersion: string }>(`${apiServerUrl}/version`, pki.ca.cert, creds.admin);
    // Side by side: none needs another to start. Settled, not raced: a failure
    // reports once every step has stopped waiting.
    const steps = await Promise.allSettled([
      startControllerManager(ctx, { kubeconfig: kubeconfigs.controllerManager, apiServerUrl, pki, admin: creds.admin }),
      startScheduler(ctx, { kubeconfig: kubeconfigs.scheduler, pki }),
      startNodes(ctx, {
        count,
        kubeconfig: kubeconfigs.kwok,
        adminKubeconfig: kubeconfigs.admin,
        apiServerUrl,
        caCert: pki.ca.cert,
        admin: creds.admin,
        kubeVersion: gitVersion,
      }),
    ]);
    const failed = steps.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    ctx.say('control plane ready');
    return running({
      dir,
      ownsDir,
      procs: ctx.procs,
      apiServerUrl,
      nodes: Array.from({ length: count }, (_, i) => nodeName(i)),
      kubeconfigs,
      caCert: pki.ca.cert,
      admin: creds.admin,
      webhookClientCaFile: pki.webhookClient.caFile,
    });
  } catch (err) {
    await ctx.procs.stopAll();
    const tails = ctx.procs.list.map((p) => `--- ${p.name}.log (last lines) ---\n${tail(join(ctx.logs, p.name + '.log'), 15)}`).join('\n');
    if (ownsDir && !process.env.HARBORMASTER_KEEP_FAILED) rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${tails}`, { cause: err });
  }
}

/**
 * The hostPath provisioner's directories of this cluster's volumes: it puts them under
 * /tmp/hostpath_pv whatever our data dir, and removes one only when its claim is deleted.
 */
async function hostPathVolumes(apiServerUrl: string, caCert: string, admin: { cert: string; key: string }): Promise<string[]> {
  try {
    const pvs = await httpsJson<{ items: Array<{ spec?: { hostPath?: { path?: string } } }> }>(`${apiServerUrl}/api/v1/persistentvolumes`, caCert, admin);
    return pvs.items.map((pv) => pv.spec?.hostPath?.path ?? '').filter((p) => HOSTPATH_PV_DIR.test(p));
  } catch {
    return [];
  }
}

/** The handle of a started control plane; `stop` is idempotent and removes a temp dir we made. */
function running(
  o: Omit<ControlPlane, 'stop' | 'restartApiServer' | 'pauseEtcd' | 'resumeEtcd'> & {
    ownsDir: boolean;
    procs: Processes;
    admin: { cert: string; key: string };
  },
): ControlPlane {
  let stopped = false;
  // If the process exits without stop() (a forced exit), children are SIGKILLed by Processes and the data goes too.
  const cleanup = (): void => {
    if (o.ownsDir) rmSync(o.dir, { recursive: true, force: true });
  };
  process.once('exit', cleanup);
  return {
    dir: o.dir,
    apiServerUrl: o.apiServerUrl,
    nodes: o.nodes,
    kubeconfigs: o.kubeconfigs,
    caCert: o.caCert,
    webhookClientCaFile: o.webhookClientCaFile,
    async restartApiServer() {
      const child = await o.procs.restart('kube-apiserver');
      const died = (): string | undefined => (child.exitCode !== null ? `kube-apiserver exited with code ${child.exitCode}` : undefined);
      await waitFor('kube-apiserver after restart', () => httpsOk(`${o.apiServerUrl}/readyz`, o.caCert, o.admin), 120_000, died);
    },
    pauseEtcd: () => o.procs.signal('etcd', 'SIGSTOP'),
    resumeEtcd: () => o.procs.signal('etcd', 'SIGCONT'),
    async stop() {
      if (stopped) return;
      stopped = true;
      const volumes = await hostPathVolumes(o.apiServerUrl, o.caCert, o.admin);
      await o.procs.stopAll();
      for (const v of volumes) rmSync(v, { recursive: true, force: true });
      process.off('exit', cleanup);
      cleanup();
    },
  };
}
