/**
 * `harbormaster audit`: judges what already runs in a cluster against the
 * policy in force (src/audit). Exit 0 nothing found, 1 findings, 2 usage or
 * input error, or the cluster could not be read (or, with --apply, written):
 * one line on stderr.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { applyReports } from '../audit/apply.js';
import { auditIdentityProblem } from '../audit/identity.js';
import { auditJson, formatAuditText } from '../audit/format.js';
import { buildReports } from '../audit/policyreport.js';
import { allFindings, auditCluster } from '../audit/run.js';
import { formatProblems, loadConfigFile } from '../config/load.js';
import type { PolicyConfig } from '../config/types.js';
import { DEFAULT_POLICY_FILE } from '../paths.js';
import { builtinPolicies, builtinRuleIds } from '../policies/index.js';
import type { CliIO } from './review.js';

export interface AuditCliOptions {
  kubeconfig?: string;
  config?: string;
  output: string;
  apply?: boolean;
}

const OUTPUTS = ['text', 'json', 'policyreport'];

export async function runAudit(options: AuditCliOptions, io: CliIO): Promise<number> {
  if (!OUTPUTS.includes(options.output)) {
    io.err(`audit: --output must be ${OUTPUTS.join(', ')}\n`);
    return 2;
  }
  const loaded = loadConfigFile(options.config ?? DEFAULT_POLICY_FILE, { ruleIds: builtinRuleIds() });
  if (!loaded.ok) {
    io.err(`audit: invalid policy file:\n${formatProblems(loaded.problems)}\n`);
    return 2;
  }
  const identity = auditIdentityProblem(loaded.config);
  if (identity) {
    io.err(`audit: ${identity}\n`);
    return 2;
  }
  const kc = new KubeConfig();
  try {
    if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    io.err(`audit: cannot read kubeconfig: ${(err as Error).message}\n`);
    return 2;
  }
  // An audit that could not read the cluster (or write its reports) has judged nothing: exit 2, never the
  // "findings" exit 1 a pipeline gate would read as a verdict.
  try {
    return await auditAndReport(kc, loaded.config, options, io);
  } catch (err) {
    io.err(`audit: ${(err as Error).message}\n`);
    return 2;
  }
}

async function auditAndReport(kc: KubeConfig, config: PolicyConfig, options: AuditCliOptions, io: CliIO): Promise<number> {
  const run = await auditCluster({ kubeconfig: kc, policies: builtinPolicies(), config });
  const now = Date.now();
  const reports = options.output === 'policyreport' || options.apply ? buildReports(run.evaluations, now) : [];
  if (options.output === 'json') io.out(JSON.stringify(auditJson(run), null, 2) + '\n');
  else if (options.output === 'policyreport') io.out(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: reports }, null, 2) + '\n');
  else io.out(formatAuditText(run));
  if (options.apply) {
    const o = await applyReports(kc, reports, { nowMs: now });
    io.err(`audit: reports written: ${o.created} created, ${o.updated} updated, ${o.unchanged} unchanged\n`);
  }
  return allFindings(run.evaluations).length > 0 ? 1 : 0;
}
