/** JSON pointers (RFC 6901), for patch paths. */

/** Escapes one JSON-pointer segment (RFC 6901). */
export function escapePointer(segment: string | number): string {
  const s = String(segment);
  // Fast path: almost no segment needs escaping, and this runs for every write.
  if (!s.includes('~') && !s.includes('/')) return s;
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointer(segments: ReadonlyArray<string | number>): string {
  return segments.length === 0 ? '' : '/' + segments.map(escapePointer).join('/');
}
