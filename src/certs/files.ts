/** Writing a certificate bundle to a directory (the layout `serve --cert-dir` reads). */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertBundle } from './generate.js';

function writeAtomic(path: string, content: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, path);
}

/**
 * Writes ca.crt, tls.crt and tls.key (and ca.key, kept so the serving
 * certificate can be renewed under the same CA). Each file is replaced
 * atomically, and the key before the certificate, so a watcher never sees a
 * certificate without its key.
 */
export function writeBundle(dir: string, bundle: CertBundle): void {
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, 'ca.key'), bundle.caKey, 0o600);
  writeAtomic(join(dir, 'ca.crt'), bundle.caCert, 0o644);
  writeAtomic(join(dir, 'tls.key'), bundle.key, 0o600);
  writeAtomic(join(dir, 'tls.crt'), bundle.cert, 0o644);
}
