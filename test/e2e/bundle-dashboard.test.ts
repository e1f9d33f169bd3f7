/**
 * The dashboard bundle is Headlamp from 2.0.0 on, rendered with the real helm:
 * probes on the port Headlamp listens on, Headlamp itself bound to nothing, the
 * viewer bound to the built-in view role only, edit/admin only when asked,
 * restricted Pod Security, Linux nodes, and 1.0.0's values handled on purpose.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { compareVersions, type Addon } from '../../src/catalog/catalog.js';
import type { KubeObject } from '../../src/kube/types.js';
import { HelmRenderer } from '../../src/addons/render.js';
import { ensureBinaries } from '../../src/dev/binaries.js';
import { defaultCatalog } from '../../src/policies/index.js';

interface Port {
  name?: string;
  containerPort: number;
  hostPort?: number;
}
interface Probe {
  httpGet?: { path: string; port: number | string };
  tcpSocket?: { port: number | string };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: Port[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    privileged?: boolean;
    runAsNonRoot?: boolean;
    runAsUser?: number;
    capabilities?: { add?: string[]; drop?: string[] };
    seccompProfile?: { type: string };
  };
}
interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  containers: Container[];
  initContainers?: Container[];
  volumes?: Array<{ name: string; emptyDir?: unknown; hostPath?: unknown }>;
  nodeSelector?: Record<string, string>;
  securityContext?: Container['securityContext'];
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
}
interface Workload extends KubeObject {
  spec: { selector: unknown; template: { spec: PodSpec } };
}
interface Binding extends KubeObject {
  roleRef: { kind: string; name: string };
  subjects: Array<{ kind: string; name: string; namespace?: string }>;
}

const NS = 'kubernetes-dashboard';

const workloads = (objects: KubeObject[]): Workload[] =>
  objects.filter((o): o is Workload => ['Deployment', 'DaemonSet', 'StatefulSet'].includes(o.kind ?? ''));
const bindings = (objects: KubeObject[]): Binding[] => objects.filter((o): o is Binding => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding');
const roles = (objects: KubeObject[]): KubeObject[] => objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');

function headlamp(objects: KubeObject[]): { pod: PodSpec; c: Container } {
  const d = workloads(objects).find((w) => w.kind === 'Deployment' && w.metadata?.name === 'headlamp');
  assert.ok(d, 'Deployment headlamp rendered');
  const c = d.spec.template.spec.containers.find((x) => x.name === 'headlamp');
  assert.ok(c, 'container headlamp');
  return { pod: d.spec.template.spec, c };
}

/** The number a probe port (number or name) stands for in this container; fails when it is not declared. */
function probePort(c: Container, port: number | string): number {
  const declared = c.ports?.find((p) => (typeof port === 'number' ? p.containerPort === port : p.name === port));
  assert.ok(declared, `${c.name}: probe port ${port} is a declared containerPort`);
  return declared.containerPort;
}

/** Who each binding lets do what, as "ServiceAccount ns/name -> ClusterRole name". */
const grants = (objects: KubeObject[]): string[] =>
  bindings(objects)
    .flatMap((b) => b.subjects.map((s) => `${s.kind} ${s.namespace ?? ''}/${s.name} -> ${b.roleRef.kind} ${b.roleRef.name}`))
    .sort();

describe('dashboard bundle = Headlamp (real helm)', () => {
  let renderer: HelmRenderer;
  let addon: Addon;
  let old: Addon;
  let objects: KubeObject[];

  before(
    async () => {
      const bin = await ensureBinaries();
      renderer = new HelmRenderer({ helm: bin.helm });
      const found = defaultCatalog().find((a) => a.name === 'dashboard');
      assert.ok(found, 'dashboard in the catalog');
      addon = found;
      const previous = addon.older.find((o) => o.version === '1.0.0');
      assert.ok(previous, 'the catalog keeps dashboard 1.0.0');
      old = previous;
      objects = await renderer.render(addon, {});
    },
    { timeout: 30 * 60_000 },
  );

  it('keeps the addon name and namespace, as a new major version', () => {
    assert.equal(addon.name, 'dashboard');
    assert.equal(addon.namespace, NS);
    assert.equal(old.namespace, NS);
    assert.ok(compareVersions(addon.version, '2.0.0') >= 0, addon.version);
    assert.deepEqual(addon.ready, [{ kind: 'Deployment', name: 'headlamp' }]);
  });

  it('runs a pinned Headlamp image listed in addon.yaml', () => {
    const { c } = headlamp(objects);
    assert.match(c.image, /^ghcr\.io\/headlamp-k8s\/headlamp:v\d+\.\d+\.\d+$/);
    const tag = c.image.slice(c.image.lastIndexOf(':') + 1);
    assert.ok(compareVersions(tag.slice(1), '0.45.0') >= 0, `${tag} is v0.45.0 or newer`);
    const pin = addon.images.find((i) => i.image === c.image);
    assert.ok(pin, 'listed in addon.yaml images');
    assert.equal(pin.version, tag);
    assert.match(pin.released, /^\d{4}-\d\d-\d\d$/);
  });

  it('probes the port Headlamp listens on: -port, the declared containerPort and the Service agree', () => {
    const { c } = headlamp(objects);
    assert.ok(c.args?.includes('-in-cluster'), 'in-cluster mode');
    const flag = c.args?.find((a) => a.startsWith('-port='));
    assert.equal(flag, '-port=4466', "Headlamp's port flag set to its documented port");
    const port = Number(flag.slice('-port='.length));
    assert.ok(c.livenessProbe && c.readinessProbe, 'liveness and readiness probes');
    for (const p of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
      if (!p) continue;
      assert.ok(p.httpGet, 'HTTP probe');
      assert.equal(probePort(c, p.httpGet.port), port);
    }
    const svc = objects.find((o) => o.kind === 'Service' && o.metadata?.name === 'headlamp') as
      { spec: { type?: string; ports: Array<{ port: number; targetPort: string | number }> } } | undefined;
    assert.ok(svc, 'Service headlamp (the port-forward target)');
    assert.equal(svc.spec.type ?? 'ClusterIP', 'ClusterIP');
    assert.equal(svc.spec.ports[0]?.port, 80);
    assert.equal(probePort(c, svc.spec.ports[0].targetPort), port);
  });

  it('binds only the built-in view role, to dashboard-viewer, by default (view excludes Secrets)', () => {
    assert.deepEqual(grants(objects), [`ServiceAccount ${NS}/dashboard-viewer -> ClusterRole view`]);
    assert.deepEqual(roles(objects), [], 'no roles of its own: nothing that could add Secrets or writes');
    const accounts = objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata?.name);
    assert.deepEqual(accounts.sort(), ['dashboard-viewer', 'headlamp']);
    assert.doesNotMatch(JSON.stringify(objects), /"(edit|admin|cluster-admin)"/);
  });

  it('gives Headlamp itself no permissions: it acts with the signed-in token', async () => {
    const { pod } = headlamp(objects);
    assert.equal(pod.serviceAccountName, 'headlamp');
    const permissive = await renderer.render(addon, { rbac: { readOnly: false, showSecrets: true, editorRole: 'admin' } });
    for (const o of [objects, permissive]) assert.ok(!grants(o).some((g) => g.includes('/headlamp ')), 'ServiceAccount headlamp bound to nothing');
    const calls = addon.apiCalls.find((c) => c.serviceAccount === 'headlamp');
    assert.deepEqual(calls?.can, [], 'addon.yaml: Headlamp calls nothing with its own token');
    assert.ok(calls?.cannot?.includes('get secrets -A'));
    const viewer = addon.apiCalls.find((c) => c.serviceAccount === 'dashboard-viewer');
    assert.ok(viewer?.cannot?.includes('get secrets -A') && viewer.can.includes('list pods -A'));
    for (const sa of objects.filter((o) => o.kind === 'ServiceAccount' && o.metadata?.name !== 'headlamp'))
      assert.equal(
        (sa as { automountServiceAccountToken?: boolean }).automountServiceAccountToken,
        false,
        `${sa.metadata?.name}: a sign-in identity, never mounted`,
      );
  });

  it('adds an edit or admin binding, and Secret reads, only when asked', async () => {
    const edit = grants(await renderer.render(addon, { rbac: { readOnly: false } }));
    assert.deepEqual(edit, [`ServiceAccount ${NS}/dashboard-editor -> ClusterRole edit`, `ServiceAccount ${NS}/dashboard-viewer -> ClusterRole view`]);
    const admin = await renderer.render(addon, { rbac: { readOnly: false, editorRole: 'admin' } });
    assert.ok(grants(admin).includes(`ServiceAccount ${NS}/dashboard-editor -> ClusterRole admin`));
    const names = (o: KubeObject[]): string[] => bindings(o).map((b) => b.metadata?.name ?? '');
    const editNames = names(await renderer.render(addon, { rbac: { readOnly: false } }));
    assert.ok(
      names(admin).every((n) => !editNames.includes(n) || n === 'dashboard-viewer'),
      'a binding per role: roleRef is immutable, so switching roles replaces the binding',
    );
    assert.deepEqual(
      grants(await renderer.render(addon, { rbac: { readOnly: true, editorRole: 'admin' } })),
      grants(objects),
      'editorRole alone binds nothing',
    );
    const secrets = await renderer.render(addon, { rbac: { showSecrets: true } });
    assert.ok(grants(secrets).includes(`ServiceAccount ${NS}/dashboard-viewer -> ClusterRole dashboard-secrets-reader`));
    const reader = roles(secrets).find((r) => r.metadata?.name === 'dashboard-secrets-reader') as
      { rules: Array<{ resources: string[]; verbs: string[] }> } | undefined;
    assert.deepEqual(reader?.rules, [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] }]);
    await assert.rejects(renderer.render(addon, { rbac: { readOnly: false, editorRole: 'cluster-admin' } }), /helm template failed/);
  });

  it('meets restricted Pod Security with a read-only root filesystem', () => {
    assert.equal(addon.podSecurity, 'restricted');
    const { pod, c } = headlamp(objects);
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.ok(Number(pod.securityContext?.runAsUser) > 0, 'numeric non-root UID (the image USER is a name)');
    assert.deepEqual(pod.securityContext?.seccompProfile, { type: 'RuntimeDefault' });
    assert.ok(!pod.hostNetwork && !pod.hostPID && !pod.hostIPC);
    assert.ok(!pod.volumes?.some((v) => v.hostPath), 'no hostPath');
    for (const x of [...pod.containers, ...(pod.initContainers ?? [])]) {
      assert.equal(x.securityContext?.allowPrivilegeEscalation, false, x.name);
      assert.deepEqual(x.securityContext?.capabilities?.drop, ['ALL'], x.name);
      assert.ok(!x.securityContext?.capabilities?.add?.length, `${x.name}: adds no capability`);
      assert.ok(!x.securityContext?.privileged, x.name);
      assert.ok(!x.ports?.some((p) => p.hostPort), `${x.name}: no hostPort`);
    }
    assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
    const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
    assert.ok(tmp && pod.volumes?.find((v) => v.name === tmp.name)?.emptyDir, 'writable /tmp (Headlamp copies its frontend there)');
  });

  it('runs on Linux nodes only', () => {
    for (const w of workloads(objects)) assert.equal(w.spec.template.spec.nodeSelector?.['kubernetes.io/os'], 'linux', `${w.metadata?.name}`);
  });

  it('replaces 1.0.0 without touching immutable fields of objects it keeps', async () => {
    const before = await renderer.render(old, {});
    for (const w of workloads(before)) {
      const same = workloads(objects).find((n) => n.kind === w.kind && n.metadata?.name === w.metadata?.name);
      if (same) assert.deepEqual(same.spec.selector, w.spec.selector, `${w.kind}/${w.metadata?.name} selector`);
    }
    for (const b of bindings(before)) {
      const same = bindings(objects).find((n) => n.kind === b.kind && n.metadata?.name === b.metadata?.name);
      if (same) assert.deepEqual(same.roleRef, b.roleRef, `${b.kind}/${b.metadata?.name} roleRef`);
    }
    assert.ok(!workloads(objects).some((w) => w.metadata?.name === 'kubernetes-dashboard'), 'Headlamp does not take over the old Deployment');
  });

  it("accepts 1.0.0's rbac and dashboard.replicas values, and refuses what cannot work any more", async () => {
    const oldEdge = { rbac: { readOnly: false, showSecrets: true }, dashboard: { replicas: 2 } };
    assert.deepEqual(addon.validateValues(oldEdge), []);
    const rendered = await renderer.render(addon, oldEdge);
    assert.equal((workloads(rendered)[0]?.spec as unknown as { replicas: number }).replicas, 2);
    assert.ok(grants(rendered).includes(`ServiceAccount ${NS}/dashboard-editor -> ClusterRole edit`), 'rbac.readOnly false still means write access');
    assert.ok(
      grants(rendered).includes(`ServiceAccount ${NS}/dashboard-viewer -> ClusterRole dashboard-secrets-reader`),
      'rbac.showSecrets still shows Secrets',
    );

    const oldDefaults = parse(readFileSync(join(old.chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const problems = addon.validateValues(oldDefaults).join('; ');
    assert.match(problems, /\/metricsScraper: unknown field/);
    assert.match(problems, /\/dashboard\/image/, 'the Kubernetes Dashboard image is refused, not started with Headlamp flags');
  });
});
