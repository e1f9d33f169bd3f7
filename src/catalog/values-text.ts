/**
 * Parsing the text of an `addons.harbormaster.io/<addon>.values` annotation
 * within a fixed budget: the text is tenant input of up to 256 KiB, and the
 * YAML parser's own duplicate-key check is quadratic (9,000 keys took 2 s).
 * So: a size cap far above any real values document, duplicates found in one
 * pass over the parsed document, aliases capped, and nothing printed (yaml's
 * `parse` would write its warnings, tenant text included, to stderr).
 */
import { isMap, isScalar, parseDocument, visit } from 'yaml';

/** Addon values are a few lines of settings; larger text is refused before parsing. */
export const MAX_VALUES_BYTES = 16 * 1024;

export type ValuesText = { ok: true; value: unknown } | { ok: false; problem: string };

/** The first key that appears twice in one mapping, found in linear time. */
function duplicateKey(doc: ReturnType<typeof parseDocument>): string | undefined {
  let dup: string | undefined;
  visit(doc, {
    Map(_key, map) {
      if (!isMap(map)) return undefined;
      const seen = new Set<string>();
      for (const pair of map.items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (seen.has(k)) {
          dup = k;
          return visit.BREAK;
        }
        seen.add(k);
      }
      return undefined;
    },
  });
  return dup;
}

export function parseValuesText(raw: string): ValuesText {
  const bytes = Buffer.byteLength(raw);
  if (bytes > MAX_VALUES_BYTES) return { ok: false, problem: `is ${bytes} bytes; addon values are limited to ${MAX_VALUES_BYTES}` };
  try {
    const doc = parseDocument(raw, { uniqueKeys: false });
    if (doc.errors[0]) return { ok: false, problem: `is not YAML or JSON: ${doc.errors[0].message.split('\n')[0]}` };
    const dup = duplicateKey(doc);
    if (dup !== undefined) return { ok: false, problem: `is not YAML or JSON: map keys must be unique (${JSON.stringify(dup.slice(0, 60))} appears twice)` };
    return { ok: true, value: doc.toJS({ maxAliasCount: 10 }) };
  } catch (err) {
    return { ok: false, problem: `is not YAML or JSON: ${(err as Error).message.split('\n')[0]}` };
  }
}
