/** Test helpers: a temporary directory with a fresh CA + serving certificate. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBundle } from '../../src/certs/files.js';
import { generateCertificates, type CertOptions } from '../../src/certs/generate.js';

export interface TempCerts {
  dir: string;
  ca: string;
  cleanup(): void;
}

export function tempCerts(options: Partial<CertOptions> = {}): TempCerts {
  const dir = mkdtempSync(join(tmpdir(), 'hm-certs-'));
  writeBundle(
    dir,
    generateCertificates({ service: 'harbormaster', namespace: 'harbormaster-system', extraDnsNames: ['localhost'], extraIPs: ['127.0.0.1'], ...options }),
  );
  return { dir, ca: readFileSync(join(dir, 'ca.crt'), 'utf8'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
