/**
 * The report as one self-contained HTML page: inline CSS (screen and print),
 * no script, no external asset, every string escaped.
 */
import { html as h } from './escape.js';
import { SECTION_TITLES } from './markdown.js';
import { exemptionScope, type PolicySection, type Report } from './model.js';

const CSS = `
:root{--ink:#1b1f24;--muted:#57606a;--line:#d0d7de;--soft:#f6f8fa;--accent:#0b5cad;--warn:#9a6700;--bad:#b42318}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);margin:0 auto;padding:1.5rem 2rem;max-width:78rem}
h1{font-size:1.7rem;margin:.2rem 0 .8rem}
h2{font-size:1.3rem;margin:2.2rem 0 .6rem;padding-bottom:.3rem;border-bottom:2px solid var(--line)}
h3{font-size:1.05rem;margin:1.6rem 0 .4rem}
code{font:.85em ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--soft);padding:.05rem .3rem;border-radius:3px;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem;font-size:.9rem}
th,td{border:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:var(--soft)}
nav ol{columns:2;margin:.3rem 0 1rem}
.glance{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:.6rem;margin:.8rem 0 1.2rem}
.glance div{border:1px solid var(--line);border-radius:6px;padding:.5rem .7rem;background:var(--soft)}
.glance b{display:block;font-size:1.4rem}
.muted{color:var(--muted)}
.mode-warn,.mode-audit{color:var(--warn);font-weight:600}.mode-off{color:var(--bad);font-weight:600}
.expired{color:var(--bad);font-weight:600}
dl.settings{display:grid;grid-template-columns:minmax(8rem,18rem) 1fr;gap:.15rem 1rem;margin:.3rem 0 .8rem}
dl.settings dt{font-weight:600}dl.settings dd{margin:0}
.fp{display:inline-block;padding:0 .4rem;border-radius:3px;font-weight:600;background:#eef4fb;color:var(--accent)}
@media print{
  body{max-width:none;padding:0;font-size:10.5pt}
  nav{display:none}
  h2{break-before:page;border-color:#999}
  h2:first-of-type{break-before:auto}
  table,dl,.glance{break-inside:auto}
  tr,h3{break-inside:avoid}
  th{background:#eee}
  a{color:inherit;text-decoration:none}
}
`;

const anchor = (i: number): string => ['enforced', 'exemptions', 'rbac', 'outage', 'nginx', 'audit'][i] ?? `s${i}`;

function codes(xs: readonly string[], none = 'none'): string {
  return xs.length === 0 ? `<span class="muted">${none}</span>` : xs.map((x) => `<code>${h(x)}</code>`).join(', ');
}

function glance(report: Report): string {
  const modes = report.rules.reduce<Record<string, number>>((m, r) => ((m[r.mode] = (m[r.mode] ?? 0) + 1), m), {});
  const expired = report.exemptions.filter((e) => e.state === 'expired').length;
  const failClosed = report.outage.filter((o) => o.failurePolicy === 'Fail').length;
  const cells = [
    [`${report.rules.length}`, `rules in ${report.policies.length} webhooks`],
    [`${modes.enforce ?? 0}`, `enforced; ${modes.warn ?? 0} warn, ${modes.audit ?? 0} audit, ${modes.off ?? 0} off`],
    [`${report.exemptions.length}`, `exemptions${expired ? `, <span class="expired">${expired} expired</span>` : ''}`],
    [`${failClosed}/${report.outage.length}`, 'webhooks fail closed'],
    [report.audit ? `${report.audit.findings}` : '—', report.audit ? `audit findings in ${report.audit.objects} objects` : 'audit not run (--kubeconfig)'],
  ];
  return `<div class="glance">${cells.map(([n, t]) => `<div><b>${h(n ?? '')}</b>${t ?? ''}</div>`).join('')}</div>`;
}

function policy(p: PolicySection): string {
  const reads = p.reads.length === 0 ? 'nothing (the request alone)' : p.reads.map((r) => `${h(r.kind)} <span class="muted">(${h(r.what)})</span>`).join('; ');
  const settings =
    p.settings.length === 0
      ? '<p class="muted">No settings from the policy file.</p>'
      : `<dl class="settings">${p.settings.map((s) => `<dt>${h(s.name)}</dt><dd>${h(s.value)}</dd>`).join('')}</dl>`;
  const rows = p.rules
    .map((r) => {
      const ex =
        r.exemptions.map((e) => `${h(exemptionScope(e))}${e.state === 'expired' ? ' <span class="expired">(expired)</span>' : ''}`).join('; ') ||
        '<span class="muted">none</span>';
      return `<tr id="rule-${h(r.id)}"><td><code>${h(r.id)}</code></td><td>${h(r.description)}</td><td>${h(r.kinds.join(', '))}</td><td>${h(r.operations.join(', '))}</td><td>${h(r.action)}</td><td class="mode-${h(r.mode)}">${h(r.mode)}</td><td>${ex}</td></tr>`;
    })
    .join('\n');
  return `<section class="policy">
<h3><code>${h(p.webhook)}</code> — ${h(p.description)}</h3>
<p><span class="fp">failurePolicy ${h(p.failurePolicy)}</span> ${h(p.failurePolicyReason)}</p>
<p><b>Reads from the cache:</b> ${reads}.</p>
${settings}
<table><thead><tr><th>rule</th><th>what it does</th><th>kinds</th><th>operations</th><th>action</th><th>mode</th><th>exemptions</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</section>`;
}

function exemptions(report: Report): string {
  if (report.exemptions.length === 0) return '<p>No exemptions: every rule applies in every non-excluded namespace.</p>';
  const rows = report.exemptions
    .map(
      (e) =>
        `<tr><td><code>${h(e.rule)}</code></td><td>${codes(e.rules)}</td><td>${h(e.namespaces.join(', ') || 'all')}</td><td>${h(e.names.join(', ') || 'all')}</td><td>${h(e.reason)}</td><td>${h(e.expires ?? 'never')}</td><td>${e.state === 'expired' ? '<span class="expired">EXPIRED — no longer applies</span>' : 'active'}</td></tr>`,
    )
    .join('\n');
  return `<table><thead><tr><th>exemption</th><th>rules covered</th><th>namespaces</th><th>names</th><th>reason</th><th>expires</th><th>state</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

function rbac(report: Report): string {
  return report.rbac
    .map(
      (role) => `<h3>${h(role.kind)} <code>${h(role.name)}</code>${role.namespace ? ` in <code>${h(role.namespace)}</code>` : ''}</h3>
<p>Held by ${h(role.boundTo.join(', ') || 'nobody (not bound)')}; applies ${h(role.statements[0]?.where ?? '')}.</p>
<table><thead><tr><th>may</th><th>why</th></tr></thead><tbody>
${role.statements.map((s) => `<tr><td>${h(s.text)}</td><td>${h(s.why)}</td></tr>`).join('\n')}
</tbody></table>`,
    )
    .join('\n');
}

function outage(report: Report): string {
  const rows = report.outage
    .map((o) => {
      const conds = o.matchConditions.map((c) => `<code>${h(c.name)}</code>: <code>${h(c.expression)}</code>`).join('<br>') || 'always';
      return `<tr><td><code>${h(o.webhook)}</code></td><td>${h(o.failurePolicy)}</td><td>${h(o.effect)}</td><td>${h(o.reason)}</td><td>${conds}</td></tr>`;
    })
    .join('\n');
  return `<table><thead><tr><th>webhook</th><th>failurePolicy</th><th>during an outage</th><th>why</th><th>only called when (matchConditions)</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

function audit(report: Report): string {
  const a = report.audit;
  if (!a) return '<p class="muted">Not run: pass <code>--kubeconfig</code> to audit what already runs in a cluster.</p>';
  const rows = Object.entries(a.byRule)
    .map(([rule, n]) => `<tr><td><code>${h(rule)}</code></td><td>${n}</td></tr>`)
    .join('\n');
  return `<p>${a.objects} objects audited in ${(a.durationMs / 1000).toFixed(1)} s; ${a.findings} findings (${a.fail} fail, ${a.warn} warn). Identity: ${h(a.identity)}.</p>${
    rows ? `<table><thead><tr><th>rule</th><th>findings</th></tr></thead><tbody>\n${rows}\n</tbody></table>` : ''
  }`;
}

export function renderHtml(report: Report): string {
  const who = report.whoIsCovered;
  const bodies = [
    `<p>Every request the webhooks below match, from anyone, outside the excluded namespaces ${codes(who.excludedNamespaces)}. Platform identities (users ${codes(who.platform.users)}, groups ${codes(who.platform.groups)}, ServiceAccounts ${codes(who.platform.serviceAccounts)}) may also change platform-only settings. Modes: <b>enforce</b> denies, <b>warn</b> admits with a warning, <b>audit</b> admits and reports, <b>off</b> does nothing.</p>\n${report.policies.map((p) => policy(p)).join('\n')}`,
    exemptions(report),
    rbac(report),
    outage(report),
    `<p>Critical: never allowed (every snippet key under any controller prefix too). High: only in namespaces annotated <code>harbormaster.io/ingress-risk: high</code>. Any other nginx key is denied.</p>
<table><thead><tr><th>annotation</th><th>risk</th><th>value type</th><th>why</th></tr></thead><tbody>
${report.nginxAnnotationRisks.map((a) => `<tr><td><code>${h(a.key)}</code></td><td>${h(a.risk)}</td><td>${h(a.type)}</td><td>${h(a.why ?? '')}</td></tr>`).join('\n')}
</tbody></table>`,
    audit(report),
  ];
  const sections = SECTION_TITLES.map((t, i) => `<section id="${anchor(i)}">\n<h2>${h(t)}</h2>\n${bodies[i] ?? ''}\n</section>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${h(report.title)}</title>
<style>${CSS}</style>
</head><body>
<h1>${h(report.title)}</h1>
${glance(report)}
<nav><ol>${SECTION_TITLES.map((t, i) => `<li><a href="#${anchor(i)}">${h(t.replace(/^\d+\.\s*/, ''))}</a></li>`).join('')}</ol></nav>
${sections}
</body></html>
`;
}
