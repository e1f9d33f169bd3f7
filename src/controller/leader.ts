/**
 * Lease-based leader election (coordination.k8s.io/v1), so only one replica
 * runs the reconcilers. The holder renews every `renewSeconds`; another
 * replica takes over only after `leaseSeconds` without renewal. A leader that
 * has not renewed for `renewDeadlineSeconds` (less than the lease) stops
 * leading, on a timer of its own: a renewal hanging on an API server that
 * waits for etcd must not keep it leading past the moment another replica may
 * take the lease.
 */
import { KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../observability/log.js';

export interface LeaderElectorOptions {
  kubeconfig: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  leaseSeconds?: number;
  renewSeconds?: number;
  /** Default: two thirds of leaseSeconds (client-go's 10 s of 15). */
  renewDeadlineSeconds?: number;
  logger: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  now?: () => Date;
}

interface Lease extends KubernetesObject {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

function status(err: unknown): number | undefined {
  const e = err as { code?: number; statusCode?: number };
  return e.code ?? e.statusCode;
}

/** MicroTime as the API expects it: RFC 3339 with microseconds. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectorOptions, 'now' | 'renewDeadlineSeconds'>> & { now: () => Date; renewDeadlineMs: number };
  readonly #api: KubernetesObjectApi;
  #leading = false;
  #lastRenew = 0;
  #timer: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: LeaderElectorOptions) {
    const leaseSeconds = options.leaseSeconds ?? 15;
    this.#o = {
      leaseSeconds,
      renewSeconds: 2,
      now: () => new Date(),
      ...options,
      renewDeadlineMs: (options.renewDeadlineSeconds ?? (leaseSeconds * 2) / 3) * 1000,
    };
    this.#api = KubernetesObjectApi.makeApiClient(options.kubeconfig);
  }

  get leading(): boolean {
    return this.#leading;
  }

  start(): void {
    void this.#tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    clearTimeout(this.#deadline);
    if (this.#leading) {
      this.#setLeading(false);
      // Release: let another replica take over without waiting for expiry. Best effort, bounded:
      // shutdown must not hang on an API server that is going away too.
      const release = async (): Promise<void> => {
        const lease = await this.#read();
        if (lease?.spec?.holderIdentity === this.#o.identity) {
          lease.spec.holderIdentity = '';
          lease.spec.leaseDurationSeconds = 1;
          await this.#api.replace(lease);
        }
      };
      await Promise.race([release().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    }
  }

  async #read(): Promise<Lease | undefined> {
    try {
      return await this.#api.read<Lease>({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.#o.name, namespace: this.#o.namespace },
      });
    } catch (err) {
      if (status(err) === 404) return undefined;
      throw err;
    }
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#tryAcquireOrRenew();
    } catch (err) {
      this.#o.logger.warn({ err: (err as Error).message }, 'leader election: lease update failed');
    }
    this.#checkDeadline();
    if (!this.#stopped) this.#timer = setTimeout(() => void this.#tick(), this.#o.renewSeconds * 1000);
  }

  async #tryAcquireOrRenew(): Promise<void> {
    const now = this.#o.now();
    const lease = await this.#read();
    const spec = { holderIdentity: this.#o.identity, leaseDurationSeconds: this.#o.leaseSeconds, renewTime: microTime(now) };
    if (!lease) {
      await this.#api.create<Lease>({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.#o.name, namespace: this.#o.namespace },
        spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
      });
      this.#renewed(now);
      return;
    }
    const held = lease.spec?.holderIdentity;
    const renewed = lease.spec?.renewTime ? Date.parse(lease.spec.renewTime) : 0;
    const duration = (lease.spec?.leaseDurationSeconds ?? this.#o.leaseSeconds) * 1000;
    const expired = !held || renewed + duration < now.getTime();
    if (held !== this.#o.identity && !expired) {
      if (this.#leading) this.#setLeading(false);
      return;
    }
    const transitions = (lease.spec?.leaseTransitions ?? 0) + (held === this.#o.identity ? 0 : 1);
    lease.spec = {
      ...lease.spec,
      ...spec,
      leaseTransitions: transitions,
      ...(held === this.#o.identity ? {} : { acquireTime: microTime(now) }),
    };
    try {
      await this.#api.replace(lease); // resourceVersion makes this a compare-and-swap
      this.#renewed(now);
    } catch (err) {
      if (status(err) !== 409) throw err;
    }
  }

  #renewed(now: Date): void {
    this.#lastRenew = now.getTime();
    if (!this.#leading) this.#setLeading(true);
    clearTimeout(this.#deadline);
    this.#deadline = setTimeout(() => this.#checkDeadline(), Math.max(0, this.#lastRenew + this.#o.renewDeadlineMs - this.#o.now().getTime()));
    this.#deadline.unref();
  }

  /** Stops leading when the last renewal is older than the renew deadline. */
  #checkDeadline(): void {
    if (this.#leading && this.#o.now().getTime() - this.#lastRenew >= this.#o.renewDeadlineMs) {
      this.#o.logger.warn({ identity: this.#o.identity, lastRenew: new Date(this.#lastRenew).toISOString() }, 'leader election: lease not renewed in time');
      this.#setLeading(false);
    }
  }

  #setLeading(leading: boolean): void {
    this.#leading = leading;
    this.#o.logger.info({ identity: this.#o.identity, leading }, leading ? 'became leader' : 'stopped leading');
    if (leading) this.#o.onStartedLeading();
    else this.#o.onStoppedLeading();
  }
}
