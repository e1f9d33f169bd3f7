/**
 * Fuzz: with the kind/operation guards gone from the policies, every request
 * the engine lets through must still be survivable. For every resource and
 * operation each policy registers, the request is well-formed for the matcher
 * (group, version, resource, subresource, scope) while its kind and objects
 * are hostile: another kind than the resource's, any shape, no object at all.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { evaluate } from '../../src/admission/engine.js';
import type { AdmissionRequest, KubeObject, Operation } from '../../src/kube/types.js';
import { decodeReview, toResponse } from '../../src/admission/review.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import { loadConfigFile } from '../../src/config/load.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { builtinPolicies } from '../../src/policies/index.js';

const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
if (!loaded.ok) throw new Error('policy');
const config = loaded.config;
const cluster = storeFromObjects([]);

interface Target {
  group: string;
  version: string;
  resource: string;
  sub: string;
  operation: Operation;
  cluster: boolean;
}

/** Every (resource, subresource, operation) some policy is registered for. */
function targets(): Target[] {
  const out: Target[] = [];
  for (const p of builtinPolicies()) {
    for (const w of p.webhook.rules) {
      for (const entry of w.resources) {
        const [resource = '', sub = ''] = entry.split('/');
        for (const operation of w.operations) {
          out.push({
            group: w.apiGroups[0] ?? '',
            version: w.apiVersions[0] === '*' ? 'v1alpha1' : (w.apiVersions[0] ?? 'v1'),
            resource,
            sub,
            operation,
            cluster: w.scope === 'Cluster',
          });
        }
      }
    }
  }
  return out;
}

const anything = fc.anything({ maxDepth: 4, withNullPrototype: false });
const annotations = fc.dictionary(
  fc.oneof(
    fc.string(),
    fc.constantFrom(
      'harbormaster.io/quota-profile',
      'harbormaster.io/qos',
      'credentials.harbormaster.io/inject',
      'sidecars.harbormaster.io/inject',
      'addons.harbormaster.io/efk',
      'lb.harbormaster.io/vip',
      'nginx.ingress.kubernetes.io/rewrite-target',
    ),
  ),
  fc.oneof(fc.string(), fc.constantFrom('best-effort', 'large', 'gcp', 'enabled', 'fluent-bit', '203.0.113.1')),
);
const object: fc.Arbitrary<KubeObject | null> = fc.oneof(
  fc.constant(null),
  fc.record(
    {
      apiVersion: fc.constantFrom('v1', 'apps/v1', 'networking.k8s.io/v1'),
      kind: fc.constantFrom('Pod', 'Deployment', 'Secret', 'Service', 'Ingress', 'Namespace', 'Cluster', 'LimitRange', 'Weird'),
      type: fc.oneof(fc.constantFrom('gcp-credential', 'aws-credential', 'LoadBalancer'), fc.string()),
      metadata: fc.record({ name: fc.string(), annotations }, { requiredKeys: [] }),
      spec: anything,
      template: anything,
      data: anything,
    },
    { requiredKeys: [] },
  ),
);

describe('fuzz: matched requests with hostile kinds and objects', () => {
  const all = targets();
  it('every policy survives every request its webhook rules match', () => {
    const policies = builtinPolicies();
    fc.assert(
      fc.property(
        fc.constantFrom(...all),
        fc.constantFrom('Pod', 'Namespace', 'Secret', 'Ingress', 'Cluster', 'Deployment', 'LimitRange', 'Service', ''),
        object,
        object,
        (t, kind, obj, old) => {
          const body = {
            apiVersion: 'admission.k8s.io/v1',
            kind: 'AdmissionReview',
            request: {
              uid: 'u',
              kind: { group: t.group, version: t.version, kind },
              resource: { group: t.group, version: t.version, resource: t.resource },
              ...(t.sub ? { subResource: t.sub } : {}),
              operation: t.operation,
              ...(t.cluster ? {} : { namespace: 'team-a' }),
              name: 'team-a',
              object: obj,
              oldObject: old,
              userInfo: {},
            },
          };
          const d = decodeReview(JSON.parse(JSON.stringify(body)));
          if (!d.ok) return true;
          const request: AdmissionRequest = d.request;
          for (const policy of policies) {
            const res = toResponse('u', evaluate({ policy, request, cluster, config }));
            assert.equal(res.uid, 'u');
            if (res.patch) JSON.parse(Buffer.from(res.patch, 'base64').toString());
          }
          return true;
        },
      ),
      { numRuns: 2000 },
    );
  });
});
