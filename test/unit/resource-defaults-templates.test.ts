/**
 * Issue 11 item 3, validating side: Pods, pods/resize and workload templates
 * (RC and PodTemplate included) are judged as the Pods they will become.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/kube/types.js';
import { desiredObjects } from '../../src/namespace-defaults/desired.js';
import { config, pod, validate, type Res } from '../support/resource-defaults.js';

const template = (kind: string, apiVersion: string, spec: unknown, where: 'spec' | 'top' = 'spec'): KubeObject =>
  where === 'top'
    ? { apiVersion, kind, metadata: { name: 't' }, template: { spec } }
    : { apiVersion, kind, metadata: { name: 't' }, spec: { template: { spec } } };
const containers = (resources: Res, more: Record<string, unknown> = {}) => ({ containers: [{ name: 'app', image: 'x', resources }], ...more });

describe('resource-defaults: the validator judges Pods, resizes and templates as they will run', () => {
  const cases: Array<{ name: string; obj: KubeObject; namespace?: string; subResource?: string; deny: Array<[string, RegExp]> }> = [
    {
      name: 'Deployment with only requests.cpu 1 (above the default limit 500m, below max 4) is admitted',
      obj: template('Deployment', 'apps/v1', containers({ requests: { cpu: '1' } })),
      deny: [],
    },
    {
      name: 'Deployment with only requests.memory 2Gi is admitted',
      obj: template('Deployment', 'apps/v1', containers({ requests: { memory: '2Gi' } })),
      deny: [],
    },
    {
      name: 'Deployment whose request is above max is refused at apply time (no limit set)',
      obj: template('Deployment', 'apps/v1', containers({ requests: { cpu: '5' } })),
      deny: [
        [
          'resource-defaults.container-limits',
          /^spec\.template\.spec\.containers\[0\]\.resources\.requests\.cpu "5" exceeds the maximum 4 of profile "default"$/,
        ],
      ],
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
      deny: [
        [
          'resource-defaults.container-limits',
          /^spec\.template\.spec\.containers\[0\]\.resources\.requests\.cpu "2" exceeds the maximum 1 of profile "small"$/,
        ],
      ],
    },
    {
      name: 'PodTemplate over max',
      obj: template('PodTemplate', 'v1', containers({ limits: { memory: '3Gi' } }), 'top'),
      namespace: 'team-a',
      deny: [
        ['resource-defaults.container-limits', /^template\.spec\.containers\[0\]\.resources\.limits\.memory "3Gi" exceeds the maximum 2Gi of profile "small"$/],
      ],
    },
    {
      name: 'PodTemplate within the profile',
      obj: template('PodTemplate', 'v1', containers({ requests: { cpu: '500m' } }), 'top'),
      namespace: 'team-a',
      deny: [],
    },
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
      obj: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: {
          resources: { limits: { cpu: '4' } },
          containers: [1, 2, 3].map((i) => ({ name: `c${i}`, resources: { requests: { cpu: '1' }, limits: { cpu: '3' } } })),
        },
      },
      deny: [],
    },
    {
      name: 'a sequential init container runs beside the sidecars declared before it',
      obj: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: {
          initContainers: [
            { name: 's1', restartPolicy: 'Always', resources: { limits: { cpu: '2' } } },
            { name: 's2', restartPolicy: 'Always', resources: { limits: { cpu: '3' } } },
            { name: 'init', resources: { limits: { cpu: '4' } } },
          ],
          containers: [{ name: 'app', resources: { limits: { cpu: '1' } } }],
        },
      },
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
    {
      name: 'resize within the profile is admitted',
      subResource: 'resize',
      obj: pod({ requests: { cpu: '1', memory: '128Mi' }, limits: { cpu: '2', memory: '512Mi' } }),
      deny: [],
    },
    {
      name: 'GPU request without a limit is refused, saying to set the limit',
      namespace: 'ml',
      obj: template('Deployment', 'apps/v1', containers({ requests: { 'nvidia.com/gpu': '1' } })),
      deny: [
        [
          'resource-defaults.extended-resources',
          /^spec\.template\.spec\.containers\[0\]\.resources\.limits\.nvidia\.com\/gpu is missing: nvidia\.com\/gpu cannot be overcommitted and is never defaulted; set limits\.nvidia\.com\/gpu equal to requests\.nvidia\.com\/gpu "1"$/,
        ],
      ],
    },
    {
      name: 'GPU request different from its limit is refused',
      namespace: 'ml',
      obj: pod({ requests: { 'nvidia.com/gpu': '1' }, limits: { 'nvidia.com/gpu': '2' } }),
      deny: [
        [
          'resource-defaults.extended-resources',
          /requests\.nvidia\.com\/gpu "1" differs from limits\.nvidia\.com\/gpu "2": nvidia\.com\/gpu cannot be overcommitted; set both to the same value/,
        ],
      ],
    },
    { name: 'GPU limit only (the request defaults to it) is admitted', namespace: 'ml', obj: pod({ limits: { 'nvidia.com/gpu': '2' } }), deny: [] },
    {
      name: 'GPU limit above the profile max is refused; so is the Pod total',
      namespace: 'ml',
      obj: pod({ limits: { 'nvidia.com/gpu': '3' } }),
      deny: [
        ['resource-defaults.container-limits', /limits\.nvidia\.com\/gpu "3" exceeds the maximum 2 of profile "gpu"/],
        ['resource-defaults.pod-max', /limits\.nvidia\.com\/gpu add up to 3, over the Pod maximum 2/],
      ],
    },
    {
      name: 'ephemeral-storage and hugepages are checked against the profile max',
      namespace: 'ml',
      obj: pod({ requests: { memory: '1Gi' }, limits: { 'ephemeral-storage': '20Gi', 'hugepages-2Mi': '2Gi', memory: '1Gi' } }),
      deny: [
        ['resource-defaults.container-limits', /limits\.ephemeral-storage "20Gi" exceeds the maximum 10Gi/],
        ['resource-defaults.container-limits', /limits\.hugepages-2Mi "2Gi" exceeds the maximum 1Gi/],
      ],
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
