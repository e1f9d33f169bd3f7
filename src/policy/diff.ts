/**
 * The JSON patch between the original object and the working copy, computed
 * only where policies wrote. Every mutation goes through the builder's
 * `set`/`append`, so everything outside the written paths is unchanged by
 * construction; diffing the whole object (a 3,000-container Pod: ~50 ms)
 * would redo that work for nothing. Still one diff at the end, never
 * concatenated patches: each written subtree is compared as a whole.
 */
import fastJsonPatch from 'fast-json-patch';
import { escapePointer } from './pointer.js';

const { compare } = fastJsonPatch;

export interface PlainOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
}

type Segments = ReadonlyArray<string | number>;

function has(node: unknown, key: string | number): boolean {
  return node !== null && typeof node === 'object' && Object.hasOwn(node, key);
}

function child(node: unknown, key: string | number): unknown {
  return (node as Record<string | number, unknown>)[key];
}

const isObj = (v: unknown): v is object => v !== null && typeof v === 'object';

/**
 * RFC 6902 operations turning `original` into `working`, looking only under
 * `roots`: the written paths that no other written path contains, in
 * first-write order (so appended list items are added in order).
 */
export function diffWritten(original: unknown, working: unknown, roots: readonly Segments[]): PlainOp[] {
  const ops: PlainOp[] = [];
  /** Missing levels already added whole: two roots under one new object add it once. */
  const added = new Set<string>();
  for (const root of roots) {
    // Walk down while the original has the path; the first missing level is added whole.
    let o: unknown = original;
    let w: unknown = working;
    let path = '';
    let missing = false;
    for (const seg of root) {
      // The original holds a scalar where the write went deeper: the whole level was replaced.
      if (!isObj(o)) break;
      path += `/${escapePointer(seg)}`;
      w = isObj(w) ? child(w, seg) : undefined;
      if (!has(o, seg)) {
        missing = true;
        break;
      }
      o = child(o, seg);
    }
    if (missing) {
      if (added.has(path)) continue;
      added.add(path);
      if (w !== undefined) ops.push({ op: 'add', path, value: w });
      continue;
    }
    if (isObj(o) && isObj(w) && Array.isArray(o) === Array.isArray(w)) {
      for (const op of compare(o, w)) ops.push({ ...(op as PlainOp), path: path + op.path });
    } else if (o !== w && JSON.stringify(o) !== JSON.stringify(w)) {
      ops.push(w === undefined ? { op: 'remove', path } : { op: 'replace', path, value: w });
    }
  }
  return ops;
}
