/**
 * Issue 13: addons that really run. The control plane has kube-scheduler and
 * kwok nodes, so the controllers create Pods, the scheduler places them, kwok
 * turns them Ready, and the manager reads real rollout status. Checked here,
 * per bundle: Ready in seconds, every Pod admitted under the namespace's
 * declared Pod Security level, the API calls each component makes allowed
 * (and the ones it must not make refused), config changes rolling, a refused
 * apply stopping with the API server's message, and a pinned version held
 * back then upgraded in place.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AddonStatus } from '../../src/addons/status.js';
import type { Addon } from '../../src/catalog/catalog.js';
import { runAddonsEnable, runAddonsList } from '../../src/cli/addons.js';
import { defaultCatalog } from '../../src/policies/index.js';
import type { E2E } from './env.js';
import { waitFor } from './env.js';

type Obj = {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; uid?: string; resourceVersion?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};

async function status(e: E2E, addon: string): Promise<AddonStatus | undefined> {
  const c = await e.json<{ status?: { addons?: AddonStatus[] } }>(['get', 'cluster', 'local']);
  return c.status?.addons?.find((a) => a.name === addon);
}

async function annotate(e: E2E, ...pairs: string[]): Promise<void> {
  await e.ok(['annotate', 'cluster', 'local', ...pairs, '--overwrite']);
}

async function ready(e: E2E, addon: string, version: string, timeoutMs: number): Promise<AddonStatus> {
  return waitFor(
    `${addon} ${version} Ready`,
    async () => {
      const s = await status(e, addon);
      if (s?.phase === 'Failed') throw new Error(`${addon} Failed: ${s.message}`);
      return s?.phase === 'Ready' && s.version === version ? s : undefined;
    },
    timeoutMs,
  );
}

/** `kubectl auth can-i` for one entry of addon.yaml apiCalls (its arguments, split on spaces). */
async function canI(e: E2E, namespace: string, sa: string, entry: string): Promise<boolean> {
  const r = await e.k(['auth', 'can-i', ...entry.split(/\s+/), `--as=system:serviceaccount:${namespace}:${sa}`]);
  if (r.code > 1) throw new Error(`kubectl auth can-i ${entry}: ${r.stderr}`);
  return r.code === 0;
}

export const runTimings: Record<string, number> = {};

export function addonRunCases(get: () => E2E): void {
  const catalog = defaultCatalog();
  describe('addons that run (kube-scheduler + kwok nodes)', () => {
    for (const addon of catalog) {
      it(`${addon.name}: Ready within 30 s, every Pod admitted under Pod Security "${addon.podSecurity}"`, async () => {
        const e = get();
        const t0 = Date.now();
        await annotate(e, `addons.harbormaster.io/${addon.name}=enabled`);
        await ready(e, addon.name, addon.version, 30_000);
        runTimings[addon.name] = Date.now() - t0;
        const ns = await e.json<Obj>(['get', 'namespace', addon.namespace]);
        assert.equal(ns.metadata.labels?.['pod-security.kubernetes.io/enforce'], addon.podSecurity);
        await assertPodsAdmitted(e, addon);
      });
    }

    it('kubectl get clusters counts them Ready; each phase change left an Event', async () => {
      const e = get();
      assert.match(await e.ok(['get', 'clusters']), new RegExp(`local\\s+${catalog.length}/${catalog.length}`));
      const events = await e.ok(['get', 'events', '-n', 'default', '--field-selector', 'involvedObject.kind=Cluster,reason=AddonReady']);
      for (const a of catalog) assert.match(events, new RegExp(`${a.name}:`));
    });

    it('each component may make the API calls its documentation lists, and not the ones it must not', async () => {
      const e = get();
      const checks = catalog.flatMap((addon) =>
        addon.apiCalls.flatMap((calls) => [
          ...calls.can.map((entry) => ({ addon, calls, entry, want: true })),
          ...(calls.cannot ?? []).map((entry) => ({ addon, calls, entry, want: false })),
        ]),
      );
      // kubectl is a process per question: eight at a time.
      for (let i = 0; i < checks.length; i += 8) {
        await Promise.all(
          checks.slice(i, i + 8).map(async ({ addon, calls, entry, want }) => {
            const got = await canI(e, addon.namespace, calls.serviceAccount, entry);
            assert.equal(got, want, `${addon.name}/${calls.serviceAccount} ${want ? 'can' : 'cannot'} ${entry} (${calls.docs})`);
          }),
        );
      }
      const checked = checks.length;
      runTimings.canIChecks = checked;
      assert.ok(checked > 10, `${checked} checks`);
    });

    it('addon namespaces are platform namespaces: no tenant quota or LimitRange in them', async () => {
      const e = get();
      for (const addon of catalog) {
        const r = await e.json<{ items: Obj[] }>(['get', 'resourcequotas,limitranges', '-n', addon.namespace]);
        assert.deepEqual(
          r.items.map((o) => `${o.kind}/${o.metadata.name}`),
          [],
          addon.namespace,
        );
      }
    });

    it('generated Secrets are made once and kept: the datadog cluster agent token', async () => {
      const e = get();
      const dd = catalog.find((a) => a.name === 'datadog');
      const gen = dd?.generatedSecrets[0];
      if (!dd || !gen) return assert.fail('datadog declares a generated Secret');
      const read = async (): Promise<Obj & { data?: Record<string, string> }> => e.json(['get', 'secret', gen.name, '-n', dd.namespace]);
      const first = await read();
      for (const k of gen.keys) assert.match(Buffer.from(first.data?.[k] ?? '', 'base64').toString(), /^[A-Za-z0-9]{32}$/);
      await annotate(e, 'addons.harbormaster.io/datadog=disabled');
      await waitFor('datadog Disabled', async () => (await status(e, 'datadog'))?.phase === 'Disabled', 20_000);
      await annotate(e, 'addons.harbormaster.io/datadog=enabled');
      await ready(e, 'datadog', dd.version, 30_000);
      const again = await read();
      assert.equal(again.metadata.uid, first.metadata.uid, 'kept on disable');
      assert.deepEqual(again.data, first.data, 'never rewritten');
    });

    it('from nothing: `harbormaster addons enable prometheus` follows it to Ready within 30 s', async () => {
      const e = get();
      await annotate(e, 'addons.harbormaster.io/prometheus=disabled', 'addons.harbormaster.io/prometheus.purge=true');
      await waitFor('prometheus purged', async () => (await status(e, 'prometheus'))?.phase === 'Disabled', 30_000);
      await waitFor('no PVC left', async () => (await e.json<{ items: Obj[] }>(['get', 'pvc', '-n', 'monitoring'])).items.length === 0, 30_000);
      await e.ok(['annotate', 'cluster', 'local', 'addons.harbormaster.io/prometheus.purge-']);
      let out = '';
      const t0 = Date.now();
      const code = await runAddonsEnable(
        'prometheus',
        { kubeconfig: e.env.controlPlane.kubeconfigs.admin, timeout: '30' },
        { out: (t) => (out += t), err: (t) => (out += t) },
      );
      runTimings.cliEnableToReadyMs = Date.now() - t0;
      assert.equal(code, 0, out);
      assert.match(out, /prometheus: Ready/);
    });

    it('a config change rolls the Pods: a new ReplicaSet, ControllerRevision', async () => {
      const e = get();
      const prom = catalog.find((a) => a.name === 'prometheus');
      if (!prom) return assert.fail('prometheus in the catalog');
      await annotate(e, 'addons.harbormaster.io/prometheus=enabled');
      await ready(e, 'prometheus', prom.version, 30_000);
      const revisions = async (): Promise<string> => {
        const sts = await e.json<Obj>(['get', 'statefulset', 'prometheus', '-n', prom.namespace]);
        return String(sts.status?.updateRevision);
      };
      const before = await revisions();
      await annotate(e, `addons.harbormaster.io/prometheus.values=${JSON.stringify({ server: { scrapeInterval: '45s' } })}`);
      await waitFor('a new controller revision', async () => (await revisions()) !== before, 20_000);
      await ready(e, 'prometheus', prom.version, 30_000);
      const cm = await e.json<Obj & { data?: Record<string, string> }>(['get', 'configmap', 'prometheus-config', '-n', prom.namespace]);
      assert.match(Object.values(cm.data ?? {}).join('\n'), /scrape_interval: 45s/);
    });

    it('a refused apply fails the addon with the API server message and stops; a fix resumes', async () => {
      const e = get();
      const prom = catalog.find((a) => a.name === 'prometheus');
      if (!prom) return assert.fail('prometheus in the catalog');
      // Claim templates are immutable: a new size is refused by the API server.
      await annotate(e, `addons.harbormaster.io/prometheus.values=${JSON.stringify({ server: { scrapeInterval: '45s', storage: { size: '77Gi' } } })}`);
      const failed = await waitFor(
        'prometheus Failed',
        async () => {
          const s = await status(e, 'prometheus');
          return s?.phase === 'Failed' ? s : undefined;
        },
        20_000,
      );
      assert.match(failed.message, /refused StatefulSet\/monitoring\/prometheus: .*(Forbidden|immutable)/);
      const manager = e.env.server.addonManager();
      const writes = async (): Promise<number> =>
        (await e.env.server.metrics.reconcileWrites.get()).values.filter((v) => v.labels.reconciler === 'addons').reduce((s, v) => s + v.value, 0);
      manager?.enqueueAll();
      await manager?.idle();
      const w0 = await writes();
      manager?.enqueueAll();
      await manager?.idle();
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(await writes(), w0, 'no retry of the refused manifests');
      assert.equal((await status(e, 'prometheus'))?.phase, 'Failed');
      await annotate(e, `addons.harbormaster.io/prometheus.values=${JSON.stringify({ server: { scrapeInterval: '45s' } })}`);
      await ready(e, 'prometheus', prom.version, 30_000);
    });

    it('.version holds an addon on the previous bundle; removing it upgrades in place, keeping the data', async () => {
      const e = get();
      const prom = catalog.find((a) => a.name === 'prometheus');
      const older = prom?.older[0];
      if (!prom || !older) return assert.fail('the catalog keeps a previous prometheus');
      await annotate(e, 'addons.harbormaster.io/prometheus=disabled', 'addons.harbormaster.io/prometheus.purge=true');
      await waitFor('prometheus purged', async () => (await status(e, 'prometheus'))?.phase === 'Disabled', 30_000);
      await waitFor('no PVC left', async () => (await e.json<{ items: Obj[] }>(['get', 'pvc', '-n', prom.namespace])).items.length === 0, 30_000);
      await e.ok(['annotate', 'cluster', 'local', 'addons.harbormaster.io/prometheus.values-', 'addons.harbormaster.io/prometheus.purge-']);
      await annotate(e, `addons.harbormaster.io/prometheus.version=${older.version}`, 'addons.harbormaster.io/prometheus=enabled');
      await ready(e, 'prometheus', older.version, 30_000);
      let listed = '';
      await runAddonsList({ kubeconfig: e.env.controlPlane.kubeconfigs.admin }, { out: (t) => (listed += t), err: () => undefined });
      assert.match(listed, new RegExp(`prometheus\\s+${older.version.replace(/\./g, '\\.')} \\(pinned, ${prom.version.replace(/\./g, '\\.')} available\\)`));
      const pvc = await waitFor(
        'the old version made its PVC',
        async () => (await e.json<{ items: Obj[] }>(['get', 'pvc', '-n', prom.namespace])).items[0],
        20_000,
      );
      const t0 = Date.now();
      await e.ok(['annotate', 'cluster', 'local', 'addons.harbormaster.io/prometheus.version-']);
      await ready(e, 'prometheus', prom.version, 45_000);
      runTimings.upgradeMs = Date.now() - t0;
      const after = await e.json<Obj>(['get', 'pvc', pvc.metadata.name, '-n', prom.namespace]);
      assert.equal(after.metadata.uid, pvc.metadata.uid, 'the same volume claim: data kept');
      process.stderr.write(`[e2e] running addons (ms): ${JSON.stringify(runTimings)}\n`);
    });
  });
}

/** Every workload got all its Pods (none refused by Pod Security or anything else), and each template passes a server-side dry run. */
async function assertPodsAdmitted(e: E2E, addon: Addon): Promise<void> {
  const events = await e.json<{ items: Array<{ reason: string; message: string }> }>([
    'get',
    'events',
    '-n',
    addon.namespace,
    '--field-selector',
    'reason=FailedCreate',
  ]);
  assert.deepEqual(
    events.items.map((x) => x.message),
    [],
    'no Pod refused',
  );
  const nodes = (await e.json<{ items: Obj[] }>(['get', 'nodes'])).items.length;
  for (const w of addon.ready) {
    const obj = await e.json<Obj>(['get', w.kind.toLowerCase(), w.name, '-n', addon.namespace]);
    const want = w.kind === 'DaemonSet' ? nodes : Number(obj.spec?.replicas ?? 1);
    const have = Number(w.kind === 'DaemonSet' ? obj.status?.numberReady : obj.status?.readyReplicas);
    assert.equal(have, want, `${w.kind}/${w.name} ready Pods`);
    const template = obj.spec?.template as { metadata?: Record<string, unknown>; spec: { volumes?: unknown[] } };
    // A StatefulSet's claim templates become volumes of its Pods: stand in for them with emptyDirs.
    const claims = ((obj.spec?.volumeClaimTemplates ?? []) as Obj[]).map((c) => ({ name: c.metadata.name, emptyDir: {} }));
    const spec = { ...template.spec, volumes: [...(template.spec.volumes ?? []), ...claims] };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${w.name}-admission-check`, namespace: addon.namespace }, spec };
    const r = await e.k(['create', '--dry-run=server', '-f', '-'], { input: JSON.stringify(pod) });
    assert.equal(r.code, 0, `${w.kind}/${w.name} template admitted: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /would violate PodSecurity/);
  }
}
