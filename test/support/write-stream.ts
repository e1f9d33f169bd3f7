/**
 * A steady stream of writes through the API server for the HA test: Pods,
 * Services and Ingresses created round-robin in a few tenant namespaces by a
 * few concurrent workers, over raw HTTPS with a kubeconfig's client
 * certificate (keep-alive, as a controller's client would). Every write is
 * recorded with its start and end time and its outcome, so a fault's window
 * can be cut out afterwards: admitted, failed because the API server could
 * not call a webhook ("failed calling webhook"), denied by a policy (the
 * objects are compliant: a denial is a bug), or failed for another reason
 * (the API server or etcd down).
 */
import { Agent, request } from 'node:https';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export type Outcome = 'ok' | 'webhook' | 'denied' | 'other';

export interface WriteRecord {
  kind: 'Pod' | 'Service' | 'Ingress';
  namespace: string;
  name: string;
  start: number;
  end: number;
  outcome: Outcome;
  status: number;
  message?: string;
}

export interface Tally {
  sent: number;
  ok: number;
  webhook: number;
  denied: number;
  other: number;
}

interface Credentials {
  server: string;
  ca: string;
  cert: string;
  key: string;
}

/** Server, CA and client pair of a kubeconfig with inline data (the dev control plane's). */
export function kubeconfigCredentials(path: string): Credentials {
  const doc = parse(readFileSync(path, 'utf8')) as {
    clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>;
    users: Array<{ user: { 'client-certificate-data': string; 'client-key-data': string } }>;
  };
  const un64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');
  const cluster = doc.clusters[0]?.cluster;
  const user = doc.users[0]?.user;
  if (!cluster || !user) throw new Error(`${path}: no cluster or user`);
  return {
    server: cluster.server,
    ca: un64(cluster['certificate-authority-data']),
    cert: un64(user['client-certificate-data']),
    key: un64(user['client-key-data']),
  };
}

/** One JSON call to the API server; resolves with the status and parsed body (status 0: no answer). */
export function apiCall(
  client: { creds: Credentials; agent: Agent },
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<{ status: number; body: { message?: string } & Record<string, unknown> }> {
  const { creds, agent } = client;
  const url = new URL(path, creds.server);
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method,
        agent,
        timeout: timeoutMs,
        headers: { accept: 'application/json', ...(text ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let parsed: Record<string, unknown> = {};
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          } catch {
            // not JSON (a proxy error page): keep the status only
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', (err) => resolve({ status: 0, body: { message: err.message } }));
      },
    );
    req.on('error', (err) => resolve({ status: 0, body: { message: err.message } }));
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.end(text);
  });
}

/** The outcome of one create, from the API server's answer. */
export function classify(status: number, message: string | undefined): Outcome {
  if (status === 201 || status === 200) return 'ok';
  const m = message ?? '';
  // "Internal error occurred: failed calling webhook \"…\": failed to call webhook: Post …"
  if (/failed calling webhook|failed to call webhook/.test(m)) return 'webhook';
  if (/admission webhook .* denied the request/.test(m)) return 'denied';
  return 'other';
}

function objectFor(kind: WriteRecord['kind'], name: string, host: string): { path: string; body: unknown } {
  switch (kind) {
    case 'Pod':
      return {
        path: 'pods',
        body: { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] } },
      };
    case 'Service':
      return {
        path: 'services',
        body: { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }] } },
      };
    case 'Ingress':
      return {
        path: 'ingresses',
        body: {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: { name },
          spec: {
            ingressClassName: 'harbormaster',
            rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
          },
        },
      };
  }
}

const KINDS: ReadonlyArray<WriteRecord['kind']> = ['Pod', 'Service', 'Ingress'];

export interface WriteStreamOptions {
  kubeconfig: string;
  namespaces: readonly string[];
  workers?: number;
  /** Pause of each worker between two writes. */
  pauseMs?: number;
}

export class WriteStream {
  readonly records: WriteRecord[] = [];
  readonly #o: Required<WriteStreamOptions>;
  readonly #creds: Credentials;
  readonly #agent: Agent;
  #running = false;
  #workers: Array<Promise<void>> = [];
  #seq = 0;
  /** Writes sent and not answered yet. */
  inFlight = 0;

  constructor(options: WriteStreamOptions) {
    this.#o = { workers: 3, pauseMs: 50, ...options };
    this.#creds = kubeconfigCredentials(options.kubeconfig);
    this.#agent = new Agent({ keepAlive: true, ca: this.#creds.ca, cert: this.#creds.cert, key: this.#creds.key, maxSockets: 16 });
  }

  start(): void {
    this.#running = true;
    this.#workers = Array.from({ length: this.#o.workers }, () => this.#work());
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#workers);
    this.#agent.destroy();
  }

  async #work(): Promise<void> {
    while (this.#running) {
      const n = this.#seq++;
      const kind = KINDS[n % KINDS.length] as WriteRecord['kind'];
      const namespace = this.#o.namespaces[Math.floor(n / KINDS.length) % this.#o.namespaces.length] as string;
      const name = `w-${n}`;
      const { path, body } = objectFor(kind, name, `${name}.${namespace}.example.com`);
      const prefix = kind === 'Ingress' ? '/apis/networking.k8s.io/v1' : '/api/v1';
      const start = Date.now();
      this.inFlight++;
      const r = await apiCall({ creds: this.#creds, agent: this.#agent }, 'POST', `${prefix}/namespaces/${namespace}/${path}`, body);
      this.inFlight--;
      const message = typeof r.body.message === 'string' ? r.body.message : undefined;
      const rec: WriteRecord = { kind, namespace, name, start, end: Date.now(), outcome: classify(r.status, message), status: r.status };
      if (rec.outcome !== 'ok' && message !== undefined) rec.message = message;
      this.records.push(rec);
      // Pods count against the namespace quota (pods: 100): each goes once admitted. Not counted as a write.
      if (kind === 'Pod' && rec.outcome === 'ok')
        await apiCall({ creds: this.#creds, agent: this.#agent }, 'DELETE', `${prefix}/namespaces/${namespace}/pods/${name}?gracePeriodSeconds=0`);
      await new Promise((res) => setTimeout(res, this.#o.pauseMs));
    }
  }

  /** Writes started in [from, to), by outcome. */
  tally(from: number, to: number): Tally {
    const t: Tally = { sent: 0, ok: 0, webhook: 0, denied: 0, other: 0 };
    for (const r of this.records) {
      if (r.start < from || r.start >= to) continue;
      t.sent++;
      t[r.outcome]++;
    }
    return t;
  }

  /** Writes in flight at some moment of [from, to]: started before `to`, answered at or after `from`. */
  overlapping(from: number, to: number): number {
    return this.records.filter((r) => r.start <= to && r.end >= from).length;
  }

  /** Writes started in [from, to) that did not succeed (for messages in a failure report). */
  failures(from: number, to: number): WriteRecord[] {
    return this.records.filter((r) => r.start >= from && r.start < to && r.outcome !== 'ok');
  }
}
