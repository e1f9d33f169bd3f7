/** SPEC 3.0: platform-only Namespace annotations, with kubectl as a tenant the RBAC lets patch its Namespace. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { E2E } from './env.js';

const NS = 'tn-team';

/**
 * RBAC alone would let the tenant write every annotation of its own Namespace
 * (through the status subresource too): that is the gap the rule closes.
 */
const RBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: tn-team-namespace-editor
rules:
  - apiGroups: [""]
    resources: [namespaces, namespaces/status]
    resourceNames: [${NS}]
    verbs: [get, patch, update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: tn-team-namespace-editor
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: tn-team-namespace-editor }
subjects:
  - { apiGroup: rbac.authorization.k8s.io, kind: User, name: tenant }
`;

const denied = (change: 'set' | 'changed' | 'removed') =>
  new RegExp(
    'admission webhook "tenancy\\.validate\\.harbormaster\\.io" denied the request: \\[tenancy\\.platform-annotations\\] ' +
      `metadata\\.annotations\\["harbormaster\\.io/quota-profile"\\] may be ${change} only by the platform ` +
      '\\(user "tenant" is not in platform\\.users/groups/serviceAccounts\\)',
  );

/** Requests the tenancy webhook answered: shows what the matchCondition keeps away from it. */
async function tenancyCalls(e: E2E): Promise<number> {
  const m = await e.env.server.metrics.requests.get();
  return m.values.filter((v) => v.labels.webhook === 'validate/tenancy').reduce((s, v) => s + v.value, 0);
}

export function tenancyCases(get: () => E2E): void {
  describe('tenancy: platform-only namespace annotations', () => {
    // Set up lazily from the first case rather than in a before hook: node 20 runs a suite's
    // hooks even when --test-name-pattern filters out all of its cases.
    let ready: Promise<void> | undefined;
    const setup = (): Promise<void> => {
      ready ??= (async () => {
        const e = get();
        await e.namespace(NS, { 'harbormaster.io/quota-profile': 'small' });
        await e.ok(['apply', '-f', '-'], { input: RBAC });
      })();
      return ready;
    };
    const profile = async (e: E2E): Promise<string | undefined> =>
      (await e.json<{ metadata: { annotations?: Record<string, string> } }>(['get', 'namespace', NS])).metadata.annotations?.['harbormaster.io/quota-profile'];

    it('the tenant may patch its Namespace (RBAC), yet changing harbormaster.io/quota-profile is refused with the rule id', async () => {
      await setup();
      const e = get();
      const calls = await tenancyCalls(e);
      const r = await e.k(['annotate', 'namespace', NS, 'harbormaster.io/quota-profile=large', '--overwrite'], { as: 'tenant' });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, denied('changed'));
      assert.equal(await profile(e), 'small', 'nothing was written');
      assert.ok((await tenancyCalls(e)) > calls, 'the webhook itself answered');
      const removal = await e.k(['annotate', 'namespace', NS, 'harbormaster.io/quota-profile-'], { as: 'tenant' });
      assert.notEqual(removal.code, 0);
      assert.match(removal.stderr, denied('removed'));
      assert.equal(await profile(e), 'small');
    });

    it('the status subresource, which keeps metadata writable, is covered too', async () => {
      await setup();
      const e = get();
      const patch = JSON.stringify({ metadata: { annotations: { 'harbormaster.io/quota-profile': 'large' } } });
      const r = await e.k(['patch', 'namespace', NS, '--subresource=status', '--type=merge', '-p', patch], { as: 'tenant' });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, denied('changed'));
      assert.equal(await profile(e), 'small');
    });

    it('the tenant may add a plain label, and annotate --overwrite with the unchanged value (never sent to the webhook)', async () => {
      await setup();
      const e = get();
      const calls = await tenancyCalls(e);
      await e.ok(['label', 'namespace', NS, 'team=blue', '--overwrite'], { as: 'tenant' });
      await e.ok(['annotate', 'namespace', NS, 'harbormaster.io/quota-profile=small', '--overwrite'], { as: 'tenant' });
      await e.ok(['annotate', 'namespace', NS, 'sidecars.harbormaster.io/inject=fluent-bit', '--overwrite'], { as: 'tenant' });
      const got = await e.json<{ metadata: { labels?: Record<string, string> } }>(['get', 'namespace', NS]);
      assert.equal(got.metadata.labels?.team, 'blue');
      assert.equal(await tenancyCalls(e), calls, 'the matchCondition filtered these writes out');
    });

    it('cluster-admin (system:masters, the shipped platform group) may set the annotation', async () => {
      await setup();
      const e = get();
      await e.ok(['annotate', 'namespace', NS, 'harbormaster.io/quota-profile=large', '--overwrite']);
      assert.equal(await profile(e), 'large');
      await e.ok(['annotate', 'namespace', NS, 'harbormaster.io/quota-profile=small', '--overwrite']);
    });

    it('a tenant allowed to create Namespaces cannot create one with a platform annotation', async () => {
      await setup();
      const e = get();
      await e.ok(['create', 'clusterrole', 'tn-namespace-creator', '--verb=create', '--resource=namespaces']);
      await e.ok(['create', 'clusterrolebinding', 'tn-namespace-creator', '--clusterrole=tn-namespace-creator', '--user=tenant']);
      const manifest = (annotations: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tn-new\n  annotations: ${annotations}\n`;
      const r = await e.k(['create', '-f', '-'], { as: 'tenant', input: manifest('{ harbormaster.io/quota-profile: large }') });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, denied('set'));
      assert.equal((await e.k(['get', 'namespace', 'tn-new'])).code, 1, 'nothing was written');
      await e.ok(['create', '-f', '-'], { as: 'tenant', input: manifest('{ sidecars.harbormaster.io/inject: datadog }') });
    });

    it('a tenant Namespace carrying a profile is still deleted and finalized by the namespace controller', async () => {
      await setup();
      const e = get();
      await e.namespace('tn-gone', { 'harbormaster.io/quota-profile': 'small' });
      await e.ok(['delete', 'namespace', 'tn-gone', '--wait=true', '--timeout=90s']);
      assert.equal((await e.k(['get', 'namespace', 'tn-gone'])).code, 1);
    });
  });
}
