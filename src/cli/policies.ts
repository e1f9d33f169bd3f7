/** `harbormaster policies [--format md|html|json] [--config FILE] [--kubeconfig K]`: SPEC 7. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PolicyRegistry } from '../admission/registry.js';
import { formatProblems, loadConfigFile } from '../config/load.js';
import { PACKAGE_ROOT } from '../paths.js';
import { builtinPolicies, builtinRuleIds } from '../policies/index.js';
import { buildReport, renderHtml, renderMarkdown, type AuditSummaryInput } from '../report/report.js';
import type { CliIO } from './review.js';

export interface PoliciesCliOptions {
  format: string;
  config: string;
  kubeconfig?: string;
}

/** The audit summary for the report's last section; the Kubernetes client is loaded only here. */
async function auditSummary(kubeconfig: string, config: Parameters<typeof buildReport>[0]['config']): Promise<AuditSummaryInput> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { auditCluster } = await import('../audit/run.js');
  const { summarize } = await import('../audit/format.js');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const run = await auditCluster({ kubeconfig: kc, policies: builtinPolicies(), config });
  const s = summarize(run);
  return { objects: s.objects, findings: s.findings, fail: s.fail, warn: s.warn, byRule: s.byRule, identity: run.identity.note, durationMs: s.durationMs };
}

export async function runPolicies(options: PoliciesCliOptions, io: CliIO): Promise<number> {
  if (!['md', 'html', 'json'].includes(options.format)) {
    io.err('policies: --format must be md, html or json\n');
    return 2;
  }
  const loaded = loadConfigFile(options.config, { ruleIds: builtinRuleIds() });
  if (!loaded.ok) {
    io.err(`policies: invalid policy file:\n${formatProblems(loaded.problems)}\n`);
    return 2;
  }
  const rbacYaml = readFileSync(resolve(PACKAGE_ROOT, 'manifests', 'rbac.yaml'), 'utf8');
  const audit = options.kubeconfig ? await auditSummary(options.kubeconfig, loaded.config) : undefined;
  const report = buildReport({
    registry: new PolicyRegistry(builtinPolicies()),
    config: loaded.config,
    rbacYaml,
    now: Date.now(),
    ...(audit ? { audit } : {}),
  });
  if (options.format === 'json') io.out(JSON.stringify(report, null, 2) + '\n');
  else if (options.format === 'html') io.out(renderHtml(report));
  else io.out(renderMarkdown(report));
  return 0;
}
