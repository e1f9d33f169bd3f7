/**
 * cloud-credentials (issue 11, item 4): collisions are denials naming the field, references
 * are strict, platform sidecars get nothing unless included; `review` agrees with the policy.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fastJsonPatch from 'fast-json-patch';
import { evaluate } from '../../src/admission/engine.js';
import { PolicyRegistry } from '../../src/admission/registry.js';
import type { KubeObject } from '../../src/kube/types.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import { loadConfigFile } from '../../src/config/load.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { builtinPolicies } from '../../src/policies/index.js';
import { reviewObject } from '../../src/review/review.js';
import { admissionRequest } from '../support/review.js';

const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
if (!loaded.ok) throw new Error('policy');
const config = loaded.config;
const cluster = storeFromObjects([
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ml' } },
  { apiVersion: 'v1', kind: 'Secret', type: 'gcp-credential', metadata: { name: 'gcp', namespace: 'ml' } },
  { apiVersion: 'v1', kind: 'Secret', type: 'aws-credential', metadata: { name: 'aws', namespace: 'ml' } },
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'trainer', namespace: 'ml', annotations: { 'credentials.harbormaster.io/secret': 'gcp' } } },
  { apiVersion: 'harbormaster.io/v1alpha1', kind: 'Cluster', metadata: { name: 'local', annotations: { 'addons.harbormaster.io/efk': 'enabled' } } },
] as KubeObject[]);
const registry = new PolicyRegistry(builtinPolicies());
const policy = (name: string, type: 'mutate' | 'validate' = 'mutate') => {
  const p = registry.ordered().find((x) => x.name === name && x.type === type);
  if (!p) throw new Error(name);
  return p;
};
const cc = policy('cloud-credentials');
const run = (pod: KubeObject, p = cc) => evaluate({ policy: p, request: admissionRequest(pod, { namespace: 'ml' }), cluster, config });

type C = { name: string; image?: string; restartPolicy?: string; env?: Array<Record<string, unknown>>; volumeMounts?: Array<Record<string, unknown>> };
type Spec = { containers: C[]; initContainers?: C[]; volumes?: Array<Record<string, unknown>>; serviceAccountName?: string };
const pod = (spec: Partial<Spec>, annotations: Record<string, string> = { 'credentials.harbormaster.io/inject': 'gcp' }): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'ml', annotations },
  spec: { containers: [{ name: 'app', image: 'x' }], ...spec },
});
const DIR = '/var/run/secrets/harbormaster.io/gcp/gcp';
const OURS = {
  volume: { name: 'hm-gcp-gcp', secret: { secretName: 'gcp', defaultMode: 0o440 } },
  mount: { name: 'hm-gcp-gcp', mountPath: DIR, readOnly: true },
  env: { name: 'GOOGLE_APPLICATION_CREDENTIALS', value: `${DIR}/key.json` },
};
const app = (extra: Partial<C>): C => ({ name: 'app', image: 'x', ...extra });
const own = { name: 'mine', emptyDir: {} };

describe('cloud-credentials: collisions with what we inject', () => {
  const denied: Array<[string, KubeObject, RegExp]> = [
    [
      'a tenant volume named hm-gcp-<secret>',
      pod({ volumes: [{ name: 'hm-gcp-gcp', configMap: { name: 'fake-key' } }] }),
      /^spec\.volumes\[0\] is named hm-gcp-gcp, the volume Harbormaster injects for Secret gcp, but is not that Secret volume; rename it \(hm-gcp-\* volume names are reserved\)$/,
    ],
    [
      'a tenant mount at the credential path (trailing slash)',
      pod({ volumes: [own], containers: [app({ volumeMounts: [{ name: 'mine', mountPath: `${DIR}/` }] })] }),
      /^spec\.containers\[0\]\.volumeMounts\[0\] \(container "app"\) mounts "\/var\/run\/secrets\/harbormaster\.io\/gcp\/gcp\/" at the credential directory \/var\/run\/secrets\/harbormaster\.io\/gcp\/gcp; mount it elsewhere, or list "app" in credentials\.harbormaster\.io\/skip-containers$/,
    ],
    [
      'a tenant mount at the credential path spelled with ..',
      pod({ volumes: [own], containers: [app({ volumeMounts: [{ name: 'mine', mountPath: `${DIR}/../gcp` }] })] }),
      /mounts ".*\/\.\.\/gcp" at the credential directory/,
    ],
    [
      'a tenant mount over the credential path',
      pod({ volumes: [own], containers: [app({ volumeMounts: [{ name: 'mine', mountPath: '/var/run/secrets/harbormaster.io' }] })] }),
      /mounts "\/var\/run\/secrets\/harbormaster\.io" over the credential directory/,
    ],
    [
      'a tenant file mounted under the credential path',
      pod({ volumes: [own], containers: [app({ volumeMounts: [{ name: 'mine', mountPath: `${DIR}/key.json`, subPath: 'k' }] })] }),
      /volumeMounts\[0\] \(container "app"\) mounts ".*\/key\.json" under the credential directory/,
    ],
    [
      'our volume mounted at our path, but writable',
      pod({ volumes: [OURS.volume], containers: [app({ volumeMounts: [{ ...OURS.mount, readOnly: false }] })] }),
      /mounts ".*" at the credential directory/,
    ],
    [
      'GOOGLE_APPLICATION_CREDENTIALS with another value',
      pod({
        containers: [
          app({
            env: [
              { name: 'X', value: '1' },
              { name: 'GOOGLE_APPLICATION_CREDENTIALS', value: '/tmp/mine.json' },
            ],
          }),
        ],
      }),
      /^spec\.containers\[0\]\.env\[1\] \(container "app"\) already sets GOOGLE_APPLICATION_CREDENTIALS to something other than the injected credential; remove it, or list "app" in credentials\.harbormaster\.io\/skip-containers$/,
    ],
    [
      'AWS_SECRET_ACCESS_KEY as a literal (never echoed)',
      pod(
        { containers: [app({ env: [{ name: 'AWS_SECRET_ACCESS_KEY', value: 'hunter2-literal-secret' }] })] },
        { 'credentials.harbormaster.io/inject': 'aws' },
      ),
      /^spec\.containers\[0\]\.env\[0\] \(container "app"\) already sets AWS_SECRET_ACCESS_KEY to something other/,
    ],
    [
      'AWS_REGION from another Secret',
      pod(
        { containers: [app({ env: [{ name: 'AWS_REGION', valueFrom: { secretKeyRef: { name: 'other', key: 'region' } } }] })] },
        { 'credentials.harbormaster.io/inject': 'aws' },
      ),
      /env\[0\] .* already sets AWS_REGION/,
    ],
    [
      'a collision in an initContainer',
      pod({ initContainers: [{ name: 'init', env: [{ name: 'GOOGLE_APPLICATION_CREDENTIALS', value: '/x' }] }] }),
      /^spec\.initContainers\[0\]\.env\[0\] \(container "init"\)/,
    ],
  ];
  for (const [name, obj, re] of denied) {
    it(`denies ${name}, naming the field`, () => {
      const d = run(obj);
      assert.equal(d.allowed, false);
      assert.equal(d.denials.length, 1, JSON.stringify(d.denials));
      assert.equal(d.denials[0]?.rule, 'cloud-credentials.collision');
      assert.match(d.denials[0]?.message ?? '', re);
      assert.doesNotMatch(d.denials[0]?.message ?? '', /hunter2|mine\.json|fake-key/);
      assert.deepEqual(d.patch, []);
    });
  }

  const allowed: Array<[string, KubeObject]> = [
    ['exactly ours from an earlier pass (reinvocation)', pod({ volumes: [OURS.volume], containers: [app({ volumeMounts: [OURS.mount], env: [OURS.env] })] })],
    [
      'a collision in a skipped container',
      pod(
        { volumes: [own], containers: [app({ volumeMounts: [{ name: 'mine', mountPath: DIR }] })] },
        { 'credentials.harbormaster.io/inject': 'gcp', 'credentials.harbormaster.io/skip-containers': 'app' },
      ),
    ],
    ['a sibling path that only shares a prefix', pod({ volumes: [own], containers: [app({ volumeMounts: [{ name: 'mine', mountPath: `${DIR}-other` }] })] })],
  ];
  for (const [name, obj] of allowed) {
    it(`admits ${name}`, () => {
      const d = run(obj);
      assert.deepEqual(d.denials, []);
      const again = run(d.mutated ?? obj);
      assert.deepEqual(again.patch, [], 'a second pass adds nothing');
    });
  }

  it('every collision of a Pod is reported at once', () => {
    const d = run(
      pod({
        volumes: [{ name: 'hm-gcp-gcp', emptyDir: {} }],
        containers: [
          app({ env: [{ name: 'GOOGLE_APPLICATION_CREDENTIALS', value: '/x' }] }),
          { name: 'b', volumeMounts: [{ name: 'hm-gcp-gcp', mountPath: DIR }] },
        ],
      }),
    );
    assert.deepEqual(
      d.denials.map((x) => x.message.split(' ')[0]),
      ['spec.volumes[0]', 'spec.containers[0].env[0]', 'spec.containers[1].volumeMounts[0]'],
    );
  });
});

describe('cloud-credentials: references', () => {
  const cases: Array<[string, string, RegExp]> = [
    [
      'a path-like reference',
      'team-b/x/team-a/y',
      /names "team-b\/x\/team-a\/y", which is not a valid Secret name \(lower-case letters, digits, '-' and '\.'\); list Secrets of namespace ml by name, comma-separated$/,
    ],
    ['an upper-case name', 'Gcp', /names "Gcp", which is not a valid Secret name/],
    ['an empty namespace part', '/gcp', /names "\/gcp", which is not a valid Secret name/],
    ['an empty name part', 'ml/', /names "ml\/", which is not a valid Secret name/],
    ['another namespace', 'team-b/gcp', /references Secret "team-b\/gcp" in another namespace; create a copy in ml and reference it by name/],
    ['a long name with control characters, shown quoted and truncated', `a\u0001${'b'.repeat(300)}`, /names "a\\u0001b{58}…", which is not/],
    [
      'too many references, one message',
      'a,b,c,d,e',
      /lists more than 4 distinct Secrets; a Pod uses at most one credential per provider \(gcp-credential, aws-credential\), so list at most 4$/,
    ],
  ];
  for (const [name, value, re] of cases) {
    it(`denies ${name}`, () => {
      const d = run(pod({}, { 'credentials.harbormaster.io/inject': value }));
      assert.equal(d.allowed, false);
      assert.deepEqual(
        d.denials.map((x) => x.rule),
        ['cloud-credentials.reference'],
      );
      assert.match(d.denials[0]?.message ?? '', /^metadata\.annotations\["credentials\.harbormaster\.io\/inject"\] /);
      assert.match(d.denials[0]?.message ?? '', re);
    });
  }
  it('repeats and own-namespace spellings of one Secret count once', () => {
    const d = run(pod({}, { 'credentials.harbormaster.io/inject': 'gcp, gcp,ml/gcp,,aws,aws' }));
    assert.deepEqual(d.denials, []);
    assert.equal((d.mutated?.spec as Spec).volumes?.length, 1);
  });
});

const withLogs = (annotations: Record<string, string> = {}): KubeObject =>
  pod(
    { serviceAccountName: 'trainer', containers: [{ name: 'train', image: 'python:3.12' }] },
    { 'sidecars.harbormaster.io/inject': 'fluent-bit', ...annotations },
  );
const envNames = (s: Spec, name: string) => [...(s.initContainers ?? []), ...s.containers].find((c) => c.name === name)?.env?.map((e) => e.name);

describe('cloud-credentials: platform sidecars', () => {
  /** The API server's order with reinvocation: cloud-credentials, addon-sidecars, cloud-credentials again. */
  const chain = (obj: KubeObject) => {
    const first = run(obj);
    const sidecars = run(first.mutated ?? obj, policy('addon-sidecars'));
    const again = run(sidecars.mutated ?? obj);
    return { spec: (again.mutated ?? sidecars.mutated)?.spec as Spec, again };
  };
  const cases: Array<[string, Record<string, string>, { train: string[] | undefined; sidecar: string[] | undefined; warning?: RegExp }]> = [
    ['fluent-bit gets no tenant credential by default', {}, { train: ['GOOGLE_APPLICATION_CREDENTIALS'], sidecar: undefined }],
    [
      'include-sidecars gives it the credential',
      { 'credentials.harbormaster.io/include-sidecars': 'fluent-bit' },
      { train: ['GOOGLE_APPLICATION_CREDENTIALS'], sidecar: ['GOOGLE_APPLICATION_CREDENTIALS'] },
    ],
    [
      'skip-containers wins over include-sidecars',
      { 'credentials.harbormaster.io/include-sidecars': 'fluent-bit', 'credentials.harbormaster.io/skip-containers': 'fluent-bit' },
      { train: ['GOOGLE_APPLICATION_CREDENTIALS'], sidecar: undefined },
    ],
    [
      'include-sidecars naming a tenant container warns and changes nothing',
      { 'credentials.harbormaster.io/include-sidecars': 'train' },
      {
        train: ['GOOGLE_APPLICATION_CREDENTIALS'],
        sidecar: undefined,
        warning:
          /^include-sidecars names "train", which is not a platform sidecar \(fluent-bit\); the Pod's own containers get credentials anyway unless listed in credentials\.harbormaster\.io\/skip-containers$/,
      },
    ],
  ];
  for (const [name, annotations, want] of cases) {
    it(name, () => {
      const { spec, again } = chain(withLogs(annotations));
      assert.equal(spec.initContainers?.[0]?.name, 'fluent-bit');
      assert.deepEqual(envNames(spec, 'train'), want.train);
      assert.deepEqual(envNames(spec, 'fluent-bit'), want.sidecar);
      if (want.warning) assert.match(again.warnings.find((w) => w.rule === 'cloud-credentials.include-sidecars')?.message ?? '', want.warning);
    });
  }
  it('a tenant container named like a platform sidecar only loses credentials (nothing to gain by spoofing)', () => {
    const d = run(pod({ containers: [app({}), { name: 'fluent-bit', image: 'mine' }] }));
    assert.deepEqual(envNames(d.mutated?.spec as Spec, 'fluent-bit'), undefined);
    assert.deepEqual(envNames(d.mutated?.spec as Spec, 'app'), ['GOOGLE_APPLICATION_CREDENTIALS']);
  });
});

describe('cloud-credentials: review gives the same decision as the policy', () => {
  const review = (obj: KubeObject) => reviewObject(obj, { registry, cluster, config, operation: 'CREATE', namespace: 'ml' });
  it('a collision: the same denial', () => {
    const obj = pod({ volumes: [{ name: 'hm-gcp-gcp', configMap: { name: 'fake-key' } }] });
    const offline = review(obj);
    assert.equal(offline.allowed, false);
    assert.deepEqual(
      offline.denials.filter((d) => d.rule.startsWith('cloud-credentials.')),
      run(obj).denials,
    );
  });
  it('a sidecar: the same Pod, reinvocation included, fluent-bit without the credential', () => {
    const obj = withLogs();
    const offline = review(obj);
    assert.equal(offline.allowed, true, JSON.stringify(offline.denials));
    const patched = fastJsonPatch.applyPatch(structuredClone(obj), offline.patch.map(({ rule: _r, ...op }) => op) as fastJsonPatch.Operation[]).newDocument;
    const first = run(obj);
    const direct = run(run(first.mutated ?? obj, policy('addon-sidecars')).mutated ?? obj);
    const s = patched.spec as Spec;
    const t = (direct.mutated ?? obj).spec as Spec;
    for (const name of ['train', 'fluent-bit']) assert.deepEqual(envNames(s, name), envNames(t, name), name);
    assert.deepEqual(envNames(s, 'fluent-bit'), undefined);
    assert.deepEqual(s.volumes, t.volumes);
  });
});
