/** The data-loading controller's pure half: Job name and shape, the condition a Job's status means. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionFor, desiredJob, isOurJob, loaderJobName } from '../../src/data-loading/desired.js';
import type { KubeObject } from '../../src/kube/types.js';

const pvc = (source: string, name = 'train-data'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: {
    name,
    namespace: 'ml',
    uid: 'u-1',
    annotations: { 'data.harbormaster.io/source': source, 'data.harbormaster.io/credentials': 'creds', other: 'x' },
  },
});

describe('data-loading controller: desired state', () => {
  it('names one Job per source: a changed source is a new name, a DNS label', () => {
    const a = loaderJobName(pvc('s3://b/v1'));
    assert.equal(a, loaderJobName(pvc('s3://b/v1')));
    assert.notEqual(a, loaderJobName(pvc('s3://b/v2')));
    const long = loaderJobName(pvc('s3://b/v1', 'a'.repeat(60) + '.x'));
    assert.ok(long.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(long), long);
  });
  it('the Job is owned by the PVC and runs the loader with its mounts, restricted', () => {
    const job = desiredJob({ pvc: pvc('s3://b/v1'), image: 'hm:1', resources: { requests: { cpu: '100m' }, limits: { cpu: '500m' } } });
    assert.deepEqual(job.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: 'train-data', uid: 'u-1', controller: true }]);
    const spec = (job.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    assert.equal(spec.automountServiceAccountToken, false);
    assert.deepEqual(spec.volumes, [
      { name: 'data', persistentVolumeClaim: { claimName: 'train-data' } },
      { name: 'credentials', secret: { secretName: 'creds', defaultMode: 0o440 } },
    ]);
    const c = (spec.containers as Array<Record<string, unknown>>)[0];
    assert.deepEqual(c?.args, ['load', '--source', 's3://b/v1', '--target', '/data', '--credentials-dir', '/var/run/secrets/harbormaster.io/data-credentials']);
    assert.deepEqual(c?.resources, { requests: { cpu: '100m' }, limits: { cpu: '500m' } });
  });
  it('DataLoaded follows the Job: Loading, Loaded, Failed with the Job reason and the loader message', () => {
    const job = (conditions: unknown[]): KubeObject => ({ metadata: { name: 'j' }, status: { conditions } });
    assert.deepEqual(conditionFor(undefined, 's3://b/v1'), { type: 'DataLoaded', status: 'False', reason: 'Loading', message: 'Job  is loading s3://b/v1' });
    assert.equal(conditionFor(job([{ type: 'Complete', status: 'True' }]), 's3://b/v1').reason, 'Loaded');
    assert.deepEqual(
      conditionFor(
        job([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]),
        's3://b/v1',
        'load: s3://b/v1/: the bucket does not exist\n',
      ),
      {
        type: 'DataLoaded',
        status: 'False',
        reason: 'Failed',
        message:
          'Job j failed (BackoffLimitExceeded: Job has reached the specified backoff limit); the loader said: load: s3://b/v1/: the bucket does not exist',
      },
    );
  });
  it('trusts a Job of its name only if it runs exactly the loader (a tenant may create one first)', () => {
    const desired = desiredJob({ pvc: pvc('s3://b/v1'), image: 'hm:1' });
    const fromApi = structuredClone(desired);
    const c0 = (fromApi.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec.containers[0] ?? {};
    Object.assign(c0, { imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log' });
    assert.equal(isOurJob(fromApi, desired), true, 'API defaults do not matter');
    const evil = structuredClone(desired);
    const e0 = (evil.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec.containers[0] ?? {};
    e0.command = ['sh', '-c', 'exit 0'];
    assert.equal(isOurJob(evil, desired), false);
  });
});
