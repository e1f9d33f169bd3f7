/**
 * Representative admission traffic for the benchmarks: the cluster state the
 * server is started with, one request per endpoint that makes its policy do
 * its real work, and a weighted mix of what a tenant cluster writes.
 *
 * Pod requests are chained the way the API server sends them: each mutating
 * webhook sees the object as the previous one left it, and validation sees
 * the fully mutated Pod. The chain is computed here, in-process, with the same
 * policies and state the server under test loads.
 */
import { evaluate } from '../../src/admission/engine.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import { loadConfigFile } from '../../src/config/load.js';
import type { AdmissionRequest, KubeObject } from '../../src/kube/types.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { builtinPolicies } from '../../src/policies/index.js';
import type { Policy } from '../../src/policy/types.js';
import { gcpKey, gcpSecret } from '../../test/support/credentials.js';
import { admissionRequest, podObject, reviewBody } from '../../test/support/review.js';

export const NAMESPACE = 'team-a';

/** Every endpoint the server registers, in registry order: `/<type>/<name>` of each built-in policy. */
export function endpoints(policies: readonly Policy[] = builtinPolicies()): string[] {
  return policies.map((p) => `/${p.type}/${p.name}`);
}

/**
 * The cluster state: a tenant namespace with a quota profile, the Cluster
 * object with the sidecar-offering addons enabled, the credential and TLS
 * Secrets the Pods and Ingresses refer to, and 200 LoadBalancer Services and
 * 200 Ingresses so the sharing and ownership scans have something to scan.
 */
export function stateObjects(): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE, annotations: { 'harbormaster.io/quota-profile': 'small' } } },
    {
      apiVersion: 'harbormaster.io/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'local', annotations: { 'addons.harbormaster.io/efk': 'enabled', 'addons.harbormaster.io/datadog': 'enabled' } },
    },
    { apiVersion: 'v1', kind: 'Secret', type: 'gcp-credential', metadata: { name: 'gcp', namespace: NAMESPACE } },
    { apiVersion: 'v1', kind: 'Secret', type: 'aws-credential', metadata: { name: 'aws', namespace: NAMESPACE } },
    { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'tls', namespace: NAMESPACE } },
    // A claim whose data is still loading: a Pod that mounts it waits behind the scheduling gate.
    { ...datasetClaim(), status: { conditions: [{ type: 'DataLoaded', status: 'False', reason: 'Loading' }] } },
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
  ];
}

/** A 10-container Pod, every other container with a CPU limit and nothing else: resource-defaults fills in the rest. */
export function tenContainerPod(): KubeObject {
  return podObject(
    'bench',
    Array.from({ length: 10 }, (_, i) => ({ name: `c${i}`, image: 'nginx', ...(i % 2 ? { resources: { limits: { cpu: '100m' } } } : {}) })),
  );
}

/** A 3-container Pod; `asks` adds the credential and sidecar annotations, so every mutating policy has work. */
export function threeContainerPod(name: string, asks: boolean): KubeObject {
  return podObject(
    name,
    ['app', 'proxy', 'log'].map((c) => ({ name: c, image: 'registry.example.com/shop/' + c + ':1.4.2' })),
    asks ? { annotations: { 'credentials.harbormaster.io/inject': 'gcp,aws', 'sidecars.harbormaster.io/inject': 'fluent-bit,datadog' } } : {},
  );
}

/** A PVC loaded from S3 with the namespace's AWS credential Secret (data-loading). */
export function datasetClaim(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: 'dataset',
      namespace: NAMESPACE,
      annotations: { 'data.harbormaster.io/source': 's3://training-data/imagenet/2026', 'data.harbormaster.io/credentials': 'aws' },
    },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
  };
}

/** A 3-container Pod mounting the loading claim: data-loading gates it. */
export function datasetPod(): KubeObject {
  const pod = threeContainerPod('trainer', false);
  const spec = pod.spec as { containers: Array<Record<string, unknown>>; volumes?: unknown[] };
  spec.volumes = [{ name: 'data', persistentVolumeClaim: { claimName: 'dataset' } }];
  spec.containers[0]!.volumeMounts = [{ name: 'data', mountPath: '/data' }];
  return pod;
}

export function lbService(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'web',
      annotations: {
        // Free in the cached state (those hold .0-.249): the request is allowed after the ownership and port checks.
        'lb.harbormaster.io/vip': '203.0.113.252',
        'lb.harbormaster.io/shared-vip-key': 'k',
        'lb.harbormaster.io/algorithm': 'least-connections',
        'lb.harbormaster.io/health-check-interval': '10',
        'lb.harbormaster.io/health-check-timeout': '3',
      },
    },
    spec: { type: 'LoadBalancer', ports: [{ port: 443, protocol: 'TCP' }], loadBalancerSourceRanges: ['10.0.0.0/8'] },
  };
}

export function ingress(): KubeObject {
  return {
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
}

/** The Cluster object as an operator edits it: three addons on, two with values checked against their schema. */
export function clusterObject(): KubeObject {
  return {
    apiVersion: 'harbormaster.io/v1alpha1',
    kind: 'Cluster',
    metadata: {
      name: 'local',
      annotations: {
        'addons.harbormaster.io/efk': 'enabled',
        'addons.harbormaster.io/datadog': 'enabled',
        'addons.harbormaster.io/prometheus': 'enabled',
        'addons.harbormaster.io/prometheus.values': 'server: { retention: 30d, scrapeInterval: 30s }',
        'addons.harbormaster.io/dashboard': 'enabled',
        'addons.harbormaster.io/dashboard.values': '{"rbac":{"readOnly":true}}',
      },
    },
  };
}

/** One request to send: the endpoint, what it is, the body, and what the answer must be. */
export interface BenchRequest {
  path: string;
  what: string;
  body: string;
  /** The answer the server must give: allowed, and whether it carries a patch. */
  expect: { allowed: boolean; patched: boolean };
}

function toBody(request: AdmissionRequest): string {
  return JSON.stringify(reviewBody(request));
}

export interface Traffic {
  /** One representative request per endpoint, keyed by path. */
  perEndpoint: Map<string, BenchRequest>;
  /** The weighted mix, as a sequence the load generator cycles through. */
  mix: BenchRequest[];
  /** Human-readable weights of the mix. */
  mixWeights: Array<{ what: string; requests: number }>;
}

export function traffic(): Traffic {
  const policies = builtinPolicies();
  const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
  if (!loaded.ok) throw new Error('default policy file does not load');
  const config = loaded.config;
  const cluster = storeFromObjects(stateObjects());
  const policy = (path: string): Policy => {
    const p = policies.find((x) => `/${x.type}/${x.name}` === path);
    if (!p) throw new Error(`no policy at ${path}`);
    return p;
  };
  const make = (path: string, what: string, request: AdmissionRequest): BenchRequest => {
    const d = evaluate({ policy: policy(path), request, cluster, config });
    return { path, what, body: toBody(request), expect: { allowed: d.allowed, patched: d.patch.length > 0 } };
  };

  /** A Pod CREATE through the mutating endpoints in the order the API server calls them, then resource-defaults validation. */
  const podChain = (pod: KubeObject, what: string, mutating: readonly string[]): BenchRequest[] => {
    const out: BenchRequest[] = [];
    let object = pod;
    for (const path of mutating) {
      const request = admissionRequest(object, { namespace: NAMESPACE });
      out.push(make(path, what, request));
      object = evaluate({ policy: policy(path), request, cluster, config }).mutated ?? object;
    }
    out.push(make('/validate/resource-defaults', `${what}, as mutated`, admissionRequest(object, { namespace: NAMESPACE })));
    return out;
  };
  const mutatingPod = endpoints(policies).filter((p) => p.startsWith('/mutate/'));

  const rdChain = podChain(tenContainerPod(), '10-container Pod, 5 without resources', ['/mutate/resource-defaults']);
  const credPod = threeContainerPod('creds', true);
  const perEndpoint = new Map<string, BenchRequest>();
  const add = (r: BenchRequest): void => void perEndpoint.set(r.path, r);
  add(rdChain[0]!);
  add(rdChain[1]!);
  add(make('/mutate/cloud-credentials', '3-container Pod, GCP + AWS injected', admissionRequest(credPod, { namespace: NAMESPACE })));
  add(make('/mutate/addon-sidecars', '3-container Pod, fluent-bit + datadog injected', admissionRequest(credPod, { namespace: NAMESPACE })));
  add(make('/validate/cloud-credentials', 'gcp-credential Secret (RSA key parsed)', admissionRequest(gcpSecret('key', gcpKey()), { namespace: NAMESPACE })));
  add(make('/mutate/data-loading', '3-container Pod mounting a claim still loading (gated)', admissionRequest(datasetPod(), { namespace: NAMESPACE })));
  add(make('/validate/data-loading', 'PVC CREATE, S3 source with credentials', admissionRequest(datasetClaim(), { namespace: NAMESPACE })));
  add(make('/validate/loadbalancer', 'LB Service, 5 annotations, 200 Services cached', admissionRequest(lbService(), { namespace: NAMESPACE })));
  add(make('/validate/ingress', 'Ingress, TLS, 2 paths, 3 annotations, 200 Ingresses cached', admissionRequest(ingress(), { namespace: NAMESPACE })));
  const nsBefore: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-b', annotations: { 'harbormaster.io/quota-profile': 'small' } } };
  const nsAfter: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-b', annotations: { 'harbormaster.io/quota-profile': 'medium' } } };
  add(
    make(
      '/validate/tenancy',
      'Namespace UPDATE, quota-profile changed by the platform',
      admissionRequest(nsAfter, { operation: 'UPDATE', oldObject: nsBefore, username: 'admin', groups: ['system:masters'] }),
    ),
  );
  add(
    make(
      '/validate/addons',
      'Cluster UPDATE, 4 addons, 2 values checked',
      admissionRequest(clusterObject(), { operation: 'UPDATE', oldObject: stateObjects()[1]!, username: 'admin', groups: ['system:masters'] }),
    ),
  );
  const missing = endpoints(policies).filter((p) => !perEndpoint.has(p));
  if (missing.length > 0) throw new Error(`no representative request for ${missing.join(', ')}: add one in bench/lib/requests.ts`);

  // The mix, per 36 webhook calls: 6 Pod creates of 5 calls each (4 plain Pods, 2 that ask for
  // credentials and sidecars), 3 LoadBalancer Services, 2 Ingresses, 1 credential Secret.
  const plain = podChain(threeContainerPod('web', false), 'plain 3-container Pod', mutatingPod);
  const asking = podChain(threeContainerPod('worker', true), '3-container Pod asking for credentials + sidecars', mutatingPod);
  const svc = perEndpoint.get('/validate/loadbalancer')!;
  const ing = perEndpoint.get('/validate/ingress')!;
  const sec = perEndpoint.get('/validate/cloud-credentials')!;
  const mix = [...plain, svc, ...asking, ing, ...plain, svc, ...plain, sec, ...asking, ing, ...plain, svc];
  const mixWeights = [
    { what: `plain Pod CREATE ×4 (${mutatingPod.length} mutating + validate/resource-defaults)`, requests: 4 * plain.length },
    { what: `Pod CREATE asking for credentials + sidecars ×2 (same ${plain.length} endpoints)`, requests: 2 * asking.length },
    { what: 'LoadBalancer Service (validate/loadbalancer)', requests: 3 },
    { what: 'Ingress (validate/ingress)', requests: 2 },
    { what: 'gcp-credential Secret (validate/cloud-credentials)', requests: 1 },
  ];
  if (mix.length !== mixWeights.reduce((a, w) => a + w.requests, 0)) throw new Error('mix weights out of step with the mix');
  return { perEndpoint, mix, mixWeights };
}
