/** Pure parts of upgrade safety: claim templates kept when they already satisfy the bundle, generated values. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/kube/types.js';
import { keepSatisfiedClaimTemplates } from '../../src/addons/claim-templates.js';
import { randomValue } from '../../src/addons/generated-secrets.js';
import { installedStatus, type AddonStatus } from '../../src/addons/status.js';
import { versionColumn } from '../../src/cli/addons.js';

const claim = (labels: Record<string, string>, storage: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  metadata: { name: 'data', labels },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } },
  ...extra,
});
const sts = (templates: unknown[]): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'prometheus' },
  spec: { volumeClaimTemplates: templates },
});

describe('claim templates across bundle versions', () => {
  const ours = { 'app.kubernetes.io/name': 'prometheus', 'addons.harbormaster.io/name': 'prometheus' };
  // As the API server returns 1.0.0's: a version-bearing label, defaults and a status.
  const live = sts([
    claim({ ...ours, 'helm.sh/chart': 'prometheus-1.0.0' }, '50Gi', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', status: { phase: 'Pending' } }),
  ]);
  (live.spec as { volumeClaimTemplates: Array<{ spec: Record<string, unknown> }> }).volumeClaimTemplates[0]!.spec.volumeMode = 'Filesystem';

  it('sends the live templates back when they already carry everything asked (a label dropped is no change)', () => {
    const sent = keepSatisfiedClaimTemplates(sts([claim(ours, '50Gi')]), live);
    assert.deepEqual(
      (sent.spec as { volumeClaimTemplates: unknown }).volumeClaimTemplates,
      (live.spec as { volumeClaimTemplates: unknown }).volumeClaimTemplates,
    );
  });
  it('50Gi and 53687091200 are the same size', () => {
    const sent = keepSatisfiedClaimTemplates(sts([claim(ours, '53687091200')]), live);
    assert.deepEqual(
      (sent.spec as { volumeClaimTemplates: unknown }).volumeClaimTemplates,
      (live.spec as { volumeClaimTemplates: unknown }).volumeClaimTemplates,
    );
  });
  it('sends ours on a real change, so the API server refuses it and the addon shows why', () => {
    const bigger = sts([claim(ours, '100Gi')]);
    assert.equal(keepSatisfiedClaimTemplates(bigger, live), bigger);
    const newLabel = sts([claim({ ...ours, tier: 'fast' }, '50Gi')]);
    assert.equal(keepSatisfiedClaimTemplates(newLabel, live), newLabel);
    const more = sts([claim(ours, '50Gi'), { ...claim(ours, '1Gi'), metadata: { name: 'wal', labels: ours } }]);
    assert.equal(keepSatisfiedClaimTemplates(more, live), more);
  });
  it('leaves other kinds and first installs alone', () => {
    const fresh = sts([claim(ours, '50Gi')]);
    assert.equal(keepSatisfiedClaimTemplates(fresh, undefined), fresh);
    const dep: KubeObject = { kind: 'Deployment', metadata: { name: 'x' }, spec: {} };
    assert.equal(keepSatisfiedClaimTemplates(dep, live), dep);
  });
});

describe('a refused apply', () => {
  it('fails the addon with the API server message and says what was left undone', () => {
    const r = installedStatus(undefined, {
      applied: 3,
      total: 9,
      ready: 0,
      readyTotal: 3,
      fighting: undefined,
      foreign: [],
      refused: {
        key: 'StatefulSet/monitoring/prometheus',
        message: 'StatefulSet.apps "prometheus" is invalid: spec: Forbidden: updates to statefulset spec …',
      },
    });
    assert.equal(r.phase, 'Failed');
    assert.match(r.message, /refused StatefulSet\/monitoring\/prometheus: StatefulSet\.apps "prometheus" is invalid/);
    assert.match(r.message, /nothing after it was applied and nothing was pruned/);
  });
});

describe('generated Secret values', () => {
  it('are 32 characters of [A-Za-z0-9], different every time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const v = randomValue();
      assert.match(v, /^[A-Za-z0-9]{32}$/);
      seen.add(v);
    }
    assert.equal(seen.size, 200);
  });
  it('use the whole alphabet about evenly (no modulo bias)', () => {
    const counts = new Map<string, number>();
    for (const ch of randomValue(62 * 400)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    assert.equal(counts.size, 62);
    for (const [ch, n] of counts) assert.ok(n > 250 && n < 550, `${ch} appeared ${n} times of ~400`);
  });
});

describe('addons list: the VERSION column', () => {
  const addon = { version: '2.0.0' } as Parameters<typeof versionColumn>[0];
  const status = (version: string, phase = 'Ready'): AddonStatus => ({ version, phase }) as AddonStatus;
  it('says when a cluster is held back and a newer bundle is kept', () => {
    assert.equal(versionColumn(addon, '1.0.0', status('1.0.0')), '1.0.0 (pinned, 2.0.0 available)');
    assert.equal(versionColumn(addon, undefined, status('1.0.0', 'Installing')), '1.0.0 (2.0.0 available)', 'still on the old one mid-upgrade');
    assert.equal(versionColumn(addon, undefined, status('2.0.0')), '2.0.0');
    assert.equal(versionColumn(addon, undefined, undefined), '2.0.0');
    assert.equal(versionColumn(addon, '1.0.0', undefined), '1.0.0 (pinned, 2.0.0 available)');
  });
});
