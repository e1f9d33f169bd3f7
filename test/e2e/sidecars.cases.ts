/** SPEC 3.3 end to end: a Pod asking for fluent-bit gets it once efk is enabled on the Cluster. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fastJsonPatch from 'fast-json-patch';
import { PolicyRegistry } from '../../src/admission/registry.js';
import { loadConfigFile } from '../../src/config/load.js';
import { builtinPolicies } from '../../src/policies/index.js';
import { reviewObject } from '../../src/review/review.js';
import type { E2E } from './env.js';
import { waitFor } from './env.js';

const pod = (name: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  annotations:
    sidecars.harbormaster.io/inject: fluent-bit
spec:
  containers:
    - name: app
      image: busybox
`;

export function sidecarCases(get: () => E2E): void {
  describe('addon-sidecars', () => {
    it('fluent-bit is injected as a native sidecar while efk is enabled, and only then', async () => {
      const e = get();
      const ns = await e.namespace('sc-app');
      // efk was enabled by the addon cases; the webhook's Cluster cache must have seen it.
      await waitFor(
        'Cluster in the webhook cache',
        async () => e.env.server.store.getCluster()?.annotations['addons.harbormaster.io/efk'] === 'enabled',
        10_000,
      );
      await e.ok(['apply', '-n', ns, '-f', '-'], { input: pod('with-logs') });
      const got = await e.json<{
        spec: { initContainers?: Array<{ name: string; restartPolicy?: string }>; containers: Array<{ volumeMounts?: Array<{ mountPath: string }> }> };
      }>(['get', 'pod', 'with-logs', '-n', ns]);
      assert.equal(got.spec.initContainers?.[0]?.name, 'fluent-bit');
      assert.equal(got.spec.initContainers?.[0]?.restartPolicy, 'Always');
      assert.ok(got.spec.containers[0]?.volumeMounts?.some((m) => m.mountPath === '/var/log/app'));

      // Offline review and the API server agree, reinvocation included: cloud-credentials runs
      // again after addon-sidecars added fluent-bit, and leaves the platform sidecar without the
      // tenant's credential (the Pod did not name it in credentials.harbormaster.io/include-sidecars).
      const trainer = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'trainer-logs', namespace: 'cc-ml', annotations: { 'sidecars.harbormaster.io/inject': 'fluent-bit' } },
        spec: { serviceAccountName: 'trainer', containers: [{ name: 'train', image: 'python:3.12' }] },
      };
      await e.ok(['apply', '-f', '-'], { input: JSON.stringify(trainer) });
      type Env = { name: string; env?: Array<{ name: string }> };
      const live = await e.json<{ spec: { initContainers: Env[]; containers: Env[] } }>(['get', 'pod', 'trainer-logs', '-n', 'cc-ml']);
      const registry = new PolicyRegistry(builtinPolicies());
      const loaded = loadConfigFile(e.policyFile);
      assert.ok(loaded.ok);
      const offline = reviewObject(trainer, { registry, cluster: e.env.server.store, config: loaded.config, operation: 'CREATE', namespace: 'cc-ml' });
      const offlinePod = fastJsonPatch.applyPatch(structuredClone(trainer), offline.patch.map(({ rule: _r, ...op }) => op) as fastJsonPatch.Operation[])
        .newDocument as unknown as typeof live;
      const envOf = (p: typeof live, name: string) => [...p.spec.initContainers, ...p.spec.containers].find((c) => c.name === name)?.env?.map((v) => v.name);
      assert.equal(live.spec.initContainers.find((c) => c.name === 'fluent-bit')?.name, 'fluent-bit');
      assert.deepEqual(envOf(live, 'fluent-bit'), undefined);
      assert.deepEqual(envOf(live, 'train'), ['GOOGLE_APPLICATION_CREDENTIALS']);
      for (const name of ['fluent-bit', 'train']) assert.deepEqual(envOf(offlinePod, name), envOf(live, name), name);

      await e.ok(['annotate', 'cluster', 'local', 'addons.harbormaster.io/efk=disabled', '--overwrite']);
      await waitFor('efk disabled in the cache', async () => e.env.server.store.getCluster()?.annotations['addons.harbormaster.io/efk'] === 'disabled', 10_000);
      const r = await e.k(['apply', '-n', ns, '-f', '-'], { input: pod('without-logs') });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /\[addon-sidecars\.addon-disabled\] sidecar fluent-bit not injected: addon efk is not enabled/);
      const unknown = await e.k(['apply', '-n', ns, '-f', '-'], { input: pod('bad').replace('fluent-bit', 'fluentd') });
      assert.match(unknown.stderr, /\[addon-sidecars\.known-sidecar\].*available: datadog, fluent-bit/);
    });
  });
}
