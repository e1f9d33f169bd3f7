/**
 * No secret material in any output: every failing credential fixture goes
 * through the HTTPS server (responses, logs at debug level, metrics) and the
 * review CLI (stdout, stderr); none of the secret values may appear anywhere.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { stringify } from 'yaml';
import type { KubeObject } from '../../src/kube/types.js';
import { createLogger } from '../../src/observability/log.js';
import { DEFAULT_POLICY_FILE, PACKAGE_ROOT } from '../../src/paths.js';
import { startServer, type RunningServer } from '../../src/runtime/serve.js';
import { awsSecret, awsValues, gcpKey, gcpSecret, rsaPem } from '../support/credentials.js';
import { admissionRequest, reviewBody } from '../support/review.js';
import { tempCerts, tempDir, type TempCerts } from '../support/tls.js';

const pem = rsaPem();
const aws = awsValues('ASIA');
const fixtures: KubeObject[] = [
  gcpSecret('bad-token-uri', gcpKey({ token_uri: 'http://x.example/token' }, pem)),
  gcpSecret('bad-type', gcpKey({ type: 'authorized_user' }, pem)),
  gcpSecret('extra-key', gcpKey({ client_email: 'not-an-email' }, pem), { 'backup.json': pem }),
  gcpSecret('broken-pem', gcpKey({ private_key: pem.slice(0, 200) }, pem)),
  gcpSecret('not-json', `{"private_key": ${JSON.stringify(pem)}`),
  awsSecret('no-token', aws),
  awsSecret('spaces', { ...aws, aws_secret_access_key: `${aws.aws_secret_access_key} x`, aws_session_token: 'tok en' }),
  awsSecret('bad-region', { ...aws, aws_session_token: 'sessiontokenvalue123', region: 'Mars-1' }),
];
// Distinctive pieces of every secret value used above.
const pemBody = pem.split('\n')[5] ?? '';
const material = [pemBody, aws.aws_access_key_id ?? '', aws.aws_secret_access_key ?? '', 'sessiontokenvalue123', 'tok en', 'Mars-1', 'not-an-email'];

function assertClean(where: string, text: string): void {
  for (const m of material) assert.ok(m.length > 4 && !text.includes(m), `${where} contains secret material`);
}

describe('no secret values in messages, logs or metrics', () => {
  let certs: TempCerts;
  let state: { dir: string; cleanup(): void };
  let server: RunningServer;
  let logs = '';

  before(async () => {
    certs = tempCerts();
    state = tempDir('hm-leak-');
    copyFileSync(DEFAULT_POLICY_FILE, join(state.dir, 'policy.yaml'));
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logs += String(chunk);
        cb();
      },
    });
    server = await startServer({
      configPath: join(state.dir, 'policy.yaml'),
      certDir: certs.dir,
      port: 0,
      metricsPort: 0,
      host: '127.0.0.1',
      stateDir: state.dir,
      logger: createLogger({ level: 'debug', destination: sink }),
    });
  });
  after(async () => {
    await server.close();
    certs.cleanup();
    state.cleanup();
  });

  it('through the HTTPS server', async () => {
    let responses = '';
    for (const secret of fixtures) {
      const res = await request(`https://127.0.0.1:${server.port}`)
        .post('/validate/cloud-credentials')
        .ca(certs.ca)
        .send(reviewBody(admissionRequest(secret, { namespace: 'ml' })))
        .expect(200);
      assert.equal(res.body.response.allowed, false, `${secret.metadata?.name} is denied`);
      responses += res.text;
    }
    const metrics = (await request(`http://127.0.0.1:${server.metricsPort}`).get('/metrics')).text;
    assert.match(logs, /"rules":\["cloud-credentials\.(gcp|aws)-key"\]/, 'denials are logged');
    assertClean('responses', responses);
    assertClean('logs', logs);
    assertClean('metrics', metrics);
  });

  it('through harbormaster review', () => {
    const file = join(state.dir, 'secrets.yaml');
    writeFileSync(file, fixtures.map((f) => stringify(f)).join('---\n'));
    for (const output of ['text', 'json']) {
      const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'harbormaster.js'), 'review', '-f', file, '--namespace', 'ml', '--output', output], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 1);
      assert.match(r.stdout, /cloud-credentials\.(gcp|aws)-key/);
      assertClean(`review ${output} stdout`, r.stdout);
      assertClean(`review ${output} stderr`, r.stderr);
    }
  });
});
