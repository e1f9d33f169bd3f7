/**
 * The e2e environment: one real control plane + Harbormaster for the whole
 * suite (suite.test.ts), driven with the real kubectl. Pods really get
 * scheduled and turn Running/Ready on kwok's simulated nodes (3, or
 * HARBORMASTER_DEV_NODES; their names in env.controlPlane.nodes), and claims
 * bind through the default StorageClass `standard`.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { ensureBinaries, type Binaries } from '../../src/dev/binaries.js';
import { startDevEnvironment, type AdmissionRecord, type DevEnvironment } from '../../src/dev/environment.js';
import { kubectl, type KubectlResult } from '../../src/dev/kubectl.js';
import { silentLogger } from '../../src/observability/log.js';

export interface E2E {
  env: DevEnvironment;
  /** The policy file the server runs with (a copy; tests may edit it to exercise hot reload). */
  policyFile: string;
  bin: Binaries;
  /** Every AdmissionReview the server answered, with the view it used (test/e2e/parity.cases.ts replays them). */
  admissions: AdmissionRecord[];
  /** kubectl as cluster-admin (default) or as the non-admin tenant. */
  k(args: string[], options?: { as?: 'admin' | 'tenant'; input?: string }): Promise<KubectlResult>;
  /** kubectl that must succeed; returns stdout. */
  ok(args: string[], options?: { as?: 'admin' | 'tenant'; input?: string }): Promise<string>;
  json<T = Record<string, unknown>>(args: string[]): Promise<T>;
  /** A fresh namespace with the given annotations, its default ServiceAccount ready, the tenant bound to `admin` in it. */
  namespace(name: string, annotations?: Record<string, string>): Promise<string>;
  file(name: string, text: string): string;
  stop(): Promise<void>;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startE2E(): Promise<E2E> {
  const bin = await ensureBinaries();
  const policyDir = mkdtempSync(join(tmpdir(), 'hm-e2e-policy-'));
  const policyFile = join(policyDir, 'policy.yaml');
  copyFileSync(DEFAULT_POLICY_FILE, policyFile);
  const admissions: AdmissionRecord[] = [];
  const env = await startDevEnvironment({
    onAdmission: (r) => admissions.push(r),
    binaries: bin,
    logger: silentLogger(),
    configPath: policyFile,
    progress: (l) => process.stderr.write(`[e2e] ${l}\n`),
  });
  const kc = env.controlPlane.kubeconfigs;
  const k: E2E['k'] = (args, options = {}) => kubectl(bin.kubectl, kc[options.as ?? 'admin'], args, options.input);
  const ok: E2E['ok'] = async (args, options = {}) => {
    const r = await k(args, options);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const e2e: E2E = {
    env,
    policyFile,
    bin,
    admissions,
    k,
    ok,
    json: async (args) => JSON.parse(await ok([...args, '-o', 'json'])),
    async namespace(name, annotations = {}) {
      const ann = Object.entries(annotations)
        .map(([a, v]) => `    ${JSON.stringify(a)}: ${JSON.stringify(v)}`)
        .join('\n');
      await ok(['apply', '-f', '-'], {
        input: `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n  annotations:\n${ann || '    {}'}\n`.replace(
          'annotations:\n    {}',
          'annotations: {}',
        ),
      });
      await ok(['create', 'rolebinding', 'tenant-admin', '--clusterrole=admin', '--user=tenant', '-n', name]);
      await waitFor(`default ServiceAccount in ${name}`, async () => (await k(['get', 'serviceaccount', 'default', '-n', name])).code === 0);
      return name;
    },
    file(name, text) {
      const p = join(env.controlPlane.dir, name);
      writeFileSync(p, text);
      return p;
    },
    async stop() {
      await env.stop();
      rmSync(policyDir, { recursive: true, force: true });
    },
  };
  return e2e;
}
