/**
 * HTTPS to the local API server for the cluster bench: a keep-alive client
 * with a kubeconfig's inline client certificate, a fixed number of requests
 * in flight, and the API server's Prometheus text read back into numbers.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { parse } from 'yaml';

export interface Reply {
  status: number;
  body: string;
  /** The Warning headers (admission warnings come back in these). */
  warnings: string[];
}

export interface ApiClient {
  server: string;
  request(method: string, path: string, body?: string, contentType?: string): Promise<Reply>;
  /** Like request, but a status ≥ 400 throws with the server's message. */
  ok(method: string, path: string, body?: unknown): Promise<Reply>;
  close(): void;
}

interface KubeconfigFile {
  clusters?: Array<{ cluster?: { server?: string; 'certificate-authority-data'?: string } }>;
  users?: Array<{ user?: { 'client-certificate-data'?: string; 'client-key-data'?: string } }>;
}

const unb64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString('utf8');

/** The inline client certificate and key of a kubeconfig's first user (and its cluster's URL and CA, if any). */
export function kubeconfigCredentials(path: string): { server: string; ca: string; cert: string; key: string } {
  const doc = parse(readFileSync(path, 'utf8')) as KubeconfigFile;
  const cluster = doc.clusters?.[0]?.cluster;
  const user = doc.users?.[0]?.user;
  return {
    server: cluster?.server ?? '',
    ca: unb64(cluster?.['certificate-authority-data']),
    cert: unb64(user?.['client-certificate-data']),
    key: unb64(user?.['client-key-data']),
  };
}

export function apiClient(kubeconfig: string, maxSockets: number): ApiClient {
  const creds = kubeconfigCredentials(kubeconfig);
  const agent = new Agent({ keepAlive: true, maxSockets, ca: creds.ca, cert: creds.cert, key: creds.key });
  const url = new URL(creds.server);
  const send = (method: string, path: string, body?: string, contentType = 'application/json'): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path,
          method,
          agent,
          headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } : {}) },
          timeout: 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const w = res.headers.warning;
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), warnings: w === undefined ? [] : Array.isArray(w) ? w : [w] });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  return {
    server: creds.server,
    request: send,
    async ok(method, path, body) {
      const r = await send(method, path, body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
      if (r.status >= 400) {
        let message = r.body;
        try {
          message = (JSON.parse(r.body) as { message?: string }).message ?? r.body;
        } catch {
          /* not JSON */
        }
        throw new Error(`${method} ${path}: HTTP ${r.status}: ${message}`);
      }
      return r;
    },
    close: () => agent.destroy(),
  };
}

/**
 * Runs `task(i)` for i = 0..count-1 with `inFlight` at a time; `progress`
 * gets the number done every `everyMs`. Returns the wall time in ms.
 */
export async function pool(
  count: number,
  inFlight: number,
  task: (i: number) => Promise<void>,
  progress?: (done: number) => void,
  everyMs = 5000,
): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  let done = 0;
  const timer = progress ? setInterval(() => progress(done), everyMs) : undefined;
  try {
    await Promise.all(
      Array.from({ length: Math.min(inFlight, count) }, async () => {
        while (next < count) {
          const i = next++;
          await task(i);
          done++;
        }
      }),
    );
  } finally {
    if (timer) clearInterval(timer);
  }
  return performance.now() - t0;
}

/**
 * `clients` loops each calling `task` back to back until `seconds` have
 * passed; returns how many calls succeeded, how many failed (with the first
 * failure's message) and the exact wall time.
 */
export async function closedLoop(
  clients: number,
  seconds: number,
  task: () => Promise<boolean>,
): Promise<{ ok: number; failed: number; firstFailure?: string; ms: number; latenciesMs: number[] }> {
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let ok = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  const latenciesMs: number[] = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          if (await task()) {
            ok++;
            latenciesMs.push(performance.now() - t);
          } else failed++;
        } catch (err) {
          failed++;
          firstFailure ??= (err as Error).message;
        }
      }
    }),
  );
  return { ok, failed, ...(firstFailure ? { firstFailure } : {}), ms: performance.now() - t0, latenciesMs };
}

/** One sample of a Prometheus text exposition: metric name, labels, value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] ?? ''] = l[2] ?? '';
    out.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return out;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? NaN;
}
