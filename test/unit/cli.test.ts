/** The CLI as a user runs it: the real bin, real files, stdin, exit codes. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { tempDir } from '../support/tls.js';

const BIN = join(PACKAGE_ROOT, 'bin', 'harbormaster.js');
function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', cwd: PACKAGE_ROOT });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: nginx
`;

describe('harbormaster CLI', () => {
  let tmp: { dir: string; cleanup(): void };
  before(() => {
    // The bin runs the compiled dist/: make sure it is current.
    execFileSync(process.execPath, [join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(PACKAGE_ROOT, 'tsconfig.build.json')]);
    tmp = tempDir('hm-cli-');
    writeFileSync(
      join(tmp.dir, 'ns.yaml'),
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n  annotations:\n    harbormaster.io/quota-profile: small\n',
    );
  });
  after(() => tmp.cleanup());

  it('review -f - --output json prints the SPEC 6 document and exits 0', () => {
    const r = run(['review', '-f', '-', '--output', 'json', '--namespace', 'team-a', '--state', tmp.dir], POD);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.results.length, 1);
    const res = doc.results[0];
    assert.deepEqual(Object.keys(res), ['kind', 'namespace', 'name', 'allowed', 'denials', 'warnings', 'patch']);
    assert.deepEqual([res.kind, res.namespace, res.name, res.allowed], ['Pod', 'team-a', 'web', true]);
    assert.deepEqual(res.patch, [
      {
        op: 'add',
        path: '/spec/containers/0/resources',
        value: { limits: { cpu: '200m', memory: '256Mi' }, requests: { cpu: '50m', memory: '64Mi' } },
        rule: 'resource-defaults.container-defaults',
      },
    ]);
  });

  it('review exits 1 on a denial and prints rule and message', () => {
    const denied = POD.replace('image: nginx', 'image: nginx\n      resources: { limits: { cpu: "8" } }');
    const r = run(['review', '-f', '-', '--namespace', 'team-a', '--state', tmp.dir], denied);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /Pod team-a\/web: DENIED/);
    assert.match(r.stdout, /\[resource-defaults\.container-limits\] spec\.containers\[0\]\.resources\.limits\.cpu "8" exceeds the maximum 1/);
  });

  it('review reads multi-document files and lists', () => {
    const f = join(tmp.dir, 'multi.yaml');
    writeFileSync(
      f,
      `${POD}---\n${POD.replace('web', 'two')}---\napiVersion: v1\nkind: List\nitems:\n  - ${JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'three' }, spec: { containers: [] } })}\n`,
    );
    const r = run(['review', '-f', f, '--output', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      JSON.parse(r.stdout).results.map((x: { name: string }) => x.name),
      ['web', 'two', 'three'],
    );
  });

  it('review of a Namespace with a platform annotation: denied as a tenant, allowed --as-group system:masters', () => {
    const ns = join(PACKAGE_ROOT, 'examples', 'namespace-small.yaml');
    const tenant = run(['review', '-f', ns]);
    assert.equal(tenant.code, 1);
    assert.match(
      tenant.stdout,
      /Namespace team-small: DENIED\n {2}denied {2}\[tenancy\.platform-annotations\] metadata\.annotations\["harbormaster\.io\/quota-profile"\] may be set only by the platform \(user "harbormaster-review" is not in platform\.users\/groups\/serviceAccounts\)/,
    );
    const admin = run(['review', '-f', ns, '--as', 'admin', '--as-group', 'system:masters']);
    assert.equal(admin.code, 0, admin.stdout + admin.stderr);
    assert.match(admin.stdout, /Namespace team-small: allowed/);
  });

  for (const [name, args, input] of [
    ['a missing file', ['review', '-f', '/nonexistent.yaml'], undefined],
    ['invalid YAML', ['review', '-f', '-'], 'a: ['],
    ['an object without kind', ['review', '-f', '-'], 'metadata: {}\n'],
    ['a bad --operation', ['review', '-f', '-', '--operation', 'PATCH'], POD],
    ['a bad --output', ['review', '-f', '-', '--output', 'xml'], POD],
    ['no -f', ['review'], undefined],
  ] as Array<[string, string[], string | undefined]>) {
    it(`review exits 2 on ${name}`, () => {
      const r = run(args, input);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  it('certs generate writes a chain openssl accepts, with the four Service SANs', () => {
    const out = join(tmp.dir, 'c');
    const r = run(['certs', 'generate', '--out', out, '--service', 'harbormaster', '--namespace', 'harbormaster-system']);
    assert.equal(r.code, 0, r.stderr);
    const verify = spawnSync('openssl', ['verify', '-CAfile', join(out, 'ca.crt'), join(out, 'tls.crt')], { encoding: 'utf8' });
    if (verify.error === undefined) assert.match(verify.stdout, /OK/);
    const cert = new X509Certificate(readFileSync(join(out, 'tls.crt')));
    const ca = new X509Certificate(readFileSync(join(out, 'ca.crt')));
    assert.ok(cert.verify(ca.publicKey), 'signed by the CA');
    assert.ok(ca.ca && !cert.ca);
    for (const san of [
      'harbormaster',
      'harbormaster.harbormaster-system',
      'harbormaster.harbormaster-system.svc',
      'harbormaster.harbormaster-system.svc.cluster.local',
    ]) {
      assert.match(cert.subjectAltName ?? '', new RegExp(`DNS:${san.replace(/\./g, '\\.')}(,|$)`));
    }
    assert.equal(readFileSync(join(out, 'tls.key')).length > 0, true);
  });

  it('policies prints the report in md, json and html', () => {
    const md = run(['policies']);
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /`resource-defaults\.container-limits`/);
    // Issue 15: the RBAC section is now the third of the reviewer's questions.
    assert.match(md.stdout, /## 3\. What Harbormaster itself may do in the cluster/);
    const json = JSON.parse(run(['policies', '--format', 'json']).stdout);
    assert.ok(json.rules.some((r: { id: string; failurePolicy: string }) => r.id === 'resource-defaults.managed-objects' && r.failurePolicy === 'Fail'));
    // The system namespaces, then the addon namespaces (platform namespaces: no tenant rules there).
    assert.deepEqual(json.excludedNamespaces, [
      'kube-system',
      'kube-public',
      'kube-node-lease',
      'harbormaster-system',
      'datadog',
      'kubernetes-dashboard',
      'logging',
      'monitoring',
    ]);
    assert.match(run(['policies', '--format', 'html']).stdout, /^<!doctype html>/);
  });

  it('addons: catalog without a cluster, unknown addon is a usage error, API errors are one line', () => {
    const list = run(['addons', 'list', '--kubeconfig', '/nonexistent']);
    assert.equal(list.code, 0);
    for (const a of ['datadog', 'prometheus', 'efk', 'dashboard']) assert.match(list.stdout, new RegExp(`^${a}\\s`, 'm'));
    const unknown = run(['addons', 'enable', 'grafana']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown addon "grafana"; the catalog has dashboard, datadog, efk, prometheus/);
    const noCluster = run(['addons', 'enable', 'efk', '--kubeconfig', '/nonexistent']);
    assert.equal(noCluster.code, 1);
    assert.match(noCluster.stderr, /^harbormaster: .*nonexistent/);
    assert.doesNotMatch(noCluster.stderr, /\n\s+at /);
  });

  it('review of the shipped examples against examples/state, with reinvocation like the API server', () => {
    const ex = (f: string) => join(PACKAGE_ROOT, 'examples', f);
    const r = run([
      'review',
      '-f',
      ex('trainer-pod.yaml'),
      '-f',
      ex('ingress-takeover.yaml'),
      '-f',
      ex('service-lb.yaml'),
      '--state',
      ex('state'),
      '--output',
      'json',
    ]);
    assert.equal(r.code, 1, r.stderr);
    const [pod, ingress, svc] = JSON.parse(r.stdout).results as Array<{
      allowed: boolean;
      denials: Array<{ rule: string }>;
      patch: Array<{ path: string; rule: string; value?: unknown }>;
    }>;
    assert.equal(pod?.allowed, true);
    // fluent-bit is added by addon-sidecars after cloud-credentials ran; the reinvocation leaves the platform
    // sidecar without the tenant's credential (no include-sidecars), while the Pod's own container has it.
    assert.ok(pod?.patch.some((p) => p.path === '/spec/containers/0/env' && p.rule === 'cloud-credentials.inject'));
    assert.ok(pod?.patch.some((p) => p.path === '/spec/initContainers' && p.rule === 'addon-sidecars.inject'));
    assert.ok(!pod?.patch.some((p) => p.path.startsWith('/spec/initContainers') && p.rule.startsWith('cloud-credentials.')));
    assert.deepEqual(
      ingress?.denials.map((d) => d.rule),
      ['ingress.nginx-risk', 'ingress.host-unique'],
    );
    assert.deepEqual(
      svc?.denials.map((d) => d.rule),
      ['loadbalancer.known-keys', 'loadbalancer.vip-pool'],
    );
  });

  it('serve refuses an invalid policy file listing the problems, exit non-zero', () => {
    const bad = join(tmp.dir, 'bad.yaml');
    writeFileSync(bad, 'resourceDefaults: { profiles: {} }\nnope: 1\n');
    const r = run(['serve', '--config', bad, '--state', tmp.dir, '--cert-dir', tmp.dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /\/resourceDefaults\/profiles\/default: required/);
    assert.match(r.stderr, /\/nope: unknown field/);
  });
});
