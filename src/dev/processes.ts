/**
 * Child processes of the local control plane, and waiting for them. Each runs
 * in its own process group with its log in a file; they stop in reverse
 * order (etcd last) and are killed outright if we exit without stopping them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

interface Started {
  name: string;
  child: ChildProcess;
  /** How it was started, for `restart`. */
  spawn: { bin: string; args: string[]; logDir: string; env?: Record<string, string> };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export class Processes {
  readonly list: Started[] = [];

  start(name: string, bin: string, args: string[], logDir: string, env?: Record<string, string>): ChildProcess {
    const child = this.#spawn(name, { bin, args, logDir, ...(env ? { env } : {}) }, 'w');
    this.list.push({ name, child, spawn: { bin, args, logDir, ...(env ? { env } : {}) } });
    if (this.list.length === 1) process.once('exit', this.#killAllNow);
    return child;
  }

  /** Stops the process `name` (SIGTERM) and starts it again the same way, its log appended to. */
  async restart(name: string): Promise<ChildProcess> {
    const entry = this.list.find((p) => p.name === name);
    if (!entry) throw new Error(`no process ${name}`);
    await stopChild(entry.child);
    entry.child = this.#spawn(name, entry.spawn, 'a');
    return entry.child;
  }

  /** Sends `signal` (SIGSTOP, SIGCONT, …) to the process `name`. */
  signal(name: string, signal: NodeJS.Signals): void {
    const entry = this.list.find((p) => p.name === name);
    if (!entry) throw new Error(`no process ${name}`);
    entry.child.kill(signal);
  }

  #spawn(name: string, o: Started['spawn'], flags: 'w' | 'a'): ChildProcess {
    const { bin, args, logDir, env } = o;
    const log = createWriteStream(join(logDir, `${name}.log`), { flags });
    // Own process group: a Ctrl-C in the terminal reaches us, not them, so we
    // can stop them in order (etcd last). killAllNow() covers a crash of ours.
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...(env ? { env: { ...process.env, ...env } } : {}) });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    return child;
  }

  readonly #killAllNow = (): void => {
    for (const { child } of this.list) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };

  async stopAll(): Promise<void> {
    // Reverse order: controller-manager, apiserver, then etcd.
    for (const { child } of [...this.list].reverse()) {
      child.kill('SIGCONT'); // a stopped (SIGSTOP) process handles SIGTERM only once continued
      await stopChild(child);
    }
    process.off('exit', this.#killAllNow);
  }
}

/** The last `lines` of a log file, for an error message. */
export function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls `check` until true; fails early when a child died (`died` names it). */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, died: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = died();
    if (dead) throw new Error(`${what}: ${dead}`);
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not become ready in ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function httpsOk(url: string, ca: string, client?: { cert: string; key: string }): Promise<boolean> {
  return (await httpsGet(url, ca, client))?.status === 200;
}

/** GET over TLS verified against `ca`; undefined when it cannot connect or times out. */
export async function httpsGet(url: string, ca: string, client?: { cert: string; key: string }): Promise<{ status: number; body: string } | undefined> {
  const { request } = await import('node:https');
  return new Promise((resolve) => {
    const req = request(url, { ca, ...(client ?? {}), timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(undefined));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => {
      req.destroy();
      resolve(undefined);
    });
    req.end();
  });
}

/** GET of a JSON document that must answer 200. */
export async function httpsJson<T>(url: string, ca: string, client?: { cert: string; key: string }): Promise<T> {
  const r = await httpsGet(url, ca, client);
  if (r?.status !== 200) throw new Error(`GET ${url}: ${r ? `HTTP ${r.status}` : 'no answer'}`);
  return JSON.parse(r.body) as T;
}
