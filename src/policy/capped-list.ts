/** The per-rule message cap of SPEC 3.0, used by the DecisionBuilder for denials and warnings. */

/**
 * SPEC 3.0 (bounded work): at most this many messages per rule reach the
 * response, then one `… and N more`, so a hostile object with thousands of
 * findings gets a short, useful answer.
 */
export const MAX_MESSAGES_PER_RULE = 20;

/** Keeps the first MAX_MESSAGES_PER_RULE messages of each rule and counts the rest. */
export class CappedList {
  readonly items: Array<{ rule: string; message: string }> = [];
  readonly #counts = new Map<string, number>();
  /** `message` may be a function: it is then only built when the message is kept (3,000 findings, 20 messages). */
  push(rule: string, message: string | (() => string)): void {
    const n = (this.#counts.get(rule) ?? 0) + 1;
    this.#counts.set(rule, n);
    if (n <= MAX_MESSAGES_PER_RULE) this.items.push({ rule, message: typeof message === 'function' ? message() : message });
  }
  get length(): number {
    return this.items.length;
  }
  /** The kept messages, each capped rule followed by its `… and N more`. */
  result(): Array<{ rule: string; message: string }> {
    const out: Array<{ rule: string; message: string }> = [];
    const seen = new Map<string, number>();
    for (const item of this.items) {
      out.push(item);
      const k = (seen.get(item.rule) ?? 0) + 1;
      seen.set(item.rule, k);
      const total = this.#counts.get(item.rule) ?? 0;
      if (k === MAX_MESSAGES_PER_RULE && total > k) out.push({ rule: item.rule, message: `… and ${total - k} more` });
    }
    return out;
  }
}
