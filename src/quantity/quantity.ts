/**
 * Kubernetes resource quantities, exact. A quantity is kept as a rational
 * number (bigint numerator/denominator), so `0.5`, `500m`, `1Gi` and `1e3`
 * compare and add without floating-point drift. Grammar as in
 * k8s.io/apimachinery/pkg/api/resource: <sign><digits>[.<digits>]<suffix>
 * where suffix is a binary SI (Ki…Ei), decimal SI (n, u, m, k, M…E) or an
 * exponent (e3, E-2).
 */

export interface Quantity {
  readonly num: bigint;
  readonly den: bigint; // always > 0
}

const GRAMMAR = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;

const BINARY: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

function make(num: bigint, den: bigint): Quantity {
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

/**
 * Parsed quantities by text: a Pod's containers and the profile repeat the
 * same few strings, and bigint parsing of each one for 3,000 containers was a
 * third of the policy's time. Bounded: cleared when full.
 */
const MEMO = new Map<string, Quantity | undefined>();
const MEMO_SIZE = 4096;

/** Parses a quantity string (or a JSON number); undefined when it is not one. */
export function parseQuantity(input: unknown): Quantity | undefined {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return undefined;
    text = String(input);
  } else if (typeof input === 'string') {
    text = input.trim();
  } else {
    return undefined;
  }
  if (text.length === 0 || text.length > 64) return undefined;
  if (MEMO.has(text)) return MEMO.get(text);
  const q = parseText(text);
  if (MEMO.size >= MEMO_SIZE) MEMO.clear();
  MEMO.set(text, q);
  return q;
}

function parseText(text: string): Quantity | undefined {
  const m = GRAMMAR.exec(text);
  if (!m) return undefined;
  const [, sign = '', digits = '', suffix = ''] = m;
  const [intPart = '', fracPart = ''] = digits.split('.');
  let num = BigInt((intPart || '0') + fracPart);
  let den = 10n ** BigInt(fracPart.length);
  if (sign === '-') num = -num;
  const binary = BINARY[suffix];
  if (binary !== undefined) {
    num *= 1024n ** BigInt(binary);
  } else {
    const exp = suffix.startsWith('e') || suffix.startsWith('E') ? Number(suffix.slice(1)) : DECIMAL[suffix];
    if (exp === undefined || Math.abs(exp) > 64) return undefined;
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  }
  return make(num, den);
}

/** -1, 0 or 1. */
export function compareQuantity(a: Quantity, b: Quantity): number {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

export function addQuantity(a: Quantity, b: Quantity): Quantity {
  return make(a.num * b.den + b.num * a.den, a.den * b.den);
}

export function divideQuantity(a: Quantity, b: Quantity): Quantity | undefined {
  if (b.num === 0n) return undefined;
  return make(a.num * b.den, a.den * b.num);
}

export const ZERO: Quantity = { num: 0n, den: 1n };

/** A short decimal rendering for messages (e.g. `2.5`, `0.25`); exact when the quantity is. */
export function formatRatio(q: Quantity): string {
  const whole = q.num / q.den;
  const rest = q.num % q.den;
  if (rest === 0n) return whole.toString();
  const scaled = (q.num * 1000n) / q.den;
  return (Number(scaled) / 1000).toString();
}

export function multiplyQuantity(a: Quantity, b: Quantity): Quantity {
  return make(a.num * b.num, a.den * b.den);
}

export function minQuantity(a: Quantity, b: Quantity): Quantity {
  return compareQuantity(a, b) <= 0 ? a : b;
}

export function maxQuantity(a: Quantity, b: Quantity): Quantity {
  return compareQuantity(a, b) >= 0 ? a : b;
}

const NANO = 1_000_000_000n;

/**
 * A canonical quantity string for values we write into objects (a defaulted
 * limit such as request × ratio). Rounded *down* to nano precision, the finest
 * the API server keeps, so a limit computed as an upper bound never ends up
 * above it. Whole numbers use the largest binary suffix that divides them
 * exactly, from Mi up (memory reads as `768Mi`, a cpu count stays `1024`),
 * fractions the largest of m/u/n.
 */
export function formatQuantity(q: Quantity): string {
  const nanos = (q.num * NANO) / q.den - (q.num < 0n && (q.num * NANO) % q.den !== 0n ? 1n : 0n);
  if (nanos % NANO === 0n) {
    const whole = nanos / NANO;
    if (whole === 0n) return '0';
    for (const [suffix, exp] of Object.entries(BINARY).reverse()) {
      const unit = 1024n ** BigInt(exp);
      if (exp >= 2 && whole % unit === 0n) return `${whole / unit}${suffix}`;
    }
    return whole.toString();
  }
  if (nanos % 1_000_000n === 0n) return `${nanos / 1_000_000n}m`;
  if (nanos % 1000n === 0n) return `${nanos / 1000n}u`;
  return `${nanos}n`;
}
