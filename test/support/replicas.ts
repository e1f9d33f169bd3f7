/**
 * The pieces of a two-replica Deployment for the HA test, outside a kubelet:
 * `Replica` runs one `harbormaster serve` child process (from source, as the
 * built bin would run) with its own cert and config directories, and
 * `VolumeMirror` plays the kubelet's Secret and ConfigMap volumes, copying
 * the data of one object into each replica's directory whenever it changes,
 * each replica with its own lag (kubelets sync on their own schedule).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { apiCall, kubeconfigCredentials } from './write-stream.js';

export interface ReplicaOptions {
  name: string;
  dir: string;
  port: number;
  metricsPort: number;
  kubeconfig: string;
  clientCaFile: string;
  helm: string;
  /** Extra `serve` flags. */
  args?: string[];
}

export interface LogLine {
  time: number;
  msg: string;
  [k: string]: unknown;
}

export class Replica {
  readonly o: ReplicaOptions;
  readonly certDir: string;
  readonly configDir: string;
  child: ChildProcess | undefined;
  /** Parsed log lines of every run, in order. */
  readonly log: LogLine[] = [];
  #exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;

  constructor(o: ReplicaOptions) {
    this.o = o;
    this.certDir = join(o.dir, 'tls');
    this.configDir = join(o.dir, 'config');
    mkdirSync(this.certDir, { recursive: true });
    mkdirSync(this.configDir, { recursive: true });
  }

  get identity(): string {
    return `ha-${this.o.name}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    const args = [
      '--import',
      'tsx',
      join(PACKAGE_ROOT, 'test/support/serve-child.ts'),
      'serve',
      `--config=${join(this.configDir, 'policy.yaml')}`,
      `--cert-dir=${this.certDir}`,
      `--client-ca=${this.o.clientCaFile}`,
      `--port=${this.o.port}`,
      `--metrics-port=${this.o.metricsPort}`,
      '--host=127.0.0.1',
      `--kubeconfig=${this.o.kubeconfig}`,
      `--helm=${this.o.helm}`,
      ...(this.o.args ?? []),
    ];
    const out = createWriteStream(join(this.o.dir, 'serve.log'), { flags: 'a' });
    const child = spawn(process.execPath, args, {
      cwd: PACKAGE_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, POD_NAME: this.identity, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' },
    });
    let partial = '';
    child.stdout.on('data', (d: Buffer) => {
      out.write(d);
      const text = partial + d.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        try {
          this.log.push(JSON.parse(l) as LogLine);
        } catch {
          // not a log line
        }
      }
    });
    child.stderr.pipe(out);
    this.child = child;
    this.#exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves with how it exited. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.#exit ?? Promise.resolve({ code: null, signal: null });
  }

  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  /** The metrics page as text, or undefined when it does not answer. */
  metrics(): Promise<string | undefined> {
    return new Promise((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port: this.o.metricsPort, path: '/metrics', timeout: 2000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
        res.on('error', () => resolve(undefined));
      });
      req.on('error', () => resolve(undefined));
      req.on('timeout', () => req.destroy());
      req.end();
    });
  }

  /** Sum of the samples of `metric` whose labels contain every `labels` pair (0 when absent or down). */
  async metric(metric: string, labels: Record<string, string> = {}): Promise<number> {
    return sumMetric((await this.metrics()) ?? '', metric, labels);
  }

  /** Log lines with this message since `from` (ms). */
  logged(msg: string, from = 0): LogLine[] {
    return this.log.filter((l) => l.msg === msg && l.time >= from);
  }
}

/** Sums the samples of `metric` in Prometheus text whose labels include `labels`. */
export function sumMetric(text: string, metric: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== metric) continue;
    const l = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

export interface MirrorTarget {
  dir: string;
  /** How long after the object changed this copy is written. */
  lagMs: number;
}

/**
 * Copies the data of one Secret or ConfigMap into directories, one file per
 * key (base64-decoded for a Secret), each file replaced atomically, keys in
 * the given order (the key before the certificate). A key that disappears
 * from the object is left on disk, as a kubelet that cannot project a
 * missing key would leave the old one.
 */
export class VolumeMirror {
  readonly #creds: ReturnType<typeof kubeconfigCredentials>;
  readonly #agent: Agent;
  readonly #path: string;
  readonly #secret: boolean;
  readonly #targets: MirrorTarget[];
  readonly #order: readonly string[];
  #last = '';
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #pending = new Set<NodeJS.Timeout>();
  /** Times a new version was copied to each directory. */
  readonly copies: Array<{ dir: string; time: number; version: string }> = [];

  constructor(o: { kubeconfig: string; kind: 'Secret' | 'ConfigMap'; namespace: string; name: string; targets: MirrorTarget[]; order?: string[] }) {
    this.#creds = kubeconfigCredentials(o.kubeconfig);
    this.#agent = new Agent({ keepAlive: true, ca: this.#creds.ca, cert: this.#creds.cert, key: this.#creds.key });
    this.#path = `/api/v1/namespaces/${o.namespace}/${o.kind === 'Secret' ? 'secrets' : 'configmaps'}/${o.name}`;
    this.#secret = o.kind === 'Secret';
    this.#targets = o.targets;
    this.#order = o.order ?? [];
  }

  /** Copies the current version into every directory now (no lag), then follows changes. */
  async start(): Promise<void> {
    const data = await this.#read();
    if (!data) throw new Error(`${this.#path} not found`);
    this.#last = JSON.stringify(data);
    for (const t of this.#targets) this.#write(t.dir, data, 'initial');
    const tick = (): void => {
      void this.#poll().finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(tick, 300);
      });
    };
    this.#timer = setTimeout(tick, 300);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    for (const t of this.#pending) clearTimeout(t);
  }

  async #read(): Promise<Record<string, string> | undefined> {
    const r = await apiCall({ creds: this.#creds, agent: this.#agent }, 'GET', this.#path, undefined, 5000);
    if (r.status !== 200) return undefined;
    const data = (r.body.data ?? {}) as Record<string, string>;
    if (!this.#secret) return data;
    return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  }

  async #poll(): Promise<void> {
    const data = await this.#read();
    if (!data) return; // API server away: the kubelet keeps the files
    const text = JSON.stringify(data);
    if (text === this.#last) return;
    this.#last = text;
    const version = String(Date.now());
    for (const t of this.#targets) {
      const timer = setTimeout(() => {
        this.#pending.delete(timer);
        this.#write(t.dir, data, version);
      }, t.lagMs);
      this.#pending.add(timer);
    }
  }

  #write(dir: string, data: Record<string, string>, version: string): void {
    const keys = [...this.#order.filter((k) => k in data), ...Object.keys(data).filter((k) => !this.#order.includes(k))];
    for (const k of keys) {
      const tmp = join(dir, `.${k}.tmp`);
      writeFileSync(tmp, data[k] as string, { mode: 0o600 });
      renameSync(tmp, join(dir, k));
    }
    this.copies.push({ dir, time: Date.now(), version });
  }
}

/** A file's text, or '' when unreadable. */
export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
