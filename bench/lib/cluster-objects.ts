/**
 * What the cluster bench creates: the policy file it runs with (the shipped
 * one plus a `bench` profile whose quota does not stop a load test), the two
 * Pods of the creates/s runs, and the population of the memory run.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { generateCertificates } from '../../src/certs/generate.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { awsSecret, awsValues, gcpKey, gcpSecret, rsaPem } from '../../test/support/credentials.js';

export const PROFILE = 'bench';

// Same container limits as `default`, a quota no load test reaches (the quota object is still updated on every create).
const BENCH_PROFILE = `
    ${PROFILE}:
      description: cluster bench (quota out of reach)
      quota:
        hard: { requests.cpu: "100000", requests.memory: 100000Gi, limits.cpu: "200000", limits.memory: 200000Gi, pods: "1000000" }
      limits:
        container:
          default: { cpu: 500m, memory: 512Mi }
          defaultRequest: { cpu: 100m, memory: 128Mi }
          min: { cpu: 10m, memory: 16Mi }
          max: { cpu: "4", memory: 8Gi }
          maxLimitRequestRatio: { cpu: "10", memory: "4" }
        pod:
          max: { cpu: "8", memory: 16Gi }
`;

export function benchPolicyText(): string {
  const text = readFileSync(DEFAULT_POLICY_FILE, 'utf8');
  if (!text.includes('  profiles:\n')) throw new Error(`${DEFAULT_POLICY_FILE}: no "  profiles:" line to add the bench profile under`);
  return text.replace('  profiles:\n', `  profiles:${BENCH_PROFILE}`);
}

/**
 * No scheduler serves this name: the Pods stay Pending untouched, so the
 * runs measure the create path (admission, etcd) and not the scheduler's
 * status writes competing for the same two cores.
 */
export const UNSERVED_SCHEDULER = 'bench-unscheduled';

export type PodKind = 'needs-defaults' | 'complete';

/** A 3-container Pod (generateName: one body serves every create). */
export function podBody(kind: PodKind): string {
  const complete = { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } };
  const containers = ['app', 'proxy', 'log'].map((name) => ({
    name,
    image: `registry.example.com/${name}:1.0`,
    ...(kind === 'complete' ? { resources: complete } : {}),
  }));
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: `${kind}-`, labels: { app: 'bench', kind } },
    spec: { schedulerName: UNSERVED_SCHEDULER, containers },
  });
}

export function namespaceBody(name: string, annotations: Record<string, string> = {}): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations, labels: { 'bench.harbormaster.io/run': 'cluster' } } });
}

/** Scale of the memory run. */
export interface Population {
  namespaces: number;
  services: number;
  ingresses: number;
  secrets: number;
}

export const FULL_POPULATION: Population = { namespaces: 5000, services: 20000, ingresses: 20000, secrets: 50000 };

export const nsName = (i: number): string => `tenant-${String(i).padStart(5, '0')}`;

/** Object i of `total` lives in namespace ⌊i·namespaces/total⌋: consecutive objects share a namespace. */
const home = (i: number, total: number, p: Population): number => Math.floor((i * p.namespaces) / total);

export function populationNamespace(i: number): string {
  const profiles = ['default', 'small', 'large'];
  const annotations: Record<string, string> =
    i % 10 === 9 ? { 'harbormaster.io/allow-best-effort': 'true' } : { 'harbormaster.io/quota-profile': profiles[i % 3] ?? 'default' };
  return namespaceBody(nsName(i), annotations);
}

/**
 * One Service in twenty is a LoadBalancer with lb.harbormaster.io
 * annotations (and a cluster IP); the rest are headless ClusterIP Services
 * without a selector. Why: this API server allocates cluster IPs one at a
 * time (~60/s on the 2-core machine, whatever the concurrency), so 20,000 of
 * them would take minutes, and a selector makes the controller-manager write
 * Endpoints and an EndpointSlice per Service. Harbormaster's cache keeps
 * neither the cluster IP nor the selector: the cached record is the same.
 */
export function populationService(i: number, p: Population): { namespace: string; body: string } {
  const lb = i % 20 === 0;
  const n = i / 20;
  const annotations: Record<string, string> = lb
    ? {
        'lb.harbormaster.io/vip': `203.0.113.${n % 250}`,
        'lb.harbormaster.io/shared-vip-key': `key-${n % 250}`,
        'lb.harbormaster.io/algorithm': 'least-connections',
        'lb.harbormaster.io/health-check-interval': '10',
      }
    : { 'meta.example.com/owner': `team-${i % 97}` };
  const spec: Record<string, unknown> = {
    ports: [
      { name: 'http', port: lb ? 1024 + Math.floor(n / 250) : 80, targetPort: 8080, protocol: 'TCP' },
      ...(i % 3 === 0 ? [{ name: 'metrics', port: 9090, protocol: 'TCP' }] : []),
    ],
    ...(lb ? { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false } : { type: 'ClusterIP', clusterIP: 'None' }),
  };
  return {
    namespace: nsName(home(i, p.services, p)),
    body: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, labels: { app: `svc-${i}` }, annotations }, spec }),
  };
}

export function populationIngress(i: number, p: Population): { namespace: string; body: string } {
  const host = `app-${i}.${nsName(home(i, p.ingresses, p))}.example.com`;
  const paths = [
    { path: '/', pathType: 'Prefix', backend: { service: { name: `svc-${i}`, port: { number: 80 } } } },
    ...(i % 2 === 0 ? [{ path: '/api', pathType: 'Prefix', backend: { service: { name: `svc-${i}`, port: { number: 80 } } } }] : []),
  ];
  return {
    namespace: nsName(home(i, p.ingresses, p)),
    body: JSON.stringify({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: `ing-${i}`, annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '8m' } },
      spec: {
        ingressClassName: i % 4 === 0 ? 'nginx-internal' : 'harbormaster',
        ...(i % 3 === 0 ? { tls: [{ hosts: [host], secretName: `tls-${i}` }] } : {}),
        rules: [{ host, http: { paths } }],
      },
    }),
  };
}

export const INGRESS_CLASSES = ['harbormaster', 'nginx-internal'].map((name) =>
  JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name }, spec: { controller: 'k8s.io/ingress-nginx' } }),
);

/** Key material made once per run and shared: plausible objects, no real secret, no 50,000 RSA keys. */
export interface SecretMaterial {
  rsa: string;
  tls: { cert: string; key: string };
}

export function secretMaterial(): SecretMaterial {
  const bundle = generateCertificates({ service: 'bench', namespace: 'bench', days: 30 });
  return { rsa: rsaPem(), tls: { cert: bundle.cert, key: bundle.key } };
}

/** 40 % gcp-credential, 40 % aws-credential, 10 % kubernetes.io/tls (all three cached), 10 % Opaque (never listed). */
export function populationSecret(i: number, p: Population, m: SecretMaterial): { namespace: string; body: string } {
  const name = `sec-${i}`;
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const kind = i % 10;
  let obj: Record<string, unknown>;
  if (kind < 4) obj = gcpSecret(name, gcpKey({ project_id: `project-${i % 1000}` }, m.rsa));
  else if (kind < 8) obj = awsSecret(name, awsValues());
  else if (kind === 8)
    obj = { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name }, data: { 'tls.crt': b64(m.tls.cert), 'tls.key': b64(m.tls.key) } };
  else obj = { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name }, data: { token: randomBytes(24).toString('base64') } };
  return { namespace: nsName(home(i, p.secrets, p)), body: JSON.stringify(obj) };
}
