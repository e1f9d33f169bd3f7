/**
 * The result of evaluating one policy, and the builder policies write it
 * through. Mutations edit one working copy of the object; the JSON patch is
 * computed once at the end against the original (never by concatenating
 * patches computed separately), and each operation is tagged with the rule
 * whose write produced it.
 */
import type { KubeObject } from '../kube/types.js';
import { diffWritten } from './diff.js';

export interface Denial {
  rule: string;
  message: string;
}

export interface Warning {
  rule: string;
  message: string;
}

export interface TaggedPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
  rule: string;
}

export interface Decision {
  allowed: boolean;
  denials: Denial[];
  warnings: Warning[];
  patch: TaggedPatchOp[];
  /** The object after mutation (equal to the input when nothing changed). */
  mutated?: KubeObject;
}

/**
 * SPEC 3.0 (bounded work): at most this many messages per rule reach the
 * response, then one `… and N more`, so a hostile object with thousands of
 * findings gets a short, useful answer.
 */
export const MAX_MESSAGES_PER_RULE = 20;

/** Keeps the first MAX_MESSAGES_PER_RULE messages of each rule and counts the rest. */
class CappedList {
  readonly items: Array<{ rule: string; message: string }> = [];
  readonly #counts = new Map<string, number>();
  push(rule: string, message: string): void {
    const n = (this.#counts.get(rule) ?? 0) + 1;
    this.#counts.set(rule, n);
    if (n <= MAX_MESSAGES_PER_RULE) this.items.push({ rule, message });
  }
  get length(): number { return this.items.length; }
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

export { escapePointer, pointer } from './pointer.js';

interface Write {
  segments: ReadonlyArray<string | number>;
  rule: string;
}

/** A trie over written paths: the rule written at a node, and the first rule written below it. */
interface TagNode {
  rule?: string;
  firstBelow?: string;
  children?: Map<string, TagNode>;
}

export interface DecisionBuilderOptions {
  /** The object mutations start from (mutating policies only). */
  object?: KubeObject | null;
  /** Rules the policy file exempts for this request. */
  isExempt?: (rule: string) => boolean;
  /** Rules that can fire on this request (match.ts); the others' findings are dropped. */
  applies?: (rule: string) => boolean;
}

/**
 * Accumulates one policy's denials, warnings and writes. Rules that the policy
 * config exempts for this request, and rules that do not apply to its kind and
 * operation, are filtered here, so policies never need to know about either.
 */
export class DecisionBuilder {
  readonly #denials = new CappedList();
  readonly #warnings = new CappedList();
  readonly #writes: Write[] = [];
  readonly #original: KubeObject | undefined;
  #working: KubeObject | undefined;
  readonly #isExempt: (rule: string) => boolean;

  constructor(options: DecisionBuilderOptions) {
    this.#original = options.object ?? undefined;
    const exempt = options.isExempt ?? (() => false);
    const applies = options.applies;
    // Both filters drop the same way; one predicate keeps the hot path to a single call.
    this.#isExempt = applies ? (rule) => !applies(rule) || exempt(rule) : exempt;
  }

  deny(rule: string, message: string): void {
    if (!this.#isExempt(rule)) this.#denials.push(rule, message);
  }

  warn(rule: string, message: string): void {
    if (!this.#isExempt(rule)) this.#warnings.push(rule, message);
  }

  /** True when `rule` will be dropped anyway (exempt or not applicable); lets a policy skip work. */
  exempt(rule: string): boolean {
    return this.#isExempt(rule);
  }

  /** The working copy mutations edit (cloned lazily on first access). */
  get working(): KubeObject {
    if (this.#working === undefined) {
      this.#working = structuredClone(this.#original ?? {});
    }
    return this.#working;
  }

  /**
   * Sets `value` at `segments` in the working copy, creating missing objects
   * on the way, and remembers which rule wrote there.
   */
  set(rule: string, segments: ReadonlyArray<string | number>, value: unknown): void {
    if (this.#isExempt(rule) || segments.length === 0) return;
    let node: Record<string | number, unknown> = this.working;
    for (let i = 0; i < segments.length - 1; i++) {
      const key = segments[i] as string | number;
      let next = node[key];
      if (next === undefined || next === null || typeof next !== 'object') {
        next = typeof segments[i + 1] === 'number' ? [] : {};
        node[key] = next;
      }
      node = next as Record<string | number, unknown>;
    }
    node[segments[segments.length - 1] as string | number] = value;
    this.#writes.push({ segments: [...segments], rule });
  }

  /** Appends `value` to the array at `segments` (created when missing). */
  append(rule: string, segments: ReadonlyArray<string | number>, value: unknown): void {
    if (this.#isExempt(rule)) return;
    const existing = get(this.working, segments);
    const arr = Array.isArray(existing) ? existing : [];
    if (!Array.isArray(existing)) this.set(rule, segments, arr);
    arr.push(value);
    this.#writes.push({ segments: [...segments, arr.length - 1], rule });
  }

  /** Finishes the decision: one diff of working copy against the original. */
  build(): Decision {
    const allowed = this.#denials.length === 0;
    let patch: TaggedPatchOp[] = [];
    if (allowed && this.#working !== undefined && this.#writes.length > 0) {
      const trie = this.#trie();
      const ops = diffWritten(this.#original ?? {}, this.#working, writtenRoots(trie));
      const ruleFor = this.#tagger(trie);
      patch = ops.map((op) => ({ ...op, rule: ruleFor(op.path) }));
    }
    return {
      allowed,
      denials: this.#denials.result(),
      warnings: this.#warnings.result(),
      patch,
      mutated: patch.length > 0 ? this.#working : this.#original,
    };
  }

  /**
   * Tags a diff op with the rule behind it: the most specific write at or
   * above the op's path; for an op above several writes (e.g. a whole
   * `resources` object added), the first write below it. A trie of the
   * written paths keeps this O(depth) per op.
   */
  #tagger(root: TagNode): (path: string) => string {
    const fallback = this.#writes[0]?.rule ?? 'unknown';
    return (path) => {
      let node: TagNode | undefined = root;
      let covering: string | undefined;
      // Walk the pointer segment by segment without splitting it: this runs once per patch op.
      for (let start = 1; start <= path.length && node; ) {
        let end = path.indexOf('/', start);
        if (end < 0) end = path.length;
        const raw = path.slice(start, end);
        const seg = raw.includes('~') ? raw.replace(/~1/g, '/').replace(/~0/g, '~') : raw;
        const next: TagNode | undefined = node.children?.get(seg);
        if (!next) return covering ?? fallback;
        node = next;
        if (node.rule !== undefined) covering = node.rule;
        start = end + 1;
      }
      return covering ?? node?.firstBelow ?? fallback;
    };
  }

  /** The written paths as a trie: the rule written at a node, and the first rule written below it. */
  #trie(): TagNode {
    const root: TagNode = {};
    for (const w of this.#writes) {
      let node = root;
      for (const seg of w.segments) {
        node.firstBelow ??= w.rule;
        node.children ??= new Map();
        const key = String(seg);
        let next = node.children.get(key);
        if (!next) {
          next = {};
          node.children.set(key, next);
        }
        node = next;
      }
      node.rule = w.rule;
    }
    return root;
  }
}

/** The written paths no other written path contains, in first-write order: where the diff looks. */
function writtenRoots(root: TagNode): string[][] {
  const out: string[][] = [];
  const path: string[] = [];
  const walk = (node: TagNode): void => {
    if (node.rule !== undefined && path.length > 0) {
      out.push(path.slice());
      return;
    }
    if (!node.children) return;
    for (const [k, c] of node.children) {
      path.push(k);
      walk(c);
      path.pop();
    }
  };
  walk(root);
  return out;
}

/** Reads the value at `segments`, or undefined. */
export function get(obj: unknown, segments: ReadonlyArray<string | number>): unknown {
  let node: unknown = obj;
  for (const s of segments) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[s];
  }
  return node;
}
