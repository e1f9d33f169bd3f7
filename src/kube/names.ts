/**
 * Well-known names shared by more than one layer: the labels Harbormaster
 * puts on what it writes, its own Cluster API, and the Kubernetes names
 * several readers look for. Names owned by one policy stay in that policy's
 * `names.ts`.
 */

/** The label on every object Harbormaster writes; with MANAGED_BY_VALUE it selects them. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'harbormaster';

const CLUSTER_GROUP = 'harbormaster.io';
const CLUSTER_VERSION = 'v1alpha1';

/** The tenant cluster's `Cluster` object (one per cluster): `clusters.harbormaster.io`. */
export const CLUSTER_API = {
  group: CLUSTER_GROUP,
  version: CLUSTER_VERSION,
  apiVersion: `${CLUSTER_GROUP}/${CLUSTER_VERSION}`,
  kind: 'Cluster',
  path: `/apis/${CLUSTER_GROUP}/${CLUSTER_VERSION}/clusters`,
} as const;

/** The Secret type of a TLS certificate and key. */
export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

/** The deprecated annotation form of spec.ingressClassName. */
export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
/** On an IngressClass: Ingresses that name no class get this one. */
export const DEFAULT_INGRESS_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

/** A DNS-1123 label: what namespace and most object names must be. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
