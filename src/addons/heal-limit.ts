/**
 * How often one object may be healed. Re-applying an object that another
 * controller keeps changing would be a write loop between two controllers;
 * past `perMinute` heals in a minute we stop and look again later.
 */
export interface HealLimiterOptions {
  perMinute: number;
  /** Milliseconds since the epoch. */
  now: () => number;
}

const WINDOW_MS = 60_000;

export class HealLimiter {
  readonly #o: HealLimiterOptions;
  readonly #heals = new Map<string, number[]>();

  constructor(options: HealLimiterOptions) {
    this.#o = options;
  }

  /**
   * Counts a heal of `key` and returns undefined when it may go ahead; when
   * the limit is reached, counts nothing and returns how long to wait.
   */
  retryIn(key: string): number | undefined {
    const now = this.#o.now();
    const recent = (this.#heals.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
    if (recent.length >= this.#o.perMinute) {
      this.#heals.set(key, recent);
      return Math.max(1000, WINDOW_MS - (now - (recent[0] ?? now)));
    }
    recent.push(now);
    this.#heals.set(key, recent);
    return undefined;
  }
}
