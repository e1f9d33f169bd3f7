/**
 * Issue 11 item 3, mutating side: defaulting yields valid objects. Table-driven,
 * pure: the public samples that got a limit below their request, LimitRanger's
 * annotation, requests over max, pod-level limits, extended resources.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate } from '../../src/admission/engine.js';
import type { KubeObject } from '../../src/kube/types.js';
import { resourceDefaultsMutate } from '../../src/policies/resource-defaults/mutate.js';
import { limitsSetByLimitRanger } from '../../src/policies/resource-defaults/resources.js';
import { admissionRequest } from '../support/review.js';
import { cluster, config, limitRanged, mutate, pod, resourcesOf, validate, type Res } from '../support/resource-defaults.js';

describe('resource-defaults: a defaulted limit is never below the request', () => {
  const cases: Array<{ name: string; obj: KubeObject; namespace?: string; want?: Res; deny?: RegExp; warn?: RegExp }> = [
    {
      name: 'public sample: cpu request 1, no limit (default limit 500m) → limit raised to 1',
      obj: pod({ requests: { cpu: '1' } }),
      want: { limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '1', memory: '128Mi' } },
      warn: /app limits\.cpu 1 = the request \(default 500m is below it\)/,
    },
    {
      name: 'public sample: memory request 2Gi, no limit (default 512Mi) → limit raised to 2Gi',
      obj: pod({ requests: { memory: '2Gi' } }),
      want: { limits: { cpu: '500m', memory: '2Gi' }, requests: { cpu: '100m', memory: '2Gi' } },
    },
    {
      name: 'a small request gets the default lowered to request × maxLimitRequestRatio (10m × 10)',
      obj: pod({ requests: { cpu: '10m' } }),
      want: { limits: { cpu: '100m', memory: '512Mi' }, requests: { cpu: '10m', memory: '128Mi' } },
      warn: /limits\.cpu 100m = the request × maxLimitRequestRatio 10/,
    },
    {
      name: 'the same after LimitRanger already set the 500m default (its annotation says so)',
      obj: limitRanged(
        { requests: { cpu: '1', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
        'memory request for container app; cpu, memory limit for container app',
      ),
      want: { limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '1', memory: '128Mi' } },
    },
    {
      name: 'a limit the user wrote is never changed, even below the request (the API server refuses it itself)',
      obj: pod({ requests: { cpu: '1' }, limits: { cpu: '500m', memory: '1Gi' } }),
      want: { limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } },
    },
    {
      name: 'a request above the max cannot be given a limit: denied, saying what to set',
      obj: pod({ requests: { cpu: '5' } }),
      deny: /^spec\.containers\[0\]\.resources\.requests\.cpu "5" exceeds the maximum 4 of profile "default", so no limit can be defaulted; set requests\.cpu to at most 4$/,
    },
    {
      name: 'a defaulted limit is capped at the pod-level limit',
      obj: pod({ requests: { memory: '200Mi' } }, {}, { limits: { memory: '400Mi' } }),
      want: { limits: { cpu: '500m', memory: '400Mi' }, requests: { cpu: '100m', memory: '200Mi' } },
      warn: /limits\.memory 400Mi = the pod-level limit/,
    },
    {
      name: 'extended resources are never defaulted',
      namespace: 'ml',
      obj: pod({ requests: { 'nvidia.com/gpu': '1' }, limits: { 'nvidia.com/gpu': '1' } }),
      want: {
        limits: { cpu: '500m', memory: '512Mi', 'nvidia.com/gpu': '1', 'ephemeral-storage': '1Gi' },
        requests: { cpu: '100m', memory: '128Mi', 'nvidia.com/gpu': '1', 'ephemeral-storage': '256Mi' },
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = mutate(c.obj, c.namespace);
      if (c.deny) {
        assert.equal(d.allowed, false);
        assert.equal(d.denials[0]?.rule, 'resource-defaults.valid-defaults');
        assert.match(d.denials[0]?.message ?? '', c.deny);
        return;
      }
      assert.equal(d.allowed, true, JSON.stringify(d.denials));
      assert.deepEqual(resourcesOf(d), c.want);
      if (c.warn) assert.match(d.warnings.map((w) => w.message).join('\n'), c.warn);
      // What the mutation produced passes the validator, and a second pass changes nothing.
      assert.deepEqual(validate(d.mutated as KubeObject, c.namespace).denials, []);
      assert.deepEqual(mutate(d.mutated as KubeObject, c.namespace).patch, []);
    });
  }

  it('does not run on pods/resize', () => {
    const request = { ...admissionRequest(pod({ requests: { cpu: '1' } }), { namespace: 'team-b', operation: 'UPDATE' }), subResource: 'resize' };
    assert.deepEqual(evaluate({ policy: resourceDefaultsMutate, request, cluster, config }).patch, []);
  });

  it('reads which limits LimitRanger set, for containers and init containers', () => {
    const got = limitsSetByLimitRanger({
      'kubernetes.io/limit-ranger':
        'LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app; cpu limit for init container setup',
    });
    assert.deepEqual(
      [...got].map(([k, v]) => [k, [...v]]),
      [
        ['app', ['cpu', 'memory']],
        ['setup', ['cpu']],
      ],
    );
    assert.equal(limitsSetByLimitRanger({ 'kubernetes.io/limit-ranger': 'something else' }).size, 0);
  });
});
