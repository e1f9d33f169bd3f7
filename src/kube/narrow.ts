/**
 * Narrowing `unknown` JSON: objects inside a request are tenant input and
 * every reader narrows them before use. One set of helpers, so "an object"
 * means the same thing everywhere (not null, not an array).
 */

/** A JSON object whose fields are not yet narrowed. */
export type Rec = Record<string, unknown>;

/** Whether `v` is a JSON object (not null, not an array). */
export function isObject(v: unknown): v is Rec {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `v` as an object, or undefined when it is not one. */
export function rec(v: unknown): Rec | undefined {
  return isObject(v) ? v : undefined;
}

/** `v` as an object, or an empty one when it is not: for reading optional nested fields in a chain. */
export function recOrEmpty(v: unknown): Rec {
  return isObject(v) ? v : {};
}

/** `v` as an array, or an empty one when it is not. */
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** `v` when it is a string. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The string-valued entries of an object (labels, annotations); anything else is dropped. */
export function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(recOrEmpty(v))) if (typeof val === 'string') out[k] = val;
  return out;
}
