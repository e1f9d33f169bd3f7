/**
 * Every production dependency has a row in the README (Security, Production
 * dependencies) saying why; no row names a package that is not one. The
 * image ships exactly these, and nothing audits them here, so each one is a
 * choice somebody has to be able to defend.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { list, readme, tableRows } from '../support/readme-tables.js';

interface Problems {
  missing: string[];
  notDependencies: string[];
  noReason: string[];
  duplicated: string[];
}

function check(dependencies: string[], rows: string[][]): Problems {
  const named = rows.map((r) => ({ name: list(r[0] ?? '').join(','), why: r[1] ?? '' }));
  const names = named.map((n) => n.name);
  return {
    missing: dependencies.filter((d) => !names.includes(d)),
    notDependencies: names.filter((n) => !dependencies.includes(n)),
    noReason: named.filter((n) => n.why.length < 10).map((n) => n.name),
    duplicated: names.filter((n, i) => names.indexOf(n) !== i),
  };
}

const table = (text: string): string[][] => tableRows(text, 'Security', 'Production dependencies');
const none: Problems = { missing: [], notDependencies: [], noReason: [], duplicated: [] };

describe('README: production dependencies', () => {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const dependencies = Object.keys(pkg.dependencies);

  it('has one row with a reason for every package in dependencies, and no other', () => {
    assert.ok(dependencies.length > 0);
    assert.deepEqual(check(dependencies, table(readme())), none);
  });

  it('notices a dependency added without a row, a row for a devDependency, and a row without a reason', () => {
    const text = readme()
      .replace(/^\| `commander` \|.*\n/m, '')
      .replace('| `yaml` |', '| `tsx` | \n| `yaml` |');
    assert.deepEqual(check([...dependencies, 'left-pad'], table(text)), {
      missing: ['commander', 'left-pad'],
      notDependencies: ['tsx'],
      noReason: ['tsx'],
      duplicated: [],
    });
  });
});
