/**
 * The HTTPS listener. Certificates are swapped with setSecureContext: new
 * handshakes get the new pair, connections already open keep theirs, so a
 * rotation never drops or fails a request.
 *
 * With a client CA the listener asks every caller for a certificate but
 * does not refuse the handshake without one (the kubelet's probes carry
 * none): it only records on the socket whether the certificate chained to
 * the CA, and the admission routes decide (src/admission/client-auth.ts).
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import type { SecureContextOptions } from 'node:tls';
import type { ServingCert } from '../kube/serving-cert.js';

/** The running listener and how to swap its certificate. */
export interface HttpsServer {
  server: Server;
  port: number;
  /** New handshakes use this pair and, if it carries one, its client CA. */
  useCertificate(cert: ServingCert): void;
  /**
   * Graceful stop: accepts no new connection; every response from now on
   * carries `Connection: close`, so a keep-alive connection ends right after
   * the request it is carrying, and idle ones are closed at once; resolves
   * when all have ended, cutting what is left after `timeoutMs`.
   */
  drain(timeoutMs: number): Promise<void>;
  /** From now on every response closes its connection (the caller stays listening). */
  closeAfterEachResponse(): void;
  close(): Promise<void>;
}

/**
 * The one place a TLS context is described, for the first context and for
 * every reload alike: setSecureContext replaces the whole context, so a
 * reload that built its own options could drop the client CA (and with it
 * every caller's authorization) without a sound.
 */
function contextOptions(cert: ServingCert): SecureContextOptions {
  return {
    cert: cert.cert,
    key: cert.key,
    minVersion: 'TLSv1.2',
    // `ca` replaces Node's public roots: only this bundle can vouch for a caller.
    ...(cert.clientCa !== undefined ? { ca: cert.clientCa } : {}),
  };
}

/** Options of listenHttps. */
export interface ListenHttpsOptions {
  app: RequestListener;
  /** The first pair; its `clientCa`, when set, turns on client-certificate requests for good. */
  cert: ServingCert;
  port: number;
  host?: string;
}

/** Starts the HTTPS listener; resolves once it accepts connections. */
export async function listenHttps(options: ListenHttpsOptions): Promise<HttpsServer> {
  const clientAuth = options.cert.clientCa !== undefined;
  const server = createServer({ ...contextOptions(options.cert), ...(clientAuth ? { requestCert: true, rejectUnauthorized: false } : {}) }, options.app);
  let closing = false;
  // Before the app's listener: the header is in place before any answer is written.
  server.prependListener('request', (_req, res) => {
    if (closing) res.setHeader('connection', 'close');
  });
  // The API server reuses connections; keep them a little longer than its idle timeout.
  server.keepAliveTimeout = 95_000;
  server.headersTimeout = 100_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    useCertificate(cert) {
      server.setSecureContext(contextOptions(cert));
    },
    closeAfterEachResponse() {
      closing = true;
    },
    drain(timeoutMs) {
      closing = true;
      return new Promise((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
