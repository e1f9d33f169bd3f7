/**
 * Object keys → paths under the target directory. A key is tenant data (a
 * tenant may own the bucket): it is mapped only if every segment is an
 * ordinary file name, so nothing it says can leave the target.
 */
import { resolve, sep } from 'node:path';

/** Suffix of the files being written; keys ending in it are refused so a download never overwrites another's temp file. */
export const PARTIAL_SUFFIX = '.hm-partial';
const MAX_SEGMENT_BYTES = 255;
const MAX_PATH_BYTES = 4000;

export type KeyPath = { relative: string } | { refused: string };

/** Where `key` (listed under `prefix`) goes below `target`, or why it may not go anywhere. */
export function keyPath(key: string, prefix: string, target: string): KeyPath {
  const shown = JSON.stringify(key.length > 120 ? `${key.slice(0, 120)}…` : key);
  if (!key.startsWith(prefix)) return { refused: `object ${shown} is not under the prefix ${JSON.stringify(prefix)}` };
  const rel = key.slice(prefix.length);
  // Control characters (NUL included), backslashes (a Windows separator some tools honour) and a leading "/".
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(rel)) return { refused: `object ${shown} has a control character or a backslash in its name` };
  if (rel.startsWith('/')) return { refused: `object ${shown} would be an absolute path` };
  const segments = rel.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return { refused: `object ${shown} has an empty, "." or ".." path segment` };
  if (segments.some((s) => Buffer.byteLength(s) > MAX_SEGMENT_BYTES) || Buffer.byteLength(rel) > MAX_PATH_BYTES) {
    return { refused: `object ${shown} has a name too long for a file system` };
  }
  if (rel.endsWith(PARTIAL_SUFFIX)) return { refused: `object ${shown} ends in ${PARTIAL_SUFFIX}, which the loader reserves` };
  const root = resolve(target);
  const full = resolve(root, rel);
  // Redundant after the checks above, kept as the last word.
  if (!full.startsWith(root + sep)) return { refused: `object ${shown} would leave the target directory` };
  return { relative: rel };
}

/** Keys ending in "/" are folder markers (zero-byte objects some tools create), not files. */
export function isFolderMarker(key: string): boolean {
  return key.endsWith('/');
}
