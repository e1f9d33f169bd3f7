/**
 * The steps of starting the local control plane, in order: certificates
 * (pki), etcd, kube-apiserver, a kubeconfig per identity, then, side by side,
 * kube-controller-manager, kube-scheduler and the simulated nodes (kwok).
 * Each step waits for its process to answer before the next needs it, except
 * the apiserver: its kubeconfigs are written while it boots, and
 * `waitForApiServer` then waits with the admin's.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCA, generateCertificates, generateClientCert } from '../certs/generate.js';
import type { Binaries } from './binaries.js';
import { IDENTITIES, type Identity } from './identities.js';
import { writeKubeconfig } from './kubeconfig.js';
import { kubectlOk } from './kubectl.js';
import { fakeNodes, KWOK_NODE_SELECTOR, KWOK_RBAC, KWOK_STAGES, manifest, NODE_LEASE_SECONDS, STORAGE } from './nodes.js';
import { freePort, httpsJson, httpsOk, waitFor, type Processes } from './processes.js';
import { writeWebhookClientAuth, type WebhookClientAuth } from './webhook-client-auth.js';

export interface StepContext {
  dir: string;
  pki: string;
  logs: string;
  procs: Processes;
  binaries: Binaries;
  /** Names a child that exited, so waits fail at once instead of timing out. */
  died: () => string | undefined;
  say: (line: string) => void;
}

export interface Pki {
  ca: ReturnType<typeof generateCA>;
  caFile: string;
  caKeyFile: string;
  servingCert: string;
  servingKey: string;
  saPub: string;
  saKey: string;
  webhookClient: WebhookClientAuth;
}

export type Credentials = Record<keyof typeof IDENTITIES, { cert: string; key: string }>;

/** The cluster CA, the apiserver's serving pair, the ServiceAccount signing key and the webhook client auth. */
export function writePki(ctx: StepContext, now: Date): Pki {
  ctx.say('generating certificates and keys');
  const ca = generateCA({ commonName: 'harbormaster-dev-cluster-ca', days: 30, now });
  const serving = generateCertificates({
    service: 'kubernetes',
    namespace: 'default',
    extraDnsNames: ['localhost'],
    extraIPs: ['127.0.0.1', '10.96.0.1'],
    ca,
    days: 30,
    now,
  });
  const write = (name: string, text: string): string => {
    writeFileSync(join(ctx.pki, name), text, { mode: 0o600 });
    return join(ctx.pki, name);
  };
  const sa = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    ca,
    caFile: write('ca.crt', ca.cert),
    caKeyFile: write('ca.key', ca.key),
    servingCert: write('apiserver.crt', serving.cert),
    servingKey: write('apiserver.key', serving.key),
    saPub: write('sa.pub', sa.publicKey),
    saKey: write('sa.key', sa.privateKey),
    webhookClient: writeWebhookClientAuth({ dir: ctx.pki, now }),
  };
}

/** Starts etcd and waits for its health endpoint; returns its client URL. */
export async function startEtcd(ctx: StepContext, ports: { client: number; peer: number }): Promise<string> {
  ctx.say(`starting etcd on 127.0.0.1:${ports.client}`);
  const etcdUrl = `http://127.0.0.1:${ports.client}`;
  ctx.procs.start(
    'etcd',
    ctx.binaries.etcd,
    [
      '--name=default',
      `--data-dir=${join(ctx.dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${ports.peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${ports.peer}`,
      `--initial-cluster=default=http://127.0.0.1:${ports.peer}`,
      // Throwaway data: skip fsync so a test run is not bound by the disk.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    ctx.logs,
  );
  await waitFor('etcd', async () => (await fetch(`${etcdUrl}/health`)).ok, 30_000, ctx.died);
  return etcdUrl;
}

/** Spawns kube-apiserver (does not wait: see `waitForApiServer`); returns its URL. */
export function spawnApiServer(ctx: StepContext, o: { etcdUrl: string; port: number; pki: Pki }): string {
  ctx.say(`starting kube-apiserver on https://127.0.0.1:${o.port}`);
  const { pki } = o;
  ctx.procs.start(
    'kube-apiserver',
    ctx.binaries.kubeApiserver,
    [
      `--etcd-servers=${o.etcdUrl}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${o.port}`,
      '--advertise-address=127.0.0.1',
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caFile}`,
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.96.0.0/16',
      '--authorization-mode=Node,RBAC',
      '--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,ResourceQuota,MutatingAdmissionWebhook,ValidatingAdmissionWebhook',
      // The webhooks' client certificate, as an operator configures it for `serve --client-ca`.
      `--admission-control-config-file=${pki.webhookClient.admissionConfigFile}`,
      '--allow-privileged=true',
      // The kubernetes Service endpoint would be 127.0.0.1, which the reconciler refuses; nothing here needs it.
      '--endpoint-reconciler-type=none',
      `--cert-dir=${join(ctx.dir, 'apiserver-certs')}`,
      '--profiling=false',
      '--v=1',
    ],
    ctx.logs,
  );
  return `https://127.0.0.1:${o.port}`;
}

/** A client certificate and a kubeconfig file for every identity. */
export function writeKubeconfigs(
  ctx: StepContext,
  o: { apiServerUrl: string; now: Date; pki: Pki },
): { kubeconfigs: Record<keyof typeof IDENTITIES, string>; creds: Credentials } {
  const kubeconfigs = {} as Record<keyof typeof IDENTITIES, string>;
  const creds = {} as Credentials;
  for (const [key, id] of Object.entries(IDENTITIES) as Array<[keyof typeof IDENTITIES, Identity]>) {
    creds[key] = generateClientCert({ ca: o.pki.ca, commonName: id.commonName, organizations: [...id.organizations], now: o.now });
    kubeconfigs[key] = join(ctx.dir, `${id.name}.kubeconfig`);
    writeKubeconfig(kubeconfigs[key], o.apiServerUrl, o.pki.ca.cert, creds[key], id.name);
  }
  return { kubeconfigs, creds };
}

export async function waitForApiServer(ctx: StepContext, o: { apiServerUrl: string; caCert: string; admin: { cert: string; key: string } }): Promise<void> {
  await waitFor('kube-apiserver', () => httpsOk(`${o.apiServerUrl}/readyz`, o.caCert, o.admin), 120_000, ctx.died);
}

/** Starts kube-controller-manager and waits until it has created the default ServiceAccount in `default`. */
export async function startControllerManager(
  ctx: StepContext,
  o: { kubeconfig: string; apiServerUrl: string; pki: Pki; admin: { cert: string; key: string } },
): Promise<void> {
  ctx.say('starting kube-controller-manager');
  ctx.procs.start(
    'kube-controller-manager',
    ctx.binaries.kubeControllerManager,
    [
      `--kubeconfig=${o.kubeconfig}`,
      `--authentication-kubeconfig=${o.kubeconfig}`,
      `--authorization-kubeconfig=${o.kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${await freePort()}`,
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${o.pki.saKey}`,
      `--root-ca-file=${o.pki.caFile}`,
      `--cluster-signing-cert-file=${o.pki.caFile}`,
      `--cluster-signing-key-file=${o.pki.caKeyFile}`,
      '--leader-elect=false',
      // PersistentVolumes for claims of the default StorageClass (nodes.ts: STORAGE); dev/testing only.
      '--enable-hostpath-provisioner=true',
      '--concurrent-deployment-syncs=5',
      '--concurrent-replicaset-syncs=5',
      '--v=1',
    ],
    ctx.logs,
  );
  await waitFor(
    'kube-controller-manager',
    () => httpsOk(`${o.apiServerUrl}/api/v1/namespaces/default/serviceaccounts/default`, o.pki.ca.cert, o.admin),
    120_000,
    ctx.died,
  );
}

/**
 * Starts kube-scheduler as system:kube-scheduler (bootstrap RBAC authorizes it) and waits for
 * its /readyz, which passes once its informers synced. One instance: no leader election. Its
 * secure port (loopback, free port) serves the apiserver's certificate, valid for 127.0.0.1
 * and signed by the cluster CA, so the wait verifies whom it talks to.
 */
export async function startScheduler(ctx: StepContext, o: { kubeconfig: string; pki: Pki }): Promise<void> {
  const port = await freePort();
  ctx.say('starting kube-scheduler');
  ctx.procs.start(
    'kube-scheduler',
    ctx.binaries.kubeScheduler,
    [
      `--kubeconfig=${o.kubeconfig}`,
      `--authentication-kubeconfig=${o.kubeconfig}`,
      `--authorization-kubeconfig=${o.kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--tls-cert-file=${o.pki.servingCert}`,
      `--tls-private-key-file=${o.pki.servingKey}`,
      '--leader-elect=false',
      '--profiling=false',
      '--v=1',
    ],
    ctx.logs,
  );
  await waitFor('kube-scheduler', () => httpsOk(`https://127.0.0.1:${port}/readyz`, o.pki.ca.cert), 60_000, ctx.died);
}

interface NodeList {
  items: Array<{ spec?: { taints?: unknown[] }; status?: { conditions?: Array<{ type: string; status: string }> } }>;
}

/**
 * The simulated nodes: creates the default StorageClass, kwok's RBAC and `count` fake Linux
 * nodes, starts kwok out of cluster as their kubelets, and waits until every node is Ready
 * and untainted. kwok serves nothing (no --server-address / --node-port) and reads only our
 * stage file: KWOK_WORKDIR points it away from a ~/.kwok/kwok.yaml it would merge in.
 */
export async function startNodes(
  ctx: StepContext,
  o: {
    count: number;
    kubeconfig: string;
    adminKubeconfig: string;
    apiServerUrl: string;
    caCert: string;
    admin: { cert: string; key: string };
    kubeVersion: string;
  },
): Promise<void> {
  ctx.say(`creating ${o.count} simulated node${o.count === 1 ? '' : 's'} and the default StorageClass`);
  const objects = [...STORAGE, ...(o.count > 0 ? [...KWOK_RBAC, ...fakeNodes(o.count, o.kubeVersion)] : [])];
  await kubectlOk(ctx.binaries.kubectl, o.adminKubeconfig, ['create', '-f', '-'], manifest(objects));
  if (o.count === 0) return;
  const stages = join(ctx.dir, 'kwok-stages.yaml');
  writeFileSync(stages, manifest(KWOK_STAGES));
  ctx.say('starting kwok (kubelets of the simulated nodes)');
  ctx.procs.start(
    'kwok',
    ctx.binaries.kwok,
    [
      `--kubeconfig=${o.kubeconfig}`,
      `--config=${stages}`,
      `--manage-nodes-with-annotation-selector=${KWOK_NODE_SELECTOR}`,
      `--node-lease-duration-seconds=${NODE_LEASE_SECONDS}`,
    ],
    ctx.logs,
    { KWOK_WORKDIR: join(ctx.dir, 'kwok') },
  );
  await waitFor(
    'simulated nodes',
    async () => {
      const nodes = await httpsJson<NodeList>(`${o.apiServerUrl}/api/v1/nodes?labelSelector=type%3Dkwok`, o.caCert, o.admin);
      const ready = nodes.items.filter((n) => !n.spec?.taints?.length && n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === o.count;
    },
    60_000,
    ctx.died,
  );
}
