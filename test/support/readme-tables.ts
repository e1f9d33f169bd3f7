/**
 * Tables of the README read as data: the rows of the first Markdown table
 * under `### <heading>` inside `## <section>`, one array of trimmed cells per
 * row (header and separator rows left out). Used by the tests that keep the
 * README's dependency and RBAC tables in step with package.json and
 * manifests/rbac.yaml.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';

export function readme(): string {
  return readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
}

function slice(text: string, heading: string, level: '##' | '###'): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === `${level} ${heading}`);
  if (start < 0) throw new Error(`README has no "${level} ${heading}"`);
  const ends = (l: string): boolean => l.startsWith('## ') || (level === '###' && l.startsWith('### '));
  const rest = lines.slice(start + 1);
  const end = rest.findIndex(ends);
  return (end < 0 ? rest : rest.slice(0, end)).join('\n');
}

export function tableRows(text: string, section: string, heading: string): string[][] {
  const body = slice(slice(text, section, '##'), heading, '###');
  const rows = body
    .split('\n')
    .filter((l) => l.trim().startsWith('|'))
    .map((l) =>
      l
        .trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((c) => c.trim()),
    );
  // The header row, then the |---| separator.
  return rows.filter((r, i) => i > 0 && !r.every((c) => /^:?-+:?$/.test(c)));
}

/** `a, b` -> ['a', 'b']; backticks dropped. */
export function list(cell: string): string[] {
  return cell
    .replaceAll('`', '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
