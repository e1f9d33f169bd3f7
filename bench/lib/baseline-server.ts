/**
 * The limit of our stack: a bare node:https server with the same certificate
 * and key, the same Node and the same listener settings as `serve`, that reads
 * the body, JSON-parses the AdmissionReview and answers allowed. Run as its
 * own process: `node --import tsx bench/lib/baseline-server.ts <cert-dir>`;
 * prints `{"port":N}` once it listens, stops on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const certDir = process.argv[2];
if (!certDir) throw new Error('usage: baseline-server.ts <cert-dir>');
const server = createServer(
  { cert: readFileSync(join(certDir, 'tls.crt')), key: readFileSync(join(certDir, 'tls.key')), minVersion: 'TLSv1.2' },
  (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request: { uid: string } };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: body.request.uid, allowed: true } }));
    });
  },
);
server.keepAliveTimeout = 95_000;
server.headersTimeout = 100_000;
server.requestTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + '\n');
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
