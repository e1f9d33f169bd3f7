/**
 * A small TCP balancer standing in for a Service and its endpoints in the HA
 * test: new connections go round-robin to the backends whose /readyz answers
 * 200 (checked every `checkMs`, as the endpoints controller follows readiness);
 * a connection once made stays with its backend, as kube-proxy's conntrack
 * does, so keep-alive connections to a replica that turned unready keep
 * flowing until one side closes them. Bytes are passed through untouched (TLS
 * ends at the replica). A backend that resets its socket (kill -9) makes the
 * balancer reset the caller's socket, and a connect that fails is answered
 * with a reset too, as a dead Pod IP would be: no retry here hides a failure.
 */
import { request } from 'node:https';
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Backend {
  name: string;
  port: number;
}

export interface BalancerStats {
  /** Connections accepted, per backend name. */
  connections: Record<string, number>;
  /** Connections refused because no backend was ready. */
  noBackend: number;
  /** Connections whose backend connect failed or whose backend reset them. */
  resets: number;
  /**
   * Per backend, connections the backend ended or reset while the caller's
   * last bytes had no answer yet: a request cut off in flight, or one sent on
   * a keep-alive connection the backend was closing at that moment.
   */
  cut: Record<string, number>;
}

interface Tracked extends Backend {
  ready: boolean;
  /** Probes in a row that timed out. */
  timeouts: number;
  /** Open connections to this backend. */
  open: number;
}

export class Balancer {
  readonly #backends = new Map<string, Tracked>();
  readonly #server: Server;
  readonly #checkMs: number;
  readonly #sockets = new Set<Socket>();
  #next = 0;
  #timer: NodeJS.Timeout | undefined;
  #port = 0;
  readonly stats: BalancerStats = { connections: {}, noBackend: 0, resets: 0, cut: {} };
  /** Called whenever a backend's readiness changes (for the test's timeline). */
  onChange: (name: string, ready: boolean) => void = () => undefined;

  constructor(options: { checkMs?: number } = {}) {
    this.#checkMs = options.checkMs ?? 250;
    this.#server = createServer((socket) => this.#accept(socket));
  }

  get port(): number {
    return this.#port;
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = this.#server.address();
    this.#port = typeof addr === 'object' && addr ? addr.port : 0;
    const tick = (): void => {
      void this.#checkAll().finally(() => {
        if (this.#timer !== undefined) this.#timer = setTimeout(tick, this.#checkMs);
      });
    };
    this.#timer = setTimeout(tick, 0);
    return this.#port;
  }

  /** Adds (or replaces, after a restart on a new port) a backend; it takes traffic once its /readyz passes. */
  set(backend: Backend): void {
    this.#backends.set(backend.name, { ...backend, ready: false, timeouts: 0, open: 0 });
  }

  ready(name: string): boolean {
    return this.#backends.get(name)?.ready ?? false;
  }

  /** Open connections to `name`. */
  open(name: string): number {
    return this.#backends.get(name)?.open ?? 0;
  }

  /** Connections to `name` cut with a request unanswered, so far. */
  cuts(name: string): number {
    return this.stats.cut[name] ?? 0;
  }

  async #checkAll(): Promise<void> {
    await Promise.all(
      [...this.#backends.values()].map(async (b) => {
        const probe = await readyz(b.port, PROBE_TIMEOUT_MS);
        if (this.#backends.get(b.name) !== b) return;
        // A 503 or a refused connection counts at once; a slow answer (a busy machine) only the third time in a row.
        b.timeouts = probe === 'timeout' ? b.timeouts + 1 : 0;
        const ok = probe === 'ok' || (probe === 'timeout' && b.ready && b.timeouts < 3);
        if (ok === b.ready) return;
        b.ready = ok;
        this.onChange(b.name, ok);
      }),
    );
  }

  #pick(): Tracked | undefined {
    const ready = [...this.#backends.values()].filter((b) => b.ready);
    if (ready.length === 0) return undefined;
    this.#next = (this.#next + 1) % ready.length;
    return ready[this.#next];
  }

  #accept(client: Socket): void {
    const backend = this.#pick();
    if (!backend) {
      this.stats.noBackend++;
      client.resetAndDestroy();
      return;
    }
    this.stats.connections[backend.name] = (this.stats.connections[backend.name] ?? 0) + 1;
    backend.open++;
    const upstream = connect({ port: backend.port, host: '127.0.0.1' });
    this.#sockets.add(client);
    this.#sockets.add(upstream);
    client.once('close', () => this.#sockets.delete(client));
    upstream.once('close', () => this.#sockets.delete(upstream));
    let counted = true;
    const done = (): void => {
      if (!counted) return;
      counted = false;
      backend.open--;
    };
    // Unanswered: the caller sent bytes since the backend last sent any.
    let unanswered = false;
    let cutCounted = false;
    const cut = (): void => {
      if (!unanswered || cutCounted) return;
      cutCounted = true;
      this.stats.cut[backend.name] = (this.stats.cut[backend.name] ?? 0) + 1;
    };
    // A request is hundreds of bytes at least; a TLS alert (close_notify) on its way out is a few dozen.
    client.on('data', (d: Buffer) => {
      if (d.length > 100) unanswered = true;
    });
    upstream.on('data', () => (unanswered = false));
    client.pipe(upstream);
    upstream.pipe(client);
    upstream.on('error', () => {
      // Refused connect or a reset from a killed process: the caller sees a reset, not a clean end.
      this.stats.resets++;
      cut();
      if (!client.destroyed) client.resetAndDestroy();
      done();
    });
    upstream.on('end', cut);
    client.on('error', () => {
      upstream.destroy();
      done();
    });
    upstream.on('close', () => {
      if (!client.destroyed) client.end();
      done();
    });
    client.on('close', () => {
      if (!upstream.destroyed) upstream.end();
      done();
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}

/** The kubelet's default probe timeout. */
const PROBE_TIMEOUT_MS = 1000;

/** GET /readyz over TLS without verifying the certificate, as the kubelet's probe does. */
function readyz(port: number, timeoutMs: number): Promise<'ok' | 'fail' | 'timeout'> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', rejectUnauthorized: false, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? 'ok' : 'fail'));
      res.on('error', () => resolve('fail'));
    });
    req.on('error', () => resolve('fail'));
    req.on('timeout', () => {
      req.destroy();
      resolve('timeout');
    });
    req.end();
  });
}
