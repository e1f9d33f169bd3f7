/** `harbormaster audit` output: text for people, JSON for tools (grouped the same way). */
import type { Finding } from './evaluate.js';
import { allFindings, groupFindings, type AuditRun } from './run.js';

export interface AuditSummary {
  objects: number;
  evaluations: number;
  findings: number;
  fail: number;
  warn: number;
  byRule: Record<string, number>;
  notServed: string[];
  durationMs: number;
}

export function summarize(run: AuditRun): AuditSummary {
  const findings = allFindings(run.evaluations);
  const byRule: Record<string, number> = {};
  for (const f of findings) byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
  const objects = new Set(run.evaluations.map((e) => `${e.object.kind}/${e.object.namespace ?? ''}/${e.object.name}`)).size;
  return {
    objects,
    evaluations: run.evaluations.length,
    findings: findings.length,
    fail: findings.filter((f) => f.result === 'fail').length,
    warn: findings.filter((f) => f.result === 'warn').length,
    byRule: Object.fromEntries(Object.entries(byRule).sort(([a], [b]) => a.localeCompare(b))),
    notServed: run.listed.filter((l) => !l.served).map((l) => l.resource),
    durationMs: run.durationMs,
  };
}

function objectName(f: Finding): string {
  const o = f.object;
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}

export function formatAuditText(run: AuditRun): string {
  const s = summarize(run);
  const lines = [
    `Audit of ${s.objects} objects (${s.evaluations} policy evaluations) in ${(s.durationMs / 1000).toFixed(1)} s.`,
    `Identity: ${run.identity.note}.`,
  ];
  if (s.notServed.length > 0) lines.push(`Not served by this cluster (skipped): ${s.notServed.join(', ')}.`);
  lines.push(s.findings === 0 ? 'No findings.' : `${s.findings} findings (${s.fail} fail, ${s.warn} warn) under ${Object.keys(s.byRule).length} rules.`);
  for (const g of groupFindings(allFindings(run.evaluations))) {
    lines.push('', `${g.rule}  (${g.namespaces.reduce((n, x) => n + x.findings.length, 0)})`);
    for (const ns of g.namespaces) {
      lines.push(`  ${ns.namespace === '' ? '(cluster-scoped)' : `namespace ${ns.namespace}`}`);
      for (const f of ns.findings) {
        const mode = f.mode === 'enforce' ? '' : `, mode ${f.mode}`;
        lines.push(`    ${f.result}${mode}  ${objectName(f)}: ${f.message.replace(/[\r\n\t]+/g, ' ')}`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

export function auditJson(run: AuditRun): unknown {
  return {
    startedAt: run.startedAt,
    identity: run.identity,
    summary: summarize(run),
    listed: run.listed,
    findings: groupFindings(allFindings(run.evaluations)).map((g) => ({
      rule: g.rule,
      namespaces: g.namespaces.map((ns) => ({
        namespace: ns.namespace,
        findings: ns.findings.map((f) => ({ policy: f.policy, result: f.result, mode: f.mode, message: f.message, object: f.object })),
      })),
    })),
  };
}
