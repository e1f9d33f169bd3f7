/**
 * npm run bench (part): Harbormaster through the real control plane.
 *  A. Pod creates/s (16 keep-alive clients, 3-container Pods, one needing
 *     defaults and one already complete) with the webhook configurations
 *     registered and deleted, alternating on/off/on/off, and the API server's
 *     own apiserver_admission_webhook_admission_duration_seconds per webhook.
 *  B. Memory at scale: 5,000 namespaces, 20,000 Services, 20,000 Ingresses,
 *     50,000 Secrets created through the API server, then a fresh replica's
 *     time to sync, RSS, V8 heap and admission latency with its caches full;
 *     the same replica idle on an empty cluster for comparison.
 *  C. What one replica sustains: the webhook calls/s it served in the on-runs
 *     of A and the CPU it spent on them.
 * The replica is `node bin/harbormaster.js serve` in its own process (built
 * dist/, as deployed), so the load generator here never shares its event
 * loop, and its RSS and CPU are its own (/proc/<pid>). It runs as a follower:
 * the bench holds the reconciler lease, so no reconciler write competes with
 * the measured traffic (a leader's reconcilers are idle at steady state).
 * BENCH_QUICK=1: population 1/20, 4 s runs. BENCH_CLUSTER_SECONDS overrides
 * the run length; BENCH_CLUSTER_PARTS=creates or =memory runs one part;
 * BENCH_HEAPSNAPSHOT=1 adds a heap summary by constructor at scale (slow:
 * off by default); BENCH_MALLOC_COMPARE=1 adds a replica at scale without
 * MALLOC_ARENA_MAX (the Deployment's env) for comparison. Writes
 * bench/results/cluster.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ensureBinaries } from '../src/dev/binaries.js';
import { startDevEnvironment } from '../src/dev/environment.js';
import { silentLogger } from '../src/observability/log.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { QUOTA_NAME } from '../src/policies/resource-defaults/names.js';
import { apiClient, type ApiClient } from './lib/cluster-http.js';
import { createRun, setWebhooks, type CreateRun } from './lib/cluster-creates.js';
import { admissionLatency, populate, type LatencyResult, type PopulateResult } from './lib/cluster-memory.js';
import { benchPolicyText, FULL_POPULATION, namespaceBody, PROFILE, type PodKind, type Population } from './lib/cluster-objects.js';
import { heapSummary, type HeapSummary } from './lib/cluster-heap.js';
import { cpuSeconds, pidsOf } from './lib/processes.js';
import { ensureBuilt, MALLOC_ARENA_MAX, metricValue, startServeChild, type ServeChild, type ServeChildOptions } from './lib/cluster-serve.js';

const QUICK = process.env.BENCH_QUICK === '1';
const SECONDS = Number(process.env.BENCH_CLUSTER_SECONDS ?? (QUICK ? 4 : 10));
const CLIENTS = 16;
const ROUNDS = 2;
const IN_FLIGHT = 64;
const HEAP_SNAPSHOT = process.env.BENCH_HEAPSNAPSHOT === '1';
/** BENCH_MALLOC_COMPARE=1: a second replica at scale with glibc's default arenas instead of MALLOC_ARENA_MAX. */
const MALLOC_COMPARE = process.env.BENCH_MALLOC_COMPARE === '1';
/** BENCH_CLUSTER_PARTS=creates or =memory runs one part (the idle figure is always measured). */
const PARTS = new Set((process.env.BENCH_CLUSTER_PARTS ?? 'creates,memory').split(',').map((x) => x.trim()));
const POPULATION: Population = QUICK
  ? {
      namespaces: FULL_POPULATION.namespaces / 20,
      services: FULL_POPULATION.services / 20,
      ingresses: FULL_POPULATION.ingresses / 20,
      secrets: FULL_POPULATION.secrets / 20,
    }
  : FULL_POPULATION;
const POD_NAMESPACE = 'bench-pods';
const MiB = 2 ** 20;

const t0 = performance.now();
const say = (line: string): void => console.log(`[cluster ${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/**
 * Holds the reconciler lease for the bench (a day long), so every replica
 * started here is a follower: it serves admission and keeps its caches, and
 * no reconciler writes compete with the measured traffic.
 */
async function holdLease(admin: ApiClient): Promise<void> {
  const path = '/apis/coordination.k8s.io/v1/namespaces/harbormaster-system/leases';
  const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  const spec = { holderIdentity: 'cluster-bench', leaseDurationSeconds: 86_400, acquireTime: now, renewTime: now };
  for (let attempt = 0; attempt < 20; attempt++) {
    const got = await admin.request('GET', `${path}/harbormaster`);
    const r =
      got.status === 404
        ? await admin.request('POST', path, JSON.stringify({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'harbormaster' }, spec }))
        : await admin.request('PUT', `${path}/harbormaster`, JSON.stringify({ ...(JSON.parse(got.body) as object), spec }));
    if (r.status < 300) return;
    if (r.status !== 409) throw new Error(`taking the lease: HTTP ${r.status}: ${r.body}`);
  }
  throw new Error('taking the lease: conflicts');
}

interface Measured {
  rssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
}

async function memoryOf(child: ServeChild): Promise<Measured> {
  const m = await child.metrics();
  return {
    rssMiB: child.rssBytes() / MiB,
    heapUsedMiB: metricValue(m, 'nodejs_heap_size_used_bytes') / MiB,
    heapTotalMiB: metricValue(m, 'nodejs_heap_size_total_bytes') / MiB,
  };
}

/** Server-side admission time (harbormaster_admission_duration_seconds) in ms, mean over all requests so far. */
async function serverMeanMs(child: ServeChild): Promise<{ count: number; meanMs: number }> {
  const m = await child.metrics();
  const count = metricValue(m, 'harbormaster_admission_duration_seconds_count');
  return { count, meanMs: (metricValue(m, 'harbormaster_admission_duration_seconds_sum') / count) * 1000 };
}

// ---------------------------------------------------------------- set-up
ensureBuilt(say);
const bin = await ensureBinaries();
const work = mkdtempSync(join(tmpdir(), 'hm-cluster-bench-'));
const policyFile = join(work, 'policy.yaml');
writeFileSync(policyFile, benchPolicyText());
say(`starting the control plane (no simulated nodes)${QUICK ? ' — BENCH_QUICK: population 1/20' : ''}`);
const env = await startDevEnvironment({ binaries: bin, logger: silentLogger(), configPath: policyFile, nodes: 0, progress: (l) => say(`  ${l}`) });
const cp = env.controlPlane;
const inProcessPort = env.server.port;
const admin = apiClient(cp.kubeconfigs.admin, IN_FLIGHT);
const children: ServeChild[] = [];
const serveOptions = (identity: string): ServeChildOptions => ({
  configPath: policyFile,
  certDir: env.certDir,
  clientCaFile: cp.webhookClientCaFile,
  kubeconfig: cp.kubeconfigs.harbormaster,
  helm: bin.helm,
  logFile: join(work, `${identity}.log`),
  identity,
  mallocArenaMax: MALLOC_ARENA_MAX,
  // No cost until signalled: BENCH_HEAPSNAPSHOT=1 takes one at scale.
  extraNodeArgs: ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${work}`],
});

type WebhookConfig = { apiVersion: string; kind: string; metadata: { name: string }; webhooks: Array<{ clientConfig: { url?: string } }> };

/**
 * The webhook configurations the dev environment registered (its
 * webhooks.yaml, generated from the registry and the policy in force),
 * re-pointed from its in-process server at a replica's port: the bench
 * measures exactly what `harbormaster dev` installs.
 */
function webhooksFor(port: number): WebhookConfig[] {
  const from = `https://127.0.0.1:${inProcessPort}/`;
  const docs = parseAllDocuments(readFileSync(env.webhooksFile, 'utf8')).map((d) => d.toJS() as WebhookConfig | null);
  return docs
    .filter((d): d is WebhookConfig => d !== null && typeof d === 'object' && Array.isArray(d.webhooks))
    .map((d) => ({
      ...d,
      webhooks: d.webhooks.map((w) => {
        if (!w.clientConfig.url?.startsWith(from)) throw new Error(`${env.webhooksFile}: webhook URL ${w.clientConfig.url} is not under ${from}`);
        return { ...w, clientConfig: { ...w.clientConfig, url: `https://127.0.0.1:${port}/${w.clientConfig.url.slice(from.length)}` } };
      }),
    }));
}

/** kube-apiserver's and etcd's CPU so far: this control plane's processes, found by its directory in their arguments. */
function controlPlaneCpuSeconds(): { apiServer: number; etcd: number } {
  const sum = (binary: string) => pidsOf(binary, cp.dir).reduce((a, pid) => a + cpuSeconds(pid), 0);
  return { apiServer: sum('kube-apiserver'), etcd: sum('etcd') };
}

interface CreatesResult {
  runs: CreateRun[];
  serverSide: { count: number; meanMs: number };
}

/** A: creates/s on/off, alternating, each Pod kind per state; the replica serving the webhooks is `replica`. */
async function creates(replica: ServeChild): Promise<CreatesResult> {
  const webhookObjects = webhooksFor(replica.port);
  const runs: CreateRun[] = [];
  const runOptions = {
    admin,
    namespace: POD_NAMESPACE,
    clients: CLIENTS,
    seconds: SECONDS,
    serverCpuSeconds: () => replica.cpuSeconds(),
    controlPlaneCpuSeconds,
  };
  const pods: PodKind[] = ['needs-defaults', 'complete'];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const state of ['on', 'off'] as const) {
      const tSwitch = performance.now();
      await setWebhooks(admin, webhookObjects, state === 'on', POD_NAMESPACE);
      say(`webhooks ${state}: the API server acted on it after ${((performance.now() - tSwitch) / 1000).toFixed(1)} s`);
      for (const pod of pods) {
        const r = await createRun(runOptions, round, state, pod);
        runs.push(r);
        const calls =
          state === 'on'
            ? `, ${r.callsPerCreate.toFixed(2)} webhook calls/create (${r.mutatingCallsPerCreate.toFixed(2)} mutating), replica CPU ${r.serverCpuPct.toFixed(0)} %`
            : '';
        const failed = r.failed ? `, ${r.failed} failed: ${r.firstFailure}` : '';
        say(
          `A round ${round} webhooks ${state.padEnd(3)} ${pod.padEnd(14)}: ${r.perSecond.toFixed(0)} creates/s (p50 ${r.p50Ms.toFixed(0)} ms, p99 ${r.p99Ms.toFixed(0)} ms${failed})${calls}; CPU/create: kube-apiserver ${r.cpuMsPerCreate.apiServer.toFixed(2)} ms, etcd ${r.cpuMsPerCreate.etcd.toFixed(2)} ms; deleting ${r.creates} Pods took ${r.deleteSeconds.toFixed(1)} s`,
        );
      }
    }
  }
  return { runs, serverSide: await serverMeanMs(replica) };
}

interface MemoryResult {
  populated: PopulateResult;
  listeningMs: number;
  readyMs: number;
  syncCpuSeconds: number;
  syncedMem: Measured;
  settledMem: Measured;
  afterMem: Measured;
  latency: LatencyResult[];
  heap?: HeapSummary & { seconds: number; afterGc: Measured };
  /** The same at scale with glibc's default malloc arenas (BENCH_MALLOC_COMPARE=1). */
  glibcDefaultArenas?: { syncedMem: Measured; settledMem: Measured; afterMem: Measured };
}

/** B: populate, then a fresh replica: time to sync, memory, admission latency with full caches (and a heap summary if asked). */
async function memory(): Promise<MemoryResult> {
  const p = POPULATION;
  say(
    `B: populating ${p.namespaces} namespaces, ${p.services} Services, ${p.ingresses} Ingresses, ${p.secrets} Secrets (${IN_FLIGHT} in flight, webhooks off)`,
  );
  const populated = await populate(admin, p, IN_FLIGHT, say);
  say(`populated ${populated.objects} objects in ${populated.seconds.toFixed(0)} s (${populated.perSecond.toFixed(0)}/s)`);
  const full = await startServeChild(serveOptions('bench-replica-full'));
  children.push(full);
  const syncCpuSeconds = full.cpuSeconds();
  const syncedMem = await memoryOf(full);
  say(
    `replica at scale: listening after ${(full.listeningMs / 1000).toFixed(1)} s, caches synced after ${(full.readyMs / 1000).toFixed(1)} s (${syncCpuSeconds.toFixed(1)} s CPU), RSS ${syncedMem.rssMiB.toFixed(0)} MiB`,
  );
  await sleep(3000);
  const settledMem = await memoryOf(full);
  const latency = await admissionLatency({
    port: full.port,
    certDir: env.certDir,
    webhookClientKubeconfig: join(cp.dir, 'pki', 'webhook-client.kubeconfig'),
    n: QUICK ? 100 : 300,
    warmup: 50,
  });
  const afterMem = await memoryOf(full);
  say(
    `replica at scale, 3 s after sync: RSS ${settledMem.rssMiB.toFixed(0)} MiB, heap ${settledMem.heapUsedMiB.toFixed(0)} MiB; after the latency run RSS ${afterMem.rssMiB.toFixed(0)} MiB`,
  );
  for (const l of latency) say(`  ${l.path} (${l.what}): p50 ${l.p50Ms.toFixed(2)} ms, p99 ${l.p99Ms.toFixed(2)} ms${l.allowed ? '' : ' (denied)'}`);
  let heap: MemoryResult['heap'];
  if (HEAP_SNAPSHOT) {
    say('heap snapshot of the replica at scale (BENCH_HEAPSNAPSHOT=1)');
    heap = { ...(await heapSummary(full.pid, work)), afterGc: await memoryOf(full) };
    say(`  ${(heap.totalBytes / MiB).toFixed(0)} MiB in the snapshot, taken and read in ${heap.seconds.toFixed(0)} s; by constructor, self size:`);
    for (const g of heap.groups) say(`  ${(g.selfBytes / MiB).toFixed(1).padStart(7)} MiB ${String(g.count).padStart(9)}  ${g.name}`);
    say(`  after the snapshot's full GC: RSS ${heap.afterGc.rssMiB.toFixed(0)} MiB, heap used ${heap.afterGc.heapUsedMiB.toFixed(0)} MiB`);
    say(`  largest single nodes: ${heap.largest.map((n) => `${n.type} ${(n.bytes / MiB).toFixed(1)} MiB ${JSON.stringify(n.name.slice(0, 40))}`).join('; ')}`);
  }
  await full.stop();
  let glibcDefaultArenas: MemoryResult['glibcDefaultArenas'];
  if (MALLOC_COMPARE) {
    const other = await startServeChild({ ...serveOptions('bench-replica-glibc-arenas'), mallocArenaMax: undefined });
    children.push(other);
    const atSync = await memoryOf(other);
    await sleep(3000);
    const settled = await memoryOf(other);
    await admissionLatency({
      port: other.port,
      certDir: env.certDir,
      webhookClientKubeconfig: join(cp.dir, 'pki', 'webhook-client.kubeconfig'),
      n: QUICK ? 100 : 300,
      warmup: 50,
    });
    glibcDefaultArenas = { syncedMem: atSync, settledMem: settled, afterMem: await memoryOf(other) };
    await other.stop();
    say(
      `same at scale without MALLOC_ARENA_MAX (glibc's default arenas): RSS at sync / 3 s after / after the latency run ${atSync.rssMiB.toFixed(0)} / ${settled.rssMiB.toFixed(0)} / ${glibcDefaultArenas.afterMem.rssMiB.toFixed(0)} MiB; with MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX}: ${syncedMem.rssMiB.toFixed(0)} / ${settledMem.rssMiB.toFixed(0)} / ${afterMem.rssMiB.toFixed(0)} MiB`,
    );
  }
  return {
    populated,
    listeningMs: full.listeningMs,
    readyMs: full.readyMs,
    syncCpuSeconds,
    syncedMem,
    settledMem,
    afterMem,
    latency,
    ...(heap ? { heap } : {}),
    ...(glibcDefaultArenas ? { glibcDefaultArenas } : {}),
  };
}

try {
  // The tenant namespace, its LimitRange and quota made by the in-process server (leader) of the dev environment.
  await admin.ok('POST', '/api/v1/namespaces', namespaceBody(POD_NAMESPACE, { 'harbormaster.io/quota-profile': PROFILE }));
  await waitFor(`quota and ServiceAccount in ${POD_NAMESPACE}`, async () => {
    const q = await admin.request('GET', `/api/v1/namespaces/${POD_NAMESPACE}/resourcequotas/${QUOTA_NAME}`);
    const sa = await admin.request('GET', `/api/v1/namespaces/${POD_NAMESPACE}/serviceaccounts/default`);
    return q.status === 200 && sa.status === 200;
  });
  say('namespace ready; handing over from the in-process server to a separate `serve` process');
  await env.server.close();
  await holdLease(admin);
  // The dev environment's webhooks point at the server just closed; A registers its own.
  await setWebhooks(admin, webhooksFor(0), false, POD_NAMESPACE);

  const replica = await startServeChild(serveOptions('bench-replica-1'));
  children.push(replica);
  await sleep(3000);
  const idle: Idle = { ...(await memoryOf(replica)), readyMs: replica.readyMs };
  say(
    `replica on an empty cluster: ready in ${(replica.readyMs / 1000).toFixed(1)} s, RSS ${idle.rssMiB.toFixed(0)} MiB, heap ${idle.heapUsedMiB.toFixed(0)} MiB`,
  );
  const a = PARTS.has('creates') ? await creates(replica) : undefined;
  await replica.stop();
  const b = PARTS.has('memory') ? await memory() : undefined;
  report(idle, a, b);
} finally {
  for (const c of children) await c.stop();
  admin.close();
  await cp.stop();
  rmSync(work, { recursive: true, force: true });
}

// ---------------------------------------------------------------- report
interface Idle extends Measured {
  readyMs: number;
}

interface Row {
  figure: string;
  value: string;
  target: string;
  pass?: boolean;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function createRows(a: CreatesResult): { rows: Row[]; summary: Record<string, unknown> } {
  const rows: Row[] = [];
  const of = (state: 'on' | 'off', pod: PodKind) => a.runs.filter((r) => r.webhooks === state && r.pod === pod);
  const ratios: Record<string, number> = {};
  for (const pod of ['needs-defaults', 'complete'] as const) {
    const on = mean(of('on', pod).map((r) => r.perSecond));
    const off = mean(of('off', pod).map((r) => r.perSecond));
    ratios[pod] = on / off;
    const each = of('on', pod)
      .map((r, k) => `${r.perSecond.toFixed(0)}/${(of('off', pod)[k]?.perSecond ?? NaN).toFixed(0)}`)
      .join(', ');
    rows.push({
      figure: `Pod creates/s, webhooks on ÷ off, ${pod} (on/off per round: ${each})`,
      value: (on / off).toFixed(2),
      target: '≥ 0.85',
      pass: on / off >= 0.85,
    });
  }
  const calls = (pod: PodKind) => ({
    total: mean(of('on', pod).map((r) => r.callsPerCreate)),
    mutating: mean(of('on', pod).map((r) => r.mutatingCallsPerCreate)),
  });
  const d = calls('needs-defaults');
  const c = calls('complete');
  // What the policies need: a Pod needing defaults one mutation and one validation, a complete Pod one validation.
  rows.push({
    figure: 'webhook calls per Pod create, needs defaults (mutating)',
    value: `${d.total.toFixed(2)} (${d.mutating.toFixed(2)})`,
    target: '≤ 2 (≤ 1)',
    pass: d.total <= 2.01 && d.mutating <= 1.01,
  });
  rows.push({
    figure: 'webhook calls per Pod create, already complete (mutating)',
    value: `${c.total.toFixed(2)} (${c.mutating.toFixed(2)})`,
    target: '≤ 1 (0)',
    pass: c.total <= 1.01 && c.mutating <= 0.01,
  });
  const onRuns = a.runs.filter((r) => r.webhooks === 'on');
  const perHook = new Map<string, { calls: number; ms: number }>();
  for (const r of onRuns) {
    for (const h of r.calls)
      perHook.set(h.name, { calls: (perHook.get(h.name)?.calls ?? 0) + h.calls, ms: (perHook.get(h.name)?.ms ?? 0) + h.meanMs * h.calls });
  }
  // Where the time of a create goes: the CPU each process spent per create, webhooks off and on.
  for (const pod of ['needs-defaults', 'complete'] as const) {
    const per = (state: 'on' | 'off', k: 'server' | 'apiServer' | 'etcd') => mean(of(state, pod).map((r) => r.cpuMsPerCreate[k]));
    rows.push({
      figure: `  CPU per create, ${pod}: kube-apiserver off → on, etcd off → on, replica on`,
      value: `${per('off', 'apiServer').toFixed(2)} → ${per('on', 'apiServer').toFixed(2)} ms, ${per('off', 'etcd').toFixed(2)} → ${per('on', 'etcd').toFixed(2)} ms, ${per('on', 'server').toFixed(2)} ms`,
      target: '—',
    });
  }
  for (const [name, h] of perHook) rows.push({ figure: `  API server's mean webhook time, ${name}`, value: `${(h.ms / h.calls).toFixed(1)} ms`, target: '—' });
  rows.push({
    figure: `  replica's own admission time (decode → encode), mean of ${a.serverSide.count}`,
    value: `${a.serverSide.meanMs.toFixed(2)} ms`,
    target: '—',
  });
  // C: what one replica sustained, and what its CPU per call implies for one core (one Node process uses one core for this).
  const served = onRuns.map((r) => ({ callsPerSec: (r.callsPerCreate * r.creates) / r.seconds, cpu: r.serverCpuPct, perCreate: r.callsPerCreate }));
  const callsPerSec = mean(served.map((x) => x.callsPerSec));
  const cpu = mean(served.map((x) => x.cpu));
  const perCore = callsPerSec / (cpu / 100);
  const perCreate = mean(served.map((x) => x.perCreate));
  rows.push({
    figure: 'one replica: webhook calls/s served in the on-runs (its CPU, % of one core)',
    value: `${callsPerSec.toFixed(0)} (${cpu.toFixed(0)} %)`,
    target: '—',
  });
  rows.push({ figure: '  ⇒ calls/s one replica (one core) handles, from its CPU per call', value: `≈ ${perCore.toFixed(0)}`, target: '—' });
  rows.push({
    figure: `  ⇒ Pod creates/s one replica handles at ${perCreate.toFixed(2)} calls/create`,
    value: `≈ ${(perCore / perCreate).toFixed(0)}`,
    target: '—',
  });
  return {
    rows,
    summary: {
      runs: a.runs,
      ratioOnOff: ratios,
      callsPerCreate: { 'needs-defaults': d, complete: c },
      replicaAdmissionMeanMs: a.serverSide.meanMs,
      replica: {
        callsPerSecServed: callsPerSec,
        cpuPctOfOneCore: cpu,
        callsPerSecPerCoreEstimate: perCore,
        podCreatesPerSecPerCoreEstimate: perCore / perCreate,
      },
    },
  };
}

function memoryRows(b: MemoryResult): Row[] {
  const p = POPULATION;
  const scale = `${p.namespaces} ns, ${p.services} Svc, ${p.ingresses} Ing, ${p.secrets} Secrets`;
  const rows: Row[] = [
    { figure: `populate ${scale} through the API server`, value: `${b.populated.seconds.toFixed(0)} s (${b.populated.perSecond.toFixed(0)}/s)`, target: '—' },
    { figure: 'time to caches synced (spawn → /readyz 200)', value: `${(b.readyMs / 1000).toFixed(1)} s (${b.syncCpuSeconds.toFixed(1)} s CPU)`, target: '—' },
    {
      figure: `RSS of serve at ${scale}, 3 s after sync`,
      value: `${b.settledMem.rssMiB.toFixed(0)} MiB`,
      target: '≤ 250 MiB',
      pass: b.settledMem.rssMiB <= 250,
    },
    {
      figure: '  RSS at sync / after the latency run',
      value: `${b.syncedMem.rssMiB.toFixed(0)} / ${b.afterMem.rssMiB.toFixed(0)} MiB`,
      target: '≤ 250 MiB',
      pass: Math.max(b.syncedMem.rssMiB, b.afterMem.rssMiB) <= 250,
    },
    { figure: '  V8 heap used / total at scale', value: `${b.settledMem.heapUsedMiB.toFixed(0)} / ${b.settledMem.heapTotalMiB.toFixed(0)} MiB`, target: '—' },
    ...(b.heap
      ? [
          {
            figure: '  live heap in the snapshot; RSS / heap used after its full GC',
            value: `${(b.heap.totalBytes / MiB).toFixed(0)}; ${b.heap.afterGc.rssMiB.toFixed(0)} / ${b.heap.afterGc.heapUsedMiB.toFixed(0)} MiB`,
            target: '—',
          },
        ]
      : []),
  ];
  for (const l of b.latency) {
    rows.push({
      figure: `  admission p50 / p99, caches full, ${l.path}`,
      value: `${l.p50Ms.toFixed(2)} / ${l.p99Ms.toFixed(2)} ms`,
      target: 'p99 ≤ 5 ms',
      pass: l.p99Ms <= 5,
    });
  }
  return rows;
}

function report(idle: Idle, a: CreatesResult | undefined, b: MemoryResult | undefined): void {
  const created = a ? createRows(a) : undefined;
  const rows: Row[] = [
    ...(created?.rows ?? []),
    { figure: 'RSS of serve, idle, empty cluster (follower)', value: `${idle.rssMiB.toFixed(0)} MiB`, target: '≤ 100 MiB', pass: idle.rssMiB <= 100 },
    { figure: '  V8 heap used, idle, empty cluster', value: `${idle.heapUsedMiB.toFixed(0)} MiB`, target: '—' },
    ...(b ? memoryRows(b) : []),
  ];
  const width = Math.max(...rows.map((r) => r.figure.length));
  console.log(`\n# cluster bench${QUICK ? ' (BENCH_QUICK: 1/20 population, short runs)' : ''}: ${CLIENTS} clients, ${SECONDS} s runs, ${ROUNDS} rounds`);
  for (const r of rows)
    console.log(`${r.figure.padEnd(width)}  ${r.value.padStart(16)}  ${r.target.padEnd(11)} ${r.pass === undefined ? '' : r.pass ? 'PASS' : 'MISS'}`);
  const dir = join(PACKAGE_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const json = {
    when: new Date().toISOString(),
    quick: QUICK,
    parts: [...PARTS],
    clients: CLIENTS,
    secondsPerRun: SECONDS,
    population: POPULATION,
    idleEmptyCluster: idle,
    ...(created ? { creates: created.summary } : {}),
    ...(b ? { memory: b } : {}),
    table: rows,
    totalSeconds: (performance.now() - t0) / 1000,
  };
  writeFileSync(join(dir, 'cluster.json'), JSON.stringify(json, null, 2) + '\n');
  say(`wrote bench/results/cluster.json; ${((performance.now() - t0) / 1000).toFixed(0)} s in all`);
}
