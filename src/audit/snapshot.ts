/**
 * The cluster view as it was at one moment, cheaply: the store's per-kind
 * lists are frozen arrays rebuilt only on a change, so a snapshot is seven
 * references, shared with every other snapshot taken before the next change.
 * `snapshotManifests` turns one back into manifests (the inverse of
 * src/policy/slim.ts for the fields the view keeps), which is what
 * `review --state` reads: replaying a recorded admission through `review`
 * sees the view the server decided with.
 */
import type { ClusterStore } from '../cluster/store.js';
import { CLUSTER_API, DEFAULT_INGRESS_CLASS_ANNOTATION } from '../kube/names.js';
import type { KubeObject } from '../kube/types.js';
import type { ClusterInfo, IngressClassInfo, IngressInfo, NamespaceInfo, SecretInfo, ServiceAccountInfo, ServiceInfo } from '../policy/view.js';

export interface ViewSnapshot {
  namespaces: readonly NamespaceInfo[];
  serviceAccounts: readonly ServiceAccountInfo[];
  secrets: readonly SecretInfo[];
  services: readonly ServiceInfo[];
  ingresses: readonly IngressInfo[];
  ingressClasses: readonly IngressClassInfo[];
  clusters: readonly ClusterInfo[];
}

export function snapshotView(store: ClusterStore): ViewSnapshot {
  return {
    namespaces: store.namespaces.list(),
    serviceAccounts: store.serviceAccounts.list(),
    secrets: store.secrets.list(),
    services: store.services.list(),
    ingresses: store.ingresses.list(),
    ingressClasses: store.ingressClasses.list(),
    clusters: store.clusters.list(),
  };
}

const meta = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, ...extra });

function serviceManifest(s: ServiceInfo): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(s.name, { namespace: s.namespace, annotations: { ...s.annotations }, ...(s.created ? { creationTimestamp: s.created } : {}) }),
    spec: {
      type: s.type,
      ...(s.loadBalancerIP ? { loadBalancerIP: s.loadBalancerIP } : {}),
      ...(s.externalIPs.length > 0 ? { externalIPs: [...s.externalIPs] } : {}),
      ports: s.ports.map((p) => ({ port: p.port, protocol: p.protocol })),
    },
    ...(s.statusVIPs.length > 0 ? { status: { loadBalancer: { ingress: s.statusVIPs.map((ip) => ({ ip })) } } } : {}),
  };
}

function ingressManifest(i: IngressInfo): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: meta(i.name, { namespace: i.namespace, annotations: { ...i.annotations }, ...(i.created ? { creationTimestamp: i.created } : {}) }),
    spec: {
      // The class was read from spec or the annotation; spec wins on the way back in, so either way it is the same.
      ...(i.className !== undefined ? { ingressClassName: i.className } : {}),
      rules: i.rules.map((r) => ({ host: r.host, http: { paths: r.paths.map((p) => ({ path: p.path, ...(p.pathType ? { pathType: p.pathType } : {}) })) } })),
      tls: i.tls.map((t) => ({ hosts: [...t.hosts], ...(t.secretName ? { secretName: t.secretName } : {}) })),
      ...(i.defaultBackend ? { defaultBackend: {} } : {}),
    },
  };
}

/** Manifests that `storeFromObjects` (review --state) turns back into exactly this view. */
export function snapshotManifests(s: ViewSnapshot): KubeObject[] {
  return [
    ...s.namespaces.map((n) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: meta(n.name, { labels: { ...n.labels }, annotations: { ...n.annotations } }),
    })),
    ...s.serviceAccounts.map((a) => ({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta(a.name, { namespace: a.namespace, annotations: { ...a.annotations } }),
    })),
    ...s.secrets.map((x) => ({ apiVersion: 'v1', kind: 'Secret', type: x.type, metadata: meta(x.name, { namespace: x.namespace }) })),
    ...s.services.map(serviceManifest),
    ...s.ingresses.map(ingressManifest),
    ...s.ingressClasses.map((c) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: meta(c.name, { annotations: c.isDefault ? { [DEFAULT_INGRESS_CLASS_ANNOTATION]: 'true' } : {} }),
      spec: { controller: c.controller },
    })),
    ...s.clusters.map((c) => ({ apiVersion: CLUSTER_API.apiVersion, kind: CLUSTER_API.kind, metadata: meta(c.name, { annotations: { ...c.annotations } }) })),
  ];
}
