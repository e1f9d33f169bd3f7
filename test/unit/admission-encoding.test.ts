/**
 * The answer is encoded once (src/admission/review.ts encodeReview): the
 * same bytes as JSON.stringify of the AdmissionReview object, for any
 * decision; and every route to a policy (the fast path, the fast path with
 * the API server's `?timeout=` query, express for other spellings) answers
 * the same, with the headers express's res.json sent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import request from 'supertest';
import { createAdmissionApp } from '../../src/admission/http.js';
import { PolicyRegistry } from '../../src/admission/registry.js';
import { encodeReview, toResponse, toReview } from '../../src/admission/review.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import { loadConfigFile } from '../../src/config/load.js';
import type { KubeObject } from '../../src/kube/types.js';
import { silentLogger } from '../../src/observability/log.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import type { Decision } from '../../src/policy/decision.js';
import { builtinPolicies } from '../../src/policies/index.js';
import { admissionRequest, podObject, reviewBody } from '../support/review.js';

// Graphemes, and any UTF-16 units (lone surrogates included: JSON.stringify escapes them).
const unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit, maxLength: 40 }));
const rule = fc.constantFrom('p.a', 'p.b', 'p.c');
const decision: fc.Arbitrary<Decision> = fc.record({
  allowed: fc.boolean(),
  denials: fc.array(fc.record({ rule, message: text }), { maxLength: 3 }),
  warnings: fc.array(fc.record({ rule, message: text }), { maxLength: 70 }),
  patch: fc.array(
    fc.oneof(
      fc.record({ op: fc.constant('add' as const), path: text, value: fc.jsonValue({ maxDepth: 3 }), rule }),
      fc.record({ op: fc.constant('remove' as const), path: text, rule }),
      fc.record({ op: fc.constant('replace' as const), path: text, value: fc.jsonValue({ maxDepth: 2 }), rule }),
    ),
    { maxLength: 6 },
  ),
  findings: fc.constant([]),
});

describe('one encoding of the answer', () => {
  it('encodeReview gives the bytes of JSON.stringify(toReview(toResponse(...))) (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), decision, (uid, d) => {
        const expected = Buffer.from(JSON.stringify(toReview(toResponse(uid, d))));
        assert.equal(encodeReview(uid, d).toString('hex'), expected.toString('hex'));
      }),
      { numRuns: 1000 },
    );
  });

  it('a large patch too', () => {
    const d: Decision = {
      allowed: true,
      denials: [],
      warnings: [{ rule: 'p.a', message: 'über ✓' }],
      findings: [],
      patch: Array.from({ length: 5000 }, (_, i) => ({
        op: 'add' as const,
        path: `/spec/containers/${i}/env`,
        value: [{ name: 'X', value: `ü${i}` }],
        rule: 'p.a',
      })),
    };
    assert.ok(encodeReview('u', d).equals(Buffer.from(JSON.stringify(toReview(toResponse('u', d))))));
  });
});

describe('every route to a policy answers the same', () => {
  const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
  if (!loaded.ok) throw new Error('policy');
  const config = loaded.config;
  const cluster = storeFromObjects([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
    { apiVersion: 'v1', kind: 'Secret', type: 'gcp-credential', metadata: { name: 'gcp', namespace: 'team-a' } },
  ] as KubeObject[]);
  const app = createAdmissionApp({ registry: new PolicyRegistry(builtinPolicies()), cluster, config: () => config, ready: () => true, logger: silentLogger() });
  const pod = podObject('p', [{ name: 'app', image: 'x' }], { annotations: { 'credentials.harbormaster.io/inject': 'gcp' } });
  const body = JSON.stringify(reviewBody(admissionRequest(pod, { namespace: 'team-a' })));

  for (const [what, path] of [
    ['fast path', '/mutate/cloud-credentials'],
    ['fast path, the API server query', '/mutate/cloud-credentials?timeout=10s'],
    ['express (trailing slash)', '/mutate/cloud-credentials/'],
  ] as const) {
    it(`${what}: ${path}`, async () => {
      const res = await request(app).post(path).set('content-type', 'application/json').send(body);
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(Number(res.headers['content-length']), Buffer.byteLength(res.text));
      const review = JSON.parse(res.text) as { response: { allowed: boolean; patch?: string; patchType?: string } };
      assert.equal(review.response.allowed, true);
      assert.equal(review.response.patchType, 'JSONPatch');
      const ops = JSON.parse(Buffer.from(review.response.patch ?? '', 'base64').toString()) as Array<{ path: string }>;
      assert.deepEqual(
        ops.map((o) => o.path),
        ['/spec/volumes', '/spec/containers/0/volumeMounts', '/spec/containers/0/env'],
      );
    });
  }

  it('errors keep their shape: unknown policy 404, bad JSON 400, on both routes', async () => {
    for (const path of ['/mutate/nope', '/mutate/nope/']) {
      const res = await request(app).post(path).send('{}');
      assert.equal(res.status, 404);
      assert.deepEqual(JSON.parse(res.text), { error: 'no policy at /mutate/nope' });
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    }
    for (const path of ['/mutate/cloud-credentials?timeout=10s', '/mutate/cloud-credentials/']) {
      const res = await request(app).post(path).set('content-type', 'application/json').send('{"a":');
      assert.equal(res.status, 400);
      assert.deepEqual(JSON.parse(res.text), { error: 'body is not valid JSON' });
    }
  });
});
