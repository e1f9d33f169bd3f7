/**
 * npm run bench: admission latency, against a baseline measured in the same run.
 *  - policy: evaluate() of each policy on a 10-container Pod, in-process (median µs)
 *  - server: full HTTPS round trips to `serve --state` over keep-alive, vs. a
 *    baseline HTTPS server that only parses the body and answers allowed
 * Prints medians, p99 and the ratio to the baseline.
 */
import { createServer } from 'node:https';
import { Agent, request } from 'node:https';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate } from '../src/admission/engine.js';
import { storeFromObjects } from '../src/cluster/static.js';
import { loadConfigFile } from '../src/config/load.js';
import { silentLogger } from '../src/observability/log.js';
import { DEFAULT_POLICY_FILE } from '../src/paths.js';
import { builtinPolicies } from '../src/policies/index.js';
import { startServer } from '../src/runtime/serve.js';
import { readServingCert } from '../src/certs/watcher.js';
import { admissionRequest, podObject, reviewBody } from '../test/support/review.js';
import { tempCerts, tempDir } from '../test/support/tls.js';
import { gcpKey, gcpSecret } from '../test/support/credentials.js';

function stats(samples: number[]): { median: number; p99: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)] ?? 0, p99: s[Math.floor(s.length * 0.99)] ?? 0 };
}

const pod = podObject(
  'bench',
  Array.from({ length: 10 }, (_, i) => ({ name: `c${i}`, image: 'nginx', ...(i % 2 ? { resources: { limits: { cpu: '100m' } } } : {}) })),
);
const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', annotations: { 'harbormaster.io/quota-profile': 'small' } } };
const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
if (!loaded.ok) throw new Error('policy');
const cluster = storeFromObjects([ns]);

// The representative request of each policy: what it does real work on.
const credPod = podObject(
  'creds',
  ['app', 'proxy', 'log'].map((name) => ({ name, image: 'x' })),
  { annotations: { 'credentials.harbormaster.io/inject': 'gcp,aws' } },
);
const credCluster = storeFromObjects([
  ns,
  { apiVersion: 'v1', kind: 'Secret', type: 'gcp-credential', metadata: { name: 'gcp', namespace: 'team-a' } },
  { apiVersion: 'v1', kind: 'Secret', type: 'aws-credential', metadata: { name: 'aws', namespace: 'team-a' } },
]);
const gcpSecretObj = gcpSecret('key', gcpKey());
// 200 existing LoadBalancer Services and 200 Ingresses in the cache: the sharing and ownership scans see them all.
const netCluster = storeFromObjects([
  ns,
  { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'tls', namespace: 'team-a' } },
  ...Array.from({ length: 200 }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: `s${i}`,
      namespace: `t${i % 20}`,
      annotations: { 'lb.harbormaster.io/vip': `203.0.113.${i % 250}`, 'lb.harbormaster.io/shared-vip-key': 'k' },
    },
    spec: { type: 'LoadBalancer', ports: [{ port: 1000 + i, protocol: 'TCP' }] },
  })),
  ...Array.from({ length: 200 }, (_, i) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: `i${i}`, namespace: `t${i % 20}` },
    spec: { rules: [{ host: `h${i}.example.com`, http: { paths: [{ path: '/', pathType: 'Prefix' }] } }] },
  })),
]);
const lbService = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name: 'web',
    annotations: {
      'lb.harbormaster.io/vip': '203.0.113.7',
      'lb.harbormaster.io/shared-vip-key': 'k',
      'lb.harbormaster.io/algorithm': 'least-connections',
      'lb.harbormaster.io/health-check-interval': '10',
      'lb.harbormaster.io/health-check-timeout': '3',
    },
  },
  spec: { type: 'LoadBalancer', ports: [{ port: 443, protocol: 'TCP' }], loadBalancerSourceRanges: ['10.0.0.0/8'] },
};
const ingressObj = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: {
    name: 'shop',
    annotations: {
      'nginx.ingress.kubernetes.io/proxy-body-size': '8m',
      'nginx.ingress.kubernetes.io/ssl-redirect': 'true',
      'ingress.harbormaster.io/min-replicas': '2',
    },
  },
  spec: {
    ingressClassName: 'harbormaster',
    tls: [{ hosts: ['shop.example.com'], secretName: 'tls' }],
    rules: [
      {
        host: 'shop.example.com',
        http: {
          paths: [
            { path: '/', pathType: 'Prefix' },
            { path: '/api', pathType: 'Prefix' },
          ],
        },
      },
    ],
  },
};
const scenarios: Record<string, { what: string; request: ReturnType<typeof admissionRequest>; cluster: typeof cluster }> = {
  'mutate/resource-defaults': { what: '10-container Pod, nothing set', request: admissionRequest(pod, { namespace: 'team-a' }), cluster },
  'validate/resource-defaults': { what: '10-container Pod', request: admissionRequest(pod, { namespace: 'team-a' }), cluster },
  'mutate/cloud-credentials': {
    what: '3-container Pod, GCP + AWS injected',
    request: admissionRequest(credPod, { namespace: 'team-a' }),
    cluster: credCluster,
  },
  'validate/cloud-credentials': { what: 'gcp-credential Secret (RSA key parsed)', request: admissionRequest(gcpSecretObj, { namespace: 'team-a' }), cluster },
  'validate/loadbalancer': {
    what: 'LB Service, 5 annotations, 200 Services cached',
    request: admissionRequest(lbService, { namespace: 'team-a' }),
    cluster: netCluster,
  },
  'validate/ingress': {
    what: 'Ingress, TLS, 2 paths, 3 annotations, 200 Ingresses cached',
    request: admissionRequest(ingressObj, { namespace: 'team-a' }),
    cluster: netCluster,
  },
};

console.log('# policy evaluation, in-process');
for (const policy of builtinPolicies()) {
  const sc = scenarios[`${policy.type}/${policy.name}`];
  if (!sc) continue;
  for (let i = 0; i < 2000; i++) evaluate({ policy, request: sc.request, cluster: sc.cluster, config: loaded.config });
  const samples: number[] = [];
  for (let i = 0; i < 20000; i++) {
    const t = process.hrtime.bigint();
    evaluate({ policy, request: sc.request, cluster: sc.cluster, config: loaded.config });
    samples.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  const s = stats(samples);
  console.log(`${policy.type}/${policy.name} (${sc.what}): median ${s.median.toFixed(1)} µs, p99 ${s.p99.toFixed(1)} µs`);
}

const certs = tempCerts();
const state = tempDir('hm-bench-');
writeFileSync(join(state.dir, 'ns.yaml'), JSON.stringify(ns));
copyFileSync(DEFAULT_POLICY_FILE, join(state.dir, 'policy.yaml'));
const server = await startServer({
  configPath: join(state.dir, 'policy.yaml'),
  certDir: certs.dir,
  port: 0,
  metricsPort: 0,
  host: '127.0.0.1',
  stateDir: state.dir,
  logger: silentLogger(),
});
const cert = readServingCert(certs.dir);
const baseline = createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { request: { uid: string } };
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: body.request.uid, allowed: true } }));
  });
});
await new Promise<void>((r) => baseline.listen(0, '127.0.0.1', () => r()));
const baselinePort = (baseline.address() as { port: number }).port;

async function roundTrips(port: number, path: string, n: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, ca: certs.ca, maxSockets: 1 });
  const body = JSON.stringify(reviewBody(admissionRequest(pod, { namespace: 'team-a' })));
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      const r = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      r.on('error', reject);
      r.end(body);
    });
    samples.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  agent.destroy();
  return samples;
}

console.log('\n# HTTPS round trip, keep-alive, one connection (µs)');
await roundTrips(baselinePort, '/', 500);
await roundTrips(server.port, '/mutate/resource-defaults', 500);
const base = stats(await roundTrips(baselinePort, '/', 3000));
console.log(`baseline (parse + allowed): median ${base.median.toFixed(0)}, p99 ${base.p99.toFixed(0)}`);
for (const path of ['/mutate/resource-defaults', '/validate/resource-defaults']) {
  const s = stats(await roundTrips(server.port, path, 3000));
  console.log(`${path}: median ${s.median.toFixed(0)}, p99 ${s.p99.toFixed(0)}  ratio to baseline ${(s.median / base.median).toFixed(2)}x`);
}
const hist = await server.metrics.duration.get();
const sum = hist.values.filter((v) => v.metricName?.endsWith('_sum')).reduce((a, v) => a + v.value, 0);
const count = hist.values.filter((v) => v.metricName?.endsWith('_count')).reduce((a, v) => a + v.value, 0);
console.log(`server-side mean (decode → encode, from harbormaster_admission_duration_seconds): ${((sum / count) * 1e6).toFixed(0)} µs over ${count} requests`);
await server.close();
baseline.close();
certs.cleanup();
state.cleanup();
