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
} as const satisfies Record<string, Identity>;
