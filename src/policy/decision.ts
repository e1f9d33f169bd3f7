/**
 * The result of evaluating one policy, and the builder policies write it
 * through. Mutations edit one working copy of the object; the JSON patch is
 * computed once at the end against the original (never by concatenating
 * patches computed separately), and each operation is tagged with the rule
 * whose write produced it.
 */
import fastJsonPatch from 'fast-json-patch';
import type { KubeObject } from '../admission/types.js';

const { compare } = fastJsonPatch;

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

/** Escapes one JSON-pointer segment (RFC 6901). */
export function escapePointer(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointer(segments: ReadonlyArray<string | number>): string {
  return segments.length === 0 ? '' : '/' + segments.map(escapePointer).join('/');
}

interface Write {
  pointer: string;
  rule: string;
}

/**
 * Accumulates one policy's denials, warnings and writes. Rules that the policy
 * config exempts for this request are filtered here, so policies never need to
 * know about exemptions.
 */
export class DecisionBuilder {
  readonly #denials: Denial[] = [];
  readonly #warnings: Warning[] = [];
  readonly #writes: Write[] = [];
  readonly #original: KubeObject | undefined;
  #working: KubeObject | undefined;
  readonly #isExempt: (rule: string) => boolean;

  constructor(options: { object?: KubeObject | null; isExempt?: (rule: string) => boolean }) {
    this.#original = options.object ?? undefined;
    this.#isExempt = options.isExempt ?? (() => false);
  }

  deny(rule: string, message: string): void {
    if (!this.#isExempt(rule)) this.#denials.push({ rule, message });
  }

  warn(rule: string, message: string): void {
    if (!this.#isExempt(rule)) this.#warnings.push({ rule, message });
  }

  /** True when `rule` will be dropped anyway; lets a policy skip work. */
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
    let node: Record<string | number, unknown> = this.working as Record<string, unknown>;
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
    this.#writes.push({ pointer: pointer(segments), rule });
  }

  /** Appends `value` to the array at `segments` (created when missing). */
  append(rule: string, segments: ReadonlyArray<string | number>, value: unknown): void {
    if (this.#isExempt(rule)) return;
    const existing = get(this.working, segments);
    const arr = Array.isArray(existing) ? existing : [];
    if (!Array.isArray(existing)) this.set(rule, segments, arr);
    arr.push(value);
    this.#writes.push({ pointer: pointer([...segments, arr.length - 1]), rule });
  }

  /** Finishes the decision: one diff of working copy against the original. */
  build(): Decision {
    const allowed = this.#denials.length === 0;
    let patch: TaggedPatchOp[] = [];
    if (allowed && this.#working !== undefined && this.#writes.length > 0) {
      const ops = compare(this.#original ?? {}, this.#working);
      patch = ops.map((op) => ({ ...op, rule: this.#ruleFor(op.path) }) as TaggedPatchOp);
    }
    return {
      allowed,
      denials: [...this.#denials],
      warnings: [...this.#warnings],
      patch,
      mutated: patch.length > 0 ? this.#working : this.#original,
    };
  }

  /** The rule whose write covers `path`: the most specific enclosing write, else the first write below it. */
  #ruleFor(path: string): string {
    let best: Write | undefined;
    for (const w of this.#writes) {
      const covers = path === w.pointer || path.startsWith(w.pointer + '/');
      if (covers && (best === undefined || w.pointer.length > best.pointer.length)) best = w;
    }
    if (best) return best.rule;
    const below = this.#writes.find((w) => w.pointer.startsWith(path + '/'));
    return below?.rule ?? this.#writes[0]?.rule ?? 'unknown';
  }
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
