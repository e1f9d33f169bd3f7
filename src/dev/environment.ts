/**
 * The development environment: a local control plane with Harbormaster
 * serving against it and registered as its admission webhooks — the same
 * shipped RBAC, the webhook configurations generated from the registry,
 * pointed at the local server by URL with the generated CA as caBundle.
 * The server authenticates its caller (`--client-ca`) with the control
 * plane's webhook client CA, so everything run here, the e2e suite included,
 * goes through mTLS as a hardened install does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeBundle } from '../certs/files.js';
import { generateCertificates } from '../certs/generate.js';
import { loadConfigFile } from '../config/load.js';
import { renderWebhookYaml } from '../manifests/render.js';
import { webhookConfigurations } from '../manifests/webhooks.js';
import type { Logger } from '../observability/log.js';
import { DEFAULT_POLICY_FILE, PACKAGE_ROOT } from '../paths.js';
import { builtinPolicies } from '../policies/index.js';
import { startServer, type RunningServer } from '../runtime/serve.js';
import type { Binaries } from './binaries.js';
import { startControlPlane, freePort, type ControlPlane } from './controlplane.js';
import { kubectlOk } from './kubectl.js';
import { snapshotView, type ViewSnapshot } from '../audit/snapshot.js';
import type { AdmissionRequest, AdmissionResponse } from '../kube/types.js';
import type { PolicyConfig } from '../config/types.js';

export interface DevEnvironmentOptions {
  binaries: Binaries;
  logger: Logger;
  /** HTTPS port of the webhook server; 0 picks a free one. */
  port?: number;
  configPath?: string;
  progress?: (line: string) => void;
  identity?: string;
  /** Simulated nodes (see ControlPlaneOptions.nodes). */
  nodes?: number;
  /**
   * Test hook, off by default: every AdmissionReview the server answers, its
   * answer, and the cluster view it decided with (a snapshot costing a few
   * references; see src/audit/snapshot.ts).
   */
  onAdmission?: (record: AdmissionRecord) => void;
}

export interface AdmissionRecord {
  webhook: string;
  request: AdmissionRequest;
  response: AdmissionResponse;
  /** The policy in force for that answer, and the instant it was judged at (exemption expiry). */
  config: PolicyConfig;
  at: number;
  view: ViewSnapshot;
}

export interface DevEnvironment {
  controlPlane: ControlPlane;
  server: RunningServer;
  certDir: string;
  webhooksFile: string;
  stop(): Promise<void>;
}

/**
 * The shipped CRD, Namespace, ServiceAccount and RBAC, the Cluster object, and
 * serving certificates (CA, tls.crt/tls.key for the Service name, localhost
 * and 127.0.0.1) in `<control plane dir>/webhook-certs`: what a server needs
 * before it starts. startDevEnvironment runs it; so can a test that serves
 * from elsewhere (a container) and then calls registerWebhooks.
 */
export async function installHarbormaster(cp: ControlPlane, binaries: Binaries, say: (line: string) => void = () => undefined): Promise<{ certDir: string }> {
  const admin = cp.kubeconfigs.admin;
  say('installing namespace, ServiceAccount and RBAC from manifests/');
  const files = ['crd-cluster.yaml', 'policyreport-crd.yaml', 'namespace.yaml', 'serviceaccount.yaml', 'rbac.yaml'].flatMap((f) => ['-f', join(PACKAGE_ROOT, 'manifests', f)]);
  await kubectlOk(binaries.kubectl, admin, ['apply', ...files]);
  await kubectlOk(binaries.kubectl, admin, [
    'wait',
    '--for=condition=Established',
    'crd/clusters.harbormaster.io',
    'crd/policyreports.wgpolicyk8s.io',
    'crd/clusterpolicyreports.wgpolicyk8s.io',
    '--timeout=30s',
  ]);
  // The Cluster object standing for this (local) tenant cluster: addons are switched on through it.
  await kubectlOk(
    binaries.kubectl,
    admin,
    ['apply', '-f', '-'],
    'apiVersion: harbormaster.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: local\nspec:\n  displayName: harbormaster dev\n',
  );
  const certDir = join(cp.dir, 'webhook-certs');
  writeBundle(
    certDir,
    generateCertificates({ service: 'harbormaster', namespace: 'harbormaster-system', extraDnsNames: ['localhost'], extraIPs: ['127.0.0.1'] }),
  );
  return { certDir };
}

/** Registers the webhook configurations generated from the registry, pointed at `baseUrl` with the CA of certDir; returns the file applied. */
export async function registerWebhooks(cp: ControlPlane, binaries: Binaries, o: { baseUrl: string; certDir: string; configPath: string }): Promise<string> {
  const loaded = loadConfigFile(o.configPath);
  const policies = builtinPolicies();
  const objects = webhookConfigurations({
    policies,
    target: { kind: 'url', baseUrl: o.baseUrl },
    caBundlePem: readFileSync(join(o.certDir, 'ca.crt'), 'utf8'),
    systemNamespaces: loaded.ok ? loaded.config.systemNamespaces : [],
    ...(loaded.ok ? { config: loaded.config } : {}),
  });
  const webhooksFile = join(cp.dir, 'webhooks.yaml');
  writeFileSync(webhooksFile, renderWebhookYaml(objects, policies, `# harbormaster dev: webhooks pointing at ${o.baseUrl}`));
  await kubectlOk(binaries.kubectl, cp.kubeconfigs.admin, ['apply', '-f', webhooksFile]);
  return webhooksFile;
}

function recorder(
  onAdmission: (record: AdmissionRecord) => void,
  server: () => RunningServer | undefined,
): (r: { webhook: string; request: AdmissionRequest; response: AdmissionResponse; config: PolicyConfig; at: number }) => void {
  return (r) => {
    const running = server();
    // Answers before startServer returned (none: the webhooks are registered later) have no store to show.
    if (running) onAdmission({ ...r, view: snapshotView(running.store) });
  };
}

export async function startDevEnvironment(options: DevEnvironmentOptions): Promise<DevEnvironment> {
  const say = options.progress ?? (() => undefined);
  const cp = await startControlPlane({ binaries: options.binaries, progress: say, ...(options.nodes !== undefined ? { nodes: options.nodes } : {}) });
  let server: RunningServer | undefined;
  try {
    const { certDir } = await installHarbormaster(cp, options.binaries, say);
    const port = options.port && options.port > 0 ? options.port : await freePort();
    const configPath = options.configPath ?? DEFAULT_POLICY_FILE;
    say(`starting harbormaster serve on https://127.0.0.1:${port}`);
    server = await startServer({
      configPath,
      certDir,
      clientCaFile: cp.webhookClientCaFile,
      port,
      metricsPort: 0,
      host: '127.0.0.1',
      kubeconfig: cp.kubeconfigs.harbormaster,
      logger: options.logger,
      helm: options.binaries.helm,
      ...(options.identity ? { identity: options.identity } : {}),
      ...(options.onAdmission ? { onAdmission: recorder(options.onAdmission, () => server) } : {}),
    });
    await server.waitUntilReady(60_000);

    say('registering the webhook configurations');
    const webhooksFile = await registerWebhooks(cp, options.binaries, { baseUrl: `https://127.0.0.1:${port}`, certDir, configPath });
    const running = server;
    return {
      controlPlane: cp,
      server: running,
      certDir,
      webhooksFile,
      async stop() {
        await running.close();
        await cp.stop();
      },
    };
  } catch (err) {
    await server?.close();
    await cp.stop();
    throw err;
  }
}
