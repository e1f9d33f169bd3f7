/**
 * A keyed work queue: a key enqueued many times is processed once; one key is
 * never processed by two workers at once; a failed key is retried with
 * exponential backoff (never a hot loop), and a success resets it.
 */
import { systemClock, type Clock, type TimerHandle } from './clock.js';

export interface WorkQueueOptions {
  process: (key: string) => Promise<void>;
  onError?: (key: string, err: unknown) => void;
  concurrency?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Schedules the retries; tests pass a fake one instead of sleeping. */
  clock?: Clock;
}

export class WorkQueue {
  readonly #o: Required<Omit<WorkQueueOptions, 'onError'>> & Pick<WorkQueueOptions, 'onError'>;
  readonly #pending = new Set<string>();
  readonly #active = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Set<TimerHandle>();
  #running = 0;
  #stopped = false;
  #idleWaiters: Array<() => void> = [];

  constructor(options: WorkQueueOptions) {
    this.#o = { concurrency: 2, baseDelayMs: 200, maxDelayMs: 30_000, clock: systemClock, ...options };
  }

  add(key: string): void {
    if (this.#stopped) return;
    if (this.#active.has(key)) {
      this.#dirty.add(key); // process again after the current run
      return;
    }
    this.#pending.add(key);
    this.#pump();
  }

  /** Resolves when nothing is pending or running (retries scheduled later do not count). */
  idle(): Promise<void> {
    if (this.#pending.size === 0 && this.#running === 0) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) this.#o.clock.clearTimeout(t);
    this.#timers.clear();
    this.#pending.clear();
  }

  #pump(): void {
    while (!this.#stopped && this.#running < this.#o.concurrency && this.#pending.size > 0) {
      const key = this.#pending.values().next().value as string;
      this.#pending.delete(key);
      this.#active.add(key);
      this.#running++;
      this.#o
        .process(key)
        .then(
          () => this.#failures.delete(key),
          (err: unknown) => {
            this.#o.onError?.(key, err);
            const n = (this.#failures.get(key) ?? 0) + 1;
            this.#failures.set(key, n);
            const delay = Math.min(this.#o.baseDelayMs * 2 ** (n - 1), this.#o.maxDelayMs);
            this.#later(key, delay);
          },
        )
        .finally(() => {
          this.#running--;
          this.#active.delete(key);
          if (this.#dirty.delete(key)) this.add(key);
          this.#pump();
          if (this.#pending.size === 0 && this.#running === 0) {
            const waiters = this.#idleWaiters;
            this.#idleWaiters = [];
            for (const w of waiters) w();
          }
        });
    }
  }

  /** Enqueues `key` again after `ms` (a retry); cancelled by `stop`. */
  #later(key: string, ms: number): void {
    const t = this.#o.clock.setTimeout(() => {
      this.#timers.delete(t);
      this.add(key);
    }, ms);
    this.#timers.add(t);
  }
}
