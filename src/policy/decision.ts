/**
 * The result of evaluating one policy, and the builder policies write it
 * through. Mutations edit one working copy of the object; the JSON patch is
 * computed once at the end against the original (never by concatenating
 * patches computed separately), and each operation is tagged with the rule
 * whose write produced it.
 */
import type { KubeObject } from '../kube/types.js';
import type { RuleMode } from '../config/types.js';
import { CappedList } from './capped-list.js';
import { pointer } from './pointer.js';
import { diffWritten } from './diff.js';
import { tagger, writeTrie, writtenRoots } from './write-trie.js';

export interface Denial {
  rule: string;
  message: string;
}

export interface Warning {
  rule: string;
  message: string;
}

/**
 * A finding the rule's mode made non-blocking (src/policy/modes.ts): a denial
 * or a write of a rule in `warn` mode (also sent as a warning) or in `audit`
 * mode (admitted silently, counted and reported).
 */
export interface Finding {
  rule: string;
  message: string;
  mode: 'warn' | 'audit';
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
  /** Denials and writes that rule modes turned into warnings or audit findings. */
  findings: Finding[];
  /** The object after mutation (equal to the input when nothing changed). */
  mutated?: KubeObject;
}

export { MAX_MESSAGES_PER_RULE } from './capped-list.js';

export { escapePointer, pointer } from './pointer.js';

interface Write {
  segments: ReadonlyArray<string | number>;
  rule: string;
}

export interface DecisionBuilderOptions {
  /** The object mutations start from (mutating policies only). */
  object?: KubeObject | null;
  /** Rules the policy file exempts for this request, or switches off. */
  isExempt?: (rule: string) => boolean;
  /** The mode of a rule that is not exempt; absent means every rule is enforced. */
  modeOf?: (rule: string) => RuleMode;
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
  readonly #warnFindings = new CappedList();
  readonly #auditFindings = new CappedList();
  readonly #modeOf: ((rule: string) => RuleMode) | undefined;
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
    this.#modeOf = options.modeOf;
  }

  /**
   * Records a finding of a rule whose mode is not `enforce`; false when the
   * rule is enforced and the caller should act on it.
   */
  #demoted(rule: string, message: string | (() => string)): boolean {
    const mode = this.#modeOf?.(rule) ?? 'enforce';
    if (mode === 'enforce' || mode === 'off') return false;
    const text = typeof message === 'function' ? message() : message;
    if (mode === 'warn') {
      this.#warnings.push(rule, text);
      this.#warnFindings.push(rule, text);
    } else this.#auditFindings.push(rule, text);
    return true;
  }

  /** A write a non-enforced rule would have made, as a finding. */
  #demotedWrite(rule: string, segments: ReadonlyArray<string | number>): boolean {
    if (this.#modeOf === undefined) return false;
    return this.#demoted(rule, () => `would set ${pointer(segments)}`);
  }

  /** A denial; pass a function to build the message only if it is among the ones kept. */
  deny(rule: string, message: string | (() => string)): void {
    if (this.#isExempt(rule)) return;
    if (this.#modeOf === undefined || !this.#demoted(rule, message)) this.#denials.push(rule, message);
  }

  /** Advice: a warning when enforced or warned, an audit finding in audit mode. */
  warn(rule: string, message: string | (() => string)): void {
    if (this.#isExempt(rule)) return;
    if (this.#modeOf?.(rule) === 'audit') this.#auditFindings.push(rule, message);
    else this.#warnings.push(rule, message);
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
    if (this.#isExempt(rule) || segments.length === 0 || this.#demotedWrite(rule, segments)) return;
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
    if (this.#isExempt(rule) || this.#demotedWrite(rule, segments)) return;
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
      const trie = writeTrie(this.#writes);
      const ops = diffWritten(this.#original ?? {}, this.#working, writtenRoots(trie));
      const ruleFor = tagger(trie, this.#writes[0]?.rule ?? 'unknown');
      patch = ops.map((op) => ({ ...op, rule: ruleFor(op.path) }));
    }
    return {
      allowed,
      denials: this.#denials.result(),
      warnings: this.#warnings.result(),
      patch,
      findings: [
        ...this.#warnFindings.result().map((f) => ({ ...f, mode: 'warn' as const })),
        ...this.#auditFindings.result().map((f) => ({ ...f, mode: 'audit' as const })),
      ],
      mutated: patch.length > 0 ? this.#working : this.#original,
    };
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
