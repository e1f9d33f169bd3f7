/**
 * The API server calls a webhook at `<path>?timeout=<n>s` (client-go adds
 * the webhook's timeoutSeconds). Such a call takes the direct admission path
 * and answers exactly as the bare path does; other spellings do not match.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { ADMISSION_PATH, createAdmissionApp } from '../../src/admission/http.js';
import { PolicyRegistry } from '../../src/admission/registry.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import { loadConfigFile } from '../../src/config/load.js';
import { silentLogger } from '../../src/observability/log.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { builtinPolicies } from '../../src/policies/index.js';
import { admissionRequest, podObject, reviewBody } from '../support/review.js';

describe('admission paths with the API server query', () => {
  it('matches /<type>/<policy> with or without a query, nothing else', () => {
    for (const url of ['/mutate/resource-defaults', '/mutate/resource-defaults?timeout=10s', '/validate/tenancy?timeout=30s&x=1'])
      assert.ok(ADMISSION_PATH.exec(url), url);
    assert.deepEqual(ADMISSION_PATH.exec('/validate/tenancy?timeout=10s')?.slice(1, 3), ['validate', 'tenancy']);
    for (const url of ['/validate/tenancy/', '/validate/Tenancy', '/validate//tenancy', '/readyz?x', '/validate/tenancy#f', '/other/tenancy?timeout=10s'])
      assert.equal(ADMISSION_PATH.exec(url), null, url);
  });

  it('answers ?timeout=10s as it answers the bare path', async () => {
    const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
    if (!loaded.ok) throw new Error('shipped policy invalid');
    const config = loaded.config;
    const app = createAdmissionApp({
      registry: new PolicyRegistry(builtinPolicies()),
      cluster: storeFromObjects([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } }]),
      config: () => config,
      ready: () => true,
      logger: silentLogger(),
    });
    const body = reviewBody(admissionRequest(podObject('p', [{ name: 'app', image: 'x' }]), { namespace: 'team-a' }));
    const bare = await request(app).post('/mutate/resource-defaults').send(body);
    const timed = await request(app).post('/mutate/resource-defaults?timeout=10s').send(body);
    assert.equal(timed.status, 200);
    assert.equal(timed.headers['content-type'], bare.headers['content-type']);
    assert.deepEqual(timed.body, bare.body);
    assert.ok((timed.body as { response?: { patch?: string } }).response?.patch, 'the Pod was defaulted');
  });
});
