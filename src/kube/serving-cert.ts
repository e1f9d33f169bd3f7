/**
 * The serving certificate as the HTTPS listener takes it. Defined here, below
 * both sides, so the transport (admission/server.ts) and the code that reads
 * and renews certificates (certs/) share the shape without importing each
 * other.
 */

/** What the HTTPS listener needs for one TLS context: the serving pair and, if callers must authenticate, their CA. */
export interface ServingCert {
  cert: string;
  key: string;
  notAfter: Date;
  fingerprint: string;
  /** PEM bundle callers' client certificates must chain to; undefined when callers are not authenticated. */
  clientCa?: string;
}
