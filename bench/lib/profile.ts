/**
 * Reads a V8 .cpuprofile (what `node --cpu-prof` writes): self time per
 * function and per package, from `samples` and `timeDeltas`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  /** Share of the sampled time that was not idle. */
  share: number;
}

export interface ProfileSummary {
  file: string;
  /** Whether only the samples inside the given load windows were counted (false: the whole profile, startup included). */
  windowed: boolean;
  sampledMs: number;
  idleMs: number;
  functions: SelfTime[];
  packages: SelfTime[];
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\//, '').replace(PACKAGE_ROOT + '/', '');
}

/** node_modules/<pkg>, node:<module>, harbormaster <dir of dist/>, or the V8 pseudo-frame itself. */
function packageOf(frame: CallFrame): string {
  const url = shortUrl(frame.url);
  if (url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (nm) return nm[1]!;
  const internal = /^node:(?:internal\/)?([^/]+)/.exec(url);
  if (internal) return `node:${internal[1]!.replace(/\.js$/, '')}`;
  const own = /^dist\/([^/]+)/.exec(url);
  if (own) return `harbormaster ${own[1]!.replace(/\.js$/, '')}`;
  return url;
}

export function newestProfile(dir: string): string | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0];
}

/** A time span on the monotonic clock, µs: what `process.hrtime` reads in any process and V8 stamps its samples with on Linux. */
export interface Window {
  startUs: number;
  endUs: number;
}

/** Monotonic-clock µs now, comparable with the timestamps of a profile written by another process on this machine. */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * Self time per function and per package. With `windows`, only the samples
 * taken inside them count (the load, not startup or the pauses between runs);
 * if none falls inside, the whole profile is used and `windowed` says so.
 */
export function summarize(file: string, top = 15, windows: readonly Window[] = []): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const tally = (inWindow: (us: number) => boolean): Map<number, number> => {
    const selfUs = new Map<number, number>();
    let ts = profile.startTime;
    // timeDeltas[i] is the gap before sample i, so sample i lasted until sample i + 1.
    for (let i = 0; i < profile.samples.length; i++) {
      ts += profile.timeDeltas[i] ?? 0;
      if (!inWindow(ts)) continue;
      const id = profile.samples[i]!;
      selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
    }
    return selfUs;
  };
  let selfUs = windows.length > 0 ? tally((us) => windows.some((w) => us >= w.startUs && us < w.endUs)) : new Map<number, number>();
  const windowed = selfUs.size > 0;
  if (!windowed) selfUs = tally(() => true);
  const fn = new Map<string, SelfTime>();
  const pkg = new Map<string, SelfTime>();
  let sampledUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    sampledUs += us;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const name = frame.functionName || '(anonymous)';
    const key = `${name} ${where}`;
    const f = fn.get(key) ?? { name, where, ms: 0, share: 0 };
    f.ms += us / 1000;
    fn.set(key, f);
    const p = packageOf(frame);
    const g = pkg.get(p) ?? { name: p, where: '', ms: 0, share: 0 };
    g.ms += us / 1000;
    pkg.set(p, g);
  }
  const busyMs = (sampledUs - idleUs) / 1000;
  const rank = (m: Map<string, SelfTime>): SelfTime[] =>
    [...m.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((s) => ({ ...s, share: busyMs > 0 ? s.ms / busyMs : 0 }));
  return { file, windowed, sampledMs: sampledUs / 1000, idleMs: idleUs / 1000, functions: rank(fn), packages: rank(pkg) };
}
