/** cloud-credentials: every Secret check, injection layout, references, idempotency. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate } from '../../src/admission/engine.js';
import type { KubeObject } from '../../src/kube/types.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import { loadConfigFile } from '../../src/config/load.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { cloudCredentialsInjectPolicy, gcpVolumeName } from '../../src/policies/cloud-credentials/inject.js';
import { cloudCredentialsValidate } from '../../src/policies/cloud-credentials/validate.js';
import { admissionRequest, podObject } from '../support/review.js';
import { awsSecret, awsValues, gcpKey, gcpSecret, rsaPem } from '../support/credentials.js';

const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
if (!loaded.ok) throw new Error('policy');
const config = loaded.config;
const pem = rsaPem();

function validate(secret: KubeObject) {
  return evaluate({ policy: cloudCredentialsValidate, request: admissionRequest(secret, { namespace: 'ml' }), cluster: storeFromObjects([]), config });
}

describe('cloud-credentials: gcp-credential Secrets', () => {
  it('accepts a real service account key', () => {
    assert.deepEqual(validate(gcpSecret('gcp', gcpKey({}, pem))).denials, []);
  });
  it('an UPDATE that swaps in a key that does not parse is refused like a CREATE, each time (the parse memo keeps "no" too)', () => {
    const good = gcpSecret('gcp', gcpKey({}, pem));
    const bad = gcpSecret('gcp', gcpKey({ private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }, pem));
    const update = () =>
      evaluate({
        policy: cloudCredentialsValidate,
        request: admissionRequest(bad, { namespace: 'ml', operation: 'UPDATE', oldObject: good }),
        cluster: storeFromObjects([]),
        config,
      });
    assert.deepEqual(validate(good).denials, []);
    for (let i = 0; i < 2; i++) {
      const d = update();
      assert.equal(d.allowed, false);
      assert.match(d.denials.map((x) => x.message).join('\n'), /private_key does not parse as a PEM private key/);
    }
    assert.deepEqual(validate(good).denials, [], 'the good key is still good');
  });
  it('accepts an external_account with a file or URL source', () => {
    const ext = {
      type: 'external_account',
      audience: '//iam.googleapis.com/x',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: 'https://sts.googleapis.com/v1/token',
    };
    assert.equal(validate(gcpSecret('a', { ...ext, credential_source: { file: '/var/run/token' } })).allowed, true);
    assert.equal(validate(gcpSecret('b', { ...ext, credential_source: { url: 'https://idp.example.com/token' } })).allowed, true);
  });

  const cases: Array<[string, unknown, RegExp[]]> = [
    [
      'a private key that does not parse',
      gcpKey({ private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }, pem),
      [/private_key does not parse as a PEM private key/],
    ],
    ['a private key that is not PEM at all', gcpKey({ private_key: 'hunter2' }, pem), [/private_key does not parse/]],
    ['an http token_uri', gcpKey({ token_uri: 'http://oauth2.googleapis.com/token' }, pem), [/token_uri must be an https:\/\/ URL/]],
    [
      'missing fields, all reported at once',
      { type: 'service_account', private_key: pem },
      [/project_id is required/, /private_key_id is required/, /client_email is required/, /client_id is required/, /token_uri is required/],
    ],
    ['an unknown type', gcpKey({ type: 'authorized_user' }, pem), [/type must be "service_account" or "external_account"/]],
    [
      'an executable credential source',
      {
        type: 'external_account',
        audience: 'a',
        subject_token_type: 't',
        token_url: 'https://sts.googleapis.com/v1/token',
        credential_source: { executable: { command: '/bin/sh -c "curl evil"' } },
      },
      [/credential_source\.executable is not allowed/],
    ],
    ['not JSON', '{"type": "service_account",', [/is not valid JSON/]],
    ['a JSON array', '[]', [/must be a JSON object/]],
  ];
  for (const [name, key, expected] of cases) {
    it(`denies ${name}`, () => {
      const d = validate(gcpSecret('gcp', key));
      assert.equal(d.allowed, false);
      assert.equal(d.denials.length, expected.length, JSON.stringify(d.denials));
      expected.forEach((re, i) => assert.match(d.denials[i]?.message ?? '', re));
      assert.ok(d.denials.every((x) => x.rule === 'cloud-credentials.gcp-key'));
    });
  }
  it('denies a missing key.json and extra keys', () => {
    const s: KubeObject = { apiVersion: 'v1', kind: 'Secret', type: 'gcp-credential', metadata: { name: 'x' }, stringData: { 'creds.json': '{}' } };
    const d = validate(s);
    assert.match(d.denials[0]?.message ?? '', /data\["key\.json"\] is required/);
  });
  it('leaves Secrets of other types alone', () => {
    assert.equal(validate({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'o' }, data: { a: 'not base64 !!' } }).allowed, true);
  });
});

describe('cloud-credentials: aws-credential Secrets', () => {
  it('accepts a long-term key with region', () => {
    assert.deepEqual(validate(awsSecret('aws', { ...awsValues(), region: 'ap-northeast-1' })).denials, []);
    assert.equal(validate(awsSecret('aws', { ...awsValues(), region: 'us-gov-west-1' })).allowed, true);
    assert.equal(validate(awsSecret('aws', { ...awsValues(), region: 'us-isob-east-1' })).allowed, true);
  });
  const cases: Array<[string, Record<string, string>, RegExp[]]> = [
    ['a lower-case key id', { ...awsValues(), aws_access_key_id: 'akiaabcdefghijklmnop' }, [/aws_access_key_id"\] must be 16–128 characters/]],
    ['a short key id', { ...awsValues(), aws_access_key_id: 'AKIA123' }, [/16–128/]],
    ['whitespace in the secret key', { ...awsValues(), aws_secret_access_key: 'abc def' }, [/aws_secret_access_key"\] must be non-empty without whitespace/]],
    ['a temporary key without session token', awsValues('ASIA'), [/aws_session_token"\] is required for temporary credentials/]],
    ['a bad region', { ...awsValues(), region: 'Tokyo' }, [/region"\] is not a region name/]],
    [
      'a missing secret key and an unknown key',
      { aws_access_key_id: awsValues().aws_access_key_id ?? '', password: 'x' },
      [/"password"\] is not allowed/, /aws_secret_access_key"\] is required/],
    ],
  ];
  for (const [name, values, expected] of cases) {
    it(`denies ${name}`, () => {
      const d = validate(awsSecret('aws', values));
      assert.equal(d.denials.length, expected.length, JSON.stringify(d.denials));
      expected.forEach((re, i) => assert.match(d.denials[i]?.message ?? '', re));
    });
  }
  it('accepts a temporary key with its session token', () => {
    assert.equal(validate(awsSecret('aws', { ...awsValues('ASIA'), aws_session_token: 'FwoGZXIvYXdzE' })).allowed, true);
  });
});

const state = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ml' } },
  { apiVersion: 'v1', kind: 'Secret', type: 'gcp-credential', metadata: { name: 'gcp', namespace: 'ml' } },
  { apiVersion: 'v1', kind: 'Secret', type: 'gcp-credential', metadata: { name: 'gcp2', namespace: 'ml' } },
  { apiVersion: 'v1', kind: 'Secret', type: 'aws-credential', metadata: { name: 'aws', namespace: 'ml' } },
  { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'tls', namespace: 'ml' } },
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'trainer', namespace: 'ml', annotations: { 'credentials.harbormaster.io/secret': 'gcp' } } },
] as KubeObject[];
const cluster = storeFromObjects(state);

const cloudCredentialsInject = cloudCredentialsInjectPolicy({ platformSidecars: ['fluent-bit'] });

function inject(pod: KubeObject) {
  return evaluate({ policy: cloudCredentialsInject, request: admissionRequest(pod, { namespace: 'ml' }), cluster, config });
}
type Container = {
  name: string;
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
};
type PodSpec = { containers: Container[]; initContainers?: Container[]; volumes?: Array<{ name: string; secret?: { secretName: string } }> };
const specOf = (d: { mutated?: KubeObject }) => d.mutated?.spec as PodSpec;

describe('cloud-credentials: injection', () => {
  it('GCP through the ServiceAccount: volume, read-only mount and env into every container and initContainer', () => {
    const pod = podObject('p', [
      { name: 'app', image: 'x' },
      { name: 'side', image: 'x' },
    ]);
    (pod.spec as Record<string, unknown>).serviceAccountName = 'trainer';
    (pod.spec as Record<string, unknown>).initContainers = [
      { name: 'init', image: 'x' },
      { name: 'native', image: 'x', restartPolicy: 'Always' },
    ];
    const d = inject(pod);
    assert.equal(d.allowed, true, JSON.stringify(d.denials));
    const s = specOf(d);
    assert.deepEqual(s.volumes, [{ name: 'hm-gcp-gcp', secret: { secretName: 'gcp', defaultMode: 0o440 } }]);
    for (const c of [...s.containers, ...(s.initContainers ?? [])]) {
      assert.deepEqual(c.volumeMounts, [{ name: 'hm-gcp-gcp', mountPath: '/var/run/secrets/harbormaster.io/gcp/gcp', readOnly: true }], c.name);
      assert.deepEqual(c.env, [{ name: 'GOOGLE_APPLICATION_CREDENTIALS', value: '/var/run/secrets/harbormaster.io/gcp/gcp/key.json' }], c.name);
    }
    assert.ok(d.patch.every((op) => op.rule === 'cloud-credentials.inject'));
  });

  it('AWS through the Pod annotation: secretKeyRef env, optional where the key is optional', () => {
    const d = inject(podObject('p', [{ name: 'app', image: 'x' }], { annotations: { 'credentials.harbormaster.io/inject': 'aws' } }));
    const env = specOf(d).containers[0]?.env;
    assert.deepEqual(
      env?.map((e) => e.name),
      ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION'],
    );
    assert.deepEqual(env?.[0]?.valueFrom, { secretKeyRef: { name: 'aws', key: 'aws_access_key_id' } });
    assert.deepEqual(env?.[2]?.valueFrom, { secretKeyRef: { name: 'aws', key: 'aws_session_token', optional: true } });
    assert.deepEqual(env?.[4]?.valueFrom, { secretKeyRef: { name: 'aws', key: 'region', optional: true } });
  });

  it('both providers at once, skipping listed containers, warning on unknown ones', () => {
    const pod = podObject(
      'p',
      [
        { name: 'app', image: 'x' },
        { name: 'proxy', image: 'x' },
      ],
      { annotations: { 'credentials.harbormaster.io/inject': 'gcp, aws', 'credentials.harbormaster.io/skip-containers': 'proxy,ghost' } },
    );
    const d = inject(pod);
    const s = specOf(d);
    assert.equal(s.containers[0]?.env?.length, 6);
    assert.equal(s.containers[1]?.env, undefined);
    assert.equal(s.containers[1]?.volumeMounts, undefined);
    assert.match(d.warnings[0]?.message ?? '', /"ghost", which is not a container/);
  });

  it('never overwrites what the user set: a different value in our place is denied, not redirected (collision cases in cloud-credentials-collisions.test.ts)', () => {
    const pod = podObject('p', [{ name: 'app', image: 'x', env: [{ name: 'GOOGLE_APPLICATION_CREDENTIALS', value: '/mine.json' }] }], {
      annotations: { 'credentials.harbormaster.io/inject': 'gcp' },
    });
    const d = inject(pod);
    assert.equal(d.allowed, false);
    assert.deepEqual(d.patch, []);
    assert.equal(d.denials[0]?.rule, 'cloud-credentials.collision');
  });

  it('re-invocation adds nothing twice', () => {
    const pod = podObject('p', [{ name: 'app', image: 'x' }], { annotations: { 'credentials.harbormaster.io/inject': 'gcp,aws' } });
    const first = inject(pod);
    const second = inject(first.mutated as KubeObject);
    assert.deepEqual(second.patch, []);
  });

  const denials: Array<[string, Record<string, string>, RegExp]> = [
    ['a missing Secret', { 'credentials.harbormaster.io/inject': 'nope' }, /Secret ml\/nope, which does not exist.*create it first/],
    ['a wrong-typed Secret', { 'credentials.harbormaster.io/inject': 'tls' }, /of type "kubernetes\.io\/tls"; only gcp-credential and aws-credential/],
    ['a cross-namespace reference', { 'credentials.harbormaster.io/inject': 'other/gcp' }, /"other\/gcp" in another namespace; create a copy in ml/],
    [
      'two credentials of one provider',
      { 'credentials.harbormaster.io/inject': 'gcp,gcp2' },
      /gcp .* and gcp2 .* are both gcp-credential; a Pod can use one credential per provider/,
    ],
  ];
  for (const [name, annotations, re] of denials) {
    it(`denies ${name}`, () => {
      const d = inject(podObject('p', [{ name: 'app', image: 'x' }], { annotations }));
      assert.equal(d.allowed, false);
      assert.match(d.denials[0]?.message ?? '', re);
      assert.deepEqual(d.patch, []);
    });
  }

  it('a same-namespace ns/name reference is fine; SA and Pod naming the same Secret inject it once', () => {
    const pod = podObject('p', [{ name: 'app', image: 'x' }], { annotations: { 'credentials.harbormaster.io/inject': 'ml/gcp' } });
    (pod.spec as Record<string, unknown>).serviceAccountName = 'trainer';
    const d = inject(pod);
    assert.equal(d.allowed, true);
    assert.equal(specOf(d).volumes?.length, 1);
  });

  it('keeps volume names valid DNS labels for long or dotted Secret names', () => {
    assert.equal(gcpVolumeName('gcp'), 'hm-gcp-gcp');
    const long = gcpVolumeName('a'.repeat(80));
    const dotted = gcpVolumeName('team.gcp.key');
    for (const n of [long, dotted]) assert.match(n, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    assert.notEqual(gcpVolumeName('a'.repeat(80)), gcpVolumeName('a'.repeat(81)));
  });
});
