/**
 * The processes under test: `serve --state` from the built CLI (what an
 * operator deploys) and the bare-HTTPS baseline, each its own Node process;
 * their resident memory read from /proc.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';

export interface Child {
  name: string;
  pid: number;
  port: number;
  /** stdout + stderr so far (the last 64 KiB), for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code or signal. */
  stop(graceMs?: number): Promise<string>;
}

function newestMtime(dir: string, re: RegExp): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p, re));
    else if (re.test(entry.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** bin/harbormaster.js runs dist/: rebuild it when any source file is newer, so the bench measures the code in the tree. */
export function ensureBuilt(log: (line: string) => void): void {
  let built: number;
  try {
    built = statSync(join(PACKAGE_ROOT, 'dist/cli/main.js')).mtimeMs;
  } catch {
    built = 0;
  }
  if (newestMtime(join(PACKAGE_ROOT, 'src'), /\.ts$/) <= built) return;
  log('dist/ is older than src/: npm run build');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: PACKAGE_ROOT, stdio: 'inherit' });
}

function start(name: string, args: string[], portPattern: RegExp, env: NodeJS.ProcessEnv = process.env): Promise<Child> {
  const child: ChildProcess = spawn(process.execPath, args, { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  const keep = (d: Buffer): void => {
    output = (output + d.toString()).slice(-65536);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? String(code))));
  return new Promise<Child>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 30 s: ${output}`)), 30_000);
    const onData = (): void => {
      const m = portPattern.exec(output);
      if (!m) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve({
        name,
        pid: child.pid!,
        port: Number(m[1]),
        output: () => output,
        async stop(graceMs = 10_000) {
          if (child.exitCode !== null || child.signalCode !== null) return exited;
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
          const how = await exited;
          clearTimeout(t);
          return how;
        },
      });
    };
    child.stdout?.on('data', onData);
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${how}) before listening: ${output}`));
    });
  });
}

export interface ServeOptions {
  stateDir: string;
  certDir: string;
  configFile: string;
  /** Directory for `--cpu-prof`; no profile when undefined. */
  cpuProfDir?: string;
}

/** `node [--cpu-prof …] bin/harbormaster.js serve --state … --port 0`, resolved once it logs "harbormaster serving". */
export function startServe(o: ServeOptions): Promise<Child> {
  const args = [
    ...(o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProfDir] : []),
    join(PACKAGE_ROOT, 'bin/harbormaster.js'),
    'serve',
    '--state',
    o.stateDir,
    '--cert-dir',
    o.certDir,
    '--config',
    o.configFile,
    '--port',
    '0',
    '--metrics-port',
    '0',
    '--host',
    '127.0.0.1',
  ];
  return start('serve', args, /"port":(\d+)[^\n]*harbormaster serving/);
}

export function startBaseline(certDir: string): Promise<Child> {
  return start('baseline', ['--import', 'tsx', join(PACKAGE_ROOT, 'bench/lib/baseline-server.ts'), certDir], /\{"port":(\d+)\}/);
}

/** VmRSS and VmHWM (peak) of a process, MiB, from /proc/<pid>/status. */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every Linux seen, but asked). */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system) a process has used so far, seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/**
 * Pids of the processes whose command line runs `binary` and mentions `marker`
 * (the control plane's directory): how the bench finds kube-apiserver and etcd
 * of its own control plane among others on the machine.
 */
export function pidsOf(binary: string, marker: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (basename(args[0] ?? '') === binary && args.some((a) => a.includes(marker))) out.push(Number(entry));
  }
  return out;
}

/** Runs `fn` and reports how busy the process `pid` and this process were meanwhile, as a share of one core. */
export async function withCpu<T>(pid: number, fn: () => Promise<T>): Promise<{ value: T; serverCpu: number; clientCpu: number }> {
  const s0 = cpuSeconds(pid);
  const c0 = process.cpuUsage();
  const t = performance.now();
  const value = await fn();
  const wall = (performance.now() - t) / 1000;
  const c = process.cpuUsage(c0);
  return { value, serverCpu: (cpuSeconds(pid) - s0) / wall, clientCpu: (c.user + c.system) / 1e6 / wall };
}
