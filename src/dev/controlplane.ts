/**
 * A real, local Kubernetes control plane: etcd + kube-apiserver +
 * kube-controller-manager on loopback with free ports, data in a temp dir.
 * No scheduler and no kubelet: Pods stay Pending, which is all admission needs.
 * Used by `harbormaster dev` (npm start) and by the e2e suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { stringify } from 'yaml';
import { generateCA, generateCertificates, generateClientCert } from '../certs/generate.js';
import type { Binaries } from './binaries.js';
import { writeWebhookClientAuth } from './webhook-client-auth.js';

/** Identities with their own kubeconfig. */
export interface Identity {
  name: string;
  commonName: string;
  organizations: string[];
}

export const IDENTITIES = {
  admin: { name: 'admin', commonName: 'harbormaster-dev-admin', organizations: ['system:masters'] },
  // Non-admin tenant: what a team member with namespace rights sees.
  tenant: { name: 'tenant', commonName: 'tenant', organizations: ['tenants'] },
  // The server itself, authenticated as its ServiceAccount's username so the shipped RBAC applies to it.
  harbormaster: {
    name: 'harbormaster',
    commonName: 'system:serviceaccount:harbormaster-system:harbormaster',
    organizations: ['system:serviceaccounts', 'system:serviceaccounts:harbormaster-system'],
  },
  controllerManager: { name: 'controller-manager', commonName: 'system:kube-controller-manager', organizations: [] },
} as const satisfies Record<string, Identity>;

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

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function writeKubeconfig(path: string, server: string, caPem: string, user: { cert: string; key: string }, name: string): void {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'harbormaster-dev', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: [{ name, user: { 'client-certificate-data': b64(user.cert), 'client-key-data': b64(user.key) } }],
    contexts: [{ name, context: { cluster: 'harbormaster-dev', user: name, namespace: 'default' } }],
    'current-context': name,
  };
  writeFileSync(path, stringify(doc), { mode: 0o600 });
}

class Processes {
  readonly list: Array<{ name: string; child: ChildProcess }> = [];

  start(name: string, bin: string, args: string[], logDir: string): ChildProcess {
    const log = createWriteStream(join(logDir, `${name}.log`));
    // Own process group: a Ctrl-C in the terminal reaches us, not them, so we
    // can stop them in order (etcd last). killAllNow() covers a crash of ours.
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.list.push({ name, child });
    if (this.list.length === 1) process.once('exit', this.#killAllNow);
    return child;
  }

  readonly #killAllNow = (): void => {
    for (const { child } of this.list) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };

  async stopAll(): Promise<void> {
    // Reverse order: controller-manager, apiserver, then etcd.
    for (const { child } of [...this.list].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    process.off('exit', this.#killAllNow);
  }
}

function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, died: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = died();
    if (dead) throw new Error(`${what}: ${dead}`);
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not become ready in ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function httpsOk(url: string, ca: string, client?: { cert: string; key: string }): Promise<boolean> {
  const { request } = await import('node:https');
  return new Promise((resolve) => {
    const req = request(url, { ca, ...(client ?? {}), timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
    req.end();
  });
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const say = options.progress ?? (() => undefined);
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'harbormaster-cp-'));
  const pki = join(dir, 'pki');
  const logs = join(dir, 'logs');
  mkdirSync(pki, { recursive: true });
  mkdirSync(logs, { recursive: true });
  const procs = new Processes();
  const died = (): string | undefined => {
    const dead = procs.list.find((p) => p.child.exitCode !== null);
    return dead ? `${dead.name} exited with code ${dead.child.exitCode}; see ${join(logs, dead.name + '.log')}` : undefined;
  };

  try {
    say('generating certificates and keys');
    const now = new Date();
    const ca = generateCA({ commonName: 'harbormaster-dev-cluster-ca', days: 30, now });
    const serving = generateCertificates({ service: 'kubernetes', namespace: 'default', extraDnsNames: ['localhost'], extraIPs: ['127.0.0.1', '10.96.0.1'], ca, days: 30, now });
    const write = (name: string, text: string) => { writeFileSync(join(pki, name), text, { mode: 0o600 }); return join(pki, name); };
    const caFile = write('ca.crt', ca.cert);
    const caKeyFile = write('ca.key', ca.key);
    const servingCert = write('apiserver.crt', serving.cert);
    const servingKey = write('apiserver.key', serving.key);
    const sa = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const saPub = write('sa.pub', sa.publicKey);
    const saKey = write('sa.key', sa.privateKey);
    const webhookClient = writeWebhookClientAuth({ dir: pki, now });

    const [etcdPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    say(`starting etcd on 127.0.0.1:${etcdPort}`);
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    procs.start('etcd', options.binaries.etcd, [
      '--name=default', `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeerPort}`,
      // Throwaway data: skip fsync so a test run is not bound by the disk.
      '--unsafe-no-fsync', '--log-level=warn',
    ], logs);
    await waitFor('etcd', async () => (await fetch(`${etcdUrl}/health`)).ok, 30_000, died);

    say(`starting kube-apiserver on https://127.0.0.1:${apiPort}`);
    const apiServerUrl = `https://127.0.0.1:${apiPort}`;
    procs.start('kube-apiserver', options.binaries.kubeApiserver, [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1', `--secure-port=${apiPort}`, '--advertise-address=127.0.0.1',
      `--tls-cert-file=${servingCert}`, `--tls-private-key-file=${servingKey}`,
      `--client-ca-file=${caFile}`,
      `--service-account-key-file=${saPub}`, `--service-account-signing-key-file=${saKey}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.96.0.0/16',
      '--authorization-mode=Node,RBAC',
      '--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,ResourceQuota,MutatingAdmissionWebhook,ValidatingAdmissionWebhook',
      // The webhooks' client certificate, as an operator configures it for `serve --client-ca`.
      `--admission-control-config-file=${webhookClient.admissionConfigFile}`,
      '--allow-privileged=true',
      // The kubernetes Service endpoint would be 127.0.0.1, which the reconciler refuses; nothing here needs it.
      '--endpoint-reconciler-type=none',
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      '--profiling=false',
      '--v=1',
    ], logs);

    const clientFor = (id: Identity) => generateClientCert({ ca, commonName: id.commonName, organizations: [...id.organizations], now });
    const kubeconfigs = {} as Record<keyof typeof IDENTITIES, string>;
    const creds = {} as Record<keyof typeof IDENTITIES, { cert: string; key: string }>;
    for (const [key, id] of Object.entries(IDENTITIES) as Array<[keyof typeof IDENTITIES, Identity]>) {
      creds[key] = clientFor(id);
      kubeconfigs[key] = join(dir, `${id.name}.kubeconfig`);
      writeKubeconfig(kubeconfigs[key], apiServerUrl, ca.cert, creds[key], id.name);
    }
    await waitFor('kube-apiserver', () => httpsOk(`${apiServerUrl}/readyz`, ca.cert, creds.admin), 120_000, died);

    say('starting kube-controller-manager');
    procs.start('kube-controller-manager', options.binaries.kubeControllerManager, [
      `--kubeconfig=${kubeconfigs.controllerManager}`,
      `--authentication-kubeconfig=${kubeconfigs.controllerManager}`,
      `--authorization-kubeconfig=${kubeconfigs.controllerManager}`,
      '--bind-address=127.0.0.1', `--secure-port=${await freePort()}`,
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${saKey}`,
      `--root-ca-file=${caFile}`,
      `--cluster-signing-cert-file=${caFile}`, `--cluster-signing-key-file=${caKeyFile}`,
      '--leader-elect=false',
      '--concurrent-deployment-syncs=5', '--concurrent-replicaset-syncs=5',
      '--v=1',
    ], logs);
    // The controller-manager is ready once it has created the default ServiceAccount in `default`.
    await waitFor(
      'kube-controller-manager',
      () => httpsOk(`${apiServerUrl}/api/v1/namespaces/default/serviceaccounts/default`, ca.cert, creds.admin),
      120_000,
      died,
    );
    say('control plane ready');

    let stopped = false;
    // If the process exits without stop() (a forced exit), children are SIGKILLed by Processes and the data goes too.
    const cleanup = (): void => {
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
    };
    process.once('exit', cleanup);
    return {
      dir,
      apiServerUrl,
      kubeconfigs,
      caCert: ca.cert,
      webhookClientCaFile: webhookClient.caFile,
      async stop() {
        if (stopped) return;
        stopped = true;
        await procs.stopAll();
        process.off('exit', cleanup);
        cleanup();
      },
    };
  } catch (err) {
    await procs.stopAll();
    const tails = procs.list.map((p) => `--- ${p.name}.log (last lines) ---\n${tail(join(logs, p.name + '.log'), 15)}`).join('\n');
    if (ownsDir && !process.env.HARBORMASTER_KEEP_FAILED) rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${tails}`);
  }
}
