/**
 * How long `harbormaster audit` takes on a populated control plane: 1,000
 * namespaces (BENCH_AUDIT_NAMESPACES) with 5 covered objects each — a
 * Deployment and a StatefulSet (0 replicas), a suspended CronJob, a Service
 * and an Ingress; every 10th namespace's Ingress carries a Critical nginx
 * snippet, created with no webhook registered (as if from before the rule).
 * Times the read-only audit (3 runs, the CLI's own code path in this
 * process), then `--apply` three times: the first writes every report, the next
 * find them unchanged and write none. Writes bench/results/audit.json.
 *   node --import tsx bench/audit.bench.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { applyReports } from '../src/audit/apply.js';
import { buildReports } from '../src/audit/policyreport.js';
import { allFindings, auditCluster } from '../src/audit/run.js';
import { loadConfigFile } from '../src/config/load.js';
import { ensureBinaries } from '../src/dev/binaries.js';
import { startControlPlane } from '../src/dev/controlplane.js';
import { kubectlOk } from '../src/dev/kubectl.js';
import { DEFAULT_POLICY_FILE, PACKAGE_ROOT } from '../src/paths.js';
import { builtinPolicies, builtinRuleIds } from '../src/policies/index.js';
import { apiClient, pool } from './lib/cluster-http.js';

const NAMESPACES = Number(process.env.BENCH_AUDIT_NAMESPACES ?? 1000);
const say = (l: string): void => void process.stderr.write(`[audit-bench] ${l}\n`);

function objects(ns: string, i: number): Array<{ path: string; body: unknown }> {
  const labels = { app: 'web' };
  const template = {
    metadata: { labels },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'registry.example.com/app:1',
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
        },
      ],
    },
  };
  const apps = `/apis/apps/v1/namespaces/${ns}`;
  return [
    {
      path: `${apps}/deployments`,
      body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 0, selector: { matchLabels: labels }, template } },
    },
    {
      path: `${apps}/statefulsets`,
      body: {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db' },
        spec: { replicas: 0, serviceName: 'web', selector: { matchLabels: labels }, template },
      },
    },
    {
      path: `/apis/batch/v1/namespaces/${ns}/cronjobs`,
      body: {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'nightly' },
        spec: {
          schedule: '0 3 * * *',
          suspend: true,
          jobTemplate: { spec: { template: { ...template, spec: { ...template.spec, restartPolicy: 'Never' } } } },
        },
      },
    },
    {
      path: `/api/v1/namespaces/${ns}/services`,
      body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: labels, ports: [{ port: 80 }] } },
    },
    {
      path: `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`,
      body: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'web', annotations: i % 10 === 0 ? { 'nginx.ingress.kubernetes.io/configuration-snippet': 'return 200;' } : {} },
        spec: {
          ingressClassName: 'harbormaster',
          rules: [
            { host: `${ns}.example.com`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } },
          ],
        },
      },
    },
  ];
}

async function main(): Promise<void> {
  const bin = await ensureBinaries();
  const cp = await startControlPlane({ binaries: bin, progress: say, nodes: 0 });
  try {
    const admin = cp.kubeconfigs.admin;
    await kubectlOk(bin.kubectl, admin, [
      'apply',
      '-f',
      join(PACKAGE_ROOT, 'manifests', 'crd-cluster.yaml'),
      '-f',
      join(PACKAGE_ROOT, 'manifests', 'policyreport-crd.yaml'),
    ]);
    await kubectlOk(bin.kubectl, admin, [
      'wait',
      '--for=condition=Established',
      'crd/clusters.harbormaster.io',
      'crd/policyreports.wgpolicyk8s.io',
      'crd/clusterpolicyreports.wgpolicyk8s.io',
    ]);
    const api = apiClient(admin, 16);
    const names = Array.from({ length: NAMESPACES }, (_, i) => `audit-${String(i).padStart(4, '0')}`);
    const nsMs = await pool(
      NAMESPACES,
      16,
      async (i) => void (await api.ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: names[i] } })),
    );
    const objMs = await pool(
      NAMESPACES * 5,
      16,
      async (j) => {
        const o = objects(names[Math.floor(j / 5)] as string, Math.floor(j / 5))[j % 5];
        if (o) await api.ok('POST', o.path, o.body);
      },
      (done) => say(`${done}/${NAMESPACES * 5} objects`),
    );
    api.close();
    say(`created ${NAMESPACES} namespaces in ${(nsMs / 1000).toFixed(1)} s and ${NAMESPACES * 5} objects in ${(objMs / 1000).toFixed(1)} s`);

    // Each Deployment gets its ReplicaSet from kube-controller-manager: wait until they are all there, so the runs see one cluster.
    const settleApi = apiClient(admin, 1);
    const t0 = performance.now();
    for (let last = -1; ;) {
      const n = (JSON.parse((await settleApi.ok('GET', '/apis/apps/v1/replicasets?limit=5000')).body) as { items: unknown[] }).items.length;
      if (n >= NAMESPACES && n === last) break;
      last = n;
      await new Promise((r) => setTimeout(r, 3000));
    }
    settleApi.close();
    say(`the ReplicaSets were all there after ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const loaded = loadConfigFile(DEFAULT_POLICY_FILE, { ruleIds: builtinRuleIds() });
    if (!loaded.ok) throw new Error('shipped policy invalid');
    const kc = new KubeConfig();
    kc.loadFromFile(admin);
    const policies = builtinPolicies();
    const runs: Array<{ ms: number; objects: number; findings: number; listed: number }> = [];
    let last;
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      last = await auditCluster({ kubeconfig: kc, policies, config: loaded.config });
      const ms = performance.now() - t0;
      const objectsJudged = new Set(last.evaluations.map((e) => `${e.object.kind}/${e.object.namespace ?? ''}/${e.object.name}`)).size;
      runs.push({
        ms: Math.round(ms),
        objects: objectsJudged,
        findings: allFindings(last.evaluations).length,
        listed: last.listed.reduce((n, l) => n + l.items, 0),
      });
      say(`audit run ${r + 1}: ${(ms / 1000).toFixed(2)} s, ${objectsJudged} objects judged, ${runs[r]?.findings} findings, ${runs[r]?.listed} items listed`);
    }
    const applies: Array<{ ms: number; created: number; updated: number; unchanged: number }> = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      const run = await auditCluster({ kubeconfig: kc, policies, config: loaded.config });
      const now = Date.now();
      const o = await applyReports(kc, buildReports(run.evaluations, now), { nowMs: now });
      const ms = performance.now() - t0;
      applies.push({ ms: Math.round(ms), ...o });
      say(`audit --apply run ${r + 1}: ${(ms / 1000).toFixed(2)} s, ${o.created} created, ${o.updated} updated, ${o.unchanged} unchanged`);
    }
    const out = { namespaces: NAMESPACES, objectsPerNamespace: 5, runs, applies, note: 'shared 2-core machine; the control plane runs on the same cores' };
    mkdirSync(join(PACKAGE_ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(PACKAGE_ROOT, 'bench', 'results', 'audit.json'), JSON.stringify(out, null, 2) + '\n');
    say(`wrote bench/results/audit.json`);
  } finally {
    await cp.stop();
  }
}

await main();
