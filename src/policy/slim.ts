/**
 * Reduces full Kubernetes objects to the slim records of view.ts. Everything
 * not copied here is dropped as soon as an object arrives, so informer memory
 * stays proportional to what policies read, and Secret data is never retained.
 * Pure (full object → view record) and beside the contract it produces: the
 * cluster store slims cached objects with it, and policies slim the object
 * under review with it, so both see one object the same way.
 */
import { arr, recOrEmpty, str, strMap } from '../kube/narrow.js';
import { DEFAULT_INGRESS_CLASS_ANNOTATION, INGRESS_CLASS_ANNOTATION } from '../kube/names.js';
import type { KubeObject } from '../kube/types.js';
import type {
  ClusterInfo,
  PersistentVolumeClaimInfo,
  IngressClassInfo,
  IngressInfo,
  IngressPathInfo,
  NamespaceInfo,
  SecretInfo,
  ServiceAccountInfo,
  ServiceInfo,
} from './view.js';

/**
 * kubectl's client-side apply keeps a copy of the whole object in this
 * annotation: no policy reads it, and cached, it would double the memory of
 * every Service, Ingress and Namespace applied that way.
 */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function annotationsOf(v: unknown): Record<string, string> {
  const out = strMap(v);
  if (LAST_APPLIED in out) delete out[LAST_APPLIED];
  return out;
}

function meta(o: KubeObject): { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> } {
  const m = recOrEmpty(o.metadata);
  return {
    name: str(m.name) ?? '',
    namespace: str(m.namespace) ?? '',
    labels: strMap(m.labels),
    annotations: annotationsOf(m.annotations),
  };
}

export function slimNamespace(o: KubeObject): NamespaceInfo {
  const m = meta(o);
  return { name: m.name, labels: m.labels, annotations: m.annotations };
}

export function slimServiceAccount(o: KubeObject): ServiceAccountInfo {
  const m = meta(o);
  return { namespace: m.namespace, name: m.name, annotations: m.annotations };
}

/** Keeps name, namespace and type; `data`/`stringData` are never read. */
export function slimSecret(o: KubeObject): SecretInfo {
  const m = meta(o);
  return { namespace: m.namespace, name: m.name, type: str(o.type) ?? 'Opaque' };
}

export function slimService(o: KubeObject): ServiceInfo {
  const m = meta(o);
  const spec = recOrEmpty(o.spec);
  const lbIP = str(spec.loadBalancerIP);
  const created = str(recOrEmpty(o.metadata).creationTimestamp);
  return {
    namespace: m.namespace,
    name: m.name,
    ...(created ? { created } : {}),
    type: str(spec.type) ?? 'ClusterIP',
    annotations: m.annotations,
    ...(lbIP ? { loadBalancerIP: lbIP } : {}),
    externalIPs: arr(spec.externalIPs).filter((x): x is string => typeof x === 'string'),
    ports: arr(spec.ports).map((p) => ({
      port: typeof recOrEmpty(p).port === 'number' ? (recOrEmpty(p).port as number) : 0,
      protocol: str(recOrEmpty(p).protocol) ?? 'TCP',
    })),
    statusVIPs: arr(recOrEmpty(recOrEmpty(o.status).loadBalancer).ingress).flatMap((i) => {
      const ip = str(recOrEmpty(i).ip);
      return ip ? [ip] : [];
    }),
  };
}

/** One rule; written without spreads because a hostile Ingress may have 20,000 of them. */
function slimRule(r: unknown): { host: string; paths: IngressPathInfo[] } {
  const rule = recOrEmpty(r);
  const paths = arr(recOrEmpty(rule.http).paths);
  const out = new Array<IngressPathInfo>(paths.length);
  for (let i = 0; i < paths.length; i++) {
    const p = recOrEmpty(paths[i]);
    const info: IngressPathInfo = { path: str(p.path) ?? '/' };
    const pathType = str(p.pathType);
    if (pathType) info.pathType = pathType;
    out[i] = info;
  }
  return { host: str(rule.host) ?? '', paths: out };
}

export function slimIngress(o: KubeObject): IngressInfo {
  const m = meta(o);
  const spec = recOrEmpty(o.spec);
  const cls = str(spec.ingressClassName) ?? m.annotations[INGRESS_CLASS_ANNOTATION];
  const created = str(recOrEmpty(o.metadata).creationTimestamp);
  return {
    namespace: m.namespace,
    name: m.name,
    ...(created ? { created } : {}),
    ...(cls ? { className: cls } : {}),
    annotations: m.annotations,
    rules: arr(spec.rules).map(slimRule),
    tls: arr(spec.tls).map((t) => {
      const secretName = str(recOrEmpty(t).secretName);
      return {
        hosts: arr(recOrEmpty(t).hosts).filter((h): h is string => typeof h === 'string'),
        ...(secretName ? { secretName } : {}),
      };
    }),
    defaultBackend: spec.defaultBackend !== undefined && spec.defaultBackend !== null,
  };
}

export function slimIngressClass(o: KubeObject): IngressClassInfo {
  const m = meta(o);
  return {
    name: m.name,
    controller: str(recOrEmpty(o.spec).controller) ?? '',
    isDefault: m.annotations[DEFAULT_INGRESS_CLASS_ANNOTATION] === 'true',
  };
}

export function slimCluster(o: KubeObject): ClusterInfo {
  const m = meta(o);
  return { name: m.name, annotations: m.annotations };
}

/** The annotations of the data-loading contract (src/policies/data-loading/names.ts). */
export const DATA_ANNOTATION_PREFIX = 'data.harbormaster.io/';
/** The PVC condition the data-loading controller keeps. */
export const DATA_LOADED_CONDITION = 'DataLoaded';

/** Keeps name, namespace, the data.harbormaster.io/ annotations and the DataLoaded condition's status. */
export function slimPersistentVolumeClaim(o: KubeObject): PersistentVolumeClaimInfo {
  const m = meta(o);
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.annotations)) if (k.startsWith(DATA_ANNOTATION_PREFIX)) annotations[k] = v;
  const condition = arr(recOrEmpty(o.status).conditions).find((c) => recOrEmpty(c).type === DATA_LOADED_CONDITION);
  const dataLoaded = str(recOrEmpty(condition).status);
  return { namespace: m.namespace, name: m.name, annotations, ...(dataLoaded ? { dataLoaded } : {}) };
}
