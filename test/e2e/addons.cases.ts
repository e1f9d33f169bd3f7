/** Issue 7: the addon manager end to end, against the real control plane. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../src/observability/log.js';
import { startServer, type RunningServer } from '../../src/runtime/serve.js';
import { freePort } from '../../src/dev/controlplane.js';
import type { AddonStatus } from '../../src/addons/status.js';
import { defaultCatalog } from '../../src/policies/index.js';
import type { E2E } from './env.js';
import { waitFor } from './env.js';

type Obj = {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; uid?: string; generation?: number };
  spec?: Record<string, unknown>;
};
const LABEL = 'addons.harbormaster.io/name';

async function status(e: E2E, addon: string): Promise<AddonStatus | undefined> {
  const c = await e.json<{ status?: { addons?: AddonStatus[] } }>(['get', 'cluster', 'local']);
  return c.status?.addons?.find((a) => a.name === addon);
}

async function owned(e: E2E, addon: string): Promise<Obj[]> {
  const kinds =
    'namespaces,serviceaccounts,configmaps,services,networkpolicies,deployments,statefulsets,daemonsets,clusterroles,clusterrolebindings,roles,rolebindings';
  return (await e.json<{ items: Obj[] }>(['get', kinds, '-A', '-l', `${LABEL}=${addon}`])).items;
}

async function writes(server: RunningServer): Promise<number> {
  return (await server.metrics.reconcileWrites.get()).values.filter((v) => v.labels.reconciler === 'addons').reduce((s, v) => s + v.value, 0);
}

export const addonTimings: Record<string, number> = {};

export function addonCases(get: () => E2E): void {
  describe('addons', () => {
    for (const addon of defaultCatalog()) {
      it(`${addon.name}: annotate → every object exists with our labels, status reports the phase`, async () => {
        const e = get();
        const t0 = Date.now();
        await e.ok(['annotate', 'cluster', 'local', `addons.harbormaster.io/${addon.name}=enabled`, '--overwrite']);
        const s = await waitFor(
          `${addon.name} applied`,
          async () => {
            const st = await status(e, addon.name);
            return st && st.objects.total > 0 && st.objects.applied === st.objects.total ? st : undefined;
          },
          30_000,
        );
        addonTimings[addon.name] = Date.now() - t0;
        assert.ok(['Installing', 'Ready'].includes(s.phase), s.phase);
        assert.equal(s.version, addon.version);
        const objs = await owned(e, addon.name);
        assert.equal(objs.length, s.objects.total, 'every applied object carries the addon label');
        for (const o of objs) assert.equal(o.metadata.labels?.['app.kubernetes.io/managed-by'], 'harbormaster');
        for (const w of addon.ready)
          assert.ok(
            objs.some((o) => o.kind === w.kind && o.metadata.name === w.name),
            `${w.kind}/${w.name}`,
          );
      });
    }

    it('a managed Deployment scaled by hand or a deleted managed ConfigMap is healed within 2 s', async () => {
      const e = get();
      await e.ok(['scale', 'deployment', 'kube-state-metrics', '-n', 'monitoring', '--replicas=5']);
      const t0 = Date.now();
      await waitFor(
        'replicas back to 1',
        async () => (await e.json<Obj>(['get', 'deployment', 'kube-state-metrics', '-n', 'monitoring'])).spec?.replicas === 1,
        2000,
      );
      const healedScale = Date.now() - t0;
      await e.ok(['delete', 'configmap', 'prometheus-config', '-n', 'monitoring', '--wait=false']);
      const t1 = Date.now();
      await waitFor('configmap back', async () => (await e.k(['get', 'configmap', 'prometheus-config', '-n', 'monitoring'])).code === 0, 2000);
      addonTimings.healScaleMs = healedScale;
      addonTimings.healDeleteMs = Date.now() - t1;
    });

    it('a second manager replica does nothing while the first holds the lease', async () => {
      const e = get();
      const second = await startServer({
        configPath: e.policyFile,
        certDir: e.env.certDir,
        clientCaFile: e.env.controlPlane.webhookClientCaFile,
        port: await freePort(),
        metricsPort: 0,
        host: '127.0.0.1',
        kubeconfig: e.env.controlPlane.kubeconfigs.harbormaster,
        logger: silentLogger(),
        helm: e.bin.helm,
        identity: 'second-replica',
      });
      try {
        await second.waitUntilReady(30_000);
        await new Promise((r) => setTimeout(r, 3000)); // more than one renew period
        await e.ok(['scale', 'deployment', 'kibana', '-n', 'logging', '--replicas=4']);
        await waitFor('healed by the leader', async () => (await e.json<Obj>(['get', 'deployment', 'kibana', '-n', 'logging'])).spec?.replicas === 1, 2000);
        assert.equal(second.leading(), false);
        assert.equal(second.addonManager(), undefined);
        assert.equal(await writes(second), 0);
        assert.equal(e.env.server.leading(), true);
      } finally {
        await second.close();
      }
    });

    it('a user object in an addon namespace, without our labels, is never touched; disable removes ours and keeps the PVC', async () => {
      const e = get();
      await e.ok(['create', 'configmap', 'my-notes', '-n', 'monitoring', '--from-literal=a=b']);
      const pvc = await waitFor(
        'the StatefulSet made its PVC',
        async () => {
          const l = await e.json<{ items: Obj[] }>(['get', 'pvc', '-n', 'monitoring']);
          return l.items[0];
        },
        15_000,
      );
      assert.equal(pvc.metadata.labels?.[LABEL], 'prometheus', 'claim template carries our label');
      const out = await e.ok(['annotate', 'cluster', 'local', 'addons.harbormaster.io/prometheus=disabled', '--overwrite']);
      void out;
      await waitFor('prometheus Disabled', async () => (await status(e, 'prometheus'))?.phase === 'Disabled', 15_000);
      const left = (await owned(e, 'prometheus')).map((o) => `${o.kind}/${o.metadata.name}`);
      assert.deepEqual(left, ['Namespace/monitoring'], 'only the namespace stays');
      assert.equal((await e.k(['get', 'pvc', pvc.metadata.name, '-n', 'monitoring'])).code, 0, 'PVC kept');
      assert.equal((await e.k(['get', 'configmap', 'my-notes', '-n', 'monitoring'])).code, 0, 'user object untouched');
      assert.equal((await e.k(['get', 'clusterrole', 'prometheus'])).code, 1, 'cluster-scoped objects gone too');
      assert.match((await status(e, 'prometheus'))?.message ?? '', /1 PersistentVolumeClaims kept/);
    });

    it('re-enable brings everything back; disable with purge removes the PVC', async () => {
      const e = get();
      await e.ok(['annotate', 'cluster', 'local', 'addons.harbormaster.io/prometheus=enabled', '--overwrite']);
      await waitFor(
        'prometheus back',
        async () => {
          const st = await status(e, 'prometheus');
          return st && st.phase !== 'Disabled' && st.objects.applied === st.objects.total && st.objects.total > 0;
        },
        15_000,
      );
      assert.equal((await e.k(['get', 'statefulset', 'prometheus', '-n', 'monitoring'])).code, 0);
      await e.ok(['annotate', 'cluster', 'local', 'addons.harbormaster.io/prometheus=disabled', 'addons.harbormaster.io/prometheus.purge=true', '--overwrite']);
      await waitFor(
        'PVC purged',
        async () =>
          (await e.json<{ items: Obj[] }>(['get', 'pvc', '-n', 'monitoring'])).items.every(
            (p) => p.metadata.labels?.[LABEL] !== 'prometheus' || (p.metadata as { deletionTimestamp?: string }).deletionTimestamp,
          ),
        15_000,
      );
    });

    it('bad addon annotations are refused by kubectl with the rule id', async () => {
      const e = get();
      const cred = await e.k(['annotate', 'cluster', 'local', 'addons.harbormaster.io/datadog.values=apiKey: 0123456789abcdef', '--overwrite']);
      assert.notEqual(cred.code, 0);
      assert.match(cred.stderr, /\[addons\.no-credentials\] .*\/apiKey looks like a credential; reference a Secret instead/);
      const unknown = await e.k(['annotate', 'cluster', 'local', 'addons.harbormaster.io/grafana=enabled']);
      assert.match(unknown.stderr, /\[addons\.known-addon\]/);
      // An UPDATE pinning a version the catalog does not keep, or values the pinned version's schema lacks.
      const version = await e.k(['annotate', 'cluster', 'local', 'addons.harbormaster.io/prometheus.version=0.0.1', '--overwrite']);
      assert.match(version.stderr, /\[addons\.version\] .*no version "0\.0\.1"/);
      const older = await e.k([
        'annotate',
        'cluster',
        'local',
        'addons.harbormaster.io/prometheus.version=1.0.0',
        'addons.harbormaster.io/prometheus.values={"server":{"kubelet":{"insecureSkipVerify":true}}}',
        '--overwrite',
      ]);
      assert.match(older.stderr, /\[addons\.values\] .*kubelet: unknown field/);
    });

    it('render cache: a re-reconcile does not run helm again', async () => {
      const e = get();
      const before = { ...e.env.server.renderer.stats };
      e.env.server.addonManager()?.enqueueAll();
      await e.env.server.addonManager()?.idle();
      const after = e.env.server.renderer.stats;
      assert.equal(after.misses, before.misses);
      assert.ok(after.hits > before.hits);
      addonTimings.cacheHits = after.hits;
      addonTimings.cacheMisses = after.misses;
    });

    it("an object of a bundle's name that lacks our labels is never taken over", async () => {
      const e = get();
      await e.ok(['annotate', 'cluster', 'local', 'addons.harbormaster.io/datadog=disabled', '--overwrite']);
      await waitFor('datadog Disabled', async () => (await status(e, 'datadog'))?.phase === 'Disabled', 15_000);
      await e.ok(['create', 'clusterrole', 'datadog-agent', '--verb=get', '--resource=pods']);
      await e.ok(['annotate', 'cluster', 'local', 'addons.harbormaster.io/datadog=enabled', '--overwrite']);
      const failed = await waitFor(
        'datadog Failed',
        async () => {
          const st = await status(e, 'datadog');
          return st?.phase === 'Failed' ? st : undefined;
        },
        15_000,
      );
      assert.match(failed.message, /ClusterRole\/\/datadog-agent already exists without Harbormaster's labels/);
      const theirs = await e.json<Obj & { rules: unknown[] }>(['get', 'clusterrole', 'datadog-agent']);
      assert.equal(theirs.metadata.labels?.['app.kubernetes.io/managed-by'], undefined, 'left as the user made it');
      assert.deepEqual(theirs.rules, [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]);
      await e.ok(['delete', 'clusterrole', 'datadog-agent']);
      await waitFor(
        'datadog installs once the name is free',
        async () => {
          const st = await status(e, 'datadog');
          return st && st.phase !== 'Failed' && st.objects.applied === st.objects.total;
        },
        15_000,
      );
    });

    it('makes no API writes at steady state, even when every addon is re-reconciled', async () => {
      const e = get();
      await e.env.server.addonManager()?.idle();
      await new Promise((r) => setTimeout(r, 1000));
      await e.env.server.addonManager()?.idle();
      const before = await writes(e.env.server);
      // A forced pass over every addon compares each live object with what we apply:
      // anything the API server normalises differently would show up here as a write.
      e.env.server.addonManager()?.enqueueAll();
      await e.env.server.addonManager()?.idle();
      await new Promise((r) => setTimeout(r, 8000));
      assert.equal(await writes(e.env.server), before);
      // A perpetual mismatch would also show as a back-off: nothing may be Degraded or Failed here.
      const c = await e.json<{ status?: { addons?: AddonStatus[] } }>(['get', 'cluster', 'local']);
      for (const a of c.status?.addons ?? []) assert.ok(['Installing', 'Ready', 'Disabled'].includes(a.phase), `${a.name}: ${a.phase} ${a.message}`);
      process.stderr.write(`[e2e] addon timings (ms) and cache: ${JSON.stringify(addonTimings)}\n`);
    });
  });
}
