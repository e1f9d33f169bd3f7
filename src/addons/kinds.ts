/**
 * The kinds addon bundles may contain, with their REST resource and scope,
 * and the order they are applied in: CRDs and Namespaces first, identities
 * and config next, RBAC, storage, Services, then the workloads that use them.
 * Deletion runs the same list backwards. Secrets are deliberately absent:
 * bundles reference Secrets by name and never carry one, so the manager needs
 * no read access to Secrets (the random ones a bundle declares are created
 * once by generated-secrets.ts, with `create` only).
 */
export interface KindInfo {
  kind: string;
  apiVersion: string;
  resource: string;
  namespaced: boolean;
  order: number;
}

export const KINDS: readonly KindInfo[] = [
  { kind: 'CustomResourceDefinition', apiVersion: 'apiextensions.k8s.io/v1', resource: 'customresourcedefinitions', namespaced: false, order: 0 },
  { kind: 'Namespace', apiVersion: 'v1', resource: 'namespaces', namespaced: false, order: 1 },
  { kind: 'ServiceAccount', apiVersion: 'v1', resource: 'serviceaccounts', namespaced: true, order: 2 },
  { kind: 'ConfigMap', apiVersion: 'v1', resource: 'configmaps', namespaced: true, order: 2 },
  { kind: 'ClusterRole', apiVersion: 'rbac.authorization.k8s.io/v1', resource: 'clusterroles', namespaced: false, order: 3 },
  { kind: 'Role', apiVersion: 'rbac.authorization.k8s.io/v1', resource: 'roles', namespaced: true, order: 3 },
  { kind: 'ClusterRoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', resource: 'clusterrolebindings', namespaced: false, order: 4 },
  { kind: 'RoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', resource: 'rolebindings', namespaced: true, order: 4 },
  { kind: 'PersistentVolumeClaim', apiVersion: 'v1', resource: 'persistentvolumeclaims', namespaced: true, order: 5 },
  { kind: 'Service', apiVersion: 'v1', resource: 'services', namespaced: true, order: 6 },
  { kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1', resource: 'networkpolicies', namespaced: true, order: 6 },
  { kind: 'Deployment', apiVersion: 'apps/v1', resource: 'deployments', namespaced: true, order: 7 },
  { kind: 'StatefulSet', apiVersion: 'apps/v1', resource: 'statefulsets', namespaced: true, order: 7 },
  { kind: 'DaemonSet', apiVersion: 'apps/v1', resource: 'daemonsets', namespaced: true, order: 7 },
];

const BY_KIND = new Map(KINDS.map((k) => [k.kind, k]));

export function kindInfo(kind: string | undefined): KindInfo | undefined {
  return kind ? BY_KIND.get(kind) : undefined;
}

/** REST collection path for watching a kind across all namespaces. */
export function collectionPath(k: KindInfo): string {
  return k.apiVersion.includes('/') ? `/apis/${k.apiVersion}/${k.resource}` : `/api/${k.apiVersion}/${k.resource}`;
}
