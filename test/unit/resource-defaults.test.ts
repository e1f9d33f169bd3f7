/** Pure tests of the resource-defaults policy: table-driven, no server, no cluster. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate } from '../../src/admission/engine.js';
import type { KubeObject, Operation } from '../../src/kube/types.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import { loadConfigFile } from '../../src/config/load.js';
import type { PolicyConfig } from '../../src/config/types.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { resourceDefaultsMutate } from '../../src/policies/resource-defaults/mutate.js';
import { resourceDefaultsValidate } from '../../src/policies/resource-defaults/validate.js';
import { admissionRequest, podObject } from '../support/review.js';

const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
if (!loaded.ok) throw new Error('shipped policy invalid');
const config: PolicyConfig = loaded.config;

const ns = (name: string, annotations: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations } });
const cluster = storeFromObjects([
  ns('team-a', { 'harbormaster.io/quota-profile': 'small' }),
  ns('team-b'),
  ns('batch', { 'harbormaster.io/allow-best-effort': 'true' }),
  ns('odd', { 'harbormaster.io/quota-profile': 'gone' }),
]);

function mutate(obj: KubeObject, namespace = 'team-a') {
  return evaluate({ policy: resourceDefaultsMutate, request: admissionRequest(obj, { namespace }), cluster, config });
}
function validate(obj: KubeObject | null, options: { namespace?: string; operation?: Operation; username?: string; oldObject?: KubeObject } = {}) {
  return evaluate({ policy: resourceDefaultsValidate, request: admissionRequest(obj, { namespace: 'team-a', ...options }), cluster, config });
}
const containerResources = (d: { mutated?: KubeObject }, i = 0, field = 'containers') =>
  (d.mutated?.spec as Record<string, Array<{ resources?: unknown }>>)[field]?.[i]?.resources;

describe('resource-defaults mutate', () => {
  it('fills missing requests and limits from the namespace profile (small)', () => {
    const d = mutate(podObject('p', [{ name: 'a', image: 'x' }]));
    assert.deepEqual(containerResources(d), { limits: { cpu: '200m', memory: '256Mi' }, requests: { cpu: '50m', memory: '64Mi' } });
    assert.ok(d.patch.every((op) => op.rule === 'resource-defaults.container-defaults'));
    assert.match(d.warnings[0]?.message ?? '', /profile "small" defaults set on a/);
  });

  it('uses the default profile when the namespace names none', () => {
    const d = mutate(podObject('p', [{ name: 'a', image: 'x' }]), 'team-b');
    assert.deepEqual(containerResources(d), { limits: { cpu: '500m', memory: '512Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
  });

  it('sets request = limit when only a limit is given (LimitRanger semantics)', () => {
    const d = mutate(podObject('p', [{ name: 'a', image: 'x', resources: { limits: { cpu: '700m' } } }]));
    assert.deepEqual(containerResources(d), { limits: { cpu: '700m', memory: '256Mi' }, requests: { cpu: '700m', memory: '64Mi' } });
  });

  it('never overwrites what the user set', () => {
    const full = { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '10m', memory: '20Mi' } };
    const d = mutate(podObject('p', [{ name: 'a', image: 'x', resources: full }]));
    assert.deepEqual(d.patch, []);
    assert.deepEqual(d.warnings, []);
  });

  it('covers initContainers and native sidecars too', () => {
    const pod = podObject('p', [{ name: 'a', image: 'x' }]);
    (pod.spec as Record<string, unknown>).initContainers = [
      { name: 'init', image: 'x' },
      { name: 'side', image: 'x', restartPolicy: 'Always' },
    ];
    const d = mutate(pod);
    assert.ok(containerResources(d, 0, 'initContainers'));
    assert.ok(containerResources(d, 1, 'initContainers'));
  });

  it('is idempotent under reinvocation', () => {
    const first = mutate(podObject('p', [{ name: 'a', image: 'x' }]));
    const second = mutate(first.mutated as KubeObject);
    assert.deepEqual(second.patch, []);
  });

  it('leaves best-effort Pods alone where the namespace allows them', () => {
    const pod = podObject('p', [{ name: 'a', image: 'x' }], { annotations: { 'harbormaster.io/qos': 'best-effort' } });
    assert.deepEqual(mutate(pod, 'batch').patch, []);
  });

  it('still defaults a best-effort opt-out where it is not allowed (the validator denies it)', () => {
    const pod = podObject('p', [{ name: 'a', image: 'x' }], { annotations: { 'harbormaster.io/qos': 'best-effort' } });
    assert.ok(mutate(pod, 'team-a').patch.length > 0);
  });

  it('falls back to default with a warning for an unknown profile name', () => {
    const d = mutate(podObject('p', [{ name: 'a', image: 'x' }]), 'odd');
    assert.ok(d.warnings.some((w) => /"gone" unknown/.test(w.message)));
  });

  it('does not touch system namespaces', () => {
    assert.deepEqual(mutate(podObject('p', [{ name: 'a', image: 'x' }]), 'kube-system').patch, []);
  });
});

const deployment = (containers: unknown[], annotations: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: { template: { metadata: { annotations }, spec: { containers } } },
});

describe('resource-defaults validate', () => {
  const cases: Array<{ name: string; obj: KubeObject; namespace?: string; deny: RegExp[] }> = [
    { name: 'compliant pod', obj: podObject('p', [{ name: 'a', resources: { limits: { cpu: '500m' }, requests: { cpu: '100m' } } }]), deny: [] },
    {
      name: 'limit over max',
      obj: podObject('p', [{ name: 'a', resources: { limits: { cpu: '1500m' } } }]),
      deny: [/^spec\.containers\[0\]\.resources\.limits\.cpu "1500m" exceeds the maximum 1 of profile "small"$/],
    },
    {
      name: 'request under min',
      obj: podObject('p', [{ name: 'a', resources: { requests: { memory: '1Mi' } } }]),
      deny: [/requests\.memory "1Mi" is below the minimum 16Mi/],
    },
    {
      name: 'ratio over max (0.5 / 50m = 10 > 8)',
      obj: podObject('p', [{ name: 'a', resources: { limits: { cpu: '0.5' }, requests: { cpu: '50m' } } }]),
      deny: [/limits\.cpu is 10 times its request, over the maxLimitRequestRatio 8/],
    },
    {
      name: 'ratio exactly at max (400m / 50m = 8)',
      obj: podObject('p', [{ name: 'a', resources: { limits: { cpu: '400m' }, requests: { cpu: '50m' } } }]),
      deny: [],
    },
    { name: 'not a quantity', obj: podObject('p', [{ name: 'a', resources: { limits: { cpu: 'lots' } } }]), deny: [/"lots" is not a quantity/] },
    {
      name: 'pod max (3 x 1 cpu > 2)',
      obj: podObject(
        'p',
        [1, 2, 3].map((i) => ({ name: `c${i}`, resources: { limits: { cpu: '1' } } })),
      ),
      deny: [/containers' limits\.cpu add up to 3, over the Pod maximum 2/],
    },
    {
      name: 'deployment template over max, one message per container',
      obj: deployment([
        { name: 'a', resources: { limits: { memory: '3Gi' } } },
        { name: 'b', resources: { limits: { memory: '4Gi' } } },
      ]),
      deny: [
        /^spec\.template\.spec\.containers\[0\]\.resources\.limits\.memory "3Gi" exceeds/,
        /^spec\.template\.spec\.containers\[1\]\.resources\.limits\.memory "4Gi" exceeds/,
        /add up to/,
      ],
    },
    {
      name: 'cronjob template',
      obj: {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'c' },
        spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'a', resources: { limits: { cpu: '2' } } }] } } } } },
      },
      deny: [/^spec\.jobTemplate\.spec\.template\.spec\.containers\[0\]\.resources\.limits\.cpu "2" exceeds/],
    },
    {
      name: 'best-effort opt-out not allowed',
      obj: podObject('p', [{ name: 'a' }], { annotations: { 'harbormaster.io/qos': 'best-effort' } }),
      deny: [/metadata\.annotations\["harbormaster\.io\/qos"\] "best-effort" is not allowed in namespace team-a/],
    },
    {
      name: 'best-effort opt-out allowed',
      namespace: 'batch',
      obj: podObject('p', [{ name: 'a' }], { annotations: { 'harbormaster.io/qos': 'best-effort' } }),
      deny: [],
    },
    {
      name: 'best-effort opt-out in a template',
      obj: deployment([{ name: 'a' }], { 'harbormaster.io/qos': 'best-effort' }),
      deny: [/^spec\.template\.metadata\.annotations/],
    },
    {
      name: 'the default profile allows more than small',
      namespace: 'team-b',
      obj: podObject('p', [{ name: 'a', resources: { limits: { cpu: '3' } } }]),
      deny: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = validate(c.obj, { namespace: c.namespace ?? 'team-a' });
      assert.equal(d.denials.length, c.deny.length, JSON.stringify(d.denials));
      c.deny.forEach((re, i) => assert.match(d.denials[i]?.message ?? '', re));
      assert.equal(d.allowed, c.deny.length === 0);
    });
  }

  it('denies an unknown profile on a Namespace, listing the valid ones', () => {
    const d = validate(ns('team-c', { 'harbormaster.io/quota-profile': 'huge' }));
    assert.equal(d.denials[0]?.rule, 'resource-defaults.known-profile');
    assert.match(d.denials[0]?.message ?? '', /"huge" is not a profile; use one of: default, large, small/);
    assert.equal(validate(ns('team-c', { 'harbormaster.io/quota-profile': 'large' })).allowed, true);
  });

  const lr = { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'harbormaster-limits', namespace: 'team-a' } };
  it('denies a tenant deleting or editing the managed LimitRange', () => {
    const del = validate(null, { operation: 'DELETE', oldObject: lr, username: 'alice' });
    assert.equal(del.allowed, false);
    assert.match(del.denials[0]?.message ?? '', /LimitRange team-a\/harbormaster-limits is managed by Harbormaster and cannot be deleted by "alice"/);
    assert.equal(validate(lr, { operation: 'UPDATE', oldObject: lr, username: 'alice' }).allowed, false);
  });

  it('lets the server and the namespace controller write them', () => {
    assert.equal(validate(lr, { operation: 'UPDATE', oldObject: lr, username: 'system:serviceaccount:harbormaster-system:harbormaster' }).allowed, true);
    assert.equal(validate(null, { operation: 'DELETE', oldObject: lr, username: 'system:serviceaccount:kube-system:namespace-controller' }).allowed, true);
  });

  it('ignores other LimitRanges', () => {
    assert.equal(
      validate(null, { operation: 'DELETE', oldObject: { ...lr, metadata: { name: 'mine', namespace: 'team-a' } }, username: 'alice' }).allowed,
      true,
    );
  });

  it('honours exemptions from the policy file', () => {
    const exempt = { ...config, exemptions: [{ rule: 'resource-defaults.container-limits', namespaces: ['team-a'], reason: 'test' }] };
    const d = evaluate({
      policy: resourceDefaultsValidate,
      request: admissionRequest(podObject('p', [{ name: 'a', resources: { limits: { cpu: '1500m' } } }]), { namespace: 'team-a' }),
      cluster,
      config: exempt,
    });
    assert.equal(d.allowed, true);
  });
});
