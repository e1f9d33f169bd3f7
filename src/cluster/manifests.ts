/**
 * Reading Kubernetes manifests from files: multi-document YAML or JSON, a
 * `List` kind unwrapped, `-` meaning stdin. Used by `review -f`, by
 * `--state DIR` and by the tests.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../kube/types.js';

export class ManifestError extends Error {}

/** Parses every document in `text`; throws ManifestError naming `source` on bad input. */
export function parseManifests(text: string, source: string): KubeObject[] {
  const out: KubeObject[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      throw new ManifestError(`${source}: ${doc.errors[0]?.message ?? 'invalid YAML'}`);
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ManifestError(`${source}: a document is not a Kubernetes object`);
    }
    const obj = value as KubeObject;
    if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
      for (const item of obj.items as unknown[]) {
        if (item && typeof item === 'object') out.push(item as KubeObject);
      }
    } else {
      out.push(obj);
    }
  }
  return out;
}

/** Reads one file (or stdin for `-`). */
export function readManifestFile(path: string): KubeObject[] {
  const text = path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
  return parseManifests(text, path === '-' ? 'stdin' : path);
}

/** Reads every .yaml/.yml/.json file below `dir`, sorted for determinism. */
export function readManifestDir(dir: string): KubeObject[] {
  const out: KubeObject[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d).sort()) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ya?ml|json)$/.test(entry)) out.push(...readManifestFile(p));
    }
  };
  walk(dir);
  return out;
}
