/**
 * `harbormaster load`: the loader Jobs' command. Imported only when it runs,
 * so `serve` and `review` never load the object-store SDKs.
 */
import type { CliIO } from './review.js';
import { load } from '../data-loading/loader/run.js';
import { LoadError } from '../data-loading/loader/stores.js';

export interface LoadCliOptions {
  source: string;
  target: string;
  endpoint?: string;
  credentialsDir?: string;
  parallel: string;
}

export async function runLoad(o: LoadCliOptions, io: CliIO): Promise<number> {
  try {
    await load({
      source: o.source,
      target: o.target,
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
      ...(o.credentialsDir ? { credentialsDir: o.credentialsDir } : {}),
      parallel: Number(o.parallel),
      log: (line) => io.out(`${line}\n`),
    });
    return 0;
  } catch (err) {
    io.err(`load: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof LoadError ? err.exitCode : 1;
  }
}
