/**
 * Part B of the cluster bench: fills the API server with tenant objects
 * (through its REST API, many requests in flight) and sends AdmissionReviews
 * straight at a replica whose caches hold them all.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { admissionRequest, podObject, reviewBody } from '../../test/support/review.js';
import { kubeconfigCredentials, pool, quantile, type ApiClient } from './cluster-http.js';
import {
  INGRESS_CLASSES,
  nsName,
  populationIngress,
  populationNamespace,
  populationSecret,
  populationService,
  secretMaterial,
  type Population,
} from './cluster-objects.js';

export interface PopulateResult {
  objects: number;
  seconds: number;
  perSecond: number;
  phases: Record<string, { count: number; seconds: number }>;
}

/**
 * Namespaces first, then Secrets, Services and Ingresses interleaved in one
 * pool (`inFlight` requests at a time), so the API server's one-at-a-time
 * work (cluster IPs of the LoadBalancer Services) overlaps the rest.
 */
export async function populate(admin: ApiClient, p: Population, inFlight: number, say: (l: string) => void): Promise<PopulateResult> {
  const material = secretMaterial();
  for (const body of INGRESS_CLASSES) await admin.ok('POST', '/apis/networking.k8s.io/v1/ingressclasses', body);
  const make: Record<string, (i: number) => { path: string; body: string }> = {
    Namespace: (i) => ({ path: '/api/v1/namespaces', body: populationNamespace(i) }),
    Secret: (i) => {
      const s = populationSecret(i, p, material);
      return { path: `/api/v1/namespaces/${s.namespace}/secrets`, body: s.body };
    },
    Service: (i) => {
      const s = populationService(i, p);
      return { path: `/api/v1/namespaces/${s.namespace}/services`, body: s.body };
    },
    Ingress: (i) => {
      const s = populationIngress(i, p);
      return { path: `/apis/networking.k8s.io/v1/namespaces/${s.namespace}/ingresses`, body: s.body };
    },
  };
  const counts: Record<string, number> = { Secret: p.secrets, Service: p.services, Ingress: p.ingresses };
  // Interleaved by share: task j of the rest is the kind furthest behind its share at j.
  const rest: Array<[string, number]> = [];
  const next: Record<string, number> = { Secret: 0, Service: 0, Ingress: 0 };
  const total = p.secrets + p.services + p.ingresses;
  for (let j = 0; j < total; j++) {
    const kind = Object.keys(counts).reduce((a, b) => ((next[a] ?? 0) / (counts[a] ?? 1) <= (next[b] ?? 0) / (counts[b] ?? 1) ? a : b));
    rest.push([kind, next[kind] ?? 0]);
    next[kind] = (next[kind] ?? 0) + 1;
  }
  const done: Record<string, number> = { Namespace: 0, Secret: 0, Service: 0, Ingress: 0 };
  const post = async (kind: string, i: number): Promise<void> => {
    const { path, body } = make[kind]!(i);
    await admin.ok('POST', path, body);
    done[kind] = (done[kind] ?? 0) + 1;
  };
  const t0 = performance.now();
  const nsMs = await pool(p.namespaces, inFlight, (i) => post('Namespace', i));
  say(`  ${p.namespaces} namespaces in ${(nsMs / 1000).toFixed(1)} s`);
  const restMs = await pool(
    rest.length,
    inFlight,
    (j) => post(...rest[j]!),
    () =>
      say(
        `  ${Object.entries(counts)
          .map(([k, n]) => `${k} ${done[k]}/${n}`)
          .join(', ')}`,
      ),
  );
  const seconds = (performance.now() - t0) / 1000;
  const objects = p.namespaces + total;
  return {
    objects,
    seconds,
    perSecond: objects / seconds,
    phases: { namespaces: { count: p.namespaces, seconds: nsMs / 1000 }, rest: { count: total, seconds: restMs / 1000 } },
  };
}

/** The requests that make a policy look at the full caches: Service and Ingress scans, namespace and Secret look-ups. */
function latencyCases(): Array<{ path: string; what: string; review: () => string }> {
  const ns = nsName(0);
  const body = (obj: Parameters<typeof admissionRequest>[0]) => () => JSON.stringify(reviewBody(admissionRequest(obj, { namespace: ns })));
  const pod = podObject(
    'web',
    ['app', 'proxy', 'log'].map((name) => ({ name, image: 'x' })),
  );
  const credPod = podObject(
    'creds',
    ['app', 'proxy', 'log'].map((name) => ({ name, image: 'x' })),
    { annotations: { 'credentials.harbormaster.io/inject': 'sec-0,sec-4' } },
  );
  const lb = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'new-lb', annotations: { 'lb.harbormaster.io/vip': '203.0.113.251', 'lb.harbormaster.io/algorithm': 'round-robin' } },
    spec: { type: 'LoadBalancer', ports: [{ port: 443, protocol: 'TCP' }] },
  };
  const ing = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'new-ing' },
    spec: {
      ingressClassName: 'harbormaster',
      rules: [
        { host: 'brand-new.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'x', port: { number: 80 } } } }] } },
      ],
    },
  };
  return [
    { path: '/mutate/resource-defaults', what: '3-container Pod, defaults', review: body(pod) },
    { path: '/validate/resource-defaults', what: '3-container Pod', review: body(pod) },
    { path: '/mutate/cloud-credentials', what: 'Pod naming 2 credential Secrets', review: body(credPod) },
    { path: '/validate/loadbalancer', what: 'LB Service vs every cached Service', review: body(lb) },
    { path: '/validate/ingress', what: 'Ingress vs every cached Ingress', review: body(ing) },
  ];
}

export interface LatencyResult {
  path: string;
  what: string;
  n: number;
  p50Ms: number;
  p99Ms: number;
  allowed: boolean;
}

/**
 * `n` AdmissionReviews per case, one at a time over one keep-alive
 * connection, presenting the API server's webhook client certificate.
 */
export async function admissionLatency(o: {
  port: number;
  certDir: string;
  webhookClientKubeconfig: string;
  n: number;
  warmup: number;
}): Promise<LatencyResult[]> {
  const client = kubeconfigCredentials(o.webhookClientKubeconfig);
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(join(o.certDir, 'ca.crt')), cert: client.cert, key: client.key });
  const post = (path: string, body: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: o.port, path, method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  const out: LatencyResult[] = [];
  try {
    for (const c of latencyCases()) {
      const bodies = Array.from({ length: o.n + o.warmup }, c.review);
      const samples: number[] = [];
      let allowed = true;
      for (const [i, b] of bodies.entries()) {
        const t = performance.now();
        const reply = await post(c.path, b);
        if (i >= o.warmup) samples.push(performance.now() - t);
        if (i === 0) allowed = (JSON.parse(reply) as { response?: { allowed?: boolean } }).response?.allowed === true;
      }
      samples.sort((a, b) => a - b);
      out.push({ path: c.path, what: c.what, n: samples.length, p50Ms: quantile(samples, 0.5), p99Ms: quantile(samples, 0.99), allowed });
    }
  } finally {
    agent.destroy();
  }
  return out;
}
