/**
 * Plain JSON requests to the API server with the kubeconfig's credentials.
 * Used for writes whose bodies must reach the server exactly as we built them:
 * client-node's typed serializer silently drops fields it maps to other names
 * (LimitRangeItem `default` becomes `_default`), which would corrupt a
 * server-side apply.
 */
import { request } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface RawResponse<T> {
  status: number;
  body: T;
}

/** Tries of one request while the API server answers "not now" (429 or 5xx with Retry-After), as client-go does. */
export const MAX_TRIES = 5;
/** The longest Retry-After honoured per try: a server asking for more is treated as down. */
const MAX_RETRY_AFTER_MS = 10_000;

type RequestOptions = { method: string; path: string; body?: unknown; contentType?: string; query?: Record<string, string> };

/**
 * One request; when the server says it did not process it and when to come
 * back (429 Too Many Requests — a CRD's "storage is (re)initializing" is one
 * — or a 5xx, with Retry-After in the header or the Status body's
 * details.retryAfterSeconds), it is sent again, up to
 * MAX_TRIES times. Without Retry-After an error is final: the caller's own
 * requeue decides.
 */
export async function rawRequest<T = unknown>(kc: KubeConfig, options: RequestOptions): Promise<RawResponse<T>> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await requestOnce<T>(kc, options);
    if (outcome.ok) return outcome.response;
    const wait = outcome.retryAfterMs;
    if (wait === undefined || attempt >= MAX_TRIES) throw outcome.error;
    await new Promise((r) => setTimeout(r, wait));
  }
}

/** Retry-After in seconds (the API server's form), capped; undefined when absent or not a number. */
export function retryAfterMs(status: number, header: string | string[] | undefined): number | undefined {
  if (!(status === 429 || status >= 500) || typeof header !== 'string' || !/^\d{1,4}$/.test(header.trim())) return undefined;
  return Math.min(Number(header.trim()) * 1000, MAX_RETRY_AFTER_MS);
}

type Outcome<T> = { ok: true; response: RawResponse<T> } | { ok: false; error: Error; retryAfterMs?: number };

async function requestOnce<T>(kc: KubeConfig, options: RequestOptions): Promise<Outcome<T>> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(options.path, cluster.server);
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
  const opts: import('node:https').RequestOptions = {
    method: options.method,
    headers: { accept: 'application/json', ...(options.body !== undefined ? { 'content-type': options.contentType ?? 'application/json' } : {}) },
    timeout: 30_000,
  };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          /* not JSON */
        }
        const status = res.statusCode ?? 0;
        if (status >= 400) {
          const message = (body as { message?: string } | undefined)?.message ?? `HTTP ${status}`;
          const inBody = (body as { details?: { retryAfterSeconds?: unknown } } | undefined)?.details?.retryAfterSeconds;
          const after = retryAfterMs(status, res.headers['retry-after'] ?? (typeof inBody === 'number' ? String(inBody) : undefined));
          resolve({ ok: false, error: new ApiError(status, message), ...(after !== undefined ? { retryAfterMs: after } : {}) });
        } else {
          resolve({ ok: true, response: { status, body: body as T } });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    if (options.body !== undefined) req.end(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
    else req.end();
  });
}

/** The REST path of a namespaced or cluster-scoped object. */
export function objectPath(o: { apiVersion: string; resource: string; namespace?: string; name?: string }): string {
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  const ns = o.namespace ? `/namespaces/${encodeURIComponent(o.namespace)}` : '';
  return `${base}${ns}/${o.resource}${o.name ? `/${encodeURIComponent(o.name)}` : ''}`;
}

/** Server-side apply of one object as `fieldManager`, taking ownership of conflicting fields. */
export async function serverSideApply(
  kc: KubeConfig,
  obj: { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } },
  resource: string,
  fieldManager: string,
): Promise<unknown> {
  const path = objectPath({
    apiVersion: obj.apiVersion ?? 'v1',
    resource,
    ...(obj.metadata?.namespace ? { namespace: obj.metadata.namespace } : {}),
    name: obj.metadata?.name ?? '',
  });
  const res = await rawRequest(kc, { method: 'PATCH', path, body: obj, contentType: 'application/apply-patch+yaml', query: { fieldManager, force: 'true' } });
  return res.body;
}

export async function deleteObject(kc: KubeConfig, o: { apiVersion: string; resource: string; namespace?: string; name: string }): Promise<void> {
  try {
    await rawRequest(kc, { method: 'DELETE', path: objectPath(o) });
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 404)) throw err;
  }
}

/** A list as the API server sends it (no typed deserialization), for informers. */
/** Objects per page of a list: a list of 50,000 Secrets never arrives as one 100 MB body. */
export const LIST_PAGE_SIZE = 500;

/**
 * Lists a collection page by page (`limit` + `continue`), so the largest
 * body held at once is one page; `each` may slim every item of a page before
 * the next one is read. The resourceVersion is the snapshot's, as for one
 * unpaged list.
 */
export async function rawList<T>(
  kc: KubeConfig,
  path: string,
  selectors: { labelSelector?: string; fieldSelector?: string } = {},
  each?: (item: T) => T,
): Promise<{ apiVersion?: string; kind?: string; metadata: { resourceVersion?: string }; items: T[] }> {
  const items: T[] = [];
  const resourceVersion = await rawListPages<T>(kc, path, selectors, (page) => {
    for (const item of page) items.push(each ? each(item) : item);
  });
  return { metadata: resourceVersion !== undefined ? { resourceVersion } : {}, items };
}

/**
 * The pages of a list handed over one at a time and not kept, so a caller
 * that folds each page into its own records never holds the whole list.
 * Resolves with the snapshot's resourceVersion.
 */
export async function rawListPages<T>(
  kc: KubeConfig,
  path: string,
  selectors: { labelSelector?: string; fieldSelector?: string },
  page: (items: T[]) => void,
): Promise<string | undefined> {
  const query: Record<string, string> = { limit: String(LIST_PAGE_SIZE) };
  if (selectors.labelSelector) query.labelSelector = selectors.labelSelector;
  if (selectors.fieldSelector) query.fieldSelector = selectors.fieldSelector;
  let resourceVersion: string | undefined;
  for (;;) {
    const res = await rawRequest<{ metadata?: { resourceVersion?: string; continue?: string }; items?: T[] }>(kc, { method: 'GET', path, query });
    page(res.body.items ?? []);
    resourceVersion = res.body.metadata?.resourceVersion ?? resourceVersion;
    const next = res.body.metadata?.continue;
    if (!next) return resourceVersion;
    query.continue = next;
  }
}
