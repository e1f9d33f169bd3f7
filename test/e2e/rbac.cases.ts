/**
 * The server's own identity, as the API server's authorizer sees it with
 * manifests/rbac.yaml applied: what the README's RBAC table says it uses,
 * and not the broader permissions it does not need (Secrets by name, other
 * webhook configurations, replacing objects it only applies).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { E2E } from './env.js';

const SA = 'system:serviceaccount:harbormaster-system:harbormaster';

const MAY = [
  'list secrets --all-namespaces',
  'create secrets -n monitoring',
  'get secrets/harbormaster-tls -n harbormaster-system',
  'update secrets/harbormaster-tls -n harbormaster-system',
  'get validatingwebhookconfigurations/harbormaster',
  'patch mutatingwebhookconfigurations/harbormaster',
  'patch limitranges -n team-x',
  'create events -n team-x',
  'patch clusters.harbormaster.io/local --subresource=status',
  'update leases -n harbormaster-system',
];

const MAY_NOT = [
  // Secret values are never read: the informers list with a type selector and drop the data.
  'get secrets -n team-x',
  'get secrets/harbormaster-tls -n team-x',
  'update secrets -n team-x',
  'patch secrets/harbormaster-tls -n harbormaster-system',
  // Only its own webhook configurations, and only by name.
  'get validatingwebhookconfigurations/other',
  'patch mutatingwebhookconfigurations/other',
  'list validatingwebhookconfigurations',
  'update validatingwebhookconfigurations/harbormaster',
  // Applied, never replaced.
  'update deployments -n monitoring',
  'update clusterroles',
  'update clusters.harbormaster.io/local --subresource=status',
  'patch events -n team-x',
  'create events.events.k8s.io -n team-x',
  'get policyreports.wgpolicyk8s.io -n team-x',
  'delete policyreports.wgpolicyk8s.io -n team-x',
  // No Pods beyond lifting the data-loading gate; no exec, no node access.
  'create pods -n team-x',
  'create pods/exec -n team-x',
  'get nodes',
  'update leases -n kube-system',
];

async function canI(e: E2E, entry: string): Promise<boolean> {
  const r = await e.k(['auth', 'can-i', ...entry.split(' '), `--as=${SA}`]);
  if (r.code > 1) throw new Error(`kubectl auth can-i ${entry}: ${r.stderr}`);
  return r.code === 0;
}

export function rbacCases(get: () => E2E): void {
  describe("the server's own RBAC, as the authorizer answers", () => {
    it('allows what the README table lists and refuses the broader permissions it does not need', async () => {
      const e = get();
      const wrong: string[] = [];
      for (const entry of MAY) if (!(await canI(e, entry))) wrong.push(`cannot ${entry}`);
      for (const entry of MAY_NOT) if (await canI(e, entry)) wrong.push(`can ${entry}`);
      assert.deepEqual(wrong, []);
    });
  });
}
