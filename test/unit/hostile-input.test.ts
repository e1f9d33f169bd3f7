/**
 * Bounded work (SPEC 3.0), measured against a real `serve --state` in its own
 * process: every hostile-but-valid request of test/support/hostile.ts is
 * answered within 50 ms beyond what parsing its body costs (measured in the
 * same run; plus time for a large patch) and without an oversized reply, a normal request sent
 * alongside a flood of them keeps a median under 100 ms, and nothing a
 * request carried shows up in the server's stdout/stderr.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_POLICY_FILE, PACKAGE_ROOT } from '../../src/paths.js';
import { hostileCases, hostileState, MARKER, normalRequest } from '../support/hostile.js';
import { tempCerts, tempDir, type TempCerts } from '../support/tls.js';

/** Server-side budget per request (client round trip on loopback, so an upper bound). */
const BUDGET_MS = 50;
/**
 * The JSON patch grows with the object it changes (SPEC 3.0 exempts it from
 * the size limit): encoding and sending it gets this much more per MiB.
 */
const PATCH_MS_PER_MIB = 40;
const FLOOD_MEDIAN_MS = 100;
const MAX_REPLY_WITHOUT_PATCH = 64 * 1024;

interface Reply {
  status: number;
  ms: number;
  json: { response?: { patch?: string; status?: { message?: string }; warnings?: string[] } };
}

function post(agent: Agent, port: number, path: string, body: Buffer): Promise<Reply> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const r = request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t, json: JSON.parse(Buffer.concat(chunks).toString() || '{}') }));
      },
    );
    r.on('error', reject);
    r.end(body);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

describe('hostile input: bounded work, bounded replies, nothing printed', () => {
  let certs: TempCerts;
  let state: { dir: string; cleanup(): void };
  let child: ChildProcess;
  let port = 0;
  let output = '';
  let agent: Agent;

  before(async () => {
    certs = tempCerts();
    state = tempDir('hm-hostile-');
    writeFileSync(join(state.dir, 'state.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: hostileState() }));
    const policy = join(certs.dir, 'policy.yaml');
    copyFileSync(DEFAULT_POLICY_FILE, policy);
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(PACKAGE_ROOT, 'test/support/serve-child.ts'),
        'serve',
        '--state',
        state.dir,
        '--cert-dir',
        certs.dir,
        '--config',
        policy,
        '--port',
        '0',
        '--metrics-port',
        '0',
        '--host',
        '127.0.0.1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HARBORMASTER_LOG_LEVEL: 'debug' } },
    );
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${output}`)), 30_000);
      child.stdout?.on('data', (d: Buffer) => {
        output += d.toString();
        const m = /"port":(\d+).*harbormaster serving/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${output}`)));
    });
    agent = new Agent({ keepAlive: true, ca: certs.ca, maxSockets: 8 });
  });

  after(() => {
    agent?.destroy();
    child?.kill('SIGKILL');
    certs?.cleanup();
    state?.cleanup();
  });

  const cases = hostileCases();
  for (const c of cases) {
    it(`${c.name}: answered within budget, reply within limits`, async () => {
      for (let i = 0; i < 2; i++) await post(agent, port, c.path, c.body); // warm the JIT
      let last: Reply | undefined;
      const measure = async (): Promise<number> => {
        const times: number[] = [];
        for (let i = 0; i < 5; i++) {
          last = await post(agent, port, c.path, c.body);
          times.push(last.ms);
        }
        return median(times);
      };
      // A second sample only when the first is over budget: a GC pause or a busy neighbour is not
      // the policy's cost, while super-linear work (the seconds this test exists for) fails both.
      let ms = await measure();
      assert.ok(last && (last.status === 200 || last.status === 400), `HTTP ${last?.status}`);
      const r = last.json.response;
      const withoutPatch = Buffer.byteLength(JSON.stringify({ ...r, patch: undefined }));
      assert.ok(withoutPatch <= MAX_REPLY_WITHOUT_PATCH, `reply without the patch is ${withoutPatch} bytes`);
      const patchMiB = (r?.patch?.length ?? 0) / (1024 * 1024);
      // What any webhook pays for a body this size: JSON.parse of it, measured here in the same run.
      const parseMs = median(
        Array.from({ length: 5 }, () => {
          const t = performance.now();
          JSON.parse(c.body.toString());
          return performance.now() - t;
        }),
      );
      const budget = BUDGET_MS + parseMs + PATCH_MS_PER_MIB * patchMiB;
      if (ms > budget) ms = Math.min(ms, await measure());
      console.log(
        `${c.path} ${c.name}: median ${ms.toFixed(1)} ms (body ${(c.body.length / 1024).toFixed(0)} KiB parses in ${parseMs.toFixed(1)} ms, patch ${(patchMiB * 1024).toFixed(0)} KiB, budget ${budget.toFixed(0)} ms)`,
      );
      assert.ok(ms <= budget, `median ${ms.toFixed(1)} ms > ${budget.toFixed(0)} ms`);
    });
  }

  it(`a normal request alongside a flood of hostile ones keeps a median ≤ ${FLOOD_MEDIAN_MS} ms`, async () => {
    const normal = normalRequest();
    const heavy = cases.slice(0, 3);
    const sample = async (): Promise<{ ms: number; n: number }> => {
      let stop = false;
      const flood = heavy.map(async (c) => {
        while (!stop) await post(agent, port, c.path, c.body);
      });
      const times: number[] = [];
      const deadline = Date.now() + 4000;
      while (Date.now() < deadline) {
        times.push((await post(agent, port, normal.path, normal.body)).ms);
        await new Promise((r) => setTimeout(r, 10));
      }
      stop = true;
      await Promise.all(flood);
      return { ms: median(times), n: times.length };
    };
    let { ms, n } = await sample();
    if (ms > FLOOD_MEDIAN_MS) ({ ms, n } = await sample()); // once more, as above
    console.log(`normal request under a flood of ${heavy.length} hostile streams: median ${ms.toFixed(1)} ms over ${n}`);
    assert.ok(ms <= FLOOD_MEDIAN_MS, `median ${ms.toFixed(1)} ms`);
  });

  it('nothing from a request reached stdout or stderr outside the structured logger', () => {
    assert.ok(output.includes('harbormaster serving'), 'the server logged');
    assert.ok(!output.includes(MARKER), `planted marker printed: ${output.slice(Math.max(0, output.indexOf(MARKER) - 200), output.indexOf(MARKER) + 100)}`);
    for (const line of output.split('\n').filter((l) => l.trim() !== '')) {
      assert.doesNotThrow(() => JSON.parse(line), `not a structured log line: ${line.slice(0, 200)}`);
    }
  });
});
