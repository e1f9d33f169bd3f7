/**
 * Read-only, paginated lists for the audit: `limit` + `continue`, one page
 * held at a time, each item handed on as it arrives (apiVersion and kind
 * filled in, since list items carry neither; managedFields dropped).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiError, LIST_PAGE_SIZE, rawRequest } from '../cluster/raw.js';
import type { KubeObject } from '../kube/types.js';
import type { ListTarget } from './targets.js';

export interface ListOutcome {
  /** False when the API server does not serve the resource (a CRD not installed). */
  served: boolean;
  apiVersion: string;
  items: number;
  pages: number;
}

/** The version to list: the webhook rule's, or for `*` the group's preferred one. */
async function resolveVersion(kc: KubeConfig, target: ListTarget): Promise<string | undefined> {
  if (target.version !== '*') return target.version;
  try {
    const res = await rawRequest<{ preferredVersion?: { version?: string } }>(kc, { method: 'GET', path: `/apis/${target.group}` });
    return res.body?.preferredVersion?.version;
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return undefined;
    throw err;
  }
}

/** One collection, page by page; false when the first page is a 404 (not served). */
async function listPages(
  kc: KubeConfig,
  path: string,
  query: Record<string, string>,
  onPage: (items: KubeObject[]) => void,
): Promise<{ served: boolean; pages: number }> {
  let pages = 0;
  for (;;) {
    let body: { metadata?: { continue?: string }; items?: KubeObject[] };
    try {
      body = (await rawRequest<typeof body>(kc, { method: 'GET', path, query })).body ?? {};
    } catch (err) {
      if (err instanceof ApiError && err.code === 404 && pages === 0) return { served: false, pages };
      throw err;
    }
    pages++;
    onPage(body.items ?? []);
    const next = body.metadata?.continue;
    if (!next) return { served: true, pages };
    query.continue = next;
  }
}

export async function listTarget(
  kc: KubeConfig,
  target: ListTarget,
  onItem: (obj: KubeObject) => void,
  pageSize: number = LIST_PAGE_SIZE,
): Promise<ListOutcome> {
  const version = await resolveVersion(kc, target);
  const apiVersion = target.group ? `${target.group}/${version ?? target.version}` : (version ?? 'v1');
  const outcome: ListOutcome = { served: version !== undefined, apiVersion, items: 0, pages: 0 };
  if (version === undefined) return outcome;
  const path = target.group ? `/apis/${apiVersion}/${target.resource}` : `/api/${version}/${target.resource}`;
  for (const fieldSelector of target.fieldSelectors.length > 0 ? target.fieldSelectors : [undefined]) {
    const query: Record<string, string> = { limit: String(pageSize), ...(fieldSelector ? { fieldSelector } : {}) };
    const r = await listPages(kc, path, query, (items) => {
      for (const item of items) {
        item.apiVersion = apiVersion;
        item.kind = target.kind;
        if (item.metadata) delete item.metadata.managedFields;
        outcome.items++;
        onItem(item);
      }
    });
    outcome.pages += r.pages;
    if (!r.served) return { ...outcome, served: false };
  }
  return outcome;
}
