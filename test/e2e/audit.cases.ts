/**
 * Issue 15 part 3 on the real control plane: objects that violate rules get in
 * while the policy file exempts their namespace (hot reload), the exemption
 * goes, and `harbormaster audit` — run with the server's own kubeconfig, so
 * the shipped RBAC is what it has — finds each of them under the rule ids the
 * webhook now denies them with; `--apply` writes PolicyReports kubectl reads,
 * and a second run over an unchanged cluster writes nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { PeriodicAudit } from '../../src/audit/periodic.js';
import { main } from '../../src/cli/main.js';
import { loadConfigFile } from '../../src/config/load.js';
import { builtinPolicies } from '../../src/policies/index.js';
import { silentLogger } from '../../src/observability/log.js';
import { waitFor, type E2E } from './env.js';

const NS = 'au-team';

const INGRESS = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: au-snippet
  namespace: ${NS}
  annotations:
    nginx.ingress.kubernetes.io/configuration-snippet: "return 200;"
spec:
  ingressClassName: harbormaster
  rules:
    - host: au.example.com
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }
`;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: au-big
  namespace: ${NS}
spec:
  replicas: 0
  selector: { matchLabels: { app: au-big } }
  template:
    metadata: { labels: { app: au-big } }
    spec:
      containers:
        - name: app
          image: registry.example/app:1
          resources:
            requests: { cpu: "1", memory: 1Gi }
            limits: { cpu: "64", memory: 1Gi }
`;

function capture(): { out: (t: string) => void; err: (t: string) => void; stdout: () => string; stderr: () => string } {
  let o = '';
  let e = '';
  return { out: (t) => void (o += t), err: (t) => void (e += t), stdout: () => o, stderr: () => e };
}

/**
 * The rule ids a server-side dry-run create is denied with now. Once the
 * object exists a create also fails with AlreadyExists — but only after
 * admission allowed it — so "denied" means rule ids in the message, never a
 * bare non-zero exit.
 */
async function deniedRules(e: E2E, manifest: string): Promise<string[]> {
  const r = await e.k(['create', '--dry-run=server', '-f', '-'], { input: manifest });
  return [...new Set([...r.stderr.matchAll(/\[([a-z0-9-]+\.[a-z0-9-]+)\]/g)].map((m) => m[1] as string))].sort();
}

interface AuditJson {
  identity: { username: string; note: string };
  summary: { findings: number };
  findings: Array<{
    rule: string;
    namespaces: Array<{ namespace: string; findings: Array<{ result: string; mode: string; object: { kind: string; name: string } }> }>;
  }>;
}

function rulesFor(doc: AuditJson, kind: string, name: string): string[] {
  const rules = doc.findings.filter((g) =>
    g.namespaces.some((n) => n.namespace === NS && n.findings.some((f) => f.object.kind === kind && f.object.name === name)),
  );
  return rules.map((g) => g.rule).sort();
}

export function auditCases(get: () => E2E): void {
  describe('audit: what already runs, judged by the policy in force', () => {
    let expected: { ingress: string[]; deployment: string[] } | undefined;
    const setup = async (): Promise<{ ingress: string[]; deployment: string[] }> => {
      if (expected) return expected;
      const e = get();
      await e.namespace(NS);
      const original = readFileSync(e.policyFile, 'utf8');
      const doc = parse(original) as { exemptions?: unknown[] };
      doc.exemptions = [
        ...(doc.exemptions ?? []),
        { rule: 'ingress.*', namespaces: [NS], reason: 'e2e: objects admitted before the rule existed' },
        { rule: 'resource-defaults.*', namespaces: [NS], reason: 'e2e: objects admitted before the rule existed' },
      ];
      writeFileSync(e.policyFile, stringify(doc));
      try {
        await waitFor('the exemption is in force', async () => (await e.k(['create', '--dry-run=server', '-f', '-'], { input: INGRESS })).code === 0, 15_000);
        await e.ok(['apply', '-f', '-'], { input: INGRESS });
        await e.ok(['apply', '-f', '-'], { input: DEPLOYMENT });
      } finally {
        writeFileSync(e.policyFile, original);
      }
      await waitFor('the exemption is gone', async () => (await deniedRules(e, INGRESS)).length > 0 && (await deniedRules(e, DEPLOYMENT)).length > 0, 15_000);
      expected = { ingress: await deniedRules(e, INGRESS), deployment: await deniedRules(e, DEPLOYMENT) };
      return expected;
    };

    it('finds the objects under the rule ids the webhook denies them with, as a tenant, and exits 1', async () => {
      const e = get();
      const want = await setup();
      assert.ok(want.ingress.length > 0 && want.deployment.includes('resource-defaults.container-limits'), JSON.stringify(want));
      const io = capture();
      const started = Date.now();
      const code = await main(
        ['node', 'harbormaster', 'audit', '--kubeconfig', e.env.controlPlane.kubeconfigs.harbormaster, '--config', e.policyFile, '--output', 'json'],
        io,
      );
      process.stderr.write(`[audit] e2e cluster audited in ${Date.now() - started} ms\n`);
      assert.equal(code, 1, io.stderr());
      const doc = JSON.parse(io.stdout()) as AuditJson;
      assert.deepEqual(rulesFor(doc, 'Ingress', 'au-snippet'), want.ingress);
      assert.deepEqual(rulesFor(doc, 'Deployment', 'au-big'), want.deployment);
      assert.equal(doc.identity.username, 'harbormaster-audit');
      assert.match(doc.identity.note, /never as the platform/);
      const text = capture();
      assert.equal(
        await main(['node', 'harbormaster', 'audit', '--kubeconfig', e.env.controlPlane.kubeconfigs.harbormaster, '--config', e.policyFile], text),
        1,
      );
      assert.match(text.stdout(), /^Audit of \d+ objects/);
      assert.match(text.stdout(), /never as the platform/);
      assert.match(text.stdout(), new RegExp(`namespace ${NS}\\n(.*\\n)*?    fail  Ingress ${NS}/au-snippet: `));

      // The reviewer's report with --kubeconfig ends with the same audit's summary.
      const report = capture();
      assert.equal(
        await main(
          ['node', 'harbormaster', 'policies', '--format', 'json', '--config', e.policyFile, '--kubeconfig', e.env.controlPlane.kubeconfigs.harbormaster],
          report,
        ),
        0,
        report.stderr(),
      );
      const summary = (JSON.parse(report.stdout()) as { audit?: { findings: number; byRule: Record<string, number>; identity: string } }).audit;
      assert.ok(summary && summary.findings > 0 && (summary.byRule['resource-defaults.container-limits'] ?? 0) >= 1, JSON.stringify(summary));
      assert.match(summary.identity, /never as the platform/);

      // The policy's modes apply as they do at admission: off finds nothing, audit is a finding marked so.
      const modes = parse(readFileSync(e.policyFile, 'utf8')) as Record<string, unknown>;
      modes.modes = { 'ingress.*': 'off', 'resource-defaults.container-limits': 'audit' };
      const modesFile = e.file('audit-modes.yaml', stringify(modes));
      const relaxed = capture();
      await main(
        ['node', 'harbormaster', 'audit', '--kubeconfig', e.env.controlPlane.kubeconfigs.harbormaster, '--config', modesFile, '--output', 'json'],
        relaxed,
      );
      const rdoc = JSON.parse(relaxed.stdout()) as AuditJson;
      assert.deepEqual(rulesFor(rdoc, 'Ingress', 'au-snippet'), []);
      const limits = rdoc.findings.find((g) => g.rule === 'resource-defaults.container-limits')?.namespaces.find((n) => n.namespace === NS)?.findings;
      assert.ok(
        limits?.some((f) => f.object.name === 'au-big' && f.result === 'fail' && f.mode === 'audit'),
        JSON.stringify(limits),
      );
    });

    it('--apply writes a PolicyReport kubectl can get, and an unchanged cluster gets no write', async () => {
      const e = get();
      const want = await setup();
      const io = capture();
      const kubeconfig = e.env.controlPlane.kubeconfigs.harbormaster;
      assert.equal(
        await main(['node', 'harbormaster', 'audit', '--kubeconfig', kubeconfig, '--config', e.policyFile, '--output', 'policyreport', '--apply'], io),
        1,
        io.stderr(),
      );
      const printed = JSON.parse(io.stdout()) as { items: Array<{ kind: string; metadata: { namespace?: string } }> };
      assert.ok(printed.items.some((r) => r.kind === 'PolicyReport' && r.metadata.namespace === NS));
      assert.equal(printed.items.filter((r) => r.kind === 'ClusterPolicyReport').length, 1);
      const report = await e.json<{
        summary: { fail: number; pass: number };
        results: Array<{ policy: string; rule?: string; result: string; resources: Array<{ kind: string; name: string }> }>;
      }>(['get', 'policyreport', 'harbormaster', '-n', NS]);
      const failed = report.results.filter((r) => r.result === 'fail');
      assert.ok(report.summary.fail >= want.ingress.length + want.deployment.length);
      for (const rule of want.ingress)
        assert.ok(
          failed.some((r) => r.rule === rule && r.resources[0]?.name === 'au-snippet'),
          rule,
        );
      for (const rule of want.deployment)
        assert.ok(
          failed.some((r) => r.rule === rule && r.resources[0]?.name === 'au-big'),
          rule,
        );
      assert.match(await e.ok(['get', 'clusterpolicyreport', 'harbormaster']), /harbormaster/);
      assert.match(await e.ok(['get', 'polr', '-n', NS]), /^NAME\s+PASS\s+FAIL\s+WARN/);

      // The leader's periodic audit: a run over what did not change writes nothing.
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig);
      let writes = 0;
      const periodic = new PeriodicAudit({
        kubeconfig: kc,
        policies: builtinPolicies(),
        config: () => {
          const l = loadConfigFile(e.policyFile);
          if (!l.ok) throw new Error('policy');
          return l.config;
        },
        intervalMs: 60_000,
        logger: silentLogger(),
        onWrite: () => void writes++,
      });
      // Something elsewhere in the cluster may still be settling: a run with no change must come within three.
      let last: Awaited<ReturnType<PeriodicAudit['runOnce']>> | undefined;
      for (let i = 0; i < 3; i++) {
        writes = 0;
        last = await periodic.runOnce();
        if (writes === 0) break;
      }
      assert.equal(writes, 0, 'an unchanged cluster costs no write');
      assert.equal(last?.created, 0);
      assert.equal(last?.updated, 0);
      assert.ok((last?.unchanged ?? 0) >= 2, 'every report compared');
    });
  });
}
