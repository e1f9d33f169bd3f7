/**
 * `serve --client-ca`: the admission paths answer only callers whose client
 * certificate chains to the client CA, over real HTTPS with real
 * certificates; the probes stay open; certificate reloads keep the CA.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { readClientCa } from '../../src/certs/client-ca.js';
import { writeBundle } from '../../src/certs/files.js';
import { generateCA, generateCertificates, generateClientCert } from '../../src/certs/generate.js';
import { silentLogger } from '../../src/observability/log.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { startServer, type RunningServer } from '../../src/runtime/serve.js';
import { admissionRequest, podObject, reviewBody } from '../support/review.js';
import { tempCerts, tempDir, type TempCerts } from '../support/tls.js';

interface Reply {
  status: number;
  body: string;
  fingerprint: string;
}

const DAY = 24 * 3600 * 1000;

describe('client certificate authentication (serve --client-ca)', () => {
  let certs: TempCerts;
  let state: { dir: string; cleanup(): void };
  let server: RunningServer;
  let clientCaFile: string;
  const now = new Date();
  const clientCa = generateCA({ commonName: 'webhook-client-ca', days: 30, now });
  const otherCa = generateCA({ commonName: 'some-other-ca', days: 30, now });
  const apiServer = generateClientCert({ ca: clientCa, commonName: 'kube-apiserver-webhook-client', now });
  const stranger = generateClientCert({ ca: otherCa, commonName: 'kube-apiserver-webhook-client', now });
  const expired = generateClientCert({ ca: clientCa, commonName: 'old', days: 1, now: new Date(now.getTime() - 10 * DAY) });

  before(async () => {
    certs = tempCerts();
    state = tempDir('hm-client-auth-');
    writeFileSync(join(state.dir, 'ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n');
    const configPath = join(state.dir, 'policy.yaml');
    copyFileSync(DEFAULT_POLICY_FILE, configPath);
    clientCaFile = join(state.dir, 'client-ca.crt');
    writeFileSync(clientCaFile, clientCa.cert);
    server = await startServer({
      configPath,
      certDir: certs.dir,
      clientCaFile,
      port: 0,
      metricsPort: 0,
      host: '127.0.0.1',
      stateDir: state.dir,
      logger: silentLogger(),
      watchIntervalMs: 50,
    });
  });

  after(async () => {
    await server.close();
    certs.cleanup();
    state.cleanup();
  });

  /** One request on a fresh connection (a new handshake), optionally with a client certificate. */
  const call = (method: 'GET' | 'POST', path: string, client?: { cert: string; key: string }): Promise<Reply> => {
    const review = JSON.stringify(reviewBody(admissionRequest(podObject('web', [{ name: 'app', image: 'nginx' }]), { namespace: 'team-a' })));
    return new Promise((resolve, reject) => {
      const r = httpsRequest(
        `https://127.0.0.1:${server.port}${path}`,
        { method, ca: certs.ca, agent: false, headers: { 'content-type': 'application/json' }, ...(client ?? {}) },
        (res) => {
          const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, fingerprint }));
        },
      );
      r.on('error', reject);
      r.end(method === 'POST' ? review : undefined);
    });
  };

  const admissionPaths = ['/validate/resource-defaults', '/mutate/cloud-credentials', '/validate/x', '/mutate/x'];

  /** The whole contract at once; run before and after reloads. */
  const assertEnforced = async (): Promise<void> => {
    for (const path of admissionPaths) {
      const none = await call('POST', path);
      assert.equal(none.status, 401, `${path} without a certificate`);
      assert.deepEqual(JSON.parse(none.body), { error: 'client certificate required' });
      const other = await call('POST', path, stranger);
      assert.equal(other.status, 403, `${path} with another CA's certificate`);
      assert.match(JSON.parse(other.body).error, /^client certificate not trusted/);
      assert.doesNotMatch(other.body, /\bat .*\.(ts|js):\d+/);
    }
    const ok = await call('POST', '/mutate/resource-defaults', apiServer);
    assert.equal(ok.status, 200, ok.body);
    const review = JSON.parse(ok.body);
    assert.equal(review.kind, 'AdmissionReview');
    assert.equal(review.response.allowed, true);
    assert.equal(review.response.patchType, 'JSONPatch');
  };

  it('refuses callers without a certificate (401) or with one from another CA (403); answers the right one', async () => {
    await assertEnforced();
    const validated = await call('POST', '/validate/resource-defaults', apiServer);
    assert.equal(validated.status, 200);
    assert.equal(JSON.parse(validated.body).response.allowed, true);
  });

  it('an unknown policy path is not revealed to an unauthenticated caller (401, not 404)', async () => {
    assert.equal((await call('POST', '/validate/nope')).status, 401);
    assert.equal((await call('POST', '/validate/nope', apiServer)).status, 404);
  });

  it('refuses an expired certificate of the right CA with its reason', async () => {
    const r = await call('POST', '/validate/resource-defaults', expired);
    assert.equal(r.status, 403);
    assert.deepEqual(JSON.parse(r.body), { error: 'client certificate not trusted (CERT_HAS_EXPIRED)' });
  });

  it('serves /healthz and /readyz without a certificate (the kubelet sends none)', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const r = await call('GET', path);
      assert.equal(r.status, 200, path);
      assert.equal(r.body, 'ok');
    }
  });

  it('still enforces the client CA after a serving-certificate reload', async () => {
    const before = (await call('GET', '/healthz')).fingerprint;
    const ca = { cert: certs.ca, key: readFileSync(join(certs.dir, 'ca.key'), 'utf8') };
    writeBundle(certs.dir, generateCertificates({ service: 'harbormaster', namespace: 'harbormaster-system', extraIPs: ['127.0.0.1'], ca }));
    let after = before;
    for (let i = 0; i < 100 && after === before; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = (await call('GET', '/healthz')).fingerprint;
    }
    assert.notEqual(after, before, 'the new serving certificate is in use');
    await assertEnforced();
  });

  it('reloads a changed client CA file, and keeps the last good CA when the file turns invalid', async () => {
    writeFileSync(clientCaFile, otherCa.cert);
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await call('POST', '/validate/resource-defaults', stranger)).status;
    }
    assert.equal(status, 200, 'the new client CA is trusted');
    assert.equal((await call('POST', '/validate/resource-defaults', apiServer)).status, 403, 'the old one no longer is');

    writeFileSync(clientCaFile, 'not a certificate\n');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await call('POST', '/validate/resource-defaults', stranger)).status, 200, 'last good CA kept');
    assert.equal((await call('POST', '/validate/resource-defaults')).status, 401);
    writeFileSync(clientCaFile, clientCa.cert);
  });

  it('readClientCa refuses a file without certificates and a leaf certificate, naming the file', () => {
    const bad = join(state.dir, 'bad-ca.crt');
    writeFileSync(bad, 'hello\n');
    assert.throws(() => readClientCa(bad), /bad-ca\.crt: no PEM certificate/);
    writeFileSync(bad, apiServer.cert);
    assert.throws(() => readClientCa(bad), /bad-ca\.crt: certificate 1 .* is not a CA certificate/);
    writeFileSync(bad, clientCa.cert + otherCa.cert);
    assert.equal((readClientCa(bad).match(/BEGIN CERTIFICATE/g) ?? []).length, 2);
  });
});
