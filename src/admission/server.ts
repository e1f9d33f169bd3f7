/**
 * The HTTPS listener. Certificates are swapped with setSecureContext: new
 * handshakes get the new pair, connections already open keep theirs, so a
 * rotation never drops or fails a request.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import type { ServingCert } from '../certs/watcher.js';

export interface HttpsServer {
  server: Server;
  port: number;
  useCertificate(cert: ServingCert): void;
  close(): Promise<void>;
}

export async function listenHttps(options: {
  app: RequestListener;
  cert: ServingCert;
  port: number;
  host?: string;
}): Promise<HttpsServer> {
  const server = createServer(
    { cert: options.cert.cert, key: options.cert.key, minVersion: 'TLSv1.2' },
    options.app,
  );
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
      server.setSecureContext({ cert: cert.cert, key: cert.key, minVersion: 'TLSv1.2' });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
