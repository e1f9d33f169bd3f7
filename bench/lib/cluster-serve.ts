/**
 * `harbormaster serve` as its own process, the way an operator runs a
 * replica (the built bin/harbormaster.js, not tsx): started against the
 * bench's control plane, watched through /proc (RSS, CPU) and its metrics
 * port (V8 heap from prom-client's default metrics).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { freePort } from '../../src/dev/processes.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { parsePrometheus, type Sample } from './cluster-http.js';
import { cpuSeconds, memoryMiB } from './processes.js';

export interface ServeChildOptions {
  configPath: string;
  certDir: string;
  clientCaFile: string;
  kubeconfig: string;
  helm: string;
  logFile: string;
  identity: string;
  extraNodeArgs?: string[];
  /**
   * MALLOC_ARENA_MAX of the replica, as manifests/deployment.yaml sets it ('2');
   * undefined leaves glibc's default (8 arenas per core).
   */
  mallocArenaMax?: string;
}

/** The replica's glibc arena limit, as the Deployment sets it. */
export const MALLOC_ARENA_MAX = '2';

export interface ServeChild {
  pid: number;
  port: number;
  metricsPort: number;
  /** ms from spawn to /healthz answering (modules loaded, HTTPS listening). */
  listeningMs: number;
  /** ms from spawn to /readyz answering 200 (every informer listed). */
  readyMs: number;
  rssBytes(): number;
  /** User + system CPU seconds so far. */
  cpuSeconds(): number;
  metrics(): Promise<Sample[]>;
  stop(): Promise<void>;
}

/** The newest mtime under a directory (recursive), for the staleness check of dist/. */
function newestMtime(dir: string, ext: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p, ext));
    else if (e.name.endsWith(ext)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when a source file is newer than the build: the child runs the built bin as an operator would. */
export function ensureBuilt(say: (l: string) => void): void {
  let built = 0;
  try {
    built = newestMtime(join(PACKAGE_ROOT, 'dist'), '.js');
  } catch {
    /* no dist yet */
  }
  if (built >= newestMtime(join(PACKAGE_ROOT, 'src'), '.ts')) return;
  say('dist/ is older than src/: npm run build');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: PACKAGE_ROOT, stdio: 'inherit' });
}

function httpsStatus(port: number, path: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function httpText(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    httpGet({ host: '127.0.0.1', port, path, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    }).on('error', reject);
  });
}

export async function startServeChild(o: ServeChildOptions, timeoutMs = 180_000): Promise<ServeChild> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const args = [
    ...(o.extraNodeArgs ?? []),
    join(PACKAGE_ROOT, 'bin', 'harbormaster.js'),
    'serve',
    ...['--config', o.configPath, '--cert-dir', o.certDir, '--client-ca', o.clientCaFile, '--kubeconfig', o.kubeconfig],
    ...['--port', String(port), '--metrics-port', String(metricsPort), '--host', '127.0.0.1', '--helm', o.helm],
  ];
  const t0 = performance.now();
  // Logs straight to a file: a pipe to this (busy) process could hold up the replica's writes.
  const log = openSync(o.logFile, 'w');
  const env: NodeJS.ProcessEnv = { ...process.env, POD_NAME: o.identity };
  delete env.MALLOC_ARENA_MAX;
  if (o.mallocArenaMax !== undefined) env.MALLOC_ARENA_MAX = o.mallocArenaMax;
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', log, log], env });
  closeSync(log);
  const killNow = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killNow);
  const agent = new Agent({ keepAlive: true, ca: readFileSync(join(o.certDir, 'ca.crt')) });
  const stop = async (): Promise<void> => {
    agent.destroy();
    process.off('exit', killNow);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const waitStatus = async (path: string): Promise<number> => {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`harbormaster serve exited with code ${child.exitCode}; see ${o.logFile}`);
      if (performance.now() - t0 > timeoutMs) throw new Error(`harbormaster serve: ${path} not ok after ${timeoutMs / 1000} s; see ${o.logFile}`);
      const status = await httpsStatus(port, path, agent).catch(() => 0);
      if (status === 200) return performance.now() - t0;
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  try {
    const listeningMs = await waitStatus('/healthz');
    const readyMs = await waitStatus('/readyz');
    return {
      pid: child.pid ?? 0,
      port,
      metricsPort,
      listeningMs,
      readyMs,
      rssBytes: () => memoryMiB(child.pid ?? 0).rss * 1024 * 1024,
      cpuSeconds: () => cpuSeconds(child.pid ?? 0),
      metrics: async () => parsePrometheus(await httpText(metricsPort, '/metrics')),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A metric's value summed over its samples (all label sets), NaN when absent. */
export function metricValue(samples: readonly Sample[], name: string): number {
  const hits = samples.filter((s) => s.name === name);
  return hits.length === 0 ? NaN : hits.reduce((a, s) => a + s.value, 0);
}
