/**
 * npm run bench (part): HTTP load against `serve --state` as an operator
 * sizing the deployment would run it. Three processes: the server (the built
 * CLI, `node bin/harbormaster.js serve --state …`), a bare node:https baseline
 * with the same certificate that parses the AdmissionReview and answers
 * allowed (bench/lib/baseline-server.ts), and this one, the load generator.
 *
 * For every endpoint the server registers, with a request that makes its
 * policy do its real work, and for a weighted mix (bench/lib/requests.ts):
 *  1. max throughput, 8 keep-alive connections, closed loop (autocannon), and
 *     the baseline's with the same request: ratio = ours / baseline;
 *  2. p50/p99/p99.9 at half of our max throughput, open loop at a fixed rate
 *     (bench/lib/load.ts says why not autocannon's overallRate), and the
 *     baseline's at that same rate, the floor of client + TLS;
 *  3. RSS of the server idle (after start, before load) and after load.
 * Prints a table with every figure against its target, writes
 * bench/results/load.json and bench/results/load.svg.
 *
 * TLS: autocannon connects with rejectUnauthorized false (it hard-codes that);
 * before any load, one request per endpoint and to the baseline goes over a
 * connection that verifies the run's test CA, and the paced client verifies it
 * on every connection.
 *
 * Env: BENCH_QUICK=1 (or --quick) shortens every run for development;
 * BENCH_ONLY=mix,ingress runs only the targets whose name contains one of the
 * words; BENCH_PROFILE=1 starts the server with --cpu-prof into
 * bench/results/profile and prints the top self-time functions and packages.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POLICY_FILE, PACKAGE_ROOT } from '../src/paths.js';
import { tempCerts, tempDir } from '../test/support/tls.js';
import { answer, maxThroughput, paced, type Paced, type Throughput } from './lib/load.js';
import { ensureBuilt, memoryMiB, startBaseline, startServe, withCpu, type Child } from './lib/processes.js';
import { newestProfile, nowUs, summarize, type ProfileSummary, type Window } from './lib/profile.js';
import { endpoints, stateObjects, traffic, type BenchRequest } from './lib/requests.js';
import { barChart } from './lib/svg.js';

const QUICK = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick');
const PROFILE = process.env.BENCH_PROFILE === '1';
const ONLY = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const CONNECTIONS = 8;
const SECONDS = QUICK ? { warm: 0.5, max: 0.8, paced: 0.7 } : { warm: 2, max: 5, paced: 5 };
const TARGET = { ratio: 0.6, p99Ms: 5, idleRssMiB: 100 };
const RESULTS = join(PACKAGE_ROOT, 'bench/results');
const PROFILE_DIR = join(RESULTS, 'profile');

const t0 = performance.now();
const log = (line: string): void => console.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${line}`);

interface Cpu {
  /** Share of one core the process under load used meanwhile: near 1 means it, not the client, set the pace. */
  serverCpu: number;
  /** Share of one core this process (the load generator) used. */
  clientCpu: number;
}

interface Row {
  name: string;
  what: string;
  bodyBytes: number;
  ours: Throughput & Cpu;
  baseline: Throughput & Cpu;
  ratio: number;
  half: Paced & Cpu;
  baselineHalf: Paced;
}

function checkLoad(who: Child, name: string, t: Throughput): void {
  if (t.errors > 0 || t.non2xx > 0) {
    throw new Error(`${name} against ${who.name}: ${t.errors} errors, ${t.non2xx} non-2xx answers; its output:\n${who.output().slice(-2000)}`);
  }
}

function checkPaced(who: Child, name: string, p: Paced): void {
  if (p.errors > 0) throw new Error(`${name} against ${who.name}: ${p.errors} failed requests at ${p.rate} req/s; its output:\n${who.output().slice(-2000)}`);
}

async function verifyAnswers(serve: Child, baseline: Child, requests: readonly BenchRequest[], ca: string): Promise<void> {
  for (const q of requests) {
    const got = await answer(serve.port, q, ca);
    const allowed = got.review.response?.allowed;
    const patched = typeof got.review.response?.patch === 'string';
    if (got.status !== 200 || allowed !== q.expect.allowed || patched !== q.expect.patched) {
      throw new Error(
        `${q.path} (${q.what}): HTTP ${got.status}, allowed ${String(allowed)}, patch ${patched}; expected allowed ${q.expect.allowed}, patch ${q.expect.patched}`,
      );
    }
  }
  const base = await answer(baseline.port, requests[0]!, ca);
  if (base.status !== 200 || base.review.response?.allowed !== true) throw new Error(`baseline answered HTTP ${base.status}`);
}

/** When load ran against serve: the profile counts only these samples. */
const loadWindows: Window[] = [];
async function onServe<T>(fn: () => Promise<T>): Promise<T> {
  const startUs = nowUs();
  try {
    return await fn();
  } finally {
    loadWindows.push({ startUs, endUs: nowUs() });
  }
}

interface Servers {
  serve: Child;
  baseline: Child;
  ca: string;
}
interface Target {
  name: string;
  what: string;
  requests: BenchRequest[];
}

async function measure({ serve, baseline, ca }: Servers, { name, what, requests }: Target): Promise<Row> {
  const ours = await onServe(() => withCpu(serve.pid, () => maxThroughput(serve.port, requests, SECONDS.max, CONNECTIONS)));
  checkLoad(serve, name, ours.value);
  const base = await withCpu(baseline.pid, () => maxThroughput(baseline.port, requests, SECONDS.max, CONNECTIONS));
  checkLoad(baseline, name, base.value);
  const rate = Math.max(1, Math.round(ours.value.rps / 2));
  const half = await onServe(() => withCpu(serve.pid, () => paced({ port: serve.port, requests, rate, seconds: SECONDS.paced, ca, connections: CONNECTIONS })));
  checkPaced(serve, name, half.value);
  const baselineHalf = await paced({ port: baseline.port, requests, rate, seconds: SECONDS.paced, ca, connections: CONNECTIONS });
  checkPaced(baseline, name, baselineHalf);
  const row: Row = {
    name,
    what,
    bodyBytes: Math.round(requests.reduce((a, q) => a + q.body.length, 0) / requests.length),
    ours: { ...ours.value, serverCpu: ours.serverCpu, clientCpu: ours.clientCpu },
    baseline: { ...base.value, serverCpu: base.serverCpu, clientCpu: base.clientCpu },
    ratio: ours.value.rps / base.value.rps,
    half: { ...half.value, serverCpu: half.serverCpu, clientCpu: half.clientCpu },
    baselineHalf,
  };
  const cpu = (c: { serverCpu: number; clientCpu: number }): string =>
    `server ${(c.serverCpu * 100).toFixed(0)}% / client ${(c.clientCpu * 100).toFixed(0)}% CPU`;
  log(
    `${name}: ${row.ours.rps.toFixed(0)} req/s (${cpu(row.ours)}) vs baseline ${row.baseline.rps.toFixed(0)} (${cpu(row.baseline)}): ${row.ratio.toFixed(2)}; ` +
      `at ${rate} req/s p50 ${row.half.p50.toFixed(2)} p99 ${row.half.p99.toFixed(2)} p99.9 ${row.half.p999.toFixed(2)} ms ` +
      `(client lag p99 ${row.half.lagP99.toFixed(2)}; baseline p99 ${baselineHalf.p99.toFixed(2)})`,
  );
  return row;
}

const mark = (ok: boolean): string => (ok ? 'PASS' : 'MISS');
const f = (n: number, d = 2): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

function printTable(rows: readonly Row[], rss: { idle: number; after: number; peak: number }): void {
  const head = [
    'target',
    'ours req/s',
    'baseline req/s',
    `ratio (≥ ${TARGET.ratio})`,
    'half-load req/s',
    'p50 ms',
    `p99 ms (≤ ${TARGET.p99Ms})`,
    'p99.9 ms',
    'client lag p99',
    'baseline p99 ms',
    'CPU ours/base',
  ];
  const body = rows.map((r) => [
    r.name,
    f(r.ours.rps, 0),
    f(r.baseline.rps, 0),
    `${f(r.ratio)} ${mark(r.ratio >= TARGET.ratio)}`,
    `${r.half.rate} (got ${f(r.half.achieved, 0)})`,
    f(r.half.p50),
    `${f(r.half.p99)} ${mark(r.half.p99 <= TARGET.p99Ms)}`,
    f(r.half.p999),
    f(r.half.lagP99),
    f(r.baselineHalf.p99),
    `${(r.ours.serverCpu * 100).toFixed(0)}%/${(r.baseline.serverCpu * 100).toFixed(0)}%`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log('\n# HTTP load, 8 keep-alive connections' + (PROFILE ? ' (server under --cpu-prof: slower than without)' : ''));
  console.log(line(head));
  for (const b of body) console.log(line(b));
  console.log(
    'latencies: open loop at half of our max, from hand-over to the agent to the end of the answer; client lag p99: how late this\n' +
      "process released requests against the schedule (high = busy machine); CPU ours/base: the server process's CPU during the max\n" +
      'run (≈100% = it set the pace, not the load generator); baseline p99: the bare server at the same rate, the floor of client + TLS',
  );
  console.log(
    `RSS of serve --state: idle ${f(rss.idle, 0)} MiB (target ≤ ${TARGET.idleRssMiB}) ${mark(rss.idle <= TARGET.idleRssMiB)}; ` +
      `after load ${f(rss.after, 0)} MiB; peak ${f(rss.peak, 0)} MiB`,
  );
}

/** What makes a figure less than it seems: said under the table, never silently. */
function caveats(rows: readonly Row[]): string[] {
  const out: string[] = [];
  const starved = rows.filter((r) => r.ours.serverCpu < 0.9).map((r) => r.name);
  if (starved.length > 0) {
    out.push(
      `serve used < 90% of a core during the max run of ${starved.join(', ')}: the machine was busy (or the client was the limit); those maxima understate it`,
    );
  }
  const clientBound = rows.filter((r) => r.baseline.clientCpu > 0.9).map((r) => r.name);
  if (clientBound.length > 0) {
    out.push(
      `the load generator used > 90% of a core against the baseline for ${clientBound.join(', ')}: the baseline may be faster than measured, so those ratios may be overstated`,
    );
  }
  const behind = rows.filter((r) => r.half.achieved < 0.97 * r.half.rate).map((r) => r.name);
  if (behind.length > 0) out.push(`serve fell behind the half-load rate for ${behind.join(', ')}: their latencies include a growing queue`);
  const lagging = rows.filter((r) => r.half.lagP99 > 2).map((r) => r.name);
  if (lagging.length > 0)
    out.push(
      `the client released requests > 2 ms late (p99; one timer tick is ≈ 1 ms) for ${lagging.join(', ')}: a busy machine; the tail latencies are suspect`,
    );
  const [one] = loadavg();
  if ((one ?? 0) > cpus().length * 0.5) out.push(`load average ${(one ?? 0).toFixed(1)} on ${cpus().length} CPUs: other work shared the machine`);
  return out;
}

function printProfile(p: ProfileSummary): void {
  console.log(`\n# CPU profile of serve: ${p.file}`);
  console.log(
    `${p.windowed ? 'samples taken while load ran against serve' : 'the whole profile, startup included (no sample fell into the load windows)'}: ` +
      `${f(p.sampledMs / 1000, 1)} s, of which idle ${f(p.idleMs / 1000, 1)} s; shares below are of the busy time`,
  );
  console.log('top self time, functions:');
  for (const s of p.functions) console.log(`  ${f(s.ms, 0).padStart(7)} ms ${(s.share * 100).toFixed(1).padStart(5)}%  ${s.name}  ${s.where}`);
  console.log('top self time, packages:');
  for (const s of p.packages) console.log(`  ${f(s.ms, 0).padStart(7)} ms ${(s.share * 100).toFixed(1).padStart(5)}%  ${s.name}`);
}

// --- setup ----------------------------------------------------------------------------------
const loadStart = loadavg();
ensureBuilt(log);
const { perEndpoint, mix, mixWeights } = traffic();
const targets: Target[] = [
  ...endpoints().map((path) => ({ name: path, what: perEndpoint.get(path)!.what, requests: [perEndpoint.get(path)!] })),
  { name: 'mix', what: mixWeights.map((w) => `${w.requests}/${mix.length} ${w.what}`).join('; '), requests: mix },
].filter((t) => ONLY.length === 0 || ONLY.some((w) => t.name.includes(w)));
if (targets.length === 0) throw new Error(`BENCH_ONLY=${ONLY.join(',')} matches no target`);

const certs = tempCerts();
const state = tempDir('hm-load-');
writeFileSync(join(state.dir, 'state.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: stateObjects() }));
const configFile = join(certs.dir, 'policy.yaml');
copyFileSync(DEFAULT_POLICY_FILE, configFile);
if (PROFILE) mkdirSync(PROFILE_DIR, { recursive: true });
mkdirSync(RESULTS, { recursive: true });

const est = targets.length * (2 * SECONDS.max + 2 * SECONDS.paced) + 1.5 * SECONDS.warm;
log(`${targets.length} targets, ${CONNECTIONS} connections, ${SECONDS.max} s per max run, ${SECONDS.paced} s per paced run: ≈ ${est.toFixed(0)} s of load`);
log(`load average ${loadStart.map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} CPUs, Node ${process.version}`);
log(`mix per ${mix.length} calls: ${mixWeights.map((w) => `${w.requests} ${w.what}`).join('; ')}`);

const [serve, baseline] = await Promise.all([
  startServe({ stateDir: state.dir, certDir: certs.dir, configFile, ...(PROFILE ? { cpuProfDir: PROFILE_DIR } : {}) }),
  startBaseline(certs.dir),
]);
let profile: ProfileSummary | undefined;
try {
  await new Promise((r) => setTimeout(r, 1000));
  const idle = memoryMiB(serve.pid);
  log(`serve pid ${serve.pid} on :${serve.port}, baseline pid ${baseline.pid} on :${baseline.port}; serve idle RSS ${f(idle.rss, 0)} MiB`);

  await verifyAnswers(
    serve,
    baseline,
    targets.flatMap((t) => t.requests),
    certs.ca,
  );
  log('every representative request answered as expected over a connection verifying the test CA');
  await maxThroughput(serve.port, mix, SECONDS.warm, CONNECTIONS);
  await maxThroughput(baseline.port, mix, SECONDS.warm / 2, CONNECTIONS);
  log('warmed up');

  const rows: Row[] = [];
  for (const t of targets) rows.push(await measure({ serve, baseline, ca: certs.ca }, t));
  const after = memoryMiB(serve.pid);
  const rss = { idle: idle.rss, after: after.rss, peak: after.peak };

  printTable(rows, rss);
  const notes = caveats(rows);
  for (const n of notes) console.log(`note: ${n}`);
  const how = await serve.stop(30_000);
  if (PROFILE) {
    const file = newestProfile(PROFILE_DIR);
    if (!file) throw new Error(`serve exited (${how}) without writing a profile into ${PROFILE_DIR}`);
    profile = summarize(file, 15, loadWindows);
    printProfile(profile);
  }

  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '',
    loadavg: { start: loadStart, end: loadavg() },
    quick: QUICK,
    profiled: PROFILE,
    connections: CONNECTIONS,
    seconds: SECONDS,
    tls: 'autocannon (max throughput): rejectUnauthorized false, hard-coded by autocannon; paced client and the answer check: verify the test CA',
    targets: TARGET,
    mixWeights,
    rss: { ...rss, pass: rss.idle <= TARGET.idleRssMiB },
    notes,
    rows: rows.map((r) => ({
      ...r,
      pass: { ratio: r.ratio >= TARGET.ratio, p99: r.half.p99 <= TARGET.p99Ms },
    })),
    ...(profile ? { profile } : {}),
  };
  writeFileSync(join(RESULTS, 'load.json'), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(
    join(RESULTS, 'load.svg'),
    barChart(
      'Harbormaster serve --state under HTTP load',
      `${result.date.slice(0, 10)}, Node ${result.node}, ${result.cpus} CPUs, ${CONNECTIONS} keep-alive connections${QUICK ? ', quick run' : ''}`,
      [
        {
          title: 'max throughput / bare-HTTPS baseline',
          unit: '',
          target: TARGET.ratio,
          kind: 'min',
          values: rows.map((r) => ({ label: r.name, value: r.ratio })),
        },
        {
          title: 'p99 at half of max throughput',
          unit: ' ms',
          target: TARGET.p99Ms,
          kind: 'max',
          values: rows.map((r) => ({ label: r.name, value: r.half.p99 })),
        },
      ],
    ),
  );
  log(`wrote bench/results/load.json and bench/results/load.svg`);
} finally {
  await Promise.all([serve.stop(30_000), baseline.stop()]);
  certs.cleanup();
  state.cleanup();
}
