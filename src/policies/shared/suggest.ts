/** "Did you mean" for unknown annotation keys: the closest valid key by edit distance. */

/** Levenshtein distance (insert, delete, substitute), O(a·b) with one row. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prevDiag = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prevDiag + (a[i - 1] === b[j - 1] ? 0 : 1));
      prevDiag = tmp;
    }
  }
  return row[b.length] ?? 0;
}

/** The closest of `candidates` to `word`, if it is close enough to be a plausible typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

export function didYouMean(word: string, candidates: readonly string[]): string {
  const c = closest(word, candidates);
  return c ? `; did you mean \`${c}\`?` : `; valid keys: ${candidates.join(', ')}`;
}

/**
 * How many unknown keys get a "did you mean" (an edit distance against every
 * valid key): a hostile Ingress may carry thousands of keys, and the work
 * must stay linear in the request. Later keys get the message without it.
 */
export const MAX_SUGGESTIONS = 5;

/** Hands out suggestions until the budget of one request is spent. */
export function suggester(): (word: string, candidates: readonly string[], fallback: string) => string {
  let left = MAX_SUGGESTIONS;
  return (word, candidates, fallback) => {
    if (left <= 0 || word.length > 100) return fallback;
    left--;
    return didYouMean(word, candidates);
  };
}
