/**
 * Writes audit reports, only where they changed: the reports Harbormaster
 * wrote before are listed (by label) and compared by their content hash; a
 * new one is created, a changed one replaced (with its resourceVersion, so a
 * concurrent writer is not overwritten blindly), an unchanged one left
 * alone. A namespace whose objects are gone keeps a report emptied rather
 * than a stale one. RBAC: get, list, create, update on both kinds.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiError, rawList, rawRequest } from '../cluster/raw.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../kube/names.js';
import { HASH_ANNOTATION, makeReport, POLICY_REPORT_API_VERSION, REPORT_NAME, type PolicyReportObject } from './policyreport.js';

export interface ApplyOutcome {
  created: number;
  updated: number;
  unchanged: number;
}

interface Existing {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; annotations?: Record<string, string> };
}

const BASE = `/apis/${POLICY_REPORT_API_VERSION}`;

function pathOf(kind: PolicyReportObject['kind'], namespace?: string, name?: string): string {
  const collection = kind === 'PolicyReport' ? `namespaces/${encodeURIComponent(namespace ?? '')}/policyreports` : 'clusterpolicyreports';
  return `${BASE}/${collection}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

async function existingReports(kc: KubeConfig): Promise<Map<string, Existing>> {
  const labelSelector = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
  const out = new Map<string, Existing>();
  for (const path of [`${BASE}/policyreports`, `${BASE}/clusterpolicyreports`]) {
    const list = await rawList<Existing>(kc, path, { labelSelector });
    for (const item of list.items) {
      if (item.metadata?.name !== REPORT_NAME) continue;
      out.set(item.metadata.namespace ?? '', item);
    }
  }
  return out;
}

export async function applyReports(
  kc: KubeConfig,
  reports: readonly PolicyReportObject[],
  options: { nowMs: number; onWrite?: (verb: 'create' | 'update', kind: string) => void },
): Promise<ApplyOutcome> {
  const existing = await existingReports(kc);
  const wanted = new Map(reports.map((r) => [r.metadata.namespace ?? '', r]));
  // A namespace reported before but holding no audited object now: its report is emptied, not left stale.
  for (const ns of existing.keys()) {
    if (ns !== '' && !wanted.has(ns)) wanted.set(ns, makeReport(ns, [], Math.floor(options.nowMs / 1000)));
  }
  const outcome: ApplyOutcome = { created: 0, updated: 0, unchanged: 0 };
  for (const [ns, report] of wanted) {
    const old = existing.get(ns);
    const namespace = report.metadata.namespace;
    if (old?.metadata?.annotations?.[HASH_ANNOTATION] === report.metadata.annotations[HASH_ANNOTATION]) {
      outcome.unchanged++;
      continue;
    }
    if (old) {
      const body = { ...report, metadata: { ...report.metadata, resourceVersion: old.metadata?.resourceVersion } };
      await rawRequest(kc, { method: 'PUT', path: pathOf(report.kind, namespace, REPORT_NAME), body });
      outcome.updated++;
      options.onWrite?.('update', report.kind);
    } else {
      try {
        await rawRequest(kc, { method: 'POST', path: pathOf(report.kind, namespace), body: report });
      } catch (err) {
        // A namespace being deleted (403 "being terminated") or just gone (404 naming the namespace) refuses new
        // objects; its report would go with it anyway. Any other 404 — the CRD not installed — is an error.
        if (
          err instanceof ApiError &&
          ((err.code === 403 && /being terminated/.test(err.message)) || (err.code === 404 && /namespaces? ".*" not found/.test(err.message)))
        )
          continue;
        throw err;
      }
      outcome.created++;
      options.onWrite?.('create', report.kind);
    }
  }
  return outcome;
}
