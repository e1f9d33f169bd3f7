/**
 * The security-review report (SPEC 7), built from the policy registry, the
 * policy file and the shipped RBAC — the same sources the server runs on.
 */
import type { PolicyRegistry } from '../admission/registry.js';
import type { KubeObject } from '../kube/types.js';
import type { Exemption, PolicyConfig, RuleMode } from '../config/types.js';
import { exemptionCovers, ruleMode } from '../policy/modes.js';
import { nginxRiskTable } from '../policies/ingress/validate.js';

export interface RuleReport {
  id: string;
  description: string;
  kinds: readonly string[];
  operations: readonly string[];
  action: string;
  webhook: string;
  failurePolicy: string;
  failurePolicyReason: string;
  mode: RuleMode;
  exemptions: Array<Omit<Exemption, 'rule'>>;
  settings: unknown;
}

export interface PolicyReport {
  rules: RuleReport[];
  nginxAnnotationRisks: ReturnType<typeof nginxRiskTable>;
  excludedNamespaces: string[];
  rbac: Array<{ kind: string; name: string; rules: unknown[] }>;
}

/** The part of the policy file each policy reads. */
function settingsFor(policy: string, config: PolicyConfig): unknown {
  switch (policy) {
    case 'resource-defaults':
      return {
        profiles: Object.keys(config.resourceDefaults.profiles),
        bestEffortPods: config.resourceDefaults.bestEffortPods,
        trustedWriters: config.resourceDefaults.trustedWriters,
      };
    case 'tenancy':
      return { platform: config.platform };
    case 'loadbalancer':
      return config.loadBalancer;
    case 'ingress':
      return { ...config.ingress, vipPools: config.loadBalancer.vipPools.map((p) => p.name) };
    default:
      return {};
  }
}

export function buildReport(registry: PolicyRegistry, config: PolicyConfig, rbacObjects: readonly KubeObject[]): PolicyReport {
  const rules: RuleReport[] = [];
  for (const p of registry.policies) {
    for (const r of p.rules) {
      rules.push({
        id: r.id,
        description: r.description,
        kinds: r.kinds,
        operations: r.operations,
        action: r.action,
        webhook: `/${p.type}/${p.name}`,
        failurePolicy: p.webhook.failurePolicy,
        failurePolicyReason: p.webhook.failurePolicyReason,
        mode: ruleMode(config, r.id),
        exemptions: config.exemptions.filter((e) => exemptionCovers(e, r.id)).map(({ rule: _rule, ...rest }) => rest),
        settings: settingsFor(p.name, config),
      });
    }
  }
  const rbac = rbacObjects
    .filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')
    .map((o) => ({ kind: String(o.kind), name: String(o.metadata?.name ?? ''), rules: Array.isArray(o.rules) ? (o.rules as unknown[]) : [] }));
  return { rules, nginxAnnotationRisks: nginxRiskTable(), excludedNamespaces: config.systemNamespaces, rbac };
}

/** One exemption in a line: what it covers, until when, and why. */
function exemptionText(e: Omit<Exemption, 'rule'>): string {
  const where = [e.namespaces ? `namespaces ${e.namespaces.join(', ')}` : '', e.names ? `names ${e.names.join(', ')}` : ''].filter(Boolean).join(', ');
  return `${where}${e.expires ? ` until ${e.expires}` : ''}: ${e.reason}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderMarkdown(report: PolicyReport): string {
  const out: string[] = ['# Harbormaster policy report', '', '## Rules', ''];
  out.push('| rule | what it does | kinds | operations | action (mode) | webhook (failurePolicy) | exemptions | settings |');
  out.push('|---|---|---|---|---|---|---|---|');
  for (const r of report.rules) {
    const ex = r.exemptions.map(exemptionText).join('; ') || 'none';
    out.push(
      `| \`${r.id}\` | ${cell(r.description)} | ${r.kinds.join(', ')} | ${r.operations.join(', ')} | ${r.action} (${r.mode}) | \`${r.webhook}\` (${r.failurePolicy}) | ${cell(ex)} | \`${cell(JSON.stringify(r.settings))}\` |`,
    );
  }
  out.push('', '## Failure policies', '');
  const seen = new Set<string>();
  for (const r of report.rules) {
    if (seen.has(r.webhook)) continue;
    seen.add(r.webhook);
    out.push(`- \`${r.webhook}\` — **${r.failurePolicy}**: ${r.failurePolicyReason}`);
  }
  out.push(
    '',
    '## nginx annotation risk table',
    '',
    'Critical: never allowed (every snippet key under any controller prefix too, e.g. `nginx.org/server-snippets`). High: only with `harbormaster.io/ingress-risk: high` on the namespace. Any other nginx key is denied.',
    '',
    '| annotation | risk | value type | why |',
    '|---|---|---|---|',
  );
  for (const a of report.nginxAnnotationRisks) out.push(`| \`${a.key}\` | ${a.risk} | ${a.type} | ${cell(a.why ?? '')} |`);
  out.push('', '## Excluded namespaces', '', report.excludedNamespaces.map((n) => `\`${n}\``).join(', '), '', '## RBAC held by the server', '');
  for (const role of report.rbac) {
    out.push(`### ${role.kind} ${role.name}`, '');
    for (const rule of role.rules as Array<Record<string, string[]>>) {
      out.push(
        `- ${(rule.verbs ?? []).join(', ')} on ${(rule.resources ?? []).join(', ')} (${(rule.apiGroups ?? []).map((g) => g || 'core').join(', ')})${rule.resourceNames ? ` named ${rule.resourceNames.join(', ')}` : ''}`,
      );
    }
    out.push('');
  }
  return out.join('\n') + '\n';
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderHtml(report: PolicyReport): string {
  const rows = report.rules
    .map(
      (r) =>
        `<tr><td><code>${esc(r.id)}</code></td><td>${esc(r.description)}</td><td>${esc(r.kinds.join(', '))}</td><td>${esc(r.operations.join(', '))}</td><td>${esc(r.action)} (${esc(r.mode)})</td><td><code>${esc(r.webhook)}</code> (${esc(r.failurePolicy)})</td><td>${esc(r.exemptions.map(exemptionText).join('; ') || 'none')}</td><td><code>${esc(JSON.stringify(r.settings))}</code></td></tr>`,
    )
    .join('\n');
  const rbac = report.rbac
    .map(
      (role) =>
        `<h3>${esc(role.kind)} ${esc(role.name)}</h3><ul>${(role.rules as Array<Record<string, string[]>>).map((rule) => `<li>${esc((rule.verbs ?? []).join(', '))} on ${esc((rule.resources ?? []).join(', '))}</li>`).join('')}</ul>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Harbormaster policy report</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}code{font-size:.9em}</style>
</head><body>
<h1>Harbormaster policy report</h1>
<h2>Rules</h2>
<table><thead><tr><th>rule</th><th>what it does</th><th>kinds</th><th>operations</th><th>action (mode)</th><th>webhook</th><th>exemptions</th><th>settings</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h2>nginx annotation risk table</h2>
<table><thead><tr><th>annotation</th><th>risk</th><th>value type</th><th>why</th></tr></thead><tbody>
${report.nginxAnnotationRisks.map((a) => `<tr><td><code>${esc(a.key)}</code></td><td>${esc(a.risk)}</td><td>${esc(a.type)}</td><td>${esc(a.why ?? '')}</td></tr>`).join('\n')}
</tbody></table>
<h2>Excluded namespaces</h2><p>${esc(report.excludedNamespaces.join(', '))}</p>
<h2>RBAC held by the server</h2>
${rbac}
</body></html>
`;
}
