/** The audit's pure core: what it lists, how it judges, the reports it writes. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { auditedTargets, listTargets } from '../../src/audit/targets.js';
import { auditObjects, allFindings, groupFindings } from '../../src/audit/run.js';
import { AUDIT_USER, auditIdentityProblem } from '../../src/audit/identity.js';
import { buildReports, HASH_ANNOTATION, MAX_RESULTS, makeReport } from '../../src/audit/policyreport.js';
import { loadConfigFile } from '../../src/config/load.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { builtinPolicies } from '../../src/policies/index.js';
import { main } from '../../src/cli/main.js';
import { parseDuration } from '../../src/audit/duration.js';
import type { KubeObject } from '../../src/kube/types.js';

const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
if (!loaded.ok) throw new Error('shipped policy invalid');
const config = loaded.config;
const policies = builtinPolicies();

const ns = (name: string, annotations: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations } });
const snippetIngress: KubeObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'shop', namespace: 'team-a', annotations: { 'nginx.ingress.kubernetes.io/configuration-snippet': 'return 200;' } },
  spec: {
    ingressClassName: 'harbormaster',
    rules: [{ host: 'shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
  },
};
const bigPod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'big', namespace: 'team-b' },
  spec: { containers: [{ name: 'app', image: 'x', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '64', memory: '1Gi' } } }] },
};
const okPod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'fine', namespace: 'team-b' },
  spec: { containers: [{ name: 'app', image: 'x', resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } } }] },
};

describe('audit', () => {
  it('lists what the validating webhooks cover, from the registry', () => {
    const t = auditedTargets(policies);
    const names = t.map((x) => `${x.group}/${x.resource}`);
    for (const r of [
      '/pods',
      'apps/deployments',
      'batch/cronjobs',
      '/namespaces',
      '/secrets',
      '/services',
      'networking.k8s.io/ingresses',
      'harbormaster.io/clusters',
      '/limitranges',
    ]) {
      assert.ok(names.includes(r), `${r} in ${names.join(' ')}`);
    }
    assert.ok(!names.some((n) => n.includes('/resize') || n.includes('/status')), 'no subresources');
    assert.equal(t.find((x) => x.resource === 'clusters')?.version, '*');
    assert.deepEqual(t.find((x) => x.resource === 'secrets')?.fieldSelectors, ['type=gcp-credential', 'type=aws-credential', 'type=kubernetes.io/tls']);
    assert.equal(t.find((x) => x.resource === 'deployments')?.kind, 'Deployment');
    // The view's other feeds are listed but not judged.
    const all = listTargets(policies);
    assert.ok(all.some((x) => x.resource === 'serviceaccounts' && !x.audited));
    assert.ok(all.some((x) => x.resource === 'ingressclasses' && !x.audited));
  });

  it('judges existing objects as a tenant CREATE and groups findings by rule and namespace', () => {
    const view = [ns('team-a'), ns('team-b'), snippetIngress];
    const evaluations = auditObjects({ policies, config, view, objects: [ns('team-a'), snippetIngress, bigPod, okPod] });
    const findings = allFindings(evaluations);
    const rules = new Set(findings.map((f) => f.rule));
    assert.ok(rules.has('ingress.nginx-risk') || rules.has('ingress.nginx-allow-list'), [...rules].join(' '));
    assert.ok(rules.has('resource-defaults.container-limits') || rules.has('resource-defaults.pod-max'), [...rules].join(' '));
    assert.ok(findings.every((f) => f.result === 'fail' && f.mode === 'enforce'));
    assert.ok(!findings.some((f) => f.object.name === 'fine'), 'a compliant Pod has no finding');
    const grouped = groupFindings(findings);
    assert.deepEqual(
      grouped.map((g) => g.rule),
      [...grouped.map((g) => g.rule)].sort(),
    );
    assert.ok(grouped.every((g) => g.namespaces.every((n) => n.findings.every((f) => (f.object.namespace ?? '') === n.namespace))));
  });

  it('runs as a tenant, skipping rules that judge only the writer: a platform annotation the platform set is no finding', () => {
    const evaluations = auditObjects({ policies, config, view: [], objects: [ns('team-c', { 'harbormaster.io/quota-profile': 'small' })] });
    assert.deepEqual(allFindings(evaluations), []);
    // The object rules still run as a tenant: an unknown profile is found.
    const unknown = auditObjects({ policies, config, view: [], objects: [ns('team-d', { 'harbormaster.io/quota-profile': 'huge' })] });
    assert.deepEqual(
      allFindings(unknown).map((f) => f.rule),
      ['resource-defaults.known-profile'],
    );
    assert.equal(auditIdentityProblem(config), undefined);
    const platform = { ...config, platform: { ...config.platform, users: [AUDIT_USER.username] } };
    assert.match(auditIdentityProblem(platform) ?? '', /must run as a tenant/);
  });

  it('skips system namespaces as the webhooks do', () => {
    const sys = { ...bigPod, metadata: { name: 'big', namespace: 'kube-system' } };
    assert.deepEqual(auditObjects({ policies, config, view: [], objects: [sys] }), []);
  });

  it('builds one PolicyReport per namespace and a ClusterPolicyReport, with a stable hash', () => {
    const evaluations = auditObjects({ policies, config, view: [ns('team-a'), ns('team-b')], objects: [ns('team-a'), snippetIngress, bigPod, okPod] });
    const a = buildReports(evaluations, 1_000_000);
    const b = buildReports(evaluations, 9_000_000);
    assert.deepEqual(
      a.map((r) => `${r.kind}/${r.metadata.namespace ?? ''}`),
      ['PolicyReport/team-a', 'PolicyReport/team-b', 'ClusterPolicyReport/'],
    );
    const teamB = a[1];
    assert.ok(teamB);
    assert.equal(teamB.apiVersion, 'wgpolicyk8s.io/v1alpha2');
    assert.equal(teamB.summary.pass, 1, 'the compliant Pod');
    assert.ok(teamB.summary.fail >= 1);
    assert.equal(teamB.results.length, teamB.summary.pass + teamB.summary.fail + teamB.summary.warn);
    assert.equal(teamB.results[0]?.result, 'fail', 'failures first');
    assert.deepEqual(teamB.results[0]?.resources[0], { apiVersion: 'v1', kind: 'Pod', namespace: 'team-b', name: 'big' });
    // Only the timestamps differ: same hash, so a writer makes no write.
    assert.deepEqual(
      a.map((r) => r.metadata.annotations[HASH_ANNOTATION]),
      b.map((r) => r.metadata.annotations[HASH_ANNOTATION]),
    );
    assert.notEqual(a[0]?.results[0]?.timestamp.seconds, b[0]?.results[0]?.timestamp.seconds);
    // Without the Namespace's evaluations the ClusterPolicyReport says something else.
    const fewer = buildReports(
      evaluations.filter((e) => e.object.kind !== 'Namespace'),
      1_000_000,
    );
    assert.notEqual(fewer.at(-1)?.metadata.annotations[HASH_ANNOTATION], a.at(-1)?.metadata.annotations[HASH_ANNOTATION]);
  });

  it('caps the results of one report, failures kept, counts complete', () => {
    const many = Array.from({ length: MAX_RESULTS + 5 }, (_, i) => ({
      policy: 'ingress',
      object: { apiVersion: 'v1', kind: 'Pod', namespace: 'x', name: `p${i}` },
      findings: [],
    }));
    const r = makeReport('x', many, 0);
    assert.equal(r.results.length, MAX_RESULTS);
    assert.equal(r.summary.pass, MAX_RESULTS + 5);
    assert.equal(r.metadata.annotations['harbormaster.io/audit-pass-results-omitted'], '5');
  });
});

describe('the command line', () => {
  const capture = () => {
    const io = { outText: '', errText: '', out: (t: string) => void (io.outText += t), err: (t: string) => void (io.errText += t) };
    return io;
  };
  it('an unknown command is a usage error, with or without --help', async () => {
    for (const args of [['nosuch', '--help'], ['nosuch'], ['--help', 'nosuch']]) {
      const io = capture();
      assert.equal(await main(['node', 'harbormaster', ...args], io), 2, args.join(' '));
      assert.match(io.errText, /unknown command "nosuch"/);
    }
  });
  it('serve --audit-interval takes a duration; anything else is exit 2 before anything starts', async () => {
    assert.equal(parseDuration('10m'), 600_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('500ms'), 500);
    for (const bad of ['10', '5mx', '', 'm', '-1s']) assert.equal(parseDuration(bad), undefined, bad);
    const io = capture();
    assert.equal(await main(['node', 'harbormaster', 'serve', '--state', '.', '--audit-interval', 'soon'], io), 2);
    assert.match(io.errText, /--audit-interval must be a duration/);
  });
  it('audit --help describes the audit; a bad --output is exit 2', async () => {
    const io = capture();
    assert.equal(await main(['node', 'harbormaster', 'audit', '--help'], io), 0);
    assert.match(io.outText, /--output <format>/);
    assert.match(io.outText, /--apply/);
    const bad = capture();
    assert.equal(await main(['node', 'harbormaster', 'audit', '--output', 'yaml'], bad), 2);
    assert.match(bad.errText, /--output must be text, json, policyreport/);
  });
  it('a cluster that cannot be read is exit 2 with the reason, never the "findings" exit 1', async () => {
    // A port nothing listens on: the list fails at once (connection refused).
    const dir = mkdtempSync(join(tmpdir(), 'hm-audit-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]\n' +
        'users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
    try {
      const io = capture();
      assert.equal(await main(['node', 'harbormaster', 'audit', '--kubeconfig', kubeconfig], io), 2);
      assert.match(io.errText, /^audit: .*ECONNREFUSED/m);
      assert.equal(io.outText, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
