/**
 * Part A of the cluster bench: Pod creates/s through the real API server
 * with Harbormaster's webhook configurations registered and without, and the
 * API server's own account of each webhook call
 * (apiserver_admission_webhook_admission_duration_seconds).
 */
import { closedLoop, parsePrometheus, pool, quantile, type ApiClient, type Sample } from './cluster-http.js';
import { podBody, type PodKind } from './cluster-objects.js';

const WEBHOOK_METRIC = 'apiserver_admission_webhook_admission_duration_seconds';

/** count and sum (seconds) per webhook name and type, summed over operation and rejected. */
export type WebhookTotals = Map<string, { type: string; count: number; sum: number }>;

export function webhookTotals(samples: readonly Sample[]): WebhookTotals {
  const out: WebhookTotals = new Map();
  for (const s of samples) {
    const isCount = s.name === `${WEBHOOK_METRIC}_count`;
    if (!isCount && s.name !== `${WEBHOOK_METRIC}_sum`) continue;
    const name = s.labels.name ?? '';
    if (!name.endsWith('.harbormaster.io')) continue;
    const t = out.get(name) ?? { type: s.labels.type ?? '', count: 0, sum: 0 };
    if (isCount) t.count += s.value;
    else t.sum += s.value;
    out.set(name, t);
  }
  return out;
}

export async function scrapeWebhooks(admin: ApiClient): Promise<WebhookTotals> {
  const r = await admin.ok('GET', '/metrics');
  return webhookTotals(parsePrometheus(r.body));
}

/** Calls per webhook between two scrapes. */
export function webhookDelta(before: WebhookTotals, after: WebhookTotals): Array<{ name: string; type: string; calls: number; seconds: number }> {
  return [...after].flatMap(([name, a]) => {
    const b = before.get(name) ?? { count: 0, sum: 0 };
    const calls = a.count - b.count;
    return calls > 0 ? [{ name, type: a.type, calls, seconds: a.sum - b.sum }] : [];
  });
}

type Obj = { apiVersion: string; kind: string; metadata: { name: string } };

const configPath = (o: Obj): string =>
  `/apis/admissionregistration.k8s.io/v1/${o.kind === 'MutatingWebhookConfiguration' ? 'mutatingwebhookconfigurations' : 'validatingwebhookconfigurations'}`;

/**
 * Registers (on) or deletes (off) the webhook configurations, then waits
 * until the API server acts on it: a dry-run Pod create reaches a
 * Harbormaster webhook when on, and none when off.
 */
export async function setWebhooks(admin: ApiClient, objects: readonly Obj[], on: boolean, namespace: string): Promise<void> {
  for (const o of objects) {
    if (on) {
      const created = await admin.request('POST', configPath(o), JSON.stringify(o));
      if (created.status === 409) {
        const current = JSON.parse((await admin.ok('GET', `${configPath(o)}/${o.metadata.name}`)).body) as { metadata: { resourceVersion: string } };
        await admin.ok('PUT', `${configPath(o)}/${o.metadata.name}`, { ...o, metadata: { ...o.metadata, resourceVersion: current.metadata.resourceVersion } });
      } else if (created.status >= 400) throw new Error(`registering ${o.kind}: HTTP ${created.status}: ${created.body}`);
    } else {
      const r = await admin.request('DELETE', `${configPath(o)}/${o.metadata.name}`);
      if (r.status >= 400 && r.status !== 404) throw new Error(`deleting ${o.kind}: HTTP ${r.status}: ${r.body}`);
    }
  }
  const deadline = Date.now() + 30_000;
  let stable = 0;
  while (stable < 2) {
    if (Date.now() > deadline) throw new Error(`the API server did not ${on ? 'start' : 'stop'} calling the webhooks within 30 s`);
    const before = await scrapeWebhooks(admin);
    await admin.ok('POST', `/api/v1/namespaces/${namespace}/pods?dryRun=All`, podBody('needs-defaults'));
    const called = webhookDelta(before, await scrapeWebhooks(admin)).length > 0;
    stable = called === on ? stable + 1 : 0;
    if (stable < 2) await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Deletes the Pods a run made, many at a time (a deletecollection is one
 * worker in the API server: ~100 Pods/s here), then whatever is left, and
 * waits until the namespace is empty: the next run starts from the same
 * API server size.
 */
export async function deletePods(admin: ApiClient, namespace: string, names: readonly string[], inFlight: number): Promise<void> {
  await pool(names.length, inFlight, async (i) => {
    const r = await admin.request('DELETE', `/api/v1/namespaces/${namespace}/pods/${names[i]}`);
    if (r.status >= 400 && r.status !== 404) throw new Error(`deleting Pod ${names[i]}: HTTP ${r.status}: ${r.body.slice(0, 200)}`);
  });
  for (;;) {
    const left = JSON.parse((await admin.ok('GET', `/api/v1/namespaces/${namespace}/pods?limit=1`)).body) as { items: unknown[] };
    if (left.items.length === 0) return;
    await admin.ok('DELETE', `/api/v1/namespaces/${namespace}/pods`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface CreateRun {
  round: number;
  webhooks: 'on' | 'off';
  pod: PodKind;
  creates: number;
  failed: number;
  firstFailure?: string;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Harbormaster webhook calls the API server made during the run. */
  calls: Array<{ name: string; type: string; calls: number; meanMs: number; perCreate: number }>;
  callsPerCreate: number;
  mutatingCallsPerCreate: number;
  /** CPU of the serving replica (one process), % of one core over the run. */
  serverCpuPct: number;
  /** CPU per successful create, ms: our replica, kube-apiserver, etcd. */
  cpuMsPerCreate: { server: number; apiServer: number; etcd: number };
  /** Bench overhead after the run: one /metrics scrape, deleting the Pods. */
  scrapeSeconds: number;
  deleteSeconds: number;
}

export interface CreateRunOptions {
  admin: ApiClient;
  namespace: string;
  clients: number;
  seconds: number;
  serverCpuSeconds: () => number;
  /** CPU seconds so far of kube-apiserver and of etcd: where a webhook call costs besides our replica. */
  controlPlaneCpuSeconds: () => { apiServer: number; etcd: number };
}

export async function createRun(o: CreateRunOptions, round: number, webhooks: 'on' | 'off', pod: PodKind): Promise<CreateRun> {
  const body = podBody(pod);
  const path = `/api/v1/namespaces/${o.namespace}/pods`;
  const before = await scrapeWebhooks(o.admin);
  const cpu0 = o.serverCpuSeconds();
  const cp0 = o.controlPlaneCpuSeconds();
  const names: string[] = [];
  const r = await closedLoop(o.clients, o.seconds, async () => {
    const res = await o.admin.request('POST', path, body);
    if (res.status !== 201) throw new Error(`HTTP ${res.status}: ${res.body.slice(0, 300)}`);
    // metadata comes first in the API server's JSON: the first "name" is the generated one.
    const name = /"name":"([^"]+)"/.exec(res.body)?.[1];
    if (name) names.push(name);
    return true;
  });
  const cpu = o.serverCpuSeconds() - cpu0;
  const cp1 = o.controlPlaneCpuSeconds();
  const tScrape = performance.now();
  const delta = webhookDelta(before, await scrapeWebhooks(o.admin));
  const tDelete = performance.now();
  await deletePods(o.admin, o.namespace, names, 64);
  const overhead = { scrapeSeconds: (tDelete - tScrape) / 1000, deleteSeconds: (performance.now() - tDelete) / 1000 };
  const seconds = r.ms / 1000;
  const lat = [...r.latenciesMs].sort((a, b) => a - b);
  const calls = delta
    .map((d) => ({ name: d.name, type: d.type, calls: d.calls, meanMs: (d.seconds / d.calls) * 1000, perCreate: r.ok ? d.calls / r.ok : NaN }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const total = calls.reduce((a, c) => a + c.calls, 0);
  const mutating = calls.filter((c) => c.type === 'admit').reduce((a, c) => a + c.calls, 0);
  return {
    round,
    webhooks,
    pod,
    creates: r.ok,
    failed: r.failed,
    ...(r.firstFailure ? { firstFailure: r.firstFailure } : {}),
    seconds,
    perSecond: r.ok / seconds,
    p50Ms: quantile(lat, 0.5),
    p99Ms: quantile(lat, 0.99),
    calls,
    callsPerCreate: r.ok ? total / r.ok : NaN,
    mutatingCallsPerCreate: r.ok ? mutating / r.ok : NaN,
    serverCpuPct: (cpu / seconds) * 100,
    cpuMsPerCreate: r.ok
      ? { server: (cpu * 1000) / r.ok, apiServer: ((cp1.apiServer - cp0.apiServer) * 1000) / r.ok, etcd: ((cp1.etcd - cp0.etcd) * 1000) / r.ok }
      : { server: NaN, apiServer: NaN, etcd: NaN },
    ...overhead,
  };
}
