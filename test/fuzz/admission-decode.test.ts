/**
 * Fuzz: hostile bodies and objects never crash the server path. Every input
 * gets either a well-formed AdmissionReview response or a 400 reason.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { evaluate } from '../../src/admission/engine.js';
import { decodeReview, toResponse } from '../../src/admission/review.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import { loadConfigFile } from '../../src/config/load.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { builtinPolicies } from '../../src/policies/index.js';

const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
if (!loaded.ok) throw new Error('policy');
const config = loaded.config;
const cluster = storeFromObjects([]);

describe('fuzz: decode + evaluate', () => {
  it('random JSON envelopes decode or fail with a reason, never throw', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      const d = decodeReview(v);
      return d.ok || (typeof d.reason === 'string' && d.reason.length < 100);
    }), { numRuns: 2000 });
  });

  const anything = fc.anything({ maxDepth: 4, withNullPrototype: false });
  const podLike = fc.record({
    apiVersion: fc.constant('v1'),
    kind: fc.constantFrom('Pod', 'Namespace', 'LimitRange'),
    metadata: fc.record({ name: fc.string(), annotations: fc.dictionary(fc.string(), fc.oneof(fc.string(), anything)) }, { requiredKeys: [] }),
    spec: fc.oneof(anything, fc.record({
      containers: fc.array(fc.oneof(anything, fc.record({ name: fc.string(), resources: fc.oneof(anything, fc.record({ limits: fc.dictionary(fc.constantFrom('cpu', 'memory', 'x'), anything), requests: fc.dictionary(fc.constantFrom('cpu', 'memory'), anything) }, { requiredKeys: [] })) }, { requiredKeys: [] })), { maxLength: 4 }),
      initContainers: anything,
    }, { requiredKeys: [] })),
  }, { requiredKeys: ['kind'] });

  it('policies survive arbitrary object shapes', () => {
    fc.assert(fc.property(podLike, fc.constantFrom('CREATE', 'UPDATE', 'DELETE'), (obj, operation) => {
      const body = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', kind: { group: '', version: 'v1', kind: obj.kind }, operation, namespace: 'team-a', object: obj, oldObject: obj, userInfo: {} } };
      const d = decodeReview(JSON.parse(JSON.stringify(body)));
      if (!d.ok) return true;
      for (const policy of builtinPolicies()) {
        const res = toResponse('u', evaluate({ policy, request: d.request, cluster, config }));
        assert.equal(res.uid, 'u');
        if (res.patch) JSON.parse(Buffer.from(res.patch, 'base64').toString());
      }
      return true;
    }), { numRuns: 1500 });
  });
});
