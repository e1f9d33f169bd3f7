/**
 * Audit results as `wgpolicyk8s.io/v1alpha2` reports, the shape Policy
 * Reporter and similar tools read: one `PolicyReport` named `harbormaster`
 * per namespace with audited objects, one `ClusterPolicyReport` for
 * cluster-scoped ones. A result per finding (fail or warn) and a pass per
 * (object, policy) with none; the summary always counts them all. Each report
 * carries a hash of its content (timestamps aside), so writers can tell an
 * unchanged report without comparing it field by field.
 */
import { createHash } from 'node:crypto';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../kube/names.js';
import type { Evaluation, Finding, ObjectRef } from './evaluate.js';

export const POLICY_REPORT_GROUP = 'wgpolicyk8s.io';
export const POLICY_REPORT_API_VERSION = `${POLICY_REPORT_GROUP}/v1alpha2`;
export const REPORT_NAME = 'harbormaster';
export const REPORT_SOURCE = 'harbormaster';
export const HASH_ANNOTATION = 'harbormaster.io/audit-hash';
export const OMITTED_ANNOTATION = 'harbormaster.io/audit-pass-results-omitted';
/** Results kept per report (failures and warnings first): an object stays well under etcd's 1.5 MiB. */
export const MAX_RESULTS = 1000;

export type ResultValue = 'pass' | 'fail' | 'warn' | 'error' | 'skip';

export interface ReportResult {
  source: string;
  policy: string;
  rule?: string;
  category?: string;
  result: ResultValue;
  message?: string;
  resources: ObjectRef[];
  timestamp: { seconds: number; nanos: number };
  properties?: Record<string, string>;
}

export interface ReportSummary {
  pass: number;
  fail: number;
  warn: number;
  error: number;
  skip: number;
}

export interface PolicyReportObject {
  apiVersion: typeof POLICY_REPORT_API_VERSION;
  kind: 'PolicyReport' | 'ClusterPolicyReport';
  metadata: { name: string; namespace?: string; labels: Record<string, string>; annotations: Record<string, string>; resourceVersion?: string };
  summary: ReportSummary;
  results: ReportResult[];
}

const ORDER: Record<ResultValue, number> = { fail: 0, warn: 1, error: 2, skip: 3, pass: 4 };

function resultOf(f: Finding, seconds: number): ReportResult {
  return {
    source: REPORT_SOURCE,
    policy: f.policy,
    rule: f.rule,
    category: f.policy,
    result: f.result,
    message: f.message,
    resources: [f.object],
    timestamp: { seconds, nanos: 0 },
    properties: { mode: f.mode },
  };
}

function sortKey(r: ReportResult): string {
  const o = r.resources[0];
  return [ORDER[r.result], o?.kind, o?.namespace ?? '', o?.name, r.policy, r.rule ?? '', r.message ?? ''].join('\u0000');
}

/** The hash of what a report says, timestamps excluded. */
export function reportHash(summary: ReportSummary, results: readonly ReportResult[]): string {
  const stable = results.map(({ timestamp: _t, ...rest }) => rest);
  return createHash('sha256')
    .update(JSON.stringify({ summary, results: stable }))
    .digest('hex')
    .slice(0, 32);
}

function emptySummary(): ReportSummary {
  return { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
}

export function makeReport(namespace: string | undefined, evaluations: readonly Evaluation[], seconds: number): PolicyReportObject {
  const summary = emptySummary();
  const results: ReportResult[] = [];
  for (const e of evaluations) {
    if (e.findings.length === 0) {
      summary.pass++;
      results.push({
        source: REPORT_SOURCE,
        policy: e.policy,
        category: e.policy,
        result: 'pass',
        message: `no rule of ${e.policy} fires`,
        resources: [e.object],
        timestamp: { seconds, nanos: 0 },
      });
    }
    for (const f of e.findings) {
      summary[f.result]++;
      results.push(resultOf(f, seconds));
    }
  }
  results.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
  const kept = results.slice(0, MAX_RESULTS);
  const annotations: Record<string, string> = { [HASH_ANNOTATION]: reportHash(summary, kept) };
  if (kept.length < results.length) annotations[OMITTED_ANNOTATION] = String(results.length - kept.length);
  return {
    apiVersion: POLICY_REPORT_API_VERSION,
    kind: namespace === undefined ? 'ClusterPolicyReport' : 'PolicyReport',
    metadata: {
      name: REPORT_NAME,
      ...(namespace !== undefined ? { namespace } : {}),
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
      annotations,
    },
    summary,
    results: kept,
  };
}

/** One report per namespace with audited objects, then the cluster report (always, possibly empty). */
export function buildReports(evaluations: readonly Evaluation[], nowMs: number): PolicyReportObject[] {
  const seconds = Math.floor(nowMs / 1000);
  const byNamespace = new Map<string, Evaluation[]>();
  const cluster: Evaluation[] = [];
  for (const e of evaluations) {
    const ns = e.object.namespace;
    if (ns === undefined) cluster.push(e);
    else {
      let list = byNamespace.get(ns);
      if (!list) byNamespace.set(ns, (list = []));
      list.push(e);
    }
  }
  const namespaced = [...byNamespace.keys()].sort().map((ns) => makeReport(ns, byNamespace.get(ns) ?? [], seconds));
  return [...namespaced, makeReport(undefined, cluster, seconds)];
}
