/**
 * A real, local Kubernetes control plane: etcd + kube-apiserver +
 * kube-controller-manager on loopback with free ports, data in a temp dir.
 * No scheduler and no kubelet: Pods stay Pending, which is all admission needs.
 * Used by `harbormaster dev` (npm start) and by the e2e suite. The steps are
 * in controlplane-steps.ts; this file orders them and owns cleanup.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Binaries } from './binaries.js';
import { spawnApiServer, startControllerManager, startEtcd, waitForApiServer, writeKubeconfigs, writePki, type StepContext } from './controlplane-steps.js';
import { IDENTITIES } from './identities.js';
import { freePort, Processes, tail } from './processes.js';

export { IDENTITIES, type Identity } from './identities.js';
export { freePort } from './processes.js';

export interface ControlPlaneOptions {
  binaries: Binaries;
  /** Where to put data and logs; a new temp dir when omitted (removed on stop). */
  dir?: string;
  /** Called with one line per milestone, for progress output. */
  progress?: (line: string) => void;
}

export interface ControlPlane {
  dir: string;
  apiServerUrl: string;
  /** Kubeconfig paths per identity. */
  kubeconfigs: Record<keyof typeof IDENTITIES, string>;
  caCert: string;
  /**
   * CA of the client certificate kube-apiserver presents to every admission
   * webhook (AdmissionConfiguration): give it to the webhook server as its
   * client CA so only this API server can call the admission paths.
   */
  webhookClientCaFile: string;
  stop(): Promise<void>;
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
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
    await startControllerManager(ctx, { kubeconfig: kubeconfigs.controllerManager, apiServerUrl, pki, admin: creds.admin });
    ctx.say('control plane ready');
    return running({ dir, ownsDir, procs: ctx.procs, apiServerUrl, kubeconfigs, caCert: pki.ca.cert, webhookClientCaFile: pki.webhookClient.caFile });
  } catch (err) {
    await ctx.procs.stopAll();
    const tails = ctx.procs.list.map((p) => `--- ${p.name}.log (last lines) ---\n${tail(join(ctx.logs, p.name + '.log'), 15)}`).join('\n');
    if (ownsDir && !process.env.HARBORMASTER_KEEP_FAILED) rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${tails}`, { cause: err });
  }
}

/** The handle of a started control plane; `stop` is idempotent and removes a temp dir we made. */
function running(o: Omit<ControlPlane, 'stop'> & { ownsDir: boolean; procs: Processes }): ControlPlane {
  let stopped = false;
  // If the process exits without stop() (a forced exit), children are SIGKILLed by Processes and the data goes too.
  const cleanup = (): void => {
    if (o.ownsDir) rmSync(o.dir, { recursive: true, force: true });
  };
  process.once('exit', cleanup);
  return {
    dir: o.dir,
    apiServerUrl: o.apiServerUrl,
    kubeconfigs: o.kubeconfigs,
    caCert: o.caCert,
    webhookClientCaFile: o.webhookClientCaFile,
    async stop() {
      if (stopped) return;
      stopped = true;
      await o.procs.stopAll();
      process.off('exit', cleanup);
      cleanup();
    },
  };
}
