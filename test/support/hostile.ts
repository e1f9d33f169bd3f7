/**
 * Hostile but API-server-valid admission requests: per policy, the largest
 * object that maximises its work while staying under the API server's limits
 * (256 KiB of annotations, 3 MiB of body), plus the cluster state that makes
 * the work expensive (a 5,000-rule Ingress on a shared host, 5,000 hosts
 * under one domain). Used by test/unit/hostile-input.test.ts and by
 * `npm run bench`. Every tenant string carries MARKER so a test can prove
 * nothing from a request is printed outside the structured logger.
 */
import type { KubeObject } from '../../src/kube/types.js';
import { admissionRequest, reviewBody } from './review.js';

/** Planted in tenant strings; must never appear in the server's output. */
export const MARKER = 'PLANTED-7f3a9c';

/** The API server's limit on the total size of an object's annotations. */
const ANNOTATION_BYTES = 256 * 1024 - 1024;

export interface HostileCase {
  name: string;
  /** The endpoint, e.g. `/validate/ingress`. */
  path: string;
  body: Buffer;
}

const NS = 'team-b';
/** As many `prefix<63-character name>` keys as fit in the annotation limit, each valued MARKER. */
function manyKeys(prefix: string): Record<string, string> {
  const n = Math.floor(ANNOTATION_BYTES / (prefix.length + 63 + MARKER.length));
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${`k${i}-`.padEnd(63, 'a')}`, MARKER]));
}

/** A comma-separated list of names that fills the annotation limit. */
function manyNames(n: number, stem: string): string {
  return Array.from({ length: n }, (_, i) => `${stem}${i}`).join(',');
}

function ingress(name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}, namespace = NS): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace, annotations },
    spec: { ingressClassName: 'harbormaster', ...spec },
  };
}

const backend = { service: { name: 'web', port: { number: 80 } } };

/** The cluster state that makes the hostile requests expensive. */
export function hostileState(): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    { apiVersion: 'v1', kind: 'Secret', type: 'gcp-credential', metadata: { name: 'gcp', namespace: NS } },
    // 5,000 paths on a host team-a shares with team-b: every path of a request there is checked against them.
    ingress(
      'big',
      { rules: [{ host: 'shared.example.com', http: { paths: Array.from({ length: 5000 }, (_, i) => ({ path: `/p${i}/x`, pathType: 'Prefix', backend })) } }] },
      { 'harbormaster.io/share-with': NS },
      'team-a',
    ),
    // 5,000 hosts under example.com, shared with team-b: a wildcard over them has to look at each.
    ingress(
      'hosts',
      { rules: Array.from({ length: 5000 }, (_, i) => ({ host: `h${i}.example.com`, http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } })) },
      { 'harbormaster.io/share-with': NS },
      'team-a',
    ),
    { apiVersion: 'harbormaster.io/v1alpha1', kind: 'Cluster', metadata: { name: 'local', annotations: { 'addons.harbormaster.io/efk': 'enabled' } } },
  ];
}

function body(obj: KubeObject, options: { username?: string; oldObject?: KubeObject } = {}): Buffer {
  const req = admissionRequest(obj, {
    namespace: NS,
    ...(options.username ? { username: options.username } : {}),
    ...(options.oldObject ? { operation: 'UPDATE', oldObject: options.oldObject } : {}),
  });
  return Buffer.from(JSON.stringify(reviewBody(req)));
}

function pod(name: string, containers: number, annotations: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, annotations },
    spec: { containers: Array.from({ length: containers }, (_, i) => ({ name: `c${i}`, image: `img/${MARKER}`, ...extra })) },
  };
}

/** Nested `depth` levels deep under one key (just inside the decoder's limit). */
function deep(depth: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: MARKER };
  for (let i = 0; i < depth; i++) v = { x: v };
  return v;
}

export function hostileCases(): HostileCase[] {
  const yamlWarnings = `%FOO ${MARKER}\n---\nfluentd: !weird ${MARKER}\n`;
  return [
    {
      name: 'Ingress with every unknown nginx key the annotation limit allows',
      path: '/validate/ingress',
      body: body(
        ingress(
          'keys',
          { rules: [{ host: 'a.example.org', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }] },
          manyKeys('nginx.ingress.kubernetes.io/'),
        ),
      ),
    },
    {
      name: 'Ingress with unknown ingress.harbormaster.io/ keys',
      path: '/validate/ingress',
      body: body(
        ingress(
          'hm-keys',
          { rules: [{ host: 'b.example.org', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }] },
          manyKeys('ingress.harbormaster.io/'),
        ),
      ),
    },
    {
      name: 'Service with unknown lb.harbormaster.io/ keys',
      path: '/validate/loadbalancer',
      body: body({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'lb', namespace: NS, annotations: manyKeys('lb.harbormaster.io/') },
        spec: { type: 'LoadBalancer', ports: [{ port: 443, protocol: 'TCP' }] },
      }),
    },
    {
      name: 'Ingress with 20,000 paths on a shared host of 5,000 cached paths',
      path: '/validate/ingress',
      body: body(
        ingress('paths', {
          rules: [
            {
              host: 'shared.example.com',
              http: {
                paths: Array.from({ length: 20000 }, (_, i) => ({ path: `/q${i}/${i % 7 ? 'a' : 'p1/x'}`, pathType: i % 3 ? 'Prefix' : 'Exact', backend })),
              },
            },
          ],
        }),
      ),
    },
    {
      name: 'Ingress at the size limit: 5,000 paths on a shared host of 5,000 cached paths',
      path: '/validate/ingress',
      body: body(
        ingress('paths-max', {
          rules: [
            {
              host: 'shared.example.com',
              http: {
                paths: Array.from({ length: 5000 }, (_, i) => ({ path: `/q${i}/${i % 7 ? 'a' : 'p1/x'}`, pathType: i % 3 ? 'Prefix' : 'Exact', backend })),
              },
            },
          ],
        }),
      ),
    },
    {
      name: 'Ingress at the size limit: 1,000 hosts, a wildcard over 5,000 cached hosts',
      path: '/validate/ingress',
      body: body(
        ingress('hosts-max', {
          rules: [
            { host: '*.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } },
            ...Array.from({ length: 999 }, (_, i) => ({ host: `z${i}.h${i}.example.com`, http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } })),
          ],
        }),
      ),
    },
    {
      name: 'Ingress with 20,000 hosts and a wildcard over 5,000 cached hosts',
      path: '/validate/ingress',
      body: body(
        ingress('hosts', {
          rules: [
            { host: '*.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } },
            ...Array.from({ length: 20000 }, (_, i) => ({ host: `z${i}.h${i}.example.com`, http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } })),
          ],
        }),
      ),
    },
    {
      name: 'Pod, 3,000 containers, skip-containers naming 30,000, one credential',
      path: '/mutate/cloud-credentials',
      body: body(pod('skip', 3000, { 'credentials.harbormaster.io/inject': 'gcp', 'credentials.harbormaster.io/skip-containers': manyNames(30000, 'k') })),
    },
    {
      name: 'Pod with 36,000 credential references',
      path: '/mutate/cloud-credentials',
      body: body(pod('refs', 1, { 'credentials.harbormaster.io/inject': manyNames(36000, 's') })),
    },
    { name: 'Pod, 3,000 containers without resources', path: '/mutate/resource-defaults', body: body(pod('defaults', 3000, {})) },
    {
      name: 'Pod, 3,000 containers, validated against the profile',
      path: '/validate/resource-defaults',
      body: body(pod('limits', 3000, {}, { resources: { limits: { cpu: '9', memory: '1Ti' } } })),
    },
    {
      name: 'Pod asking for 30,000 sidecars',
      path: '/mutate/addon-sidecars',
      body: body(pod('sidecars', 1, { 'sidecars.harbormaster.io/inject': manyNames(30000, 'fluent-bit') })),
    },
    { name: 'Pod nested 85 levels deep', path: '/mutate/resource-defaults', body: body(pod('deep', 1, {}, { env: [{ name: 'X', valueFrom: deep(85) }] })) },
    {
      name: 'Cluster with addon values that make YAML warn',
      path: '/validate/addons',
      body: body({
        apiVersion: 'harbormaster.io/v1alpha1',
        kind: 'Cluster',
        metadata: { name: 'local', annotations: { 'addons.harbormaster.io/efk': 'enabled', 'addons.harbormaster.io/efk.values': yamlWarnings } },
      }),
    },
    {
      name: 'Cluster with a 250 KiB values document',
      path: '/validate/addons',
      body: body({
        apiVersion: 'harbormaster.io/v1alpha1',
        kind: 'Cluster',
        metadata: {
          name: 'local',
          annotations: {
            'addons.harbormaster.io/efk': 'enabled',
            'addons.harbormaster.io/efk.values': JSON.stringify(Object.fromEntries(Array.from({ length: 9000 }, (_, i) => [`${MARKER}${i}`, i]))),
          },
        },
      }),
    },
    {
      name: 'gcp-credential Secret with a 2 MiB key.json',
      path: '/validate/cloud-credentials',
      body: body({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'gcp-credential',
        metadata: { name: 'big', namespace: NS },
        data: {
          'key.json': Buffer.from(
            JSON.stringify({
              type: 'service_account',
              private_key: `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(2 * 1024 * 1024)}\n-----END PRIVATE KEY-----\n`,
              client_email: MARKER,
            }),
          ).toString('base64'),
        },
      }),
    },
    {
      name: 'Namespace with every harbormaster.io/ key the limit allows, by a tenant',
      path: '/validate/tenancy',
      body: body(
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, annotations: manyKeys('harbormaster.io/') } },
        { oldObject: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } },
      ),
    },
  ];
}

/** An ordinary request, for latency under a flood. */
export function normalRequest(): { path: string; body: Buffer } {
  return { path: '/mutate/resource-defaults', body: body(pod('normal', 3, {})) };
}
