/** The pure halves of the namespace reconciler: desired state, drift, and the work queue. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/kube/types.js';
import { loadConfigFile } from '../../src/config/load.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { desiredObjects } from '../../src/namespace-defaults/desired.js';
import { isUpToDate } from '../../src/namespace-defaults/drift.js';
import { WorkQueue } from '../../src/controller/queue.js';
import { FakeClock, flush } from '../support/fake-clock.js';

const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
if (!loaded.ok) throw new Error('policy');
const small = loaded.config.resourceDefaults.profiles.small!;
const input = { namespace: 'team-a', profileName: 'small', profile: small, allowBestEffort: false, bestEffortPods: 20 };
type Spec = { limits?: Array<Record<string, unknown>>; hard?: Record<string, string>; scopes?: string[] };
const spec = (o: KubeObject | undefined) => (o?.spec ?? {}) as Spec;

describe('desired managed objects', () => {
  it('normal namespace: LimitRange with defaults + one unscoped quota', () => {
    const [lr, q, ...rest] = desiredObjects(input);
    assert.equal(rest.length, 0);
    assert.equal(lr?.metadata?.name, 'harbormaster-limits');
    assert.equal(lr?.metadata?.labels?.['app.kubernetes.io/managed-by'], 'harbormaster');
    const container = spec(lr).limits?.find((l) => l.type === 'Container');
    assert.deepEqual(container?.default, { cpu: '200m', memory: '256Mi' });
    assert.deepEqual(
      spec(lr).limits?.map((l) => l.type),
      ['Container', 'Pod', 'PersistentVolumeClaim'],
    );
    assert.equal(q?.metadata?.name, 'harbormaster-quota');
    assert.deepEqual(spec(q).hard, small.quota.hard);
    assert.equal(spec(q).scopes, undefined);
  });

  it('best-effort namespace: no Container/Pod limits, quota split by scope', () => {
    const objs = desiredObjects({ ...input, allowBestEffort: true });
    const byName = Object.fromEntries(objs.map((o) => [o.metadata?.name, o]));
    assert.deepEqual(
      spec(byName['harbormaster-limits']).limits?.map((l) => l.type),
      ['PersistentVolumeClaim'],
    );
    assert.deepEqual(spec(byName['harbormaster-quota-best-effort']), { hard: { pods: '20' }, scopes: ['BestEffort'] });
    const nbe = spec(byName['harbormaster-quota-not-best-effort']);
    assert.deepEqual(nbe.scopes, ['NotBestEffort']);
    assert.ok(Object.keys(nbe.hard ?? {}).every((k) => /^(pods|(requests|limits)\.(cpu|memory))$/.test(k)));
    const objects = spec(byName['harbormaster-quota']);
    assert.equal(objects.scopes, undefined, 'harbormaster-quota stays unscoped: scopes are immutable');
    assert.ok('requests.storage' in (objects.hard ?? {}) && !('requests.cpu' in (objects.hard ?? {})));
  });
});

describe('drift', () => {
  const [lr, q] = desiredObjects(input) as [KubeObject, KubeObject];
  it('equal objects are up to date, quantities compared by value', () => {
    const normalized = structuredClone(q);
    (normalized.spec as Spec).hard!['limits.memory'] = '8192Mi';
    assert.ok(isUpToDate(normalized, q));
  });
  it('fields the API server defaulted do not count as drift', () => {
    const actual = structuredClone(lr);
    const c = (actual.spec as Spec).limits!.find((l) => l.type === 'Pod')!;
    c.default = { cpu: '2' };
    assert.ok(isUpToDate(actual, lr));
  });
  it('a changed value, a missing label, a changed scope or a missing object is drift', () => {
    const changed = structuredClone(q);
    (changed.spec as Spec).hard!.pods = '999';
    assert.equal(isUpToDate(changed, q), false);
    const unlabeled = structuredClone(q);
    unlabeled.metadata!.labels = {};
    assert.equal(isUpToDate(unlabeled, q), false);
    const scoped = structuredClone(q);
    (scoped.spec as Spec).scopes = ['BestEffort'];
    assert.equal(isUpToDate(scoped, q), false);
    const extra = structuredClone(q);
    (extra.spec as Spec).hard!.secrets = '5';
    assert.equal(isUpToDate(extra, q), false);
    assert.equal(isUpToDate(undefined, q), false);
  });
});

describe('WorkQueue', () => {
  it('coalesces repeated keys and never runs one key twice at once', async () => {
    const runs: string[] = [];
    let concurrent = 0;
    let maxConcurrentA = 0;
    const release: Array<() => void> = [];
    const q = new WorkQueue({
      clock: new FakeClock(),
      process: async (k) => {
        if (k === 'a') {
          concurrent++;
          maxConcurrentA = Math.max(maxConcurrentA, concurrent);
        }
        runs.push(k);
        await new Promise<void>((r) => release.push(r));
        if (k === 'a') concurrent--;
      },
    });
    for (let i = 0; i < 5; i++) q.add('a');
    q.add('b');
    await flush();
    q.add('a'); // while running: runs once more afterwards
    while (release.length > 0) {
      release.splice(0).forEach((r) => r());
      await flush();
    }
    await q.idle();
    assert.equal(maxConcurrentA, 1);
    assert.deepEqual(runs.filter((k) => k === 'a').length, 2);
    assert.deepEqual(runs.filter((k) => k === 'b').length, 1);
    q.stop();
  });

  it('retries a failing key with growing delays, not in a hot loop', async () => {
    const clock = new FakeClock();
    const times: number[] = [];
    const q = new WorkQueue({
      clock,
      baseDelayMs: 20,
      process: async () => {
        times.push(clock.now());
        throw new Error('boom');
      },
    });
    q.add('x');
    await clock.advance(200);
    q.stop();
    assert.deepEqual(times, [0, 20, 60, 140], 'delays 20, 40, 80 ms');
    assert.equal(clock.pending, 0, 'stop cancels the next retry');
  });
});
