/** Who talks to the local control plane: each identity gets a client certificate and a kubeconfig. */
export interface Identity {
  name: string;
  commonName: string;
  organizations: string[];
}

export const IDENTITIES = {
  admin: { name: 'admin', commonName: 'harbormaster-dev-admin', organizations: ['system:masters'] },
  // Non-admin tenant: what a team member with namespace rights sees.
  tenant: { name: 'tenant', commonName: 'tenant', organizations: ['tenants'] },
  // The server itself, authenticated as its ServiceAccount's username so the shipped RBAC applies to it.
  harbormaster: {
    name: 'harbormaster',
    commonName: 'system:serviceaccount:harbormaster-system:harbormaster',
    organizations: ['system:serviceaccounts', 'system:serviceaccounts:harbormaster-system'],
  },
  controllerManager: { name: 'controller-manager', commonName: 'system:kube-controller-manager', organizations: [] },
  // The API server's bootstrap RBAC binds system:kube-scheduler (and system:volume-scheduler) to this user.
  scheduler: { name: 'scheduler', commonName: 'system:kube-scheduler', organizations: [] },
  // The simulated kubelets: bound to the ClusterRole in nodes.ts (KWOK_RBAC), nothing more.
  kwok: { name: 'kwok', commonName: 'harbormaster-dev:kwok', organizations: [] },
} as const satisfies Record<string, Identity>;
