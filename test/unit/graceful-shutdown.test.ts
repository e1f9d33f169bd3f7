/**
 * Graceful shutdown of `serve` (issue 16): on close, /readyz turns 503 at
 * once while requests are still answered, each answer closing its keep-alive
 * connection; a request in flight when the listener stops still gets its
 * answer; then no new connection is accepted.
 */
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { connect, type TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/observability/log.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { startServer, type RunningServer } from '../../src/runtime/serve.js';
import { admissionRequest, podObject, reviewBody } from '../support/review.js';
import { tempCerts, tempDir, type TempCerts } from '../support/tls.js';

const DELAY_MS = 400;

/** One raw keep-alive TLS connection: write bytes, read until `until` matches. */
async function open(port: number, ca: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => resolve(s));
    s.once('error', reject);
  });
}

function readUntil(s: TLSSocket, until: RegExp, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no ${until} in ${JSON.stringify(text)}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      text += d.toString('utf8');
      if (until.test(text)) {
        clearTimeout(timer);
        s.off('data', onData);
        resolve(text);
      }
    };
    s.on('data', onData);
  });
}

describe('graceful shutdown', () => {
  let certs: TempCerts;
  let state: { dir: string; cleanup(): void };
  let server: RunningServer;

  before(async () => {
    certs = tempCerts();
    state = tempDir('hm-drain-');
    const configPath = join(state.dir, 'policy.yaml');
    copyFileSync(DEFAULT_POLICY_FILE, configPath);
    server = await startServer({
      configPath,
      certDir: certs.dir,
      port: 0,
      metricsPort: 0,
      host: '127.0.0.1',
      stateDir: state.dir,
      logger: silentLogger(),
      shutdownDelayMs: DELAY_MS,
    });
  });

  after(() => {
    certs.cleanup();
    state.cleanup();
  });

  it('readiness false first, keep-alive answers close their connection, the request in flight is answered', async () => {
    const idle = await open(server.port, certs.ca);
    idle.write('GET /readyz HTTP/1.1\r\nhost: x\r\n\r\n');
    assert.match(await readUntil(idle, /\r\n\r\nok/), /^HTTP\/1\.1 200/);

    // A review whose body is still on its way when the listener stops.
    const body = Buffer.from(JSON.stringify(reviewBody(admissionRequest(podObject('web', [{ name: 'app', image: 'nginx' }]), { namespace: 'team-a' }))));
    const inflight = await open(server.port, certs.ca);
    inflight.write(`POST /mutate/resource-defaults HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`);
    inflight.write(body.subarray(0, 10));

    const started = Date.now();
    const closed = server.close();
    idle.write('GET /readyz HTTP/1.1\r\nhost: x\r\n\r\n');
    const unready = await readUntil(idle, /not ready/);
    assert.match(unready, /^HTTP\/1\.1 503/);
    assert.match(unready, /\r\nconnection: close\r\n/i, 'the keep-alive connection is told to close');
    assert.ok(Date.now() - started < DELAY_MS, 'unready before the listener stops');

    await new Promise((r) => setTimeout(r, DELAY_MS + 100)); // the listener has stopped by now
    inflight.write(body.subarray(10));
    const answer = await readUntil(inflight, /"uid"/);
    assert.match(answer, /^HTTP\/1\.1 200/);
    assert.match(answer, /\r\nconnection: close\r\n/i);
    await closed;
    assert.ok(Date.now() - started >= DELAY_MS, 'the listener stayed for the delay');
    await assert.rejects(open(server.port, certs.ca), 'no new connection after close');
  });
});
