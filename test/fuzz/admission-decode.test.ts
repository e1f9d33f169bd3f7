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
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const d = decodeReview(v);
        return d.ok || (typeof d.reason === 'string' && d.reason.length < 100);
      }),
      { numRuns: 2000 },
    );
  });

  const anything = fc.anything({ maxDepth: 4, withNullPrototype: false });
  const podLike = fc.record(
    {
      apiVersion: fc.constant('v1'),
      kind: fc.constantFrom('Pod', 'Namespace', 'LimitRange'),
      metadata: fc.record(
        {
          name: fc.string(),
          annotations: fc.dictionary(
            fc.oneof(fc.string(), fc.constantFrom('harbormaster.io/quota-profile', 'harbormaster.io/ingress-risk')),
            fc.oneof(fc.string(), anything),
          ),
        },
        { requiredKeys: [] },
      ),
      spec: fc.oneof(
        anything,
        fc.record(
          {
            containers: fc.array(
              fc.oneof(
                anything,
                fc.record(
                  {
                    name: fc.string(),
                    resources: fc.oneof(
                      anything,
                      fc.record(
                        {
                          limits: fc.dictionary(fc.constantFrom('cpu', 'memory', 'x'), anything),
                          requests: fc.dictionary(fc.constantFrom('cpu', 'memory'), anything),
                        },
                        { requiredKeys: [] },
                      ),
                    ),
                  },
                  { requiredKeys: [] },
                ),
              ),
              { maxLength: 4 },
            ),
            initContainers: anything,
          },
          { requiredKeys: [] },
        ),
      ),
    },
    { requiredKeys: ['kind'] },
  );

  // Every kind some policy reads, with hostile shapes: strings where objects go, deep nesting, odd keys.
  const hostile = fc.record(
    {
      apiVersion: fc.constantFrom('v1', 'networking.k8s.io/v1', 'harbormaster.io/v1alpha1', 'apps/v1'),
      kind: fc.constantFrom('Service', 'Ingress', 'Secret', 'Cluster', 'Deployment', 'CronJob', 'ResourceQuota'),
      type: fc.oneof(fc.constantFrom('gcp-credential', 'aws-credential', 'LoadBalancer'), fc.string()),
      metadata: fc.record(
        {
          name: fc.string(),
          annotations: fc.dictionary(
            fc.oneof(
              fc.constantFrom(
                'lb.harbormaster.io/vip',
                'lb.harbormaster.io/algoritm',
                'nginx.ingress.kubernetes.io/auth-url',
                'nginx.ingress.kubernetes.io/x-snippet',
                'ingress.harbormaster.io/min-replicas',
                'addons.harbormaster.io/efk',
                'addons.harbormaster.io/efk.values',
                'credentials.harbormaster.io/inject',
                'sidecars.harbormaster.io/inject',
              ),
              fc.string(),
            ),
            fc.oneof(fc.string(), fc.constantFrom('::1', '203.0.113.1', 'a: [', '{"x":1}', 'enabled', 'gcp,aws', '*')),
          ),
        },
        { requiredKeys: [] },
      ),
      spec: anything,
      data: fc.oneof(anything, fc.dictionary(fc.string(), fc.base64String())),
      stringData: anything,
    },
    { requiredKeys: ['kind'] },
  );

  it('every policy survives hostile objects of every kind it reads', () => {
    const policies = builtinPolicies();
    fc.assert(
      fc.property(hostile, fc.constantFrom('CREATE', 'UPDATE'), (obj, operation) => {
        const [group, version] = String(obj.apiVersion).includes('/') ? String(obj.apiVersion).split('/') : ['', obj.apiVersion];
        const body = {
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          request: { uid: 'u', kind: { group, version, kind: obj.kind }, operation, namespace: 'team-a', object: obj, userInfo: {} },
        };
        const d = decodeReview(JSON.parse(JSON.stringify(body)));
        if (!d.ok) return true;
        for (const policy of policies) {
          const res = toResponse('u', evaluate({ policy, request: d.request, cluster, config }));
          for (const w of res.warnings ?? []) assert.ok(w.length <= 120 && !/[\r\n]/.test(w));
        }
        return true;
      }),
      { numRuns: 1500 },
    );
  });

  it('policies survive arbitrary object shapes', () => {
    fc.assert(
      fc.property(podLike, fc.constantFrom('CREATE', 'UPDATE', 'DELETE'), (obj, operation) => {
        const body = {
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          request: { uid: 'u', kind: { group: '', version: 'v1', kind: obj.kind }, operation, namespace: 'team-a', object: obj, oldObject: obj, userInfo: {} },
        };
        const d = decodeReview(JSON.parse(JSON.stringify(body)));
        if (!d.ok) return true;
        for (const policy of builtinPolicies()) {
          const res = toResponse('u', evaluate({ policy, request: d.request, cluster, config }));
          assert.equal(res.uid, 'u');
          if (res.patch) JSON.parse(Buffer.from(res.patch, 'base64').toString());
        }
        return true;
      }),
      { numRuns: 1500 },
    );
  });
});
