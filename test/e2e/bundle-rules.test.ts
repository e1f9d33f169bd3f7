/**
 * Rules every bundle keeps, checked on what the real helm renders: pinned
 * images listed with their release in addon.yaml, Linux-only workloads,
 * probes aimed at ports the software really listens on, ConfigMaps mounted
 * so changes arrive and roll, and nothing immutable changed against the
 * previous version the catalog keeps.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { KubeObject } from '../../src/kube/types.js';
import type { Addon } from '../../src/catalog/catalog.js';
import { contains, desiredObjects, objectKey } from '../../src/addons/plan.js';
import { HelmRenderer } from '../../src/addons/render.js';
import { ensureBinaries } from '../../src/dev/binaries.js';
import { defaultCatalog } from '../../src/policies/index.js';
import { listenPorts, type Container } from '../support/listen-ports.js';

type Rec = Record<string, unknown>;
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  nodeSelector?: Record<string, string>;
  volumes?: Array<{ name: string; configMap?: { name: string }; projected?: unknown }>;
}
interface Template {
  metadata?: { annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: PodSpec;
}

const templateOf = (o: KubeObject): Template | undefined => (o.spec as { template?: Template } | undefined)?.template;
const spec = (o: KubeObject | undefined): Rec => (o?.spec ?? {}) as Rec;
const workloads = (objects: readonly KubeObject[]): KubeObject[] => objects.filter((o) => templateOf(o) !== undefined);
const where = (o: KubeObject, c?: Container): string => `${o.kind}/${o.metadata?.name}${c ? `/${c.name}` : ''}`;

/** The probe port as the container declares it: a number, or the name of one of its ports. */
function probePort(c: Container, probe: Rec): number | undefined {
  const action = (probe.httpGet ?? probe.tcpSocket ?? probe.grpc) as { port?: number | string } | undefined;
  if (action?.port === undefined) return undefined; // exec probes run a command, no port
  if (typeof action.port === 'number') return action.port;
  return c.ports?.find((p) => p.name === action.port)?.containerPort ?? -1;
}

const rendered = new Map<Addon, KubeObject[]>();

describe('every bundle keeps the rules (real helm)', () => {
  const catalog = defaultCatalog();
  before(
    async () => {
      const renderer = new HelmRenderer({ helm: (await ensureBinaries()).helm });
      for (const a of catalog) for (const v of [a, ...a.older]) rendered.set(v, desiredObjects(v, await renderer.render(v, {})));
    },
    { timeout: 30 * 60_000 },
  );

  for (const addon of catalog) {
    describe(`${addon.name} ${addon.version}`, () => {
      const objects = (): KubeObject[] => rendered.get(addon) ?? [];

      it('runs only images listed in addon.yaml, each pinned to the version it names, with a release date', () => {
        const listed = new Set(addon.images.map((i) => i.image));
        const used = new Set<string>();
        for (const o of workloads(objects())) {
          const pod = templateOf(o)?.spec;
          for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
            used.add(c.image);
            assert.ok(listed.has(c.image), `${where(o, c)} runs ${c.image}, not listed in addon.yaml images`);
          }
        }
        for (const s of addon.sidecars) if (s.container) used.add(s.container.image);
        for (const i of addon.images) {
          assert.ok(used.has(i.image), `addon.yaml lists ${i.image}, which nothing runs`);
          assert.match(i.image, /:[A-Za-z0-9._-]+$/, `${i.image} is pinned by tag`);
          assert.ok(i.image.includes(i.version.replace(/^v/, '')), `${i.image} is the version ${i.version} it claims`);
          assert.ok(!Number.isNaN(Date.parse(i.released)) && i.released <= new Date().toISOString().slice(0, 10), `${i.component}: release date ${i.released}`);
        }
      });

      it('pins every workload to Linux nodes', () => {
        for (const o of workloads(objects())) assert.equal(templateOf(o)?.spec.nodeSelector?.['kubernetes.io/os'], 'linux', `${where(o)} nodeSelector`);
      });

      it('points every probe at a port the container declares and the software listens on', () => {
        let probes = 0;
        for (const o of workloads(objects())) {
          for (const c of templateOf(o)?.spec.containers ?? []) {
            for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
              const probe = c[kind];
              if (!probe) continue;
              const port = probePort(c, probe);
              if (port === undefined) continue;
              probes++;
              assert.ok(
                c.ports?.some((p) => p.containerPort === port),
                `${where(o, c)} ${kind} port ${port} is not a containerPort (${JSON.stringify(c.ports ?? [])})`,
              );
              const listening = listenPorts(c);
              assert.ok(listening, `${where(o, c)}: ${c.image} is not in test/support/listen-ports.ts; add how it chooses its ports`);
              assert.ok(listening.includes(port), `${where(o, c)} ${kind} port ${port}, but ${c.image} listens on ${listening.join(', ')} as configured`);
            }
          }
        }
        assert.ok(probes > 0, 'the bundle has probes at all');
      });

      it('mounts ConfigMaps whole (never subPath) and rolls the Pods when one changes', () => {
        const configMaps = new Set(
          objects()
            .filter((o) => o.kind === 'ConfigMap')
            .map((o) => o.metadata?.name),
        );
        for (const o of workloads(objects())) {
          const tpl = templateOf(o);
          const mounted = (tpl?.spec.volumes ?? []).filter((v) => v.configMap && configMaps.has(v.configMap.name));
          for (const c of [...(tpl?.spec.initContainers ?? []), ...(tpl?.spec.containers ?? [])]) {
            for (const m of c.volumeMounts ?? []) {
              if (mounted.some((v) => v.name === m.name))
                assert.equal(m.subPath, undefined, `${where(o, c)} mounts ${m.name} with subPath: updates never arrive`);
            }
          }
          for (const v of mounted) {
            const cm = v.configMap?.name ?? '';
            assert.ok(tpl?.metadata?.annotations?.[`checksum/${cm}`], `${where(o)} mounts ConfigMap ${cm} without a checksum/${cm} annotation`);
          }
        }
      });

      it('keeps the chart version out of selectors and claim templates', () => {
        for (const o of workloads(objects())) {
          const selector = JSON.stringify(spec(o).selector ?? {});
          assert.doesNotMatch(selector, /helm\.sh\/chart|app\.kubernetes\.io\/version/, `${where(o)} selector`);
          for (const t of (spec(o).volumeClaimTemplates ?? []) as Array<{ metadata?: { labels?: Record<string, string> } }>) {
            for (const [k, v] of Object.entries(t.metadata?.labels ?? {})) {
              assert.ok(k !== 'helm.sh/chart' && k !== 'app.kubernetes.io/version' && !v.includes(addon.version), `${where(o)} claim template label ${k}=${v}`);
            }
          }
        }
      });

      for (const older of addon.older) {
        it(`changes nothing immutable against ${older.version} (the upgrade applies)`, () => {
          const before = new Map((rendered.get(older) ?? []).map((o) => [objectKey(o), o]));
          let compared = 0;
          for (const now of objects()) {
            const was = before.get(objectKey(now));
            if (!was) continue;
            compared++;
            const [a, b] = [spec(was), spec(now)];
            const at = where(now);
            if (['Deployment', 'StatefulSet', 'DaemonSet'].includes(String(now.kind))) assert.deepEqual(b.selector, a.selector, `${at} spec.selector`);
            if (now.kind === 'StatefulSet') {
              assert.equal(b.serviceName, a.serviceName, `${at} spec.serviceName`);
              assert.equal(b.podManagementPolicy, a.podManagementPolicy, `${at} spec.podManagementPolicy`);
              // The manager sends live claim templates back when they already carry everything asked (claim-templates.ts).
              const [va, vb] = [(a.volumeClaimTemplates ?? []) as Rec[], (b.volumeClaimTemplates ?? []) as Rec[]];
              assert.equal(vb.length, va.length, `${at} number of volumeClaimTemplates`);
              vb.forEach((t, i) => assert.ok(contains(va[i], t), `${at} volumeClaimTemplates[${i}] asks for something ${older.version}'s did not have`));
            }
            if (now.kind === 'Service') {
              assert.equal(b.type ?? 'ClusterIP', a.type ?? 'ClusterIP', `${at} spec.type`);
              assert.equal(b.clusterIP, a.clusterIP, `${at} spec.clusterIP`);
            }
            if (now.kind === 'Job') assert.deepEqual(b.template, a.template, `${at} spec.template`);
          }
          assert.ok(compared > 0 || addon.name === 'dashboard', 'the versions share objects to compare');
        });
      }
    });
  }
});
