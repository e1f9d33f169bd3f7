#!/usr/bin/env node
// Runs the test suites with node's own test runner (TypeScript through tsx).
//   node scripts/run-tests.mjs            unit + fuzz + e2e (the e2e suite builds
//                                          kube-apiserver & co. on first use)
//   node scripts/run-tests.mjs unit|e2e   one group
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const groups = { unit: ['test/unit', 'test/fuzz'], e2e: ['test/e2e'] };
const wanted = process.argv[2] ? [process.argv[2]] : ['unit', 'e2e'];

function files(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(files(p));
    else if (e.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

let failed = false;
for (const g of wanted) {
  if (!groups[g]) {
    console.error(`unknown test group ${g}`);
    process.exit(2);
  }
  const list = groups[g].flatMap(files);
  if (list.length === 0) continue;
  console.log(`\n== ${g}: ${list.length} files ==`);
  const args = ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1'];
  // An e2e file ends when its tests have: a stray keep-alive socket of a test client must not hold CI for its timeout.
  if (g === 'e2e') args.push('--test-timeout=1800000', '--test-force-exit');
  const r = spawnSync(process.execPath, [...args, ...list], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
