/** `harbormaster dev`: the embedded default behind `npm start`. */
import type { CliIO } from './review.js';

export async function runDev(options: { port: number }, io: CliIO): Promise<number> {
  const { runDevEnvironment } = await import('../dev/run.js');
  return runDevEnvironment(options, io);
}
