/**
 * An in-memory ClusterView: one map per kind, filled by whoever feeds it
 * (informers or manifest files). Reads are plain map look-ups so policies stay
 * in the microsecond range; list results are cached until the next write.
 */
import type { KubeObject } from '../kube/types.js';
import { OwnershipIndex } from './ownership.js';
import {
  slimCluster,
  slimIngress,
  slimIngressClass,
  slimNamespace,
  slimPersistentVolumeClaim,
  slimSecret,
  slimService,
  slimServiceAccount,
} from '../policy/slim.js';
import type {
  ClusterInfo,
  ClusterView,
  IngressClassInfo,
  IngressInfo,
  NamespaceInfo,
  PersistentVolumeClaimInfo,
  SecretInfo,
  ServiceAccountInfo,
  ServiceInfo,
} from '../policy/view.js';

/** The kinds the view tracks, and how a full object becomes a slim record. */
export const TRACKED_KINDS = {
  Namespace: slimNamespace,
  ServiceAccount: slimServiceAccount,
  Secret: slimSecret,
  Service: slimService,
  Ingress: slimIngress,
  IngressClass: slimIngressClass,
  Cluster: slimCluster,
  PersistentVolumeClaim: slimPersistentVolumeClaim,
} as const;

export type TrackedKind = keyof typeof TRACKED_KINDS;

export function isTrackedKind(kind: unknown): kind is TrackedKind {
  return typeof kind === 'string' && Object.hasOwn(TRACKED_KINDS, kind);
}

function key(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

class KindMap<T> {
  readonly #items = new Map<string, T>();
  #list: readonly T[] | undefined;
  set(k: string, v: T): void {
    this.#items.set(k, v);
    this.#list = undefined;
  }
  delete(k: string): void {
    if (this.#items.delete(k)) this.#list = undefined;
  }
  get(k: string): T | undefined {
    return this.#items.get(k);
  }
  clear(): void {
    this.#items.clear();
    this.#list = undefined;
  }
  get size(): number {
    return this.#items.size;
  }
  list(): readonly T[] {
    return (this.#list ??= Object.freeze([...this.#items.values()]));
  }
}

/** Distinct values #intern keeps at most (types and classes are few; a flood of made-up ones is not kept). */
const MAX_INTERNED = 256;

export type StoreListener = (kind: TrackedKind) => void;

export class ClusterStore implements ClusterView {
  readonly #listeners = new Set<StoreListener>();

  /** Called after every change; returns the unsubscribe function. For reconcilers, never for policies. */
  subscribe(fn: StoreListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #changed(kind: TrackedKind): void {
    for (const fn of this.#listeners) fn(kind);
  }

  readonly namespaces = new KindMap<NamespaceInfo>();
  readonly serviceAccounts = new KindMap<ServiceAccountInfo>();
  readonly secrets = new KindMap<SecretInfo>();
  readonly services = new KindMap<ServiceInfo>();
  readonly ingresses = new KindMap<IngressInfo>();
  readonly ingressClasses = new KindMap<IngressClassInfo>();
  readonly clusters = new KindMap<ClusterInfo>();
  readonly persistentVolumeClaims = new KindMap<PersistentVolumeClaimInfo>();
  readonly ownership = new OwnershipIndex();

  #map(kind: TrackedKind): KindMap<unknown> {
    switch (kind) {
      case 'Namespace':
        return this.namespaces;
      case 'ServiceAccount':
        return this.serviceAccounts;
      case 'Secret':
        return this.secrets;
      case 'Service':
        return this.services;
      case 'Ingress':
        return this.ingresses;
      case 'IngressClass':
        return this.ingressClasses;
      case 'Cluster':
        return this.clusters;
      case 'PersistentVolumeClaim':
        return this.persistentVolumeClaims;
    }
  }

  /** Short values many records repeat (a Secret's or Service's type, an Ingress class), one string each. */
  readonly #strings = new Map<string, string>();

  /**
   * One string for a value many records share. JSON.parse shares only
   * strings of up to 10 characters; a longer copy costs ~32 bytes a record.
   * Bounded: past MAX_INTERNED distinct values nothing more is kept.
   */
  #intern(s: string): string {
    const hit = this.#strings.get(s);
    if (hit !== undefined) return hit;
    if (this.#strings.size < MAX_INTERNED && s.length <= 64) this.#strings.set(s, s);
    return s;
  }

  /** Adds or replaces an object (slimmed on the way in). */
  upsert(kind: TrackedKind, obj: KubeObject): void {
    const slim = TRACKED_KINDS[kind](obj) as { name: string; namespace?: string; type?: string; className?: string };
    if (!slim.name) return;
    // Namespaced records share the namespace string of the Namespace's own record: no table to clean up.
    if (slim.namespace) slim.namespace = this.namespaces.get(slim.namespace)?.name ?? slim.namespace;
    if (typeof slim.type === 'string') slim.type = this.#intern(slim.type);
    if (typeof slim.className === 'string') slim.className = this.#intern(slim.className);
    this.#map(kind).set(key(slim.namespace, slim.name), slim);
    if (kind === 'Service') this.ownership.setService(slim as ServiceInfo);
    else if (kind === 'Ingress') this.ownership.setIngress(slim as IngressInfo);
    this.#changed(kind);
  }

  remove(kind: TrackedKind, obj: KubeObject): void {
    const m = obj.metadata ?? {};
    if (typeof m.name === 'string') {
      this.#map(kind).delete(key(m.namespace, m.name));
      const ns = typeof m.namespace === 'string' ? m.namespace : '';
      if (kind === 'Service') this.ownership.removeService(ns, m.name);
      else if (kind === 'Ingress') this.ownership.removeIngress(ns, m.name);
    }
    this.#changed(kind);
  }

  getNamespace(name: string): NamespaceInfo | undefined {
    return this.namespaces.get(name);
  }
  getServiceAccount(namespace: string, name: string): ServiceAccountInfo | undefined {
    return this.serviceAccounts.get(key(namespace, name));
  }
  getSecret(namespace: string, name: string): SecretInfo | undefined {
    return this.secrets.get(key(namespace, name));
  }
  getPersistentVolumeClaim(namespace: string, name: string): PersistentVolumeClaimInfo | undefined {
    return this.persistentVolumeClaims.get(key(namespace, name));
  }
  listServices(): readonly ServiceInfo[] {
    return this.services.list();
  }
  listIngresses(): readonly IngressInfo[] {
    return this.ingresses.list();
  }
  listIngressClasses(): readonly IngressClassInfo[] {
    return this.ingressClasses.list();
  }
  getCluster(): ClusterInfo | undefined {
    return this.clusters.list()[0];
  }
}
