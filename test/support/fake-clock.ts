/**
 * A Clock whose time moves only when a test says so: the work queue's and the
 * watch restarts' delays are asserted without sleeping.
 */
import type { Clock, TimerHandle } from '../../src/controller/clock.js';

interface Pending {
  id: number;
  at: number;
  fn: () => void;
}

/** Lets pending promise callbacks (a processed key's `.then`) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

export class FakeClock implements Clock {
  #now = 0;
  #next = 1;
  #timers: Pending[] = [];

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#next++;
    this.#timers.push({ id, at: this.#now + ms, fn });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting their work settle. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await flush();
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = due.at;
      due.fn();
      await flush();
    }
    this.#now = end;
  }
}
