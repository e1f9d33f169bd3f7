import type { CliIO } from '../cli/review.js';
export async function runDevEnvironment(_options: { port: number }, io: CliIO): Promise<number> {
  io.err('dev: not built yet\n');
  return 2;
}
