/** Addon manager decisions, pure: annotations, ordering, pruning, deletion, drift, status. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/kube/types.js';
import { credentialPaths, parseAddonAnnotations } from '../../src/catalog/annotations.js';
import { desiredObjects, isDrifted, orderForApply, orderForDelete, toDelete, toPrune, BundleError } from '../../src/addons/plan.js';
import { nextStatus, runningPhase, summary, workloadReady, type AddonStatus } from '../../src/addons/status.js';
import { defaultCatalog } from '../../src/policies/index.js';

const catalog = defaultCatalog();
const prometheus = catalog.find((a) => a.name === 'prometheus')!;
const labels = { 'app.kubernetes.io/managed-by': 'harbormaster', 'addons.harbormaster.io/name': 'prometheus' };
const obj = (kind: string, name: string, extra: Partial<KubeObject> = {}, namespace: string | undefined = 'monitoring'): KubeObject => ({
  apiVersion: 'v1',
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}), labels },
  ...extra,
});

describe('addon annotations', () => {
  it('parses enabled/disabled, values and purge', () => {
    const r = parseAddonAnnotations(
      {
        'addons.harbormaster.io/prometheus': 'enabled',
        'addons.harbormaster.io/prometheus.values': 'server: { retention: 30d }',
        'addons.harbormaster.io/efk': 'disabled',
        'addons.harbormaster.io/efk.purge': 'true',
        'unrelated.io/x': 'y',
      },
      catalog,
    );
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.settings, [
      { name: 'efk', enabled: false, values: {}, purge: true, version: undefined },
      { name: 'prometheus', enabled: true, values: { server: { retention: '30d' } }, purge: false, version: undefined },
    ]);
  });

  it('.version pins a version the catalog keeps; values are checked against that version', () => {
    const prometheus = catalog.find((a) => a.name === 'prometheus');
    const older = prometheus?.older[0]?.version ?? '';
    assert.notEqual(older, '', 'the catalog keeps the previous prometheus bundle');
    const ok = parseAddonAnnotations({ 'addons.harbormaster.io/prometheus': 'enabled', 'addons.harbormaster.io/prometheus.version': older }, catalog);
    assert.deepEqual(ok.problems, []);
    assert.equal(ok.settings[0]?.version, older);
    const bad = parseAddonAnnotations({ 'addons.harbormaster.io/prometheus': 'enabled', 'addons.harbormaster.io/prometheus.version': '0.0.1' }, catalog);
    assert.equal(bad.problems[0]?.rule, 'addons.version');
    assert.match(bad.problems[0]?.message ?? '', /no version "0\.0\.1".*keeps/);
    assert.equal(bad.settings.length, 0);
  });

  it('accepts JSON values too', () => {
    const r = parseAddonAnnotations(
      { 'addons.harbormaster.io/dashboard': 'enabled', 'addons.harbormaster.io/dashboard.values': '{"rbac":{"readOnly":true}}' },
      catalog,
    );
    assert.deepEqual(r.problems, []);
  });

  const bad: Array<[string, Record<string, string>, RegExp]> = [
    ['an unknown addon', { 'addons.harbormaster.io/grafana': 'enabled' }, /unknown addon "grafana"; the catalog has dashboard, datadog, efk, prometheus/],
    ['a bad state', { 'addons.harbormaster.io/efk': 'on' }, /must be "enabled" or "disabled"/],
    ['a bad purge', { 'addons.harbormaster.io/efk': 'disabled', 'addons.harbormaster.io/efk.purge': 'yes' }, /purge"\] must be "true" or "false"/],
    ['an unknown field', { 'addons.harbormaster.io/efk.replicas': '3' }, /unknown field "replicas"/],
    ['values that are not YAML', { 'addons.harbormaster.io/efk': 'enabled', 'addons.harbormaster.io/efk.values': 'a: [' }, /is not YAML or JSON/],
    ['values that are a list', { 'addons.harbormaster.io/efk': 'enabled', 'addons.harbormaster.io/efk.values': '- a' }, /must be a mapping/],
    [
      'values against the schema',
      { 'addons.harbormaster.io/efk': 'enabled', 'addons.harbormaster.io/efk.values': 'elasticsearch: { replicas: 0 }' },
      /\/elasticsearch\/replicas: must be >= 1/,
    ],
    [
      'an unknown values field',
      { 'addons.harbormaster.io/efk': 'enabled', 'addons.harbormaster.io/efk.values': 'kibana: { ingress: true }' },
      /\/kibana\/ingress: unknown field/,
    ],
    [
      'a literal API key',
      { 'addons.harbormaster.io/datadog': 'enabled', 'addons.harbormaster.io/datadog.values': 'apiKey: 0123456789abcdef' },
      /\/apiKey looks like a credential; reference a Secret instead/,
    ],
  ];
  for (const [name, ann, re] of bad) {
    it(`refuses ${name}`, () => {
      const r = parseAddonAnnotations(ann, catalog);
      assert.ok(
        r.problems.some((p) => re.test(p.message)),
        JSON.stringify(r.problems),
      );
    });
  }

  it('tells credentials from references', () => {
    assert.deepEqual(
      credentialPaths({
        apiKeySecret: { name: 'dd', key: 'api-key' },
        password: 'x',
        nested: [{ token: 't' }],
        tokenSecretName: 'ok',
        auth: { clientSecret: 's' },
      }),
      ['/password', '/nested/0/token', '/auth/clientSecret'],
    );
  });
});

describe('addon plan', () => {
  const rendered: KubeObject[] = [
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 1 } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'b', namespace: 'x' } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa' } },
    { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'st' }, spec: { volumeClaimTemplates: [{ metadata: { name: 'data' } }] } },
  ];

  it('orders Namespace first, identities and RBAC before workloads; labels everything; sets namespaces', () => {
    const d = desiredObjects(prometheus, rendered);
    assert.deepEqual(
      d.map((o) => o.kind),
      ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Service', 'Deployment', 'StatefulSet'],
    );
    assert.ok(
      d.every(
        (o) => o.metadata?.labels?.['addons.harbormaster.io/name'] === 'prometheus' && o.metadata.labels['app.kubernetes.io/managed-by'] === 'harbormaster',
      ),
    );
    assert.equal(d.find((o) => o.kind === 'Service')?.metadata?.namespace, 'monitoring');
    assert.equal(d.find((o) => o.kind === 'ClusterRoleBinding')?.metadata?.namespace, undefined, 'cluster-scoped objects have no namespace');
    const sts = d.find((o) => o.kind === 'StatefulSet')?.spec as { volumeClaimTemplates: Array<{ metadata: { labels: Record<string, string> } }> };
    assert.equal(
      sts.volumeClaimTemplates[0]?.metadata.labels['addons.harbormaster.io/name'],
      'prometheus',
      'claims made from templates can be found for a purge',
    );
    assert.deepEqual(orderForDelete(d).map((o) => o.kind)[0], 'StatefulSet');
  });

  it('refuses kinds it does not manage and duplicates', () => {
    assert.throws(() => desiredObjects(prometheus, [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }]), BundleError);
    assert.throws(() => desiredObjects(prometheus, [rendered[1]!, rendered[1]!]), /appears twice/);
  });

  it('prunes owned objects that left the bundle, never unlabelled ones or PVCs', () => {
    const desired = desiredObjects(prometheus, rendered.slice(0, 2));
    const owned = [
      obj('Service', 's'),
      obj('ConfigMap', 'old'),
      obj('PersistentVolumeClaim', 'data-st-0'),
      { ...obj('ConfigMap', 'users'), metadata: { name: 'users', namespace: 'monitoring', labels: { 'addons.harbormaster.io/name': 'prometheus' } } },
    ];
    assert.deepEqual(
      toPrune(owned, desired, 'prometheus').map((o) => o.metadata?.name),
      ['old'],
    );
  });

  it('on disable deletes in reverse order, keeps PVCs unless purge, never the Namespace', () => {
    const owned = [
      obj('Namespace', 'monitoring', {}, undefined),
      obj('ServiceAccount', 'sa'),
      obj('Deployment', 'd'),
      obj('PersistentVolumeClaim', 'data-0'),
      obj('ConfigMap', 'c'),
      { ...obj('ConfigMap', 'theirs'), metadata: { name: 'theirs', namespace: 'monitoring' } },
    ];
    assert.deepEqual(
      toDelete(owned, 'prometheus', { purge: false }).map((o) => o.kind),
      ['Deployment', 'ServiceAccount', 'ConfigMap'],
    );
    assert.deepEqual(
      toDelete(owned, 'prometheus', { purge: true }).map((o) => o.kind),
      ['Deployment', 'PersistentVolumeClaim', 'ServiceAccount', 'ConfigMap'],
    );
  });

  it('drift: server defaults are not drift; changed or removed fields and missing labels are', () => {
    const want: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', labels },
      spec: {
        replicas: 1,
        template: { spec: { containers: [{ name: 'c', resources: { limits: { cpu: '1', memory: '1Gi' } }, ports: [{ containerPort: 80 }] }] } },
      },
    };
    const have = structuredClone(want) as KubeObject & { spec: Record<string, unknown> };
    have.metadata = { ...have.metadata, uid: 'u', resourceVersion: '5', labels: { ...labels, extra: 'x' } };
    have.spec.strategy = { type: 'RollingUpdate' };
    (have.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec.containers[0]!.imagePullPolicy = 'IfNotPresent';
    (
      have.spec as { template: { spec: { containers: Array<{ resources: { limits: Record<string, string> } }> } } }
    ).template.spec.containers[0]!.resources.limits.cpu = '1000m';
    have.status = { readyReplicas: 0 };
    assert.equal(isDrifted(want, have), false);
    assert.equal(isDrifted(want, { ...have, spec: { ...have.spec, replicas: 3 } }), true);
    assert.equal(isDrifted(want, { ...have, metadata: { ...have.metadata, labels: {} } }), true);
    assert.equal(isDrifted(want, undefined), true);
    const noPorts = structuredClone(have);
    (noPorts.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec.containers[0]!.ports = [];
    assert.equal(isDrifted(want, noPorts), true);
  });

  it('zero values the API server omits are not drift (env value "", readOnly false, empty maps)', () => {
    const want: KubeObject = {
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: {
        template: { spec: { containers: [{ name: 'c', env: [{ name: 'A', value: '' }], securityContext: { readOnlyRootFilesystem: false }, resources: {} }] } },
      },
    };
    const have: KubeObject = {
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { template: { spec: { containers: [{ name: 'c', env: [{ name: 'A' }], securityContext: {} }] } } },
    };
    assert.equal(isDrifted(want, have), false);
    const changed = structuredClone(have);
    (changed.spec as { template: { spec: { containers: Array<{ env: Array<Record<string, string>> }> } } }).template.spec.containers[0]!.env[0]!.value = 'x';
    assert.equal(isDrifted(want, changed), true);
  });

  it('applies in a stable order', () => {
    const a = orderForApply([obj('Service', 'b'), obj('Service', 'a'), obj('Namespace', 'n', {}, undefined)]).map((o) => o.metadata?.name);
    assert.deepEqual(a, ['n', 'a', 'b']);
  });
});

describe('addon status', () => {
  const dep = (spec: number, ready: number, gen = 1, observed = 1): KubeObject => ({
    kind: 'Deployment',
    metadata: { name: 'd', generation: gen },
    spec: { replicas: spec },
    status: { replicas: spec, readyReplicas: ready, availableReplicas: ready, updatedReplicas: ready, observedGeneration: observed },
  });
  it("readiness follows the controller's status", () => {
    assert.equal(workloadReady(dep(2, 2)), true);
    assert.equal(workloadReady(dep(2, 1)), false);
    assert.equal(workloadReady(dep(1, 1, 2, 1)), false, 'not yet observed');
    assert.equal(
      workloadReady({
        kind: 'DaemonSet',
        metadata: { generation: 1 },
        status: { observedGeneration: 1, desiredNumberScheduled: 3, numberReady: 3, numberAvailable: 3, updatedNumberScheduled: 3 },
      }),
      true,
    );
    assert.equal(workloadReady({ kind: 'StatefulSet', metadata: { generation: 1 }, spec: { replicas: 1 }, status: { observedGeneration: 1 } }), false);
    assert.equal(workloadReady(undefined), false);
  });
  it('readiness means the rollout finished, not only that replicas are ready', () => {
    // Mid-rollout Deployment: 2 ready, but one is still an old Pod (3 Pods in all, 1 updated).
    const midDeploy: KubeObject = {
      kind: 'Deployment',
      metadata: { generation: 2 },
      spec: { replicas: 2 },
      status: { observedGeneration: 2, replicas: 3, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2 },
    };
    assert.equal(workloadReady(midDeploy), false);
    assert.equal(
      workloadReady({ ...midDeploy, status: { observedGeneration: 2, replicas: 3, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 3 } }),
      false,
      'old Pod still there',
    );
    assert.equal(
      workloadReady({ ...midDeploy, status: { observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 } }),
      true,
    );
    const sts = (status: Record<string, unknown>, spec: Record<string, unknown> = {}): KubeObject => ({
      kind: 'StatefulSet',
      metadata: { generation: 3 },
      spec: { replicas: 1, ...spec },
      status: { observedGeneration: 3, replicas: 1, readyReplicas: 1, updatedReplicas: 1, ...status },
    });
    assert.equal(workloadReady(sts({ currentRevision: 'p-1', updateRevision: 'p-2', updatedReplicas: 0 })), false, 'readyReplicas alone is not Ready');
    assert.equal(workloadReady(sts({ currentRevision: 'p-1', updateRevision: 'p-2' })), false, 'revisions differ');
    assert.equal(workloadReady(sts({ currentRevision: 'p-2', updateRevision: 'p-2' })), true);
    assert.equal(
      workloadReady(sts({ currentRevision: 'p-1', updateRevision: 'p-2' }, { updateStrategy: { type: 'OnDelete' } })),
      true,
      'OnDelete never rolls by itself',
    );
    const ds = (status: Record<string, unknown>): KubeObject => ({
      kind: 'DaemonSet',
      metadata: { generation: 1 },
      status: { observedGeneration: 1, desiredNumberScheduled: 3, numberReady: 3, numberAvailable: 3, updatedNumberScheduled: 3, ...status },
    });
    assert.equal(workloadReady(ds({})), true);
    assert.equal(workloadReady(ds({ updatedNumberScheduled: 2 })), false);
    assert.equal(workloadReady(ds({ numberAvailable: 2 })), false);
  });
  it('Installing until first ready, Degraded after', () => {
    assert.equal(runningPhase(undefined, false), 'Installing');
    assert.equal(runningPhase({ phase: 'Ready' } as AddonStatus, false), 'Degraded');
    assert.equal(runningPhase({ phase: 'Installing' } as AddonStatus, true), 'Ready');
  });
  it('moves lastTransitionTime only on phase change; bumps revision on a new manifest', () => {
    const base = { name: 'p', version: '1', message: '', objects: { applied: 1, total: 1 }, workloads: { ready: 0, total: 1 } };
    const a = nextStatus(undefined, { ...base, phase: 'Installing', manifestHash: 'h1' }, new Date('2026-01-01T00:00:00Z'));
    assert.equal(a.revision, 1);
    const b = nextStatus(a, { ...base, phase: 'Installing', manifestHash: 'h1' }, new Date('2026-01-02T00:00:00Z'));
    assert.equal(b.lastTransitionTime, a.lastTransitionTime);
    const c = nextStatus(b, { ...base, phase: 'Ready', manifestHash: 'h2' }, new Date('2026-01-03T00:00:00Z'));
    assert.equal(c.lastTransitionTime, '2026-01-03T00:00:00Z');
    assert.equal(c.revision, 2);
    assert.equal(summary([c, { ...c, name: 'q', phase: 'Installing' }, { ...c, name: 'r', phase: 'Disabled' }]), '1/2');
  });
});
