/**
 * Loader throughput (issue 17): `harbormaster load` (the built bin, as a Job
 * runs it) copying a 1 GiB prefix of 1,000 objects from hm-s3 (gofakes3 in
 * memory, behind its SigV4 check, TLS on loopback) into a temp directory.
 * Then the same command again: every file is found complete (size + MD5 read
 * back), which is the cost of a resumed load that has nothing left to do.
 *
 *   node --import tsx bench/loader.bench.ts        (BENCH_LOADER_PARALLEL=8,16 to compare)
 *
 * Not a test: it prints what it measured and the machine's load average.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, loadCommand, startS3 } from '../test/support/object-stores.js';

const OBJECTS = 1000;
const TOTAL = 1024 ** 3;
const parallels = (process.env.BENCH_LOADER_PARALLEL ?? '8').split(',').map(Number);

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

function runLoad(args: string[], caFile: string): Promise<{ seconds: number; cpu: number; code: number | null; out: string }> {
  const c = loadCommand(args, caFile);
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn(c.cmd, c.argv, { env: c.env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let cpu = 0;
    const poll = setInterval(() => (cpu = Math.max(cpu, cpuSeconds(child.pid ?? 0) || 0)), 100);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, cpu, code, out });
    });
  });
}

async function main(): Promise<void> {
  ensureBuilt();
  const s3 = await startS3({ buckets: ['bench'], public: [] });
  const scratch = mkdtempSync(join(tmpdir(), 'hm-loader-bench-'));
  try {
    const size = Math.floor(TOTAL / OBJECTS);
    const t0 = Date.now();
    const chunk = randomBytes(size);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < OBJECTS) {
          const i = next++;
          const body = Buffer.from(chunk);
          body.writeUInt32BE(i, 0); // distinct content, distinct MD5
          await s3.put(
            'bench',
            `set/shard-${String(i).padStart(4, '0')}.bin`,
            i === OBJECTS - 1 ? Buffer.concat([body, randomBytes(TOTAL - size * OBJECTS)]) : body,
          );
        }
      }),
    );
    console.log(`seeded ${OBJECTS} objects, ${(TOTAL / 1024 ** 3).toFixed(2)} GiB, in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const credDir = mkdtempSync(join(scratch, 'creds-'));
    writeFileSync(join(credDir, 'aws_access_key_id'), s3.accessKeyId);
    writeFileSync(join(credDir, 'aws_secret_access_key'), s3.secretAccessKey);
    for (const p of parallels) {
      const target = mkdtempSync(join(scratch, `target-${p}-`));
      const args = ['--source', 's3://bench/set', '--target', target, '--endpoint', s3.url, '--credentials-dir', credDir, '--parallel', String(p)];
      const serverBefore = cpuSeconds(s3.pid);
      const first = await runLoad(args, s3.caFile);
      const serverCpu = cpuSeconds(s3.pid) - serverBefore;
      if (first.code !== 0) throw new Error(`load failed: ${first.out}`);
      const again = await runLoad(args, s3.caFile);
      console.log(
        `--parallel ${p}: copy ${first.seconds.toFixed(1)} s = ${(TOTAL / 1024 ** 2 / first.seconds).toFixed(0)} MiB/s, ${(OBJECTS / first.seconds).toFixed(0)} objects/s; ` +
          `loader CPU ${first.cpu.toFixed(1)} s, hm-s3 CPU ${serverCpu.toFixed(1)} s; ` +
          `second run (all complete, verified from disk) ${again.seconds.toFixed(1)} s, CPU ${again.cpu.toFixed(1)} s`,
      );
      console.log(`  ${first.out.trim().split('\n').pop() ?? ''}`);
      console.log(`  ${again.out.trim().split('\n').pop() ?? ''}`);
      rmSync(target, { recursive: true, force: true });
    }
    console.log(
      `load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${process.env.BENCH_CORES ?? '2'} cores`,
    );
  } finally {
    await s3.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
