/**
 * Keeps the serving certificate current. Reads tls.crt/tls.key once at start
 * and fails fast if they are missing or do not match; then polls the files
 * (a Secret volume updates by swapping a symlink) and hands every new valid
 * pair to `onChange`. A half-written or mismatched pair is ignored and the
 * last good one stays in use. With a client CA file (`serve --client-ca`) the
 * CA bundle is read and watched together with the pair and travels in the
 * same ServingCert, so the listener can never install a new pair without it.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { join } from 'node:path';
import type { ServingCert } from '../kube/serving-cert.js';
import { readClientCa } from './client-ca.js';

/** Options of readServingCert. */
export interface ReadServingCertOptions {
  /** Also read (and check) this client CA bundle into `clientCa`. */
  clientCaFile?: string;
}

/**
 * Reads tls.crt/tls.key from `dir` (and the client CA file when given).
 * Throws when a file is missing, the key does not match, or the CA file is
 * not a CA bundle: the caller keeps what it has.
 */
export function readServingCert(dir: string, options: ReadServingCertOptions = {}): ServingCert {
  const cert = readFileSync(join(dir, 'tls.crt'), 'utf8');
  const key = readFileSync(join(dir, 'tls.key'), 'utf8');
  const x509 = new X509Certificate(cert);
  if (!x509.checkPrivateKey(createPrivateKey(key))) {
    throw new Error(`${dir}: tls.key does not match tls.crt`);
  }
  const serving: ServingCert = { cert, key, notAfter: new Date(x509.validTo), fingerprint: x509.fingerprint256 };
  if (options.clientCaFile !== undefined) serving.clientCa = readClientCa(options.clientCaFile);
  return serving;
}

/** Options of CertWatcher. */
export interface CertWatcherOptions {
  dir: string;
  /** Client CA bundle to read and watch along with the pair (`serve --client-ca`). */
  clientCaFile?: string;
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
    this.#current = this.#read();
    this.#files = [join(options.dir, 'tls.crt'), join(options.dir, 'tls.key')];
    if (options.clientCaFile !== undefined) this.#files.push(options.clientCaFile);
  }

  get current(): ServingCert {
    return this.#current;
  }

  /** Re-reads the pair; calls onChange only for a different, valid pair. */
  check(): void {
    let next: ServingCert;
    try {
      next = this.#read();
    } catch (err) {
      this.#options.onError?.(err as Error);
      return;
    }
    const same = next.fingerprint === this.#current.fingerprint && next.key === this.#current.key && next.clientCa === this.#current.clientCa;
    if (same) return;
    this.#current = next;
    this.#options.onChange(next);
  }

  #read(): ServingCert {
    return readServingCert(this.#options.dir, { clientCaFile: this.#options.clientCaFile });
  }

  start(): void {
    for (const f of this.#files) watchFile(f, { interval: this.#options.intervalMs ?? 1000, persistent: false }, this.#listener);
  }

  stop(): void {
    for (const f of this.#files) unwatchFile(f, this.#listener);
  }
}
