/** Every bundle through the real helm: lint, render with defaults and with edge values, check the objects. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, describe, it } from 'node:test';
import type { KubeObject } from '../../src/kube/types.js';
import { desiredObjects } from '../../src/addons/plan.js';
import { HelmRenderer } from '../../src/addons/render.js';
import { ensureBinaries, type Binaries } from '../../src/dev/binaries.js';
import { defaultCatalog } from '../../src/policies/index.js';

type Containers = Array<{ name: string; image: string; resources?: { limits?: Record<string, string>; requests?: Record<string, string> } }>;
function podSpecOf(o: KubeObject): { containers: Containers } | undefined {
  return (o.spec as { template?: { spec?: { containers: Containers } } } | undefined)?.template?.spec;
}

const edgeValues: Record<string, Record<string, unknown>> = {
  datadog: { apiKeySecret: { name: 'dd-key', key: 'token' }, site: 'datadoghq.eu', clusterName: 'amsy810', clusterAgent: { replicas: 2 } },
  prometheus: { server: { retention: '90d', storage: { size: '200Gi', storageClassName: 'fast-ssd' } } },
  efk: { elasticsearch: { replicas: 3, transportTLS: { secretName: 'es-transport' }, resources: { limits: { memory: '8Gi' } }, storage: { size: '1Ti' } } },
  dashboard: { rbac: { readOnly: false, showSecrets: true }, dashboard: { replicas: 2 } },
};

describe('addon charts (real helm)', () => {
  let bin: Binaries;
  let renderer: HelmRenderer;
  before(
    async () => {
      bin = await ensureBinaries();
      renderer = new HelmRenderer({ helm: bin.helm });
    },
    { timeout: 30 * 60_000 },
  );

  for (const addon of defaultCatalog()) {
    describe(addon.name, () => {
      it('passes helm lint', () => {
        const r = spawnSync(bin.helm, ['lint', addon.chartDir, '--strict'], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stdout + r.stderr);
      });

      it('renders with defaults into objects the manager can apply', async () => {
        const objects = desiredObjects(addon, await renderer.render(addon, {}));
        assert.equal(objects[0]?.kind, 'Namespace');
        assert.equal(objects[0]?.metadata?.name, addon.namespace);
        for (const w of addon.ready)
          assert.ok(
            objects.some((o) => o.kind === w.kind && o.metadata?.name === w.name),
            `${w.kind} ${w.name} rendered`,
          );
        for (const o of objects) {
          const pod = podSpecOf(o);
          for (const c of pod?.containers ?? []) {
            assert.match(c.image, /:[A-Za-z0-9._-]+$/, `${o.kind}/${o.metadata?.name} pins its image`);
            assert.ok(
              c.resources?.limits?.cpu && c.resources.limits.memory && c.resources.requests?.cpu,
              `${o.kind}/${o.metadata?.name}/${c.name} sets resources (fits a tenant quota)`,
            );
          }
        }
      });

      it('renders with edge values', async () => {
        const objects = await renderer.render(addon, edgeValues[addon.name] ?? {});
        const text = JSON.stringify(objects);
        if (addon.name === 'datadog') {
          assert.match(text, /"secretKeyRef":\{"name":"dd-key","key":"token"\}/);
          assert.equal((objects.find((o) => o.kind === 'Deployment')?.spec as { replicas: number }).replicas, 2);
          const ds = objects.find((o) => o.kind === 'DaemonSet');
          assert.match(JSON.stringify(ds), /"containerPort":8125,"hostPort":8125,"protocol":"UDP"/);
          assert.match(JSON.stringify(ds), /"containerPort":8126,"hostPort":8126,"protocol":"TCP"/);
        }
        if (addon.name === 'prometheus') {
          assert.match(text, /"storageClassName":"fast-ssd"/);
          assert.match(text, /--storage\.tsdb\.retention\.time=90d/);
          for (const job of ['kubernetes-nodes', 'kubernetes-cadvisor', 'kubernetes-pods', 'kubernetes-endpoints'])
            assert.ok(text.includes(`job_name: ${job}`), job);
        }
        if (addon.name === 'efk') {
          const sts = objects.find((o) => o.kind === 'StatefulSet');
          assert.equal((sts?.spec as { replicas: number }).replicas, 3);
          assert.match(JSON.stringify(sts), /elasticsearch-0,elasticsearch-1,elasticsearch-2/);
          assert.doesNotMatch(JSON.stringify(sts), /single-node/);
          assert.match(text, /path \/var\/log\/containers\/\*\.log/);
        }
        if (addon.name === 'dashboard') {
          assert.match(text, /"roleRef":\{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"\}/);
          assert.match(text, /"resources":\["secrets"\]/);
        }
      });

      it('is read-only / single-node / key-by-reference by default where it matters', async () => {
        const objects = await renderer.render(addon, {});
        const text = JSON.stringify(objects);
        if (addon.name === 'dashboard') {
          // Headlamp acts with the signed-in user's token: the only binding is the viewer's, to the built-in view role (no Secrets).
          const bindings = objects.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') as Array<{ roleRef?: { name: string } }>;
          assert.deepEqual(
            bindings.map((b) => b.roleRef?.name),
            ['view'],
          );
          assert.ok(!objects.some((o) => o.kind === 'ClusterRole' || o.kind === 'Role'));
        }
        if (addon.name === 'efk') assert.match(text, /single-node/);
        if (addon.name === 'datadog') assert.doesNotMatch(text, /"name":"DD_API_KEY","value"/);
      });

      it('refuses values outside its schema (helm checks values.schema.json too)', async () => {
        await assert.rejects(renderer.render(addon, { nonsense: true }), /helm template failed/);
      });
    });
  }

  it('renders once per chart digest + values, then serves from cache', async () => {
    const r = new HelmRenderer({ helm: bin.helm });
    const addon = defaultCatalog()[0]!;
    await r.render(addon, {});
    await r.render(addon, {});
    await r.render(addon, { x: undefined });
    assert.deepEqual(r.stats, { hits: 2, misses: 1 });
  });
});
