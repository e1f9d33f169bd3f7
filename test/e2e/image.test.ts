/**
 * The container image, built by `npm run image` (scripts/image.mjs, cached:
 * rebuilt only when its inputs change) and run with podman as the restricted
 * Pod runs it: uid 65532, read-only root, no capabilities, no privilege
 * escalation, /tmp a tmpfs, certificates mounted read-only. A local control
 * plane's webhooks point at the container, and kubectl apply goes through it.
 * Then manifests/ (the Deployment of that image) are applied for real into
 * harbormaster-system, which enforces the `restricted` Pod Security Standard.
 *
 * Nothing is skipped: when podman is missing and cannot be installed, the
 * build fails and says why.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import { ensureBinaries, type Binaries } from '../../src/dev/binaries.js';
import { freePort, startControlPlane, type ControlPlane } from '../../src/dev/controlplane.js';
import { installHarbormaster, registerWebhooks } from '../../src/dev/environment.js';
import { kubectl, type KubectlResult } from '../../src/dev/kubectl.js';
import { DEFAULT_POLICY_FILE, PACKAGE_ROOT, PACKAGE_VERSION } from '../../src/paths.js';
import { waitFor } from './env.js';

interface Build {
  tag: string;
  id: string;
  size: number;
  seconds: number;
  cached: boolean;
  engine: string;
  engineFlags: string[];
  runFlags: string[];
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const UID = 65532;
const say = (line: string): void => void process.stderr.write(`[image-e2e] ${line}\n`);

function exec(cmd: string, args: string[], options: { echo?: boolean; input?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: PACKAGE_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (options.echo) process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** `npm run image` as CI runs it: the JSON summary of the build, or a failure with the script's reason. */
async function buildImage(): Promise<Build> {
  const r = await exec(process.execPath, [join(PACKAGE_ROOT, 'scripts', 'image.mjs'), '--json'], { echo: true });
  assert.equal(
    r.code,
    0,
    `scripts/image.mjs failed: ${
      r.stderr
        .split('\n')
        .filter((l) => l.startsWith('[image] failed'))
        .join('\n') || r.stderr.slice(-2000)
    }`,
  );
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Build;
}

/** GET over HTTPS trusting only `ca`; resolves the status code, or undefined while nothing listens. */
function httpsStatus(url: string, ca: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { ca, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

const POD_NEEDING_DEFAULTS = readFileSync(join(PACKAGE_ROOT, 'examples', 'pod.yaml'), 'utf8');
const CRITICAL_INGRESS = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: snippet
  annotations:
    nginx.ingress.kubernetes.io/configuration-snippet: "return 200;"
spec:
  ingressClassName: harbormaster
  rules:
    - host: snippet.example.com
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }
`;

describe('the container image', () => {
  const started = Date.now();
  let build: Build;
  let bin: Binaries;
  let cp: ControlPlane;
  let mounts: string | undefined;
  const container = `hm-image-e2e-${process.pid}`;
  const podman = (args: string[]): Promise<Run> => exec(build.engine, [...build.engineFlags, ...args]);
  const k = (args: string[], input?: string): Promise<KubectlResult> => kubectl(bin.kubectl, cp.kubeconfigs.admin, args, input);
  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await k(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(
    async () => {
      const t0 = Date.now();
      build = await buildImage();
      say(
        `first build: ${build.cached ? 'cached' : 'built'} in ${build.seconds.toFixed(1)} s (test clock ${((Date.now() - t0) / 1000).toFixed(1)} s), size ${(build.size / 1e6).toFixed(1)} MB`,
      );
      bin = await ensureBinaries();
      // No simulated nodes: admission is what is tested, Pods may stay Pending.
      cp = await startControlPlane({ binaries: bin, nodes: 0, progress: say });
    },
    { timeout: 40 * 60_000 },
  );

  after(async () => {
    if (build) await podman(['rm', '--force', '--time', '2', container]);
    await cp?.stop();
    if (mounts) rmSync(mounts, { recursive: true, force: true });
    say(`image e2e took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('is cached: a second npm run image with the same inputs builds nothing', async () => {
    const t0 = Date.now();
    const again = await buildImage();
    const seconds = (Date.now() - t0) / 1000;
    say(`second build: ${again.cached ? 'cached' : 'built'} in ${seconds.toFixed(1)} s`);
    assert.equal(again.cached, true);
    assert.equal(again.id, build.id);
    assert.ok(seconds < 60, `a cached build took ${seconds.toFixed(1)} s`);
  });

  it('is tagged with the package version, labelled, and says that version', async () => {
    assert.equal(build.tag, `harbormaster/harbormaster:${PACKAGE_VERSION}`);
    const labels = JSON.parse((await podman(['image', 'inspect', '--format', '{{json .Labels}}', build.tag])).stdout) as Record<string, string>;
    assert.equal(labels['org.opencontainers.image.version'], PACKAGE_VERSION);
    assert.match(labels['org.opencontainers.image.revision'] ?? '', /^[0-9a-f]{40}(-dirty)?$/);
    assert.ok(!Number.isNaN(Date.parse(labels['org.opencontainers.image.created'] ?? '')), 'created is a date');
    const config = JSON.parse((await podman(['image', 'inspect', '--format', '{{json .Config}}', build.tag])).stdout) as { User?: string };
    assert.equal(config.User, `${UID}:${UID}`);
    const r = await podman(['run', '--rm', ...build.runFlags, '--user', String(UID), '--read-only', '--cap-drop=ALL', build.tag, '--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), PACKAGE_VERSION);
  });

  it('serves as the restricted Pod would, and kubectl apply goes through it', { timeout: 5 * 60_000 }, async () => {
    const { certDir } = await installHarbormaster(cp, bin, say);
    // What the Pod mounts, readable by uid 65532 only: the serving pair, the API server's webhook client CA, a kubeconfig.
    mounts = mkdtempSync(join(tmpdir(), 'hm-image-e2e-'));
    chmodSync(mounts, 0o755);
    const files: Array<[string, string]> = [
      [join(certDir, 'tls.crt'), 'tls.crt'],
      [join(certDir, 'tls.key'), 'tls.key'],
      [cp.webhookClientCaFile, 'client-ca.crt'],
      [cp.kubeconfigs.harbormaster, 'kubeconfig'],
    ];
    for (const [from, name] of files) {
      copyFileSync(from, join(mounts, name));
      chownSync(join(mounts, name), UID, UID);
      chmodSync(join(mounts, name), 0o400);
    }
    const [port, metricsPort] = [await freePort(), await freePort()];
    const run = await podman([
      'run',
      '--detach',
      '--name',
      container,
      ...build.runFlags,
      '--user',
      `${UID}:${UID}`,
      '--read-only',
      '--tmpfs',
      '/tmp:rw,size=64m,mode=1777',
      '--cap-drop=ALL',
      '--security-opt',
      'no-new-privileges',
      '--volume',
      `${mounts}:/etc/harbormaster:ro`,
      build.tag,
      'serve',
      '--cert-dir=/etc/harbormaster',
      '--client-ca=/etc/harbormaster/client-ca.crt',
      '--kubeconfig=/etc/harbormaster/kubeconfig',
      `--port=${port}`,
      `--metrics-port=${metricsPort}`,
      '--host=127.0.0.1',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const logs = async (): Promise<string> => {
      const r = await podman(['logs', container]);
      return r.stdout + r.stderr;
    };
    const ca = readFileSync(join(certDir, 'ca.crt'), 'utf8');
    await waitFor('the container to answer /readyz', async () => (await httpsStatus(`https://127.0.0.1:${port}/readyz`, ca)) === 200, 90_000).catch(
      async (err: Error) => assert.fail(`${err.message}\n${await logs()}`),
    );
    // The in-container process is the only server: no startServer() in this test.
    await registerWebhooks(cp, bin, { baseUrl: `https://127.0.0.1:${port}`, certDir, configPath: DEFAULT_POLICY_FILE });

    await ok(['create', 'namespace', 'image-e2e']);
    await waitFor('default ServiceAccount', async () => (await k(['get', 'serviceaccount', 'default', '-n', 'image-e2e'])).code === 0);
    // Mutation: resource-defaults fills the requests/limits `web` lacks (once the API server sees the new webhooks).
    const webResources = async (args: string[]): Promise<Record<string, unknown> | undefined> => {
      const r = await k([...args, '-n', 'image-e2e', '-f', '-', '-o', 'json'], POD_NEEDING_DEFAULTS);
      if (r.code !== 0) return undefined;
      const pod = JSON.parse(r.stdout) as { spec: { containers: Array<{ name: string; resources?: Record<string, unknown> }> } };
      const web = pod.spec.containers.find((c) => c.name === 'web');
      return web?.resources && Object.keys(web.resources).length > 0 ? web.resources : undefined;
    };
    await waitFor('the webhooks to mutate a dry-run Pod', () => webResources(['create', '--dry-run=server']), 30_000);
    const stored = await webResources(['create']);
    assert.ok(stored, 'the stored Pod has the defaults the container added');
    const pod = JSON.parse(await ok(['get', 'pod', 'hello', '-n', 'image-e2e', '-o', 'json'])) as {
      spec: { containers: Array<{ name: string; resources?: unknown }> };
    };
    assert.deepEqual(pod.spec.containers.find((c) => c.name === 'web')?.resources, stored);

    // Validation: a Critical nginx annotation is refused with a rule id, and the container logs the denial.
    const denied = await k(['apply', '-n', 'image-e2e', '-f', '-'], CRITICAL_INGRESS);
    assert.notEqual(denied.code, 0, 'the Ingress with a snippet annotation was admitted');
    assert.match(denied.stderr, /admission webhook .*denied the request/);
    assert.match(denied.stderr, /\[ingress\./);
    await waitFor('the denial in the container log', async () => /"msg":"denied"/.test(await logs()) && /"name":"snippet"/.test(await logs()), 10_000);

    // The container's own metrics count the calls.
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text());
    const calls = [...metrics.matchAll(/^harbormaster_admission_requests_total\{[^}]*webhook="mutate\/resource-defaults"[^}]*\} (\d+)/gm)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
    assert.ok(calls >= 2, `mutate/resource-defaults calls counted by the container: ${calls}`);

    // PID 1 is node: SIGTERM (podman stop) ends it cleanly, well before podman's SIGKILL.
    const t0 = Date.now();
    const stop = await podman(['stop', '--time', '20', container]);
    const stopSeconds = (Date.now() - t0) / 1000;
    assert.equal(stop.code, 0, stop.stderr);
    const exitCode = (await podman(['inspect', '--format', '{{.State.ExitCode}}', container])).stdout.trim();
    say(`SIGTERM: exited ${exitCode} after ${stopSeconds.toFixed(1)} s`);
    assert.equal(exitCode, '0', await logs());
    assert.ok(stopSeconds < 15, `stop took ${stopSeconds.toFixed(1)} s`);
  });

  it('manifests/ pass the restricted Pod Security Standard: the Deployment of this image gets its Pods admitted', { timeout: 3 * 60_000 }, async () => {
    const ns = 'harbormaster-system';
    // The kustomization as shipped, without the webhook configurations (their Service has no server here).
    const rendered = await ok(['kustomize', join(PACKAGE_ROOT, 'manifests')]);
    const docs = parseAllDocuments(rendered).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec?: unknown });
    const deployment = docs.find((d) => d.kind === 'Deployment') as
      { spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } } } | undefined;
    assert.ok(deployment, 'the kustomization has a Deployment');
    assert.equal(
      deployment.spec.template.spec.containers[0]?.image,
      build.tag.replace(/^localhost\//, ''),
      'the Deployment names the image npm run image tags',
    );
    const kept = docs.filter((d) => !/WebhookConfiguration$/.test(d.kind));
    await ok(['apply', '--server-side', '--force-conflicts', '-f', '-'], kept.map((d) => stringify(d)).join('---\n'));
    const labels = JSON.parse(await ok(['get', 'namespace', ns, '-o', 'jsonpath={.metadata.labels}'])) as Record<string, string>;
    assert.equal(labels['pod-security.kubernetes.io/enforce'], 'restricted');

    // The level is enforced: a Pod without the restricted securityContext is refused.
    const loose = await k(['run', 'loose', '-n', ns, '--image=harbormaster/harbormaster:0.0.0', '--restart=Never']);
    assert.notEqual(loose.code, 0, 'a Pod violating restricted was admitted');
    assert.match(loose.stderr, /violates PodSecurity "restricted/);

    // kube-controller-manager creates the Pods through admission: all replicas exist, no FailedCreate.
    const replicas = deployment.spec.replicas;
    await waitFor(
      `${replicas} Pods of the Deployment`,
      async () => {
        const failed = await ok([
          'get',
          'events',
          '-n',
          ns,
          '--field-selector',
          'reason=FailedCreate',
          '-o',
          'jsonpath={range .items[*]}{.message}{"\\n"}{end}',
        ]);
        if (failed.trim()) assert.fail(`the ReplicaSet could not create Pods: ${failed}`);
        const pods = JSON.parse(await ok(['get', 'pods', '-n', ns, '-l', 'app.kubernetes.io/name=harbormaster', '-o', 'json'])) as { items: unknown[] };
        return pods.items.length === replicas;
      },
      90_000,
    );
    const rs = JSON.parse(await ok(['get', 'replicasets', '-n', ns, '-l', 'app.kubernetes.io/name=harbormaster', '-o', 'json'])) as {
      items: Array<{ status: { replicas?: number; conditions?: Array<{ type: string; message?: string }> } }>;
    };
    assert.equal(rs.items.length, 1);
    assert.equal(rs.items[0]?.status.replicas, replicas);
    assert.deepEqual(rs.items[0]?.status.conditions?.filter((c) => c.type === 'ReplicaFailure') ?? [], []);
  });
});
