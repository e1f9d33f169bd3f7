#!/usr/bin/env node
// Entry point of the `harbormaster` CLI. The TypeScript sources are compiled to
// dist/ by `npm ci` (the "prepare" script); run `npm run build` after editing.
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`harbormaster: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
