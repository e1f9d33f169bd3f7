/** addon-sidecars (SPEC 3.3): resolution, enabled/disabled addons, native sidecars, idempotency, profile fit. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate } from '../../src/admission/engine.js';
import type { KubeObject } from '../../src/kube/types.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import { loadConfigFile } from '../../src/config/load.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { addonSidecarsPolicy } from '../../src/policies/addon-sidecars/inject.js';
import { defaultCatalog } from '../../src/policies/index.js';
import { admissionRequest, podObject } from '../support/review.js';

const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
if (!loaded.ok) throw new Error('policy');
const config = loaded.config;
const policy = addonSidecarsPolicy(defaultCatalog());
const cluster = (enabled: string[]) =>
  storeFromObjects([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', annotations: { 'harbormaster.io/quota-profile': 'small' } } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'logs-by-default', annotations: { 'sidecars.harbormaster.io/inject': 'fluent-bit' } } },
    {
      apiVersion: 'harbormaster.io/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'local', annotations: Object.fromEntries(enabled.map((a) => [`addons.harbormaster.io/${a}`, 'enabled'])) },
    },
  ]);
type C = {
  name: string;
  image?: string;
  restartPolicy?: string;
  env?: Array<{ name: string }>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  resources?: { limits?: Record<string, string> };
};
type Spec = { containers: C[]; initContainers?: C[]; volumes?: Array<{ name: string }> };
const run = (pod: KubeObject, enabled = ['efk', 'datadog'], namespace = 'team-a', cfg = config) =>
  evaluate({ policy, request: admissionRequest(pod, { namespace }), cluster: cluster(enabled), config: cfg });
const spec = (d: { mutated?: KubeObject }) => d.mutated?.spec as Spec;
const ask = (names: string) => ({ annotations: { 'sidecars.harbormaster.io/inject': names } });

describe('addon-sidecars', () => {
  it('fluent-bit: a native sidecar tailing a shared emptyDir mounted into every container', () => {
    const d = run(
      podObject(
        'p',
        [
          { name: 'app', image: 'x' },
          { name: 'worker', image: 'x' },
        ],
        ask('fluent-bit'),
      ),
    );
    const s = spec(d);
    assert.deepEqual(s.volumes, [{ name: 'hm-app-logs', emptyDir: { sizeLimit: '1Gi' } }]);
    for (const c of s.containers) assert.deepEqual(c.volumeMounts, [{ name: 'hm-app-logs', mountPath: '/var/log/app' }]);
    const side = s.initContainers?.[0];
    assert.equal(side?.name, 'fluent-bit');
    assert.equal(side?.restartPolicy, 'Always');
    assert.match(side?.image ?? '', /fluent-bit:/);
    assert.ok(d.patch.every((op) => op.rule === 'addon-sidecars.inject'));
  });

  it('datadog: agent host and unified tags env into every container', () => {
    const d = run(podObject('p', [{ name: 'app', image: 'x' }], ask('datadog')));
    assert.deepEqual(
      spec(d).containers[0]?.env?.map((e) => e.name),
      ['DD_AGENT_HOST', 'DD_ENV', 'DD_SERVICE', 'DD_VERSION'],
    );
  });

  it("the namespace annotation is the default; the Pod's own annotation wins", () => {
    assert.equal(spec(run(podObject('p', [{ name: 'app', image: 'x' }]), ['efk'], 'logs-by-default')).initContainers?.[0]?.name, 'fluent-bit');
    const podWins = spec(run(podObject('p', [{ name: 'app', image: 'x' }], ask('datadog')), ['efk', 'datadog'], 'logs-by-default'));
    assert.equal(podWins.initContainers, undefined);
    assert.equal(podWins.containers[0]?.env?.[0]?.name, 'DD_AGENT_HOST');
  });

  it('an unknown sidecar is denied, listing the available ones', () => {
    const d = run(podObject('p', [{ name: 'app', image: 'x' }], ask('fluentd')));
    assert.equal(d.allowed, false);
    assert.match(d.denials[0]?.message ?? '', /names sidecar "fluentd", which no addon offers; available: datadog, fluent-bit/);
  });

  it('a sidecar of a disabled addon: admitted unchanged, with a warning', () => {
    const d = run(podObject('p', [{ name: 'app', image: 'x' }], ask('fluent-bit')), ['datadog']);
    assert.equal(d.allowed, true);
    assert.deepEqual(d.patch, []);
    assert.match(d.warnings[0]?.message ?? '', /addon efk is not enabled/);
  });

  it('is idempotent, and leaves a same-named container as the user wrote it', () => {
    const first = run(podObject('p', [{ name: 'app', image: 'x' }], ask('fluent-bit,datadog')));
    assert.deepEqual(run(first.mutated as KubeObject).patch, []);
    const own = run(
      podObject(
        'p',
        [
          { name: 'app', image: 'x' },
          { name: 'fluent-bit', image: 'mine:1' },
        ],
        ask('fluent-bit'),
      ),
    );
    assert.equal(spec(own).initContainers, undefined);
    assert.equal(spec(own).containers[1]?.image, 'mine:1');
  });

  it('fits the sidecar resources into the namespace profile', () => {
    const tight = structuredClone(config);
    tight.resourceDefaults.profiles.small!.limits.container.max = { cpu: '50m', memory: '48Mi' };
    const side = spec(run(podObject('p', [{ name: 'app', image: 'x' }], ask('fluent-bit')), ['efk'], 'team-a', tight)).initContainers?.[0];
    assert.deepEqual(side?.resources?.limits, { cpu: '50m', memory: '48Mi' });
  });

  it('raises the sidecar request so limit/request stays within the profile ratio', async () => {
    const { fitResources } = await import('../../src/policies/addon-sidecars/fit.js');
    const fitted = fitResources(
      { requests: { cpu: '10m', memory: '8Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
      { maxLimitRequestRatio: { cpu: '8', memory: '4' } },
    );
    assert.deepEqual(fitted, { requests: { cpu: '13m', memory: '16777216' }, limits: { cpu: '100m', memory: '64Mi' } });
    // The whole Pod then passes the small profile's validation.
    const { resourceDefaultsValidate } = await import('../../src/policies/resource-defaults/validate.js');
    const injected = run(
      podObject(
        'p',
        [{ name: 'app', image: 'x', resources: { limits: { cpu: '100m', memory: '64Mi' }, requests: { cpu: '50m', memory: '32Mi' } } }],
        ask('fluent-bit'),
      ),
      ['efk'],
    );
    const v = evaluate({
      policy: resourceDefaultsValidate,
      request: admissionRequest(injected.mutated ?? null, { namespace: 'team-a' }),
      cluster: cluster(['efk']),
      config,
    });
    assert.deepEqual(v.denials, []);
  });

  it('without native sidecars: a regular container, with a warning on Job Pods', () => {
    const legacy = { ...config, addonSidecars: { native: false } };
    const pod = podObject('p', [{ name: 'app', image: 'x' }], {
      ...ask('fluent-bit'),
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'u' }],
    });
    const d = run(pod, ['efk'], 'team-a', legacy);
    assert.equal(spec(d).containers[1]?.name, 'fluent-bit');
    assert.match(d.warnings[0]?.message ?? '', /Job's Pod will not complete/);
  });
});
