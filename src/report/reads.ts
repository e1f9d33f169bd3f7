/**
 * What each policy reads from the cached cluster view (informers; never the
 * API server on the request path). Declared here for the report and checked
 * by test/unit/report.test.ts, which runs every policy over sample requests
 * with a view that records each read: a read not declared here fails it.
 */
export type CachedKind = 'Namespace' | 'ServiceAccount' | 'Secret' | 'Service' | 'Ingress' | 'IngressClass' | 'Cluster' | 'PersistentVolumeClaim';

/** By `<type>/<name>`; a policy missing here fails the test. */
export const POLICY_READS: Readonly<Record<string, readonly CachedKind[]>> = {
  'mutate/resource-defaults': ['Namespace'],
  'mutate/cloud-credentials': ['ServiceAccount', 'Secret'],
  'mutate/addon-sidecars': ['Namespace', 'Cluster'],
  'validate/tenancy': [],
  'validate/resource-defaults': ['Namespace'],
  'validate/cloud-credentials': [],
  'validate/loadbalancer': ['Service', 'Ingress'],
  'validate/ingress': ['Namespace', 'Secret', 'Service', 'Ingress'],
  'validate/addons': [],
  'mutate/data-loading': ['PersistentVolumeClaim'],
  'validate/data-loading': ['Secret'],
};

/** Why a kind is read, in a reviewer's words. */
export const READ_PURPOSE: Readonly<Record<CachedKind, string>> = {
  Namespace: 'annotations: profile, ingress risk, sidecars',
  ServiceAccount: 'the credentials annotation',
  Secret: 'name and type only, never data',
  Service: 'who holds which VIP',
  Ingress: 'who holds which host, VIP and catch-all',
  IngressClass: 'classes and the default one',
  Cluster: 'which addons are enabled',
  PersistentVolumeClaim: 'data.harbormaster.io/ annotations and the DataLoaded condition',
};
