/**
 * Keeps the serving certificate current. Reads tls.crt/tls.key once at start
 * and fails fast if they are missing or do not match; then polls the files
 * (a Secret volume updates by swapping a symlink) and hands every new valid
 * pair to `onChange`. A half-written or mismatched pair is ignored and the
 * last good one stays in use.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { join } from 'node:path';

export interface ServingCert {
  cert: string;
  key: string;
  notAfter: Date;
  fingerprint: string;
}

export function readServingCert(dir: string): ServingCert {
  const cert = readFileSync(join(dir, 'tls.crt'), 'utf8');
  const key = readFileSync(join(dir, 'tls.key'), 'utf8');
  const x509 = new X509Certificate(cert);
  if (!x509.checkPrivateKey(createPrivateKey(key))) {
    throw new Error(`${dir}: tls.key does not match tls.crt`);
  }
  return { cert, key, notAfter: new Date(x509.validTo), fingerprint: x509.fingerprint256 };
}

export interface CertWatcherOptions {
  dir: string;
  intervalMs?: number;
  onChange: (cert: ServingCert) => void;
  onError?: (err: Error) => void;
}

export class CertWatcher {
  #current: ServingCert;
  readonly #options: CertWatcherOptions;
  readonly #files: string[];
  readonly #listener = (): void => this.check();

  /** Throws when the initial pair cannot be read: a server must not start without it. */
  constructor(options: CertWatcherOptions) {
    this.#options = options;
    this.#current = readServingCert(options.dir);
    this.#files = [join(options.dir, 'tls.crt'), join(options.dir, 'tls.key')];
  }

  get current(): ServingCert {
    return this.#current;
  }

  /** Re-reads the pair; calls onChange only for a different, valid pair. */
  check(): void {
    let next: ServingCert;
    try {
      next = readServingCert(this.#options.dir);
    } catch (err) {
      this.#options.onError?.(err as Error);
      return;
    }
    if (next.fingerprint === this.#current.fingerprint && next.key === this.#current.key) return;
    this.#current = next;
    this.#options.onChange(next);
  }

  start(): void {
    for (const f of this.#files) watchFile(f, { interval: this.#options.intervalMs ?? 1000, persistent: false }, this.#listener);
  }

  stop(): void {
    for (const f of this.#files) unwatchFile(f, this.#listener);
  }
}
