/**
 * The path character allow-list (SPEC 3.5), shared by `spec.rules[].http.paths[].path`
 * and the path-typed annotations. Paths are rendered into nginx `location`
 * and `rewrite` directives; CVE-2021-25745, CVE-2021-25748 and the 2026
 * path-injection advisories all came through characters beyond this set, so
 * it is an allow-list, scanned once per character.
 */

/** What the strict charset accepts, for messages. */
export const PATH_CHARSET_TEXT = 'A-Za-z0-9, -._~/ and %XX escapes';

/** The regex characters a `use-regex: "true"` Ingress may use besides the strict set. */
export const REGEX_PATH_CHARS = '^$*+?()[]|';

/** The longest path we accept (ingress-nginx's own limits are far above any real route). */
export const MAX_PATH_LENGTH = 512;

function isPlain(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e || c === 0x2f;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

export interface PathCharOptions {
  /** Also accept `^$*+?()[]|` (a use-regex Ingress). */
  regex?: boolean;
  /** Also accept `$1`..`$9` (rewrite-target). */
  captures?: boolean;
}

/**
 * The first character outside the allow-list, whole (a surrogate pair stays
 * one character) and with its index, or undefined when every character is
 * allowed. A `%` counts as offending unless two hex digits follow it.
 */
export function firstOffendingChar(path: string, options: PathCharOptions = {}): { index: number; char: string } | undefined {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (isPlain(c)) continue;
    if (c === 0x25 && isHex(path.charCodeAt(i + 1)) && isHex(path.charCodeAt(i + 2))) {
      i += 2;
      continue;
    }
    const ch = path[i]!;
    if (options.captures && ch === '$' && path.charCodeAt(i + 1) >= 0x31 && path.charCodeAt(i + 1) <= 0x39) {
      i += 1;
      continue;
    }
    if (options.regex && REGEX_PATH_CHARS.includes(ch)) continue;
    return { index: i, char: String.fromCodePoint(path.codePointAt(i) ?? c) };
  }
  return undefined;
}
