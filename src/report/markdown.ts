/** The report as Markdown (the default of `harbormaster policies`). */
import { md, mdCode } from './escape.js';
import { exemptionScope, type PolicySection, type Report } from './model.js';

export const SECTION_TITLES = [
  '1. What is enforced, on whom',
  '2. What is exempt, and why',
  '3. What Harbormaster itself may do in the cluster',
  '4. What an outage does',
  '5. nginx annotation risk table',
  '6. Audit of the cluster',
] as const;

function list(xs: readonly string[], none = 'none'): string {
  return xs.length === 0 ? none : xs.map(mdCode).join(', ');
}

function policySection(p: PolicySection): string[] {
  const out = [`### ${mdCode(p.webhook)} — ${md(p.description)}`, ''];
  out.push(`**failurePolicy ${p.failurePolicy}**: ${md(p.failurePolicyReason)}`, '');
  out.push(`Reads from the cache: ${p.reads.length === 0 ? 'nothing (the request alone)' : p.reads.map((r) => `${r.kind} (${md(r.what)})`).join('; ')}.`, '');
  if (p.settings.length > 0) {
    out.push('Settings from the policy file:', '');
    for (const s of p.settings) out.push(`- ${md(s.name)}: ${md(s.value)}`);
    out.push('');
  } else out.push('Settings from the policy file: none.', '');
  out.push('| rule | what it does | kinds | operations | action | mode | exemptions |', '|---|---|---|---|---|---|---|');
  for (const r of p.rules) {
    const ex = r.exemptions.map((e) => `${md(exemptionScope(e))}${e.state === 'expired' ? ' (expired)' : ''}`);
    out.push(
      `| ${mdCode(r.id)} | ${md(r.description)} | ${md(r.kinds.join(', '))} | ${r.operations.join(', ')} | ${r.action} | ${r.mode === 'enforce' ? 'enforce' : `**${r.mode}**`} | ${ex.join('; ') || 'none'} |`,
    );
  }
  out.push('');
  return out;
}

function whoSection(report: Report): string[] {
  const who = report.whoIsCovered;
  return [
    `Every request the webhooks below match, from anyone, outside the excluded namespaces ${list(who.excludedNamespaces)}. ` +
      `Platform identities (users ${list(who.platform.users)}, groups ${list(who.platform.groups)}, ` +
      `ServiceAccounts ${list(who.platform.serviceAccounts)}) may also change platform-only settings. ` +
      'Modes: enforce denies, warn admits with a warning, audit admits and reports, off does nothing.',
    '',
  ];
}

function exemptionSection(report: Report): string[] {
  if (report.exemptions.length === 0) return ['No exemptions: every rule applies in every non-excluded namespace.', ''];
  const out = ['| exemption | rules covered | namespaces | names | reason | expires | state |', '|---|---|---|---|---|---|---|'];
  for (const e of report.exemptions) {
    const state = e.state === 'expired' ? '**EXPIRED** (no longer applies)' : 'active';
    out.push(
      `| ${mdCode(e.rule)} | ${list(e.rules)} | ${e.namespaces.map(md).join(', ') || 'all'} | ${e.names.map(md).join(', ') || 'all'} | ${md(e.reason)} | ${e.expires ? md(e.expires) : 'never'} | ${state} |`,
    );
  }
  out.push('');
  return out;
}

function rbacSection(report: Report): string[] {
  const out: string[] = [];
  for (const role of report.rbac) {
    out.push(`### ${role.kind} ${mdCode(role.name)}${role.namespace ? ` in ${mdCode(role.namespace)}` : ''}`, '');
    out.push(`Held by: ${role.boundTo.map(md).join(', ') || 'nobody (not bound)'}. Applies ${role.statements[0]?.where ?? ''}.`, '');
    for (const s of role.statements) out.push(`- **${md(s.text)}**${s.why ? ` — ${md(s.why)}` : ''}`);
    out.push('');
  }
  return out;
}

function outageSection(report: Report): string[] {
  const out = ['| webhook | failurePolicy | during an outage | why | only called when (matchConditions) |', '|---|---|---|---|---|'];
  for (const o of report.outage) {
    const conds = o.matchConditions.map((c) => `${mdCode(c.name)}: ${mdCode(c.expression)}`).join('<br>') || 'always';
    out.push(`| ${mdCode(o.webhook)} | ${o.failurePolicy} | ${md(o.effect)} | ${md(o.reason)} | ${conds} |`);
  }
  out.push('');
  return out;
}

function nginxSection(report: Report): string[] {
  const out = [
    'Critical: never allowed (every snippet key under any controller prefix too). High: only in namespaces annotated `harbormaster.io/ingress-risk: high`. Any other nginx key is denied.',
    '',
    '| annotation | risk | value type | why |',
    '|---|---|---|---|',
  ];
  for (const a of report.nginxAnnotationRisks) out.push(`| ${mdCode(a.key)} | ${a.risk} | ${md(a.type)} | ${md(a.why ?? '')} |`);
  out.push('');
  return out;
}

function auditSection(report: Report): string[] {
  const a = report.audit;
  if (!a) return ['Not run: pass `--kubeconfig` to audit what already runs in a cluster.', ''];
  const out = [
    `${a.objects} objects audited in ${(a.durationMs / 1000).toFixed(1)} s; ${a.findings} findings (${a.fail} fail, ${a.warn} warn). Identity: ${md(a.identity)}.`,
    '',
  ];
  if (a.findings > 0) {
    out.push('| rule | findings |', '|---|---|');
    for (const [rule, n] of Object.entries(a.byRule)) out.push(`| ${mdCode(rule)} | ${n} |`);
    out.push('');
  }
  return out;
}

export function renderMarkdown(report: Report): string {
  const bodies = [
    [...whoSection(report), ...report.policies.flatMap((p) => policySection(p))],
    exemptionSection(report),
    rbacSection(report),
    outageSection(report),
    nginxSection(report),
    auditSection(report),
  ];
  const out: string[] = [`# ${report.title}`, ''];
  SECTION_TITLES.forEach((t, i) => out.push(`## ${t}`, '', ...(bodies[i] ?? [])));
  return out.join('\n') + '\n';
}
