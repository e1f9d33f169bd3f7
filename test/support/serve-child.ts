/** Runs the CLI from source in a child process (`node --import tsx test/support/serve-child.ts serve …`), as the built bin would. */
import { main } from '../../src/cli/main.js';

main(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`harbormaster: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
