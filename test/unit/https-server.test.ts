/**
 * The admission server over real HTTPS (real certificates, real sockets), as
 * `serve --state` runs it: no API server anywhere.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fastJsonPatch from 'fast-json-patch';
import request from 'supertest';
import { writeBundle } from '../../src/certs/files.js';
import { generateCertificates } from '../../src/certs/generate.js';
import { silentLogger } from '../../src/observability/log.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { startServer, type RunningServer } from '../../src/runtime/serve.js';
import { admissionRequest, podObject, reviewBody } from '../support/review.js';
import { tempCerts, tempDir, type TempCerts } from '../support/tls.js';

describe('admission server over HTTPS', () => {
  let certs: TempCerts;
  let state: { dir: string; cleanup(): void };
  let server: RunningServer;
  let configPath: string;
  let base: string;

  before(async () => {
    certs = tempCerts();
    state = tempDir('hm-state-');
    writeFileSync(
      join(state.dir, 'ns.yaml'),
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n  annotations:\n    harbormaster.io/quota-profile: small\n',
    );
    configPath = join(state.dir, 'policy.yaml');
    copyFileSync(DEFAULT_POLICY_FILE, configPath);
    server = await startServer({
      configPath,
      certDir: certs.dir,
      port: 0,
      metricsPort: 0,
      host: '127.0.0.1',
      stateDir: state.dir,
      logger: silentLogger(),
      watchIntervalMs: 50,
    });
    base = `https://127.0.0.1:${server.port}`;
  });

  after(async () => {
    await server.close();
    certs.cleanup();
    state.cleanup();
  });

  const post = (path: string) => request(base).post(path).ca(certs.ca);

  it('answers a review: uid echoed, patch decodes to the tagged ops', async () => {
    const req = admissionRequest(podObject('web', [{ name: 'app', image: 'nginx' }]), { namespace: 'team-a' });
    const res = await post('/mutate/resource-defaults').send(reviewBody(req)).expect(200);
    assert.equal(res.body.apiVersion, 'admission.k8s.io/v1');
    assert.equal(res.body.kind, 'AdmissionReview');
    assert.equal(res.body.response.uid, req.uid);
    assert.equal(res.body.response.allowed, true);
    assert.equal(res.body.response.patchType, 'JSONPatch');
    const ops = JSON.parse(Buffer.from(res.body.response.patch, 'base64').toString('utf8'));
    const patched = fastJsonPatch.applyPatch(structuredClone(req.object), ops, true).newDocument as { spec: { containers: Array<{ resources: unknown }> } };
    assert.deepEqual(patched.spec.containers[0]?.resources, {
      limits: { cpu: '200m', memory: '256Mi' },
      requests: { cpu: '50m', memory: '64Mi' },
    });
    assert.ok(res.body.response.warnings.every((w: string) => w.length <= 120));
  });

  it('denies with the rule id in the message', async () => {
    const req = admissionRequest(podObject('big', [{ name: 'app', image: 'x', resources: { limits: { cpu: '3' } } }]), { namespace: 'team-a' });
    const res = await post('/validate/resource-defaults').send(reviewBody(req)).expect(200);
    assert.equal(res.body.response.allowed, false);
    assert.equal(res.body.response.status.code, 403);
    assert.match(
      res.body.response.status.message,
      /^\[resource-defaults\.container-limits\] spec\.containers\[0\]\.resources\.limits\.cpu "3" exceeds the maximum 1 of profile "small"/,
    );
  });

  const malformed: Array<[string, string | object, RegExp]> = [
    ['not JSON', '{"apiVersion":', /not valid JSON/],
    ['a JSON array', '[]', /not a JSON object/],
    ['wrong apiVersion', { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} }, /apiVersion/],
    ['wrong kind', { apiVersion: 'admission.k8s.io/v1', kind: 'Pod', request: {} }, /kind must be AdmissionReview/],
    ['missing request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /request is missing/],
    ['missing uid', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { kind: { kind: 'Pod' }, operation: 'CREATE' } }, /uid/],
    [
      'bad operation',
      { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', kind: { kind: 'Pod' }, operation: 'PATCH' } },
      /operation/,
    ],
  ];
  for (const [name, body, reason] of malformed) {
    it(`refuses ${name} with 400 and a short reason, no stack trace`, async () => {
      const res = await post('/validate/resource-defaults')
        .set('content-type', 'application/json')
        .send(typeof body === 'string' ? body : JSON.stringify(body))
        .expect(400);
      assert.match(res.body.error, reason);
      assert.doesNotMatch(res.text, /\bat .*\.(ts|js):\d+/);
    });
  }

  it('refuses a 3.6 MiB body with 413', async () => {
    const big = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', pad: 'x'.repeat(Math.ceil(3.6 * 1024 * 1024)) });
    const res = await post('/validate/resource-defaults').set('content-type', 'application/json').send(big).expect(413);
    assert.match(res.body.error, /exceeds/);
  });

  it('answers 404 for an unknown policy path', async () => {
    await post('/validate/nope')
      .send(reviewBody(admissionRequest(podObject('a', []))))
      .expect(404);
  });

  it('serves healthz, readyz and metrics', async () => {
    await request(base).get('/healthz').ca(certs.ca).expect(200);
    await request(base).get('/readyz').ca(certs.ca).expect(200);
    const m = await request(`http://127.0.0.1:${server.metricsPort}`).get('/metrics').expect(200);
    assert.match(m.text, /harbormaster_admission_requests_total\{webhook="mutate\/resource-defaults",operation="CREATE",allowed="true"\} \d+/);
    assert.match(m.text, /harbormaster_admission_duration_seconds_bucket\{le="0.0001",webhook="mutate\/resource-defaults"\}/);
    assert.match(m.text, /harbormaster_certificate_expiry_timestamp_seconds \d+/);
  });

  it('hot-reloads the certificate with no failed request during the swap', async () => {
    const caPem = certs.ca;
    const agent = new Agent({ keepAlive: true, ca: caPem, maxSockets: 4 });
    const body = JSON.stringify(reviewBody(admissionRequest(podObject('x', [{ name: 'a', image: 'a' }]), { namespace: 'team-a' })));
    const one = () =>
      new Promise<number>((resolve, reject) => {
        const r = httpsRequest(`${base}/mutate/resource-defaults`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        r.on('error', reject);
        r.end(body);
      });
    const fingerprintOf = () =>
      new Promise<string>((resolve, reject) => {
        const r = httpsRequest(`${base}/healthz`, { ca: caPem, agent: false }, (res) => {
          const cert = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
          res.resume();
          resolve(cert.fingerprint256);
        });
        r.on('error', reject);
        r.end();
      });
    const before = await fingerprintOf();
    // Same CA, new serving pair: what a rotation of harbormaster-tls looks like.
    const ca = { cert: caPem, key: readFileSync(join(certs.dir, 'ca.key'), 'utf8') };
    let failures = 0;
    let done = 0;
    let stop = false;
    const load = (async () => {
      while (!stop) {
        const results = await Promise.allSettled([one(), one(), one(), one()]);
        for (const r of results) {
          if (r.status === 'rejected' || r.value !== 200) failures++;
          else done++;
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    writeBundle(certs.dir, generateCertificates({ service: 'harbormaster', namespace: 'harbormaster-system', extraIPs: ['127.0.0.1'], ca }));
    let after = before;
    for (let i = 0; i < 100 && after === before; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await fingerprintOf();
    }
    stop = true;
    await load;
    agent.destroy();
    assert.notEqual(after, before, 'new certificate is served');
    assert.equal(failures, 0, 'no request failed during the swap');
    assert.ok(done > 20, `load ran (${done} requests)`);
  });

  it('keeps the last good policy when a reload is invalid, and reports it', async () => {
    const good = readFileSync(configPath, 'utf8');
    writeFileSync(configPath, good + '\nbogusKey: 1\n');
    const metricsUrl = `http://127.0.0.1:${server.metricsPort}`;
    let text = '';
    for (let i = 0; i < 100; i++) {
      text = (await request(metricsUrl).get('/metrics')).text;
      if (/harbormaster_config_reload_total\{result="error"\} [1-9]/.test(text)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(text, /harbormaster_config_reload_total\{result="error"\} [1-9]/);
    // The small profile still applies: the server kept the last good policy.
    const req = admissionRequest(podObject('big', [{ name: 'app', image: 'x', resources: { limits: { cpu: '1500m' } } }]), { namespace: 'team-a' });
    const res = await post('/validate/resource-defaults').send(reviewBody(req)).expect(200);
    assert.equal(res.body.response.allowed, false);
    // A valid change is picked up.
    writeFileSync(configPath, good.replace('max: { cpu: "1", memory: 2Gi }', 'max: { cpu: "4", memory: 2Gi }'));
    let allowed = false;
    for (let i = 0; i < 100 && !allowed; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const r2 = await post('/validate/resource-defaults').send(reviewBody(admissionRequest(req.object ?? null, { namespace: 'team-a' })));
      allowed = r2.body.response.allowed;
    }
    assert.equal(allowed, true, 'new policy in force after a valid reload');
    writeFileSync(configPath, good);
  });
});
