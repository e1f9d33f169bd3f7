/**
 * The read-only view of cluster state that policies consult. It holds only the
 * fields policies need; Secrets are known by namespace, name and type only, so
 * secret material is never kept in memory. The same view is fed by informers
 * (`serve --kubeconfig`) or by manifest files (`review --state`,
 * `serve --state`), which is why offline results match the cluster's.
 *
 * Part of a policy's input contract, so it sits beside policy/types.ts; the
 * cluster layer (cluster/store.ts, cluster/ownership.ts) implements it.
 */

export interface NamespaceInfo {
  name: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
}

export interface ServiceAccountInfo {
  namespace: string;
  name: string;
  annotations: Readonly<Record<string, string>>;
}

export interface SecretInfo {
  namespace: string;
  name: string;
  type: string;
}

export interface ServicePortInfo {
  port: number;
  protocol: string;
}

export interface ServiceInfo {
  namespace: string;
  name: string;
  /** metadata.creationTimestamp: the oldest holder of a VIP owns it. */
  created?: string;
  type: string;
  annotations: Readonly<Record<string, string>>;
  loadBalancerIP?: string;
  externalIPs: readonly string[];
  ports: readonly ServicePortInfo[];
  /** Addresses in status.loadBalancer.ingress: VIPs the load balancer already gave this Service. */
  statusVIPs: readonly string[];
}

export interface IngressPathInfo {
  path: string;
  pathType?: string;
}

export interface IngressInfo {
  namespace: string;
  name: string;
  /** metadata.creationTimestamp: who came first when two claim one host. */
  created?: string;
  className?: string;
  annotations: Readonly<Record<string, string>>;
  rules: ReadonlyArray<{ host: string; paths: readonly IngressPathInfo[] }>;
  tls: ReadonlyArray<{ hosts: readonly string[]; secretName?: string }>;
  /** spec.defaultBackend is set: the Ingress claims its class's catch-all. */
  defaultBackend: boolean;
}

export interface IngressClassInfo {
  name: string;
  controller: string;
  isDefault: boolean;
}

/** A PersistentVolumeClaim as the data-loading policy sees it. */
export interface PersistentVolumeClaimInfo {
  namespace: string;
  name: string;
  /** The `data.harbormaster.io/` annotations only. */
  annotations: Readonly<Record<string, string>>;
  /** `status` of its `DataLoaded` condition (`True`, `False`, `Unknown`), absent when it has none. */
  dataLoaded?: string;
}

export interface ClusterInfo {
  name: string;
  annotations: Readonly<Record<string, string>>;
}

export interface ClusterView {
  /** Who holds each VIP, host and catch-all (SPEC 3.0), as indexed look-ups. */
  readonly ownership: OwnershipView;
  getNamespace(name: string): NamespaceInfo | undefined;
  getServiceAccount(namespace: string, name: string): ServiceAccountInfo | undefined;
  getSecret(namespace: string, name: string): SecretInfo | undefined;
  getPersistentVolumeClaim(namespace: string, name: string): PersistentVolumeClaimInfo | undefined;
  listServices(): readonly ServiceInfo[];
  listIngresses(): readonly IngressInfo[];
  listIngressClasses(): readonly IngressClassInfo[];
  /** The tenant cluster's `Cluster` object (there is one per cluster). */
  getCluster(): ClusterInfo | undefined;
}

export interface Holder {
  kind: 'Service' | 'Ingress';
  namespace: string;
  name: string;
  /** metadata.creationTimestamp; absent sorts as the newest. */
  created?: string;
  /** Namespaces this object's owner lets use what it holds. */
  shareWith: readonly string[];
}

export interface VipHolder extends Holder {
  /** Ports served on the VIP (an Ingress holds 80 and 443). */
  ports: readonly ServicePortInfo[];
  sharedVipKey?: string;
}

export interface HostHolder extends Holder {
  paths: readonly IngressPathInfo[];
  regex: boolean;
}

export interface OwnershipView {
  /** Holders of a VIP (canonical address text), oldest first. */
  vipHolders(vip: string): readonly VipHolder[];
  /** Holders of a host (a wildcard is its own key), oldest first. */
  hostHolders(host: string): readonly HostHolder[];
  /** Concrete hosts one label below `parent`, by the namespaces holding them (host → number of holders). */
  hostsUnder(parent: string): ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Holders of the catch-all of a declared class ('' = no class named), oldest first. */
  catchAllHolders(declaredClass: string): readonly Holder[];
  /** Every indexed host, catch-all class and VIP, for the conflict reporter. */
  hosts(): Iterable<string>;
  catchAllClasses(): Iterable<string>;
}
