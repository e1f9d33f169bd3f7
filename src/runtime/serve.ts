/**
 * Assembles the server: policy config (hot reload), cluster view (informers
 * or manifest files), HTTPS admission endpoints with certificate reload, and
 * the plain-HTTP metrics port. Everything is read here, once, and passed down.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdmissionApp, type AdmissionAppDeps } from '../admission/http.js';
import { PolicyRegistry } from '../admission/registry.js';
import { listenHttps, type HttpsServer } from '../admission/server.js';
import { CertWatcher } from '../certs/watcher.js';
import { storeFromDir } from '../cluster/static.js';
import { ClusterStore } from '../cluster/store.js';
import { formatProblems, loadConfigFile } from '../config/load.js';
import { exemptionState } from '../policy/modes.js';
import { ConfigSource } from '../config/source.js';
import type { Logger } from '../observability/log.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { builtinPolicies, builtinRuleIds, defaultCatalog } from '../policies/index.js';
import { HelmRenderer } from '../addons/render.js';
import type { ClusterMode } from './cluster-mode.js';
import type { AddonManager } from '../addons/manager.js';
import type { NamespaceReconciler } from '../namespace-defaults/reconciler.js';

export interface ServeOptions {
  configPath: string;
  certDir: string;
  /**
   * PEM bundle of the CA(s) that sign the API server's webhook client
   * certificate (`--client-ca`). When set, the admission paths answer only
   * callers presenting such a certificate; reloaded with the serving pair.
   */
  clientCaFile?: string;
  port: number;
  metricsPort: number;
  host?: string;
  /** Cluster state from manifest files, no API server (reconcilers off). */
  stateDir?: string;
  /** Kubeconfig file; undefined with no stateDir means in-cluster config. */
  kubeconfig?: string;
  logger: Logger;
  /** Poll interval for config and certificate files. */
  watchIntervalMs?: number;
  /** Leader-election identity; defaults to POD_NAME or host-pid. */
  identity?: string;
  /** Run the reconcilers (under leader election) when connected to a cluster; default true. */
  reconcilers?: boolean;
  /** The helm binary the addon manager renders bundles with (default: HARBORMASTER_HELM or `helm`). */
  helm?: string;
  /** Leader keeps Secret harbormaster-tls renewed and the webhooks' caBundle in sync (in-cluster). */
  manageCerts?: boolean;
  /** Leader audits the cluster this often (`--audit-interval`), writing PolicyReports that changed. */
  auditIntervalMs?: number;
  /** Test hook, off by default: called with every AdmissionReview answered (src/admission/http.ts). */
  onAdmission?: AdmissionAppDeps['onAnswer'];
}

export interface RunningServer {
  port: number;
  metricsPort: number;
  metrics: Metrics;
  store: ClusterStore;
  /** The namespace reconciler while this replica leads, else undefined. */
  namespaceReconciler(): NamespaceReconciler | undefined;
  /** The addon manager while this replica leads, else undefined. */
  addonManager(): AddonManager | undefined;
  /** Render cache of the addon manager (kept across leadership changes). */
  renderer: HelmRenderer;
  /** True while this replica holds the reconciler lease. */
  leading(): boolean;
  /** Resolves once /readyz would answer ok (certs loaded, caches synced). */
  waitUntilReady(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export class StartupError extends Error {}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const { logger } = options;
  const parse = { ruleIds: builtinRuleIds() };
  const initial = loadConfigFile(options.configPath, parse);
  if (!initial.ok) {
    throw new StartupError(`invalid policy file ${options.configPath}:\n${formatProblems(initial.problems)}`);
  }
  const metrics = createMetrics({
    defaultMetrics: true,
    expiredExemptions: () => config.current.exemptions.filter((e) => exemptionState(e, Date.now()) === 'expired').length,
  });
  const config = new ConfigSource({
    path: options.configPath,
    initial: initial.config,
    parse,
    ...(options.watchIntervalMs ? { intervalMs: options.watchIntervalMs } : {}),
    onReload: (outcome) => {
      metrics.configReloads.inc({ result: outcome.result });
      if (outcome.result === 'success') {
        logger.info({ path: options.configPath }, 'policy reloaded');
        tasks?.policyReloaded();
      } else logger.error({ path: options.configPath, problems: outcome.problems }, 'policy reload refused; keeping the last good policy');
    },
  });

  let store: ClusterStore;
  let live: ClusterMode | undefined;
  const catalog = defaultCatalog();
  const renderer = new HelmRenderer({ helm: options.helm ?? process.env.HARBORMASTER_HELM ?? 'helm' });
  if (options.stateDir !== undefined) {
    store = storeFromDir(options.stateDir);
  } else {
    // Loaded only here: the Kubernetes client costs ~70 MiB and ~0.6 s, which `serve --state` never needs.
    const { startClusterMode } = await import('./cluster-mode.js');
    live = startClusterMode({ options, config: () => config.current, catalog, renderer, logger, metrics });
    store = live.store;
  }
  const informers = live?.informers;
  const elector = live?.elector;
  const tasks = live?.tasks;

  // eslint-disable-next-line prefer-const -- the cert watcher, created first, reaches the server assigned below
  let https: HttpsServer | undefined;
  const certs = new CertWatcher({
    dir: options.certDir,
    ...(options.clientCaFile !== undefined ? { clientCaFile: options.clientCaFile } : {}),
    ...(options.watchIntervalMs ? { intervalMs: options.watchIntervalMs } : {}),
    onChange: (cert) => {
      https?.useCertificate(cert);
      metrics.certExpiry.set(cert.notAfter.getTime() / 1000);
      logger.info({ notAfter: cert.notAfter.toISOString(), clientAuth: cert.clientCa !== undefined }, 'serving certificate reloaded');
    },
    onError: (err) => logger.warn({ err: err.message }, 'certificate files unreadable; keeping the current pair'),
  });
  metrics.certExpiry.set(certs.current.notAfter.getTime() / 1000);

  const registry = new PolicyRegistry(builtinPolicies(catalog));
  const app = createAdmissionApp({
    registry,
    cluster: store,
    config: () => config.current,
    ready: () => informers === undefined || informers.synced,
    logger,
    metrics,
    clientAuth: options.clientCaFile !== undefined,
    ...(options.onAdmission ? { onAnswer: options.onAdmission } : {}),
  });
  https = await listenHttps({ app, cert: certs.current, port: options.port, ...(options.host ? { host: options.host } : {}) });
  const metricsServer = await listenMetrics(metrics, options.metricsPort, options.host);
  certs.start();
  config.start();
  logger.info(
    {
      port: https.port,
      metricsPort: (metricsServer.address() as AddressInfo).port,
      mode: options.stateDir ? 'state' : 'cluster',
      clientAuth: options.clientCaFile !== undefined,
    },
    'harbormaster serving',
  );

  return {
    port: https.port,
    metricsPort: (metricsServer.address() as AddressInfo).port,
    metrics,
    store,
    async waitUntilReady(timeoutMs) {
      await informers?.waitForSync(timeoutMs);
    },
    namespaceReconciler: () => tasks?.namespaces,
    addonManager: () => tasks?.addons,
    renderer,
    leading: () => elector?.leading ?? false,
    async close() {
      certs.stop();
      config.stop();
      await elector?.stop();
      tasks?.stop();
      await informers?.stop();
      await https?.close();
      await new Promise<void>((r) => metricsServer.close(() => r()));
    },
  };
}

async function listenMetrics(metrics: Metrics, port: number, host?: string): Promise<Server> {
  const server = createHttpServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host ?? '0.0.0.0', () => resolve());
  });
  return server;
}
