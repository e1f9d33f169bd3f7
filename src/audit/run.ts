/**
 * `harbormaster audit` against a live cluster: lists, read-only and page by
 * page, everything the validating policies cover and everything the cluster
 * view is made of; builds the view from those lists (as `review --state`
 * builds it from files); then judges every covered object.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { storeFromObjects } from '../cluster/static.js';
import { isTrackedKind } from '../cluster/store.js';
import type { PolicyConfig } from '../config/types.js';
import type { KubeObject } from '../kube/types.js';
import type { Policy } from '../policy/types.js';
import { auditObject, type Evaluation, type Finding } from './evaluate.js';
import { AUDIT_IDENTITY_NOTE, AUDIT_USER } from './identity.js';
import { listTarget } from './list.js';
import { listTargets, type ListTarget } from './targets.js';

export interface ListedResource {
  resource: string;
  apiVersion: string;
  served: boolean;
  items: number;
  pages: number;
}

export interface AuditRun {
  startedAt: string;
  durationMs: number;
  identity: { username: string; groups: string[]; note: string };
  listed: ListedResource[];
  evaluations: Evaluation[];
}

export interface AuditClusterInput {
  kubeconfig: KubeConfig;
  policies: readonly Policy[];
  config: PolicyConfig;
  now?: () => number;
  pageSize?: number;
}

function resourceName(t: ListTarget): string {
  return t.group ? `${t.resource}.${t.group}` : t.resource;
}

/** Judges objects already listed (the view built from `view`, every object of `objects` audited). */
export function auditObjects(input: {
  policies: readonly Policy[];
  config: PolicyConfig;
  view: readonly KubeObject[];
  objects: readonly KubeObject[];
  now?: number;
}): Evaluation[] {
  const cluster = storeFromObjects(input.view);
  const common = { policies: input.policies, cluster, config: input.config, ...(input.now !== undefined ? { now: input.now } : {}) };
  return input.objects.flatMap((o) => auditObject(o, common));
}

export async function auditCluster(input: AuditClusterInput): Promise<AuditRun> {
  const clock = input.now ?? Date.now;
  const started = clock();
  const targets = listTargets(input.policies);
  const listed: ListedResource[] = [];
  const record = (t: ListTarget, o: Awaited<ReturnType<typeof listTarget>>): void => {
    listed.push({ resource: resourceName(t), apiVersion: o.apiVersion, served: o.served, items: o.items, pages: o.pages });
  };
  // First what the view needs (it must be whole before anything is judged), keeping the audited ones.
  const viewObjects: KubeObject[] = [];
  const pending: KubeObject[] = [];
  for (const t of targets.filter((x) => isTrackedKind(x.kind))) {
    record(
      t,
      await listTarget(
        input.kubeconfig,
        t,
        (o) => {
          viewObjects.push(o);
          if (t.audited) pending.push(o);
        },
        input.pageSize,
      ),
    );
  }
  const cluster = storeFromObjects(viewObjects);
  const common = { policies: input.policies, cluster, config: input.config, now: started };
  const evaluations: Evaluation[] = pending.flatMap((o) => auditObject(o, common));
  pending.length = 0;
  viewObjects.length = 0;
  // Then the rest, judged page by page as it arrives: no list is held whole.
  for (const t of targets.filter((x) => x.audited && !isTrackedKind(x.kind))) {
    record(t, await listTarget(input.kubeconfig, t, (o) => evaluations.push(...auditObject(o, common)), input.pageSize));
  }
  return {
    startedAt: new Date(started).toISOString(),
    durationMs: clock() - started,
    identity: { username: AUDIT_USER.username, groups: [...AUDIT_USER.groups], note: AUDIT_IDENTITY_NOTE },
    listed,
    evaluations,
  };
}

export function allFindings(evaluations: readonly Evaluation[]): Finding[] {
  return evaluations.flatMap((e) => e.findings);
}

/** Findings by rule, then by namespace ("" for cluster-scoped objects), both sorted. */
export function groupFindings(findings: readonly Finding[]): Array<{ rule: string; namespaces: Array<{ namespace: string; findings: Finding[] }> }> {
  const byRule = new Map<string, Map<string, Finding[]>>();
  for (const f of findings) {
    const ns = f.object.namespace ?? '';
    let m = byRule.get(f.rule);
    if (!m) byRule.set(f.rule, (m = new Map<string, Finding[]>()));
    let list = m.get(ns);
    if (!list) m.set(ns, (list = []));
    list.push(f);
  }
  return [...byRule.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([rule, m]) => ({
      rule,
      namespaces: [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([namespace, fs]) => ({ namespace, findings: fs })),
    }));
}
