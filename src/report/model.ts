/**
 * The security-review report (SPEC 7), built from the sources the server
 * runs on: the policy registry, the policy file, manifests/rbac.yaml, and
 * with `--kubeconfig` an audit of the cluster. Sections in the order a
 * reviewer asks: what is enforced on whom; what is exempt and why; what
 * Harbormaster itself may do; what an outage does; the nginx risk table; the
 * audit summary. Renderers (markdown.ts, html.ts) only lay this out.
 */
import type { PolicyRegistry } from '../admission/registry.js';
import type { PolicyConfig } from '../config/types.js';
import { nginxRiskTable } from '../policies/ingress/validate.js';
import { POLICY_READS, READ_PURPOSE, type CachedKind } from './reads.js';
import { describeRbac, type RbacRole } from './rbac.js';
import { settingsFor, type Setting } from './settings.js';
import type { RuleMode } from '../config/types.js';
import { exemptionCovers, exemptionState, ruleMode } from '../policy/modes.js';

export interface RuleReport {
  id: string;
  policy: string;
  description: string;
  kinds: readonly string[];
  operations: readonly string[];
  action: string;
  mode: RuleMode;
  webhook: string;
  failurePolicy: string;
  failurePolicyReason: string;
  /** The exemptions (of the report's `exemptions`) that cover this rule. */
  exemptions: ExemptionReport[];
}

export interface PolicySection {
  webhook: string;
  name: string;
  type: 'mutate' | 'validate';
  description: string;
  failurePolicy: string;
  failurePolicyReason: string;
  reads: Array<{ kind: CachedKind; what: string }>;
  settings: Setting[];
  rules: RuleReport[];
}

export interface ExemptionReport {
  rule: string;
  rules: string[];
  namespaces: string[];
  names: string[];
  reason: string;
  expires?: string;
  state: 'active' | 'expired';
}

export interface OutageReport {
  webhook: string;
  failurePolicy: string;
  reason: string;
  effect: string;
  matchConditions: Array<{ name: string; expression: string }>;
  namespaced: boolean;
}

export interface AuditSummaryInput {
  objects: number;
  findings: number;
  fail: number;
  warn: number;
  byRule: Record<string, number>;
  identity: string;
  durationMs: number;
}

export interface Report {
  title: string;
  whoIsCovered: { excludedNamespaces: string[]; platform: PolicyConfig['platform']; note: string };
  policies: PolicySection[];
  /** Every rule, flat (SPEC 7): the same objects as in `policies`. */
  rules: RuleReport[];
  exemptions: ExemptionReport[];
  rbac: RbacRole[];
  outage: OutageReport[];
  nginxAnnotationRisks: ReturnType<typeof nginxRiskTable>;
  excludedNamespaces: string[];
  audit?: AuditSummaryInput;
}

export interface BuildReportInput {
  registry: PolicyRegistry;
  config: PolicyConfig;
  rbacYaml: string;
  now: number;
  audit?: AuditSummaryInput;
}

/** Whom an exemption covers, in words. */
export function exemptionScope(e: Pick<ExemptionReport, 'namespaces' | 'names'>): string {
  const ns = e.namespaces.length > 0 ? `namespaces ${e.namespaces.join(', ')}` : 'any namespace';
  return e.names.length > 0 ? `${ns}, names ${e.names.join(', ')}` : ns;
}

function exemptionsOf(config: PolicyConfig, ruleIds: readonly string[], now: number): ExemptionReport[] {
  return config.exemptions.map((e) => {
    return {
      rule: e.rule,
      rules: ruleIds.filter((id) => exemptionCovers(e, id)),
      namespaces: [...(e.namespaces ?? [])],
      names: [...(e.names ?? [])],
      reason: e.reason,
      ...(e.expires ? { expires: e.expires } : {}),
      state: exemptionState(e, now),
    };
  });
}

function outageEffect(failurePolicy: string, type: string): string {
  if (failurePolicy === 'Fail') return 'while no replica answers, the API server refuses the requests this webhook matches (outside excluded namespaces)';
  return type === 'mutate'
    ? 'while no replica answers, matching requests are admitted without these mutations (the validating webhooks still judge them)'
    : 'while no replica answers, matching requests are admitted unchecked by this policy';
}

export function buildReport(input: BuildReportInput): Report {
  const { registry, config } = input;
  const allIds = registry.policies.flatMap((p) => p.rules.map((r) => r.id));
  const exemptions = exemptionsOf(config, allIds, input.now);
  const policies: PolicySection[] = registry.ordered().map((p) => {
    const webhook = `/${p.type}/${p.name}`;
    return {
      webhook,
      name: p.name,
      type: p.type,
      description: p.description,
      failurePolicy: p.webhook.failurePolicy,
      failurePolicyReason: p.webhook.failurePolicyReason,
      reads: (POLICY_READS[`${p.type}/${p.name}`] ?? []).map((kind) => ({ kind, what: READ_PURPOSE[kind] })),
      settings: settingsFor(p.name, config),
      rules: p.rules.map((r) => ({
        id: r.id,
        policy: p.name,
        description: r.description,
        kinds: r.kinds,
        operations: r.operations,
        action: r.action,
        mode: ruleMode(config, r.id),
        webhook,
        failurePolicy: p.webhook.failurePolicy,
        failurePolicyReason: p.webhook.failurePolicyReason,
        exemptions: exemptions.filter((e) => e.rules.includes(r.id)),
      })),
    };
  });
  const outage = registry.ordered().map((p) => ({
    webhook: `/${p.type}/${p.name}`,
    failurePolicy: p.webhook.failurePolicy,
    reason: p.webhook.failurePolicyReason,
    effect: outageEffect(p.webhook.failurePolicy, p.type),
    matchConditions: [...(p.webhook.matchConditions ?? []), ...(p.webhook.matchConditionsFor?.(config) ?? [])],
    namespaced: p.webhook.namespaced,
  }));
  return {
    title: 'Harbormaster policy report',
    whoIsCovered: {
      excludedNamespaces: config.systemNamespaces,
      platform: config.platform,
      note: 'Every tenant request outside the excluded namespaces; platform identities may additionally change platform-only settings (tenancy).',
    },
    policies,
    rules: policies.flatMap((p) => p.rules),
    exemptions,
    rbac: describeRbac(input.rbacYaml),
    outage,
    nginxAnnotationRisks: nginxRiskTable(),
    excludedNamespaces: config.systemNamespaces,
    ...(input.audit ? { audit: input.audit } : {}),
  };
}
