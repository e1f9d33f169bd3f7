/** The security-review report: sections in order, reads as declared, settings once, exemptions flagged, strings escaped. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { evaluate } from '../../src/admission/engine.js';
import { PolicyRegistry } from '../../src/admission/registry.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import { loadConfigFile } from '../../src/config/load.js';
import type { PolicyConfig } from '../../src/config/types.js';
import type { KubeObject } from '../../src/kube/types.js';
import { PACKAGE_ROOT, DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { builtinPolicies } from '../../src/policies/index.js';
import type { ClusterView } from '../../src/policy/view.js';
import { POLICY_READS, type CachedKind } from '../../src/report/reads.js';
import { buildReport, renderHtml, renderMarkdown } from '../../src/report/report.js';
import { SECTION_TITLES } from '../../src/report/markdown.js';
import { describeRbac } from '../../src/report/rbac.js';
import { buildRequest } from '../../src/review/review.js';

const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
if (!loaded.ok) throw new Error('shipped policy invalid');
const config = loaded.config;
const registry = new PolicyRegistry(builtinPolicies());
const rbacYaml = readFileSync(join(PACKAGE_ROOT, 'manifests', 'rbac.yaml'), 'utf8');

const READ_KIND: Record<string, CachedKind> = {
  getNamespace: 'Namespace',
  getServiceAccount: 'ServiceAccount',
  getSecret: 'Secret',
  listServices: 'Service',
  listIngresses: 'Ingress',
  listIngressClasses: 'IngressClass',
  getCluster: 'Cluster',
  getPersistentVolumeClaim: 'PersistentVolumeClaim',
};

/** A view that notes what is read; the ownership index counts as Services and Ingresses (it is made of both). */
function recording(view: ClusterView, seen: Set<CachedKind>): ClusterView {
  return new Proxy(view, {
    get(target, prop, receiver) {
      if (prop === 'ownership') {
        seen.add('Service');
        seen.add('Ingress');
      }
      const kind = typeof prop === 'string' ? READ_KIND[prop] : undefined;
      if (kind) seen.add(kind);
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const ns: KubeObject = {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'team-a', annotations: { 'harbormaster.io/quota-profile': 'small', 'sidecars.harbormaster.io/inject': 'fluent-bit' } },
};
const state: KubeObject[] = [
  ns,
  { apiVersion: 'v1', kind: 'Secret', type: 'gcp-credential', metadata: { name: 'gcp', namespace: 'team-a' } },
  { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'tls', namespace: 'team-a' } },
  {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'default', namespace: 'team-a', annotations: { 'credentials.harbormaster.io/secret': 'gcp' } },
  },
  { apiVersion: 'harbormaster.io/v1alpha1', kind: 'Cluster', metadata: { name: 'local', annotations: { 'addons.harbormaster.io/efk': 'enabled' } } },
  {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace: 'team-a', annotations: { 'data.harbormaster.io/source': 'gs://bucket/x' } },
  },
];
const samples: KubeObject[] = [
  ns,
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'team-a', annotations: { 'credentials.harbormaster.io/inject': 'gcp' } },
    spec: { serviceAccountName: 'default', containers: [{ name: 'app', image: 'x' }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'uses-data', namespace: 'team-a' },
    spec: { containers: [{ name: 'app', image: 'x' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] },
  },
  {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace: 'team-a', annotations: { 'data.harbormaster.io/source': 'gs://bucket/x', 'data.harbormaster.io/credentials': 'gcp' } },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's', namespace: 'team-a', annotations: { 'lb.harbormaster.io/vip': '203.0.113.10' } },
    spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'i', namespace: 'team-a', annotations: { 'nginx.ingress.kubernetes.io/use-regex': 'true' } },
    spec: {
      ingressClassName: 'harbormaster',
      tls: [{ hosts: ['a.example.com'], secretName: 'tls' }],
      rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 's', port: { number: 80 } } } }] } }],
    },
  },
  { apiVersion: 'v1', kind: 'Secret', type: 'gcp-credential', metadata: { name: 'g', namespace: 'team-a' }, data: {} },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'team-a' },
    spec: { template: { spec: { containers: [{ name: 'a', image: 'x' }] } } },
  },
  { apiVersion: 'harbormaster.io/v1alpha1', kind: 'Cluster', metadata: { name: 'local', annotations: { 'addons.harbormaster.io/efk': 'enabled' } } },
];

function build(c: PolicyConfig = config) {
  return buildReport({ registry, config: c, rbacYaml, now: Date.parse('2026-06-01T12:00:00Z') });
}

describe('policies report', () => {
  it('declares exactly what each policy reads from the cache', () => {
    const view = storeFromObjects(state);
    for (const policy of registry.policies) {
      const key = `${policy.type}/${policy.name}`;
      assert.ok(Object.hasOwn(POLICY_READS, key), `${key} declared`);
      const seen = new Set<CachedKind>();
      for (const o of samples) {
        for (const operation of ['CREATE', 'UPDATE'] as const) {
          const request = buildRequest(o, { operation, namespace: 'team-a' });
          evaluate({ policy, request, cluster: recording(view, seen), config });
        }
      }
      assert.deepEqual([...seen].sort(), [...(POLICY_READS[key] ?? [])].sort(), key);
    }
  });

  it('answers in the reviewer order, every rule once with its mode, settings once per policy', () => {
    const md = renderMarkdown(build());
    const at = SECTION_TITLES.map((t) => md.indexOf(`## ${t}`));
    assert.ok(
      at.every((i) => i >= 0),
      'every section',
    );
    assert.deepEqual(
      [...at].sort((a, b) => a - b),
      at,
      'in order',
    );
    for (const p of registry.policies) for (const r of p.rules) assert.equal(md.split(`| \`${r.id}\` |`).length - 1, 1, r.id);
    // Settings appear once, as lines, not as a JSON blob per rule.
    assert.equal(md.split('- platform groups: system:masters').length - 1, 1);
    assert.doesNotMatch(md, /\{"/);
    assert.match(md, /Not run: pass `--kubeconfig`/);
  });

  it('lists exemptions with reason and expiry, flagging expired ones', () => {
    const c = {
      ...config,
      exemptions: [
        { rule: 'ingress.*', namespaces: ['legacy'], reason: 'migrating by Q3', expires: '2026-05-31' },
        { rule: 'loadbalancer.vip-pool', namespaces: ['edge'], reason: 'hardware swap', expires: '2026-06-01' },
      ],
    } as unknown as PolicyConfig;
    const r = build(c);
    assert.deepEqual(
      r.exemptions.map((e) => e.state),
      ['expired', 'active'],
      'a date-only expiry lasts through that UTC day',
    );
    assert.ok((r.exemptions[0]?.rules.length ?? 0) > 10 && r.exemptions[0]?.rules.every((id) => id.startsWith('ingress.')));
    // SPEC 7: each rule carries its exemptions (with reason and expiry) in the JSON too.
    assert.deepEqual(
      r.rules.find((x) => x.id === 'loadbalancer.vip-pool')?.exemptions.map((e) => [e.reason, e.expires, e.state]),
      [['hardware swap', '2026-06-01', 'active']],
    );
    const md = renderMarkdown(r);
    assert.match(md, /\| `ingress\.\*` \|.*\| legacy \| all \| migrating by Q3 \| 2026-05-31 \| \*\*EXPIRED\*\*/);
    assert.match(renderHtml(r), /<span class="expired">EXPIRED/);
  });

  it('escapes every string from the policy file in HTML and Markdown', () => {
    const hostile = '<img src=x onerror=alert(1)>|`x`';
    const c = {
      ...config,
      exemptions: [{ rule: 'ingress.host', namespaces: [hostile], reason: hostile }],
      platform: { ...config.platform, users: [hostile] },
    } as PolicyConfig;
    const html = renderHtml(build(c));
    assert.doesNotMatch(html, /<img/);
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.doesNotMatch(html, /<script|<link|src="http|href="http/i, 'self-contained: no script, no external asset');
    assert.match(html, /@media print/);
    // In Markdown a code span shows its text literally; anywhere else the text is escaped.
    const md = renderMarkdown(build(c)).replace(/``(?:(?!``).)*``|`[^`]*`/g, '');
    assert.doesNotMatch(md, /<img/);
    assert.match(md, /&lt;img src=x onerror=alert\(1\)&gt;/);
  });

  it('says what the server may do in plain words, with the reason from the manifest', () => {
    const roles = describeRbac(rbacYaml);
    const cluster = roles.find((r) => r.kind === 'ClusterRole');
    assert.ok(cluster);
    assert.deepEqual(cluster.boundTo, ['ServiceAccount harbormaster-system/harbormaster']);
    const secrets = cluster.statements.find((s) => s.resources.includes('secrets') && s.verbs.includes('watch'));
    assert.equal(secrets?.text, 'list and watch secrets (core)');
    assert.match(secrets?.why ?? '', /type field selector only/);
    const role = roles.find((r) => r.kind === 'Role');
    assert.ok(role?.statements.some((s) => s.text === 'read by name and replace secrets (core), only those named harbormaster-tls'));
    assert.equal(role?.statements[0]?.where, 'in namespace harbormaster-system only');
    assert.ok(cluster.statements.some((s) => s.resources.includes('policyreports') && /audit/i.test(s.why)));
  });

  it('reports what an outage does per webhook, with its matchConditions', () => {
    const r = build();
    assert.equal(r.outage.length, registry.policies.length);
    const tenancy = r.outage.find((o) => o.webhook === '/validate/tenancy');
    assert.equal(tenancy?.failurePolicy, 'Fail');
    assert.ok(tenancy?.matchConditions.some((m) => m.name === 'platform-annotations-change'));
    assert.match(r.outage.find((o) => o.failurePolicy === 'Ignore')?.effect ?? '', /admitted/);
  });
});
