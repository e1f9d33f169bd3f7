/**
 * Issue 11 item 3: defaulting yields valid objects. Table-driven, pure: the
 * public samples that got a limit below their request, requests over max,
 * pod-level resources, pods/resize, extended resources, RC and PodTemplate.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { evaluate } from '../../src/admission/engine.js';
import type { KubeObject } from '../../src/admission/types.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import { parseConfig } from '../../src/config/load.js';
import type { PolicyConfig } from '../../src/config/types.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { resourceDefaultsMutate } from '../../src/policies/resource-defaults/mutate.js';
import { resourceDefaultsValidate } from '../../src/policies/resource-defaults/validate.js';
import { desiredObjects } from '../../src/policies/resource-defaults/desired.js';
import { limitsSetByLimitRanger } from '../../src/policies/resource-defaults/resources.js';
import { admissionRequest, podObject } from '../support/review.js';

// The shipped policy plus a profile naming a GPU, ephemeral-storage and hugepages: also proves the schema takes those names.
const GPU_PROFILE = `
    gpu:
      quota:
        hard: { requests.cpu: "16", requests.nvidia.com/gpu: "4", requests.hugepages-2Mi: 4Gi }
      limits:
        container:
          default: { cpu: 500m, memory: 512Mi, ephemeral-storage: 1Gi }
          defaultRequest: { cpu: 100m, memory: 128Mi, ephemeral-storage: 256Mi }
          max: { cpu: "4", memory: 8Gi, nvidia.com/gpu: "2", ephemeral-storage: 10Gi, hugepages-2Mi: 1Gi }
          maxLimitRequestRatio: { cpu: "10", memory: "4" }
        pod:
          max: { cpu: "8", memory: 16Gi, nvidia.com/gpu: "2" }
`;
const text = readFileSync(DEFAULT_POLICY_FILE, 'utf8').replace('  profiles:\n', `  profiles:${GPU_PROFILE}`);
const parsed = parseConfig(text);
if (!parsed.ok) throw new Error(`policy with gpu profile invalid: ${JSON.stringify(parsed.problems)}`);
const config: PolicyConfig = parsed.config;

const ns = (name: string, annotations: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations } });
const cluster = storeFromObjects([ns('team-b'), ns('team-a', { 'harbormaster.io/quota-profile': 'small' }), ns('ml', { 'harbormaster.io/quota-profile': 'gpu' })]);

type Res = { limits?: Record<string, string>; requests?: Record<string, string> };
/** A one-container Pod; `podLevel` is its pod-level spec.resources. */
const pod = (resources: Res, extra: Record<string, unknown> = {}, podLevel?: Res): KubeObject => {
  const p = podObject('p', [{ name: 'app', image: 'x', resources }], extra);
  if (podLevel) (p.spec as Record<string, unknown>).resources = podLevel;
  return p;
};
const mutate = (obj: KubeObject, namespace = 'team-b') => evaluate({ policy: resourceDefaultsMutate, request: admissionRequest(obj, { namespace }), cluster, config });
const validate = (obj: KubeObject, namespace = 'team-b', extra: { subResource?: string; oldObject?: KubeObject } = {}) => {
  const request = { ...admissionRequest(obj, { namespace, operation: extra.subResource ? 'UPDATE' : 'CREATE', ...(extra.oldObject ? { oldObject: extra.oldObject } : {}) }), ...(extra.subResource ? { subResource: extra.subResource } : {}) };
  return evaluate({ policy: resourceDefaultsValidate, request, cluster, config });
};
const resourcesOf = (d: { mutated?: KubeObject }) => ((d.mutated?.spec as { containers: Array<{ resources: unknown }> }).containers[0]?.resources);
// What LimitRanger leaves behind in a namespace with defaults, before any webhook runs.
const limitRanged = (resources: Res, annotation: string) => pod(resources, { annotations: { 'kubernetes.io/limit-ranger': `LimitRanger plugin set: ${annotation}` } });

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
      obj: limitRanged({ requests: { cpu: '1', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } }, 'memory request for container app; cpu, memory limit for container app'),
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
      want: { limits: { cpu: '500m', memory: '512Mi', 'nvidia.com/gpu': '1', 'ephemeral-storage': '1Gi' }, requests: { cpu: '100m', memory: '128Mi', 'nvidia.com/gpu': '1', 'ephemeral-storage': '256Mi' } },
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
    const got = limitsSetByLimitRanger({ 'kubernetes.io/limit-ranger': 'LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app; cpu limit for init container setup' });
    assert.deepEqual([...got].map(([k, v]) => [k, [...v]]), [['app', ['cpu', 'memory']], ['setup', ['cpu']]]);
    assert.equal(limitsSetByLimitRanger({ 'kubernetes.io/limit-ranger': 'something else' }).size, 0);
  });
});

const template = (kind: string, apiVersion: string, spec: unknown, where: 'spec' | 'top' = 'spec'): KubeObject =>
  where === 'top' ? { apiVersion, kind, metadata: { name: 't' }, template: { spec } } : { apiVersion, kind, metadata: { name: 't' }, spec: { template: { spec } } };
const containers = (resources: Res, more: Record<string, unknown> = {}) => ({ containers: [{ name: 'app', image: 'x', resources }], ...more });

describe('resource-defaults: the validator judges Pods, resizes and templates as they will run', () => {
  const cases: Array<{ name: string; obj: KubeObject; namespace?: string; subResource?: string; deny: Array<[string, RegExp]> }> = [
    { name: 'Deployment with only requests.cpu 1 (above the default limit 500m, below max 4) is admitted', obj: template('Deployment', 'apps/v1', containers({ requests: { cpu: '1' } })), deny: [] },
    { name: 'Deployment with only requests.memory 2Gi is admitted', obj: template('Deployment', 'apps/v1', containers({ requests: { memory: '2Gi' } })), deny: [] },
    {
      name: 'Deployment whose request is above max is refused at apply time (no limit set)',
      obj: template('Deployment', 'apps/v1', containers({ requests: { cpu: '5' } })),
      deny: [['resource-defaults.container-limits', /^spec\.template\.spec\.containers\[0\]\.resources\.requests\.cpu "5" exceeds the maximum 4 of profile "default"$/]],
    },
    {
      name: 'Pod request above max with a limit below max is refused on the request',
      obj: pod({ requests: { memory: '9Gi' }, limits: { memory: '1Gi' } }),
      deny: [['resource-defaults.container-limits', /requests\.memory "9Gi" exceeds the maximum 8Gi/]],
    },
    {
      name: 'ReplicationController template over max',
      obj: { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc' }, spec: { template: { spec: containers({ requests: { cpu: '2' } }) } } },
      namespace: 'team-a',
      deny: [['resource-defaults.container-limits', /^spec\.template\.spec\.containers\[0\]\.resources\.requests\.cpu "2" exceeds the maximum 1 of profile "small"$/]],
    },
    {
      name: 'PodTemplate over max',
      obj: template('PodTemplate', 'v1', containers({ limits: { memory: '3Gi' } }), 'top'),
      namespace: 'team-a',
      deny: [['resource-defaults.container-limits', /^template\.spec\.containers\[0\]\.resources\.limits\.memory "3Gi" exceeds the maximum 2Gi of profile "small"$/]],
    },
    { name: 'PodTemplate within the profile', obj: template('PodTemplate', 'v1', containers({ requests: { cpu: '500m' } }), 'top'), namespace: 'team-a', deny: [] },
    {
      name: 'pod-level limits over the Pod max',
      obj: pod({ requests: { cpu: '1' } }, {}, { limits: { cpu: '10' } }),
      deny: [['resource-defaults.pod-max', /^spec\.resources\.limits\.cpu "10" exceeds the Pod maximum 8 of profile "default"$/]],
    },
    {
      name: 'pod-level requests over the Pod max (no pod-level limit)',
      obj: pod({}, {}, { requests: { memory: '20Gi' } }),
      deny: [['resource-defaults.pod-max', /^spec\.resources\.requests\.memory "20Gi" exceeds the Pod maximum 16Gi/]],
    },
    {
      name: 'pod-level limits within the Pod max stand for the Pod, even where containers would add up to more',
      obj: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { resources: { limits: { cpu: '4' } }, containers: [1, 2, 3].map((i) => ({ name: `c${i}`, resources: { requests: { cpu: '1' }, limits: { cpu: '3' } } })) } },
      deny: [],
    },
    {
      name: 'a sequential init container runs beside the sidecars declared before it',
      obj: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { initContainers: [{ name: 's1', restartPolicy: 'Always', resources: { limits: { cpu: '2' } } }, { name: 's2', restartPolicy: 'Always', resources: { limits: { cpu: '3' } } }, { name: 'init', resources: { limits: { cpu: '4' } } }], containers: [{ name: 'app', resources: { limits: { cpu: '1' } } }] } },
      deny: [['resource-defaults.pod-max', /^spec: the containers' limits\.cpu add up to 9, over the Pod maximum 8 of profile "default"$/]],
    },
    {
      name: 'resize above the container max is refused',
      subResource: 'resize',
      obj: pod({ requests: { cpu: '1' }, limits: { cpu: '5', memory: '512Mi' } }),
      deny: [['resource-defaults.container-limits', /^spec\.containers\[0\]\.resources\.limits\.cpu "5" exceeds the maximum 4 of profile "default"$/]],
    },
    {
      name: 'resize over the ratio is refused',
      subResource: 'resize',
      obj: pod({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2', memory: '512Mi' } }),
      deny: [['resource-defaults.container-limits', /limits\.cpu is 20 times its request, over the maxLimitRequestRatio 10/]],
    },
    {
      name: 'resize below the min is refused',
      subResource: 'resize',
      obj: pod({ requests: { cpu: '1m', memory: '128Mi' }, limits: { cpu: '10m', memory: '512Mi' } }),
      deny: [['resource-defaults.container-limits', /requests\.cpu "1m" is below the minimum 10m/]],
    },
    { name: 'resize within the profile is admitted', subResource: 'resize', obj: pod({ requests: { cpu: '1', memory: '128Mi' }, limits: { cpu: '2', memory: '512Mi' } }), deny: [] },
    {
      name: 'GPU request without a limit is refused, saying to set the limit',
      namespace: 'ml',
      obj: template('Deployment', 'apps/v1', containers({ requests: { 'nvidia.com/gpu': '1' } })),
      deny: [['resource-defaults.extended-resources', /^spec\.template\.spec\.containers\[0\]\.resources\.limits\.nvidia\.com\/gpu is missing: nvidia\.com\/gpu cannot be overcommitted and is never defaulted; set limits\.nvidia\.com\/gpu equal to requests\.nvidia\.com\/gpu "1"$/]],
    },
    {
      name: 'GPU request different from its limit is refused',
      namespace: 'ml',
      obj: pod({ requests: { 'nvidia.com/gpu': '1' }, limits: { 'nvidia.com/gpu': '2' } }),
      deny: [['resource-defaults.extended-resources', /requests\.nvidia\.com\/gpu "1" differs from limits\.nvidia\.com\/gpu "2": nvidia\.com\/gpu cannot be overcommitted; set both to the same value/]],
    },
    { name: 'GPU limit only (the request defaults to it) is admitted', namespace: 'ml', obj: pod({ limits: { 'nvidia.com/gpu': '2' } }), deny: [] },
    {
      name: 'GPU limit above the profile max is refused; so is the Pod total',
      namespace: 'ml',
      obj: pod({ limits: { 'nvidia.com/gpu': '3' } }),
      deny: [['resource-defaults.container-limits', /limits\.nvidia\.com\/gpu "3" exceeds the maximum 2 of profile "gpu"/], ['resource-defaults.pod-max', /limits\.nvidia\.com\/gpu add up to 3, over the Pod maximum 2/]],
    },
    {
      name: 'ephemeral-storage and hugepages are checked against the profile max',
      namespace: 'ml',
      obj: pod({ requests: { memory: '1Gi' }, limits: { 'ephemeral-storage': '20Gi', 'hugepages-2Mi': '2Gi', memory: '1Gi' } }),
      deny: [['resource-defaults.container-limits', /limits\.ephemeral-storage "20Gi" exceeds the maximum 10Gi/], ['resource-defaults.container-limits', /limits\.hugepages-2Mi "2Gi" exceeds the maximum 1Gi/]],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = validate(c.obj, c.namespace ?? 'team-b', c.subResource ? { subResource: c.subResource } : {});
      assert.equal(d.denials.length, c.deny.length, JSON.stringify(d.denials));
      c.deny.forEach(([rule, re], i) => {
        assert.equal(d.denials[i]?.rule, rule);
        assert.match(d.denials[i]?.message ?? '', re);
      });
    });
  }

  it('the managed LimitRange carries only resources the profile defaults (the API server would default the rest from max)', () => {
    const profile = config.resourceDefaults.profiles.gpu!;
    const [lr] = desiredObjects({ namespace: 'ml', profileName: 'gpu', profile, allowBestEffort: false, bestEffortPods: 0 });
    const items = (lr?.spec as { limits: Array<Record<string, unknown>> }).limits;
    assert.deepEqual(items.find((l) => l.type === 'Container')?.max, { cpu: '4', memory: '8Gi', 'ephemeral-storage': '10Gi' });
    assert.deepEqual(items.find((l) => l.type === 'Pod')?.max, { cpu: '8', memory: '16Gi' });
  });
});
