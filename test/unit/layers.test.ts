/**
 * Imports run downward. Every file under src/ belongs to a layer by its top
 * folder (or, for a file directly in src/, by its name); a file may import
 * from its own layer and from any layer below, never from one above. A new
 * top folder fails until it is placed in LAYERS.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { PACKAGE_ROOT } from '../../src/paths.js';

/**
 * Bottom to top. Folders listed but not yet present are where the work in
 * progress will put them (controllers and their feature folders sit above
 * cluster, beside addons), so a merge only has to touch this table.
 */
const LAYERS: ReadonlyArray<{ name: string; folders: readonly string[] }> = [
  // Object and AdmissionReview types, narrowing helpers, well-known names. Imports nothing from src/.
  { name: 'kube', folders: ['kube'] },
  // Values and files read at start: quantities, the policy file, the addon catalog and its annotation grammar.
  { name: 'definitions', folders: ['quantity', 'config', 'catalog', 'paths.ts'] },
  // What a policy is and what it reads: PolicyInput, the ClusterView contract, claims, slim records, the DecisionBuilder.
  { name: 'policy', folders: ['policy'] },
  // The policies themselves: pure functions of (request, view, config).
  { name: 'policies', folders: ['policies'] },
  // Logging and metrics: above the pure layers, so no policy logs or counts.
  { name: 'observability', folders: ['observability'] },
  // Talking to the cluster: the raw API calls, the controller kit (watch with backoff, work queue,
  // leader election, Events), informers or manifest files into the store behind the ClusterView.
  { name: 'cluster', folders: ['cluster', 'controller'] },
  // Transport (express), AdmissionReview decode/encode, the engine and the registry.
  { name: 'admission', folders: ['admission'] },
  // What the registry generates: webhook manifests, the security report, offline review.
  { name: 'registry outputs', folders: ['manifests', 'report', 'review'] },
  // Writers to the cluster: certificates, the addon pipeline, the other reconcilers with their features, the audit (PolicyReports).
  { name: 'controllers', folders: ['certs', 'addons', 'namespace-defaults', 'ingress-conflicts', 'audit', 'data-loading'] },
  // Wiring one process: serve and the leader's tasks.
  { name: 'runtime', folders: ['runtime'] },
  // The local control plane behind `harbormaster dev`.
  { name: 'dev', folders: ['dev'] },
  // The `harbormaster` command.
  { name: 'cli', folders: ['cli'] },
];

const SRC = join(PACKAGE_ROOT, 'src');

const LAYER_OF = new Map<string, number>(LAYERS.flatMap((l, i) => l.folders.map((f) => [f, i] as const)));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Static `import … from`, `import type … from`, `export … from`, side-effect `import '…'` and `import('…')`. */
const SPECIFIER =
  /(?:^|[\n;])\s*(?:import|export)\b[^;'"`]*?\bfrom\s*(['"])([^'"]+)\1|(?:^|[\n;])\s*import\s*(['"])([^'"]+)\3|\bimport\(\s*(['"])([^'"]+)\5\s*\)/g;

/** The relative import specifiers of one source text. */
function importSpecifiers(text: string): string[] {
  return [...text.matchAll(SPECIFIER)].map((m) => m[2] ?? m[4] ?? m[6] ?? '').filter((s) => s.startsWith('.'));
}

/** The layer key of a path under src/: its top folder, or its file name when it sits directly in src/. */
function topOf(file: string): string | undefined {
  const rel = relative(SRC, file);
  if (rel.startsWith('..')) return undefined;
  return rel.split(sep)[0];
}

interface Violation {
  file: string;
  specifier: string;
  from: string;
  to: string;
}

function violations(): { unplaced: string[]; upward: Violation[] } {
  const unplaced = new Set<string>();
  const upward: Violation[] = [];
  for (const file of sourceFiles(SRC)) {
    const top = topOf(file) ?? '';
    const mine = LAYER_OF.get(top);
    if (mine === undefined) {
      unplaced.add(top);
      continue;
    }
    for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
      const target = topOf(resolve(dirname(file), specifier).replace(/\.js$/, '.ts'));
      if (target === undefined) continue;
      const theirs = LAYER_OF.get(target);
      if (theirs === undefined) unplaced.add(target);
      else if (theirs > mine) {
        upward.push({ file: relative(PACKAGE_ROOT, file), specifier, from: LAYERS[mine]?.name ?? '', to: LAYERS[theirs]?.name ?? '' });
      }
    }
  }
  return { unplaced: [...unplaced].sort(), upward };
}

describe('layers', () => {
  it('reads every form of import and re-export', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      'import {\n  c,\n  type D,\n} from "./c.js";',
      "export { e } from './e.js';",
      "export * from './f.js';",
      "import './g.js';",
      "const h = await import('./h.js');",
      "import { readFileSync } from 'node:fs';",
    ].join('\n');
    assert.deepEqual(importSpecifiers(text), ['./a.js', '../b.js', './c.js', './e.js', './f.js', './g.js', './h.js']);
  });

  it('every top folder of src/ has a layer', () => {
    const { unplaced } = violations();
    assert.deepEqual(unplaced, [], `src/${unplaced.join(', src/')}: place it in LAYERS in test/unit/layers.test.ts`);
  });

  it('imports only from the same layer or below', () => {
    const { upward } = violations();
    const lines = upward.map((v) => `${v.file} imports '${v.specifier}': ${v.from} may not import from ${v.to}, a higher layer`);
    assert.deepEqual(lines, [], `\n${lines.join('\n')}\n(layers, bottom to top: ${LAYERS.map((l) => l.name).join(' → ')})`);
  });

  it('src/kube/ imports nothing from the rest of src/', () => {
    const out = sourceFiles(join(SRC, 'kube')).flatMap((file) =>
      importSpecifiers(readFileSync(file, 'utf8'))
        .filter((s) => topOf(resolve(dirname(file), s)) !== 'kube')
        .map((s) => `${relative(PACKAGE_ROOT, file)} imports '${s}'`),
    );
    assert.deepEqual(out, []);
  });
});
