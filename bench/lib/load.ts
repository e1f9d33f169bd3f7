/**
 * The two kinds of load:
 *  - maxThroughput: closed loop, autocannon, N keep-alive connections each
 *    sending its next request as soon as the answer arrives.
 *  - paced: open loop at a fixed rate over N keep-alive connections (node:https,
 *    verifying the test CA). autocannon's overallRate is not used for this: it
 *    lets each connection send its per-second quota back to back and then wait
 *    for the next second (lib/httpClient.js, reqsMadeThisSecond), so "half load"
 *    would be full load half the time. Here requests are released evenly, one
 *    timer tick (≈1 ms) at a time, and each latency runs from the moment the
 *    request is handed to the agent to the end of its answer: time spent waiting
 *    for a free connection counts, so a stalled server cannot hide its stall
 *    (the client keeps releasing requests on schedule). How late the client's
 *    own timer released them is reported apart as `lagP99`.
 */
import autocannon from 'autocannon';
import { Agent, request } from 'node:https';
import type { BenchRequest } from './requests.js';

export interface Throughput {
  rps: number;
  total: number;
  seconds: number;
  errors: number;
  non2xx: number;
  /** Closed-loop latency at that throughput, ms (informative: it is queueing at saturation). */
  p50: number;
  p99: number;
}

export async function maxThroughput(port: number, requests: readonly BenchRequest[], seconds: number, connections = 8): Promise<Throughput> {
  const r = await autocannon({
    url: `https://127.0.0.1:${port}`,
    connections,
    pipelining: 1,
    duration: seconds,
    requests: requests.map((q) => ({ method: 'POST' as const, path: q.path, body: q.body, headers: { 'content-type': 'application/json' } })),
  });
  return {
    rps: r.requests.total / r.duration,
    total: r.requests.total,
    seconds: r.duration,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    p50: r.latency.p50,
    p99: r.latency.p99,
  };
}

export interface Paced {
  rate: number;
  /** Answers per second actually completed over the run. */
  achieved: number;
  completed: number;
  errors: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** p99 of how late the client released a request against its schedule, ms: the client's own delay, not counted above. */
  lagP99: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

export interface PacedOptions {
  port: number;
  requests: readonly BenchRequest[];
  /** Requests per second, released evenly. */
  rate: number;
  seconds: number;
  /** The CA that must have signed the server's certificate. */
  ca: string;
  connections?: number;
}

/** Sends `rate` requests per second for `seconds`, cycling through `requests`, over `connections` keep-alive sockets. */
export async function paced({ port, requests, rate, seconds, ca, connections = 8 }: PacedOptions): Promise<Paced> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections, ca });
  const bodies = requests.map((q) => ({ path: q.path, body: Buffer.from(q.body) }));
  const total = Math.max(1, Math.round(rate * seconds));
  const latencies: number[] = [];
  const lags: number[] = [];
  let errors = 0;
  let done = 0;
  // Open every connection first, so no TLS handshake falls into the measured requests.
  await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise<void>((resolve, reject) => {
          const { path, body } = bodies[0]!;
          const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
            res.resume();
            res.on('end', resolve);
          });
          req.on('error', reject);
          req.end(body);
        }),
    ),
  );
  const started = performance.now();
  let finished = started;
  await new Promise<void>((resolveAll) => {
    const settle = (): void => {
      if (++done === total) {
        finished = performance.now();
        resolveAll();
      }
    };
    const send = (i: number, due: number): void => {
      const { path, body } = bodies[i % bodies.length]!;
      const sentAt = performance.now();
      lags.push(sentAt - due);
      const req = request(
        { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
        (res) => {
          res.on('data', () => {});
          res.on('end', () => {
            if (res.statusCode === 200) latencies.push(performance.now() - sentAt);
            else errors++;
            settle();
          });
        },
      );
      req.on('error', () => {
        errors++;
        settle();
      });
      req.end(body);
    };
    let sent = 0;
    const tick = (): void => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - started) * rate) / 1000) + 1);
      for (; sent < due; sent++) send(sent, started + (sent * 1000) / rate);
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  agent.destroy();
  latencies.sort((a, b) => a - b);
  lags.sort((a, b) => a - b);
  return {
    rate,
    achieved: (done / (finished - started)) * 1000,
    completed: latencies.length,
    errors,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    p999: quantile(latencies, 0.999),
    max: latencies[latencies.length - 1] ?? NaN,
    lagP99: quantile(lags, 0.99),
  };
}

/** One request over a fresh connection that verifies the test CA: the answer, parsed. */
export function answer(port: number, q: BenchRequest, ca: string): Promise<{ status: number; review: { response?: { allowed?: boolean; patch?: string } } }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: q.path, method: 'POST', ca, agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, review: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.on('error', reject);
    req.end(q.body);
  });
}
