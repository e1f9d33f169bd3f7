/** data-loading: the PVC annotation rules, the scheduling gate, read-only mounts, and `review` showing both offline. */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { evaluate } from '../../src/admission/engine.js';
import { main } from '../../src/cli/main.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import { loadConfigFile, parseConfig } from '../../src/config/load.js';
import { dataLoadingSettings } from '../../src/policies/data-loading/settings.js';
import type { PolicyConfig } from '../../src/config/types.js';
import type { KubeObject } from '../../src/kube/types.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { loaderPodTemplate } from '../../src/policies/data-loading/loader-pod.js';
import { dataLoadingMutate } from '../../src/policies/data-loading/mutate.js';
import { JOB_CONTROLLER_USER } from '../../src/policies/data-loading/names.js';
import { dataLoadingValidate } from '../../src/policies/data-loading/validate.js';
import { awsSecret, awsValues, gcpKey, gcpSecret } from '../support/credentials.js';
import { admissionRequest } from '../support/review.js';
import { tempDir } from '../support/tls.js';

const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
if (!loaded.ok) throw new Error('policy');
const config: PolicyConfig = { ...loaded.config, dataLoading: { endpoints: ['s3.internal.example', 'minio.example:9000'] } };

const inNs = (o: KubeObject, ns: string): KubeObject => ({ ...o, metadata: { ...o.metadata, namespace: ns } });
const state = [inNs(awsSecret('s3-creds', awsValues()), 'ml'), inNs(gcpSecret('gcs-creds', gcpKey()), 'ml'), inNs(awsSecret('theirs', awsValues()), 'team-b')];

function pvc(name: string, annotations: Record<string, string>, loaded?: 'True' | 'False'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'ml', annotations },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    ...(loaded ? { status: { conditions: [{ type: 'DataLoaded', status: loaded, reason: loaded === 'True' ? 'Loaded' : 'Loading' }] } } : {}),
  };
}

function validate(annotations: Record<string, string>, options: { old?: Record<string, string>; cfg?: PolicyConfig } = {}) {
  const object = pvc('data', annotations);
  const request = admissionRequest(object, {
    namespace: 'ml',
    ...(options.old ? { operation: 'UPDATE' as const, oldObject: pvc('data', options.old) } : {}),
  });
  return evaluate({ policy: dataLoadingValidate, request, cluster: storeFromObjects(state), config: options.cfg ?? config });
}
const byPath = <T extends { path: string }>(ops: T[]): T[] => [...ops].sort((a, b) => a.path.localeCompare(b.path));
const denials = (d: { denials: Array<{ rule: string; message: string }> }): string[] => d.denials.map((x) => `[${x.rule}] ${x.message}`);

describe('data-loading: the policy file section', () => {
  it('is read from the file, defaults filled in; a bad entry is refused with its path', () => {
    const text = readFileSync(DEFAULT_POLICY_FILE, 'utf8');
    const ok = parseConfig(text.replace(/\n {2}endpoints: \[\]\n/, '\n  endpoints: ["127.0.0.1", "s3.example:9000"]\n'));
    assert.ok(ok.ok);
    assert.deepEqual(dataLoadingSettings(ok.config), {
      endpoints: ['127.0.0.1', 's3.example:9000'],
      allowHttpEndpoints: false,
      loaderImage: 'harbormaster/harbormaster:0.1.0',
    });
    const bad = parseConfig(text.replace(/\n {2}endpoints: \[\]\n/, '\n  endpoints: ["https://s3.example"]\n'));
    assert.ok(!bad.ok);
    assert.equal(bad.problems[0]?.path, '/dataLoading/endpoints/0');
  });
});

describe('data-loading: PVC annotations', () => {
  it('accepts an s3 source with its aws-credential Secret and an allowed endpoint, and a public gs source', () => {
    const ok = validate({
      'data.harbormaster.io/source': 's3://training-data/imagenet/2026=01',
      'data.harbormaster.io/credentials': 's3-creds',
      'data.harbormaster.io/endpoint': 'https://minio.example:9000',
      'data.harbormaster.io/read-only': 'true',
    });
    assert.deepEqual(ok.denials, []);
    assert.deepEqual(validate({ 'data.harbormaster.io/source': 'gs://public_bucket' }).denials, []);
  });

  const bad: Array<[string, Record<string, string>, string]> = [
    [
      'an http URL',
      { 'data.harbormaster.io/source': 'https://bucket.s3.amazonaws.com/x' },
      '[data-loading.source] metadata.annotations["data.harbormaster.io/source"]: "https://bucket.s3.amazonaws.com/x": must be s3://<bucket>[/<prefix>] or gs://<bucket>[/<prefix>]',
    ],
    [
      'an upper-case bucket',
      { 'data.harbormaster.io/source': 's3://Bucket/x' },
      '[data-loading.source] metadata.annotations["data.harbormaster.io/source"]: "s3://Bucket/x": bucket "Bucket" is not a valid S3 bucket name (3–63 of a-z 0-9 . -, starting and ending with a letter or digit)',
    ],
    [
      'a ".." segment',
      { 'data.harbormaster.io/source': 's3://bucket/a/../b' },
      '[data-loading.source] metadata.annotations["data.harbormaster.io/source"]: "s3://bucket/a/../b": the prefix may not have empty, "." or ".." path segments',
    ],
    [
      'an empty segment',
      { 'data.harbormaster.io/source': 'gs://bucket/a//b' },
      '[data-loading.source] metadata.annotations["data.harbormaster.io/source"]: "gs://bucket/a//b": the prefix may not have empty, "." or ".." path segments',
    ],
    [
      'a query in the prefix',
      { 'data.harbormaster.io/source': 's3://bucket/a?x=1' },
      '[data-loading.source] metadata.annotations["data.harbormaster.io/source"]: "s3://bucket/a?x=1": the prefix may hold only A-Z a-z 0-9 ! _ . = / -',
    ],
    [
      "another namespace's Secret by reference",
      { 'data.harbormaster.io/source': 's3://bucket/x', 'data.harbormaster.io/credentials': 'team-b/theirs' },
      '[data-loading.credentials] metadata.annotations["data.harbormaster.io/credentials"]: "team-b/theirs" names another namespace; only a aws-credential Secret of namespace ml, by name',
    ],
    [
      'a Secret that exists only in another namespace',
      { 'data.harbormaster.io/source': 's3://bucket/x', 'data.harbormaster.io/credentials': 'theirs' },
      '[data-loading.credentials] metadata.annotations["data.harbormaster.io/credentials"]: no aws-credential Secret "theirs" in namespace ml; create it first',
    ],
    [
      'a Secret of the other provider',
      { 'data.harbormaster.io/source': 's3://bucket/x', 'data.harbormaster.io/credentials': 'gcs-creds' },
      '[data-loading.credentials] metadata.annotations["data.harbormaster.io/credentials"]: Secret "gcs-creds" is of type "gcp-credential"; a s3:// source needs a aws-credential Secret',
    ],
    [
      'a plain http endpoint',
      { 'data.harbormaster.io/source': 's3://bucket/x', 'data.harbormaster.io/endpoint': 'http://minio.example:9000' },
      '[data-loading.endpoint] metadata.annotations["data.harbormaster.io/endpoint"]: "http://minio.example:9000" must be an https:// URL (the policy file allows no plain http)',
    ],
    [
      'an endpoint off the allow-list',
      { 'data.harbormaster.io/source': 's3://bucket/x', 'data.harbormaster.io/endpoint': 'https://169.254.169.254' },
      '[data-loading.endpoint] metadata.annotations["data.harbormaster.io/endpoint"]: "https://169.254.169.254" host "169.254.169.254" is not on the policy\'s endpoint allow-list (s3.internal.example, minio.example:9000)',
    ],
    [
      'an allowed host on another port',
      { 'data.harbormaster.io/source': 's3://bucket/x', 'data.harbormaster.io/endpoint': 'https://minio.example:9001' },
      '[data-loading.endpoint] metadata.annotations["data.harbormaster.io/endpoint"]: "https://minio.example:9001" host "minio.example:9001" is not on the policy\'s endpoint allow-list (s3.internal.example, minio.example:9000)',
    ],
    [
      'an endpoint with a user and a path',
      { 'data.harbormaster.io/source': 's3://bucket/x', 'data.harbormaster.io/endpoint': 'https://u:p@s3.internal.example/x' },
      '[data-loading.endpoint] metadata.annotations["data.harbormaster.io/endpoint"]: "https://u:p@s3.internal.example/x" may not carry user or password; use data.harbormaster.io/credentials',
    ],
    [
      'a typo',
      { 'data.harbormaster.io/source': 's3://bucket/x', 'data.harbormaster.io/readonly': 'true' },
      '[data-loading.annotations] metadata.annotations["data.harbormaster.io/readonly"]: unknown annotation; did you mean data.harbormaster.io/read-only?',
    ],
    [
      'read-only "yes"',
      { 'data.harbormaster.io/source': 's3://bucket/x', 'data.harbormaster.io/read-only': 'yes' },
      '[data-loading.annotations] metadata.annotations["data.harbormaster.io/read-only"]: "yes" must be "true" or "false"',
    ],
    [
      'credentials without a source',
      { 'data.harbormaster.io/credentials': 's3-creds' },
      '[data-loading.annotations] metadata.annotations["data.harbormaster.io/credentials"] needs data.harbormaster.io/source (s3://<bucket>/<prefix> or gs://<bucket>/<prefix>)',
    ],
  ];
  for (const [name, annotations, message] of bad) {
    it(`denies ${name}`, () => assert.deepEqual(denials(validate(annotations)), [message]));
  }

  it('allows http endpoints on the allow-list only when the policy file says so', () => {
    const cfg: PolicyConfig = { ...config, dataLoading: { endpoints: ['127.0.0.1'], allowHttpEndpoints: true } };
    const a = { 'data.harbormaster.io/source': 's3://bucket/x', 'data.harbormaster.io/endpoint': 'http://127.0.0.1:9000' };
    assert.deepEqual(validate(a, { cfg }).denials, []);
    assert.equal(validate({ ...a, 'data.harbormaster.io/endpoint': 'http://127.0.0.2:9000' }, { cfg }).allowed, false);
  });

  it('refuses on UPDATE what it refuses on CREATE: an unchanged PVC gaining a bad source or a foreign Secret', () => {
    const old = { 'data.harbormaster.io/source': 's3://bucket/x' };
    assert.deepEqual(validate(old, { old }).denials, []);
    assert.deepEqual(denials(validate({ ...old, 'data.harbormaster.io/credentials': 'team-b/theirs' }, { old })).length, 1);
    assert.match(denials(validate({ 'data.harbormaster.io/source': 's3://bucket/../../etc' }, { old }))[0] ?? '', /^\[data-loading\.source\]/);
  });

  it('answers the largest object the API server takes (a 250 KiB source) at once, quoting 80 characters', () => {
    const huge = 's3://bucket/' + 'a/'.repeat(125 * 1024);
    const started = process.hrtime.bigint();
    const d = validate({ 'data.harbormaster.io/source': huge, 'data.harbormaster.io/credentials': 'x'.repeat(250 * 1024) });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 200, `${ms} ms`);
    assert.deepEqual(
      d.denials.map((x) => x.rule),
      ['data-loading.source'],
    );
    assert.ok((d.denials[0]?.message.length ?? 0) < 300);
  });
});

// --- Pods -------------------------------------------------------------------

const dataPvc = pvc('data', { 'data.harbormaster.io/source': 's3://bucket/train', 'data.harbormaster.io/credentials': 's3-creds' }, 'False');
const roPvc = pvc('ro', { 'data.harbormaster.io/source': 's3://bucket/train', 'data.harbormaster.io/read-only': 'true' }, 'True');
const plainPvc = pvc('scratch', {});
const podState = [...state, dataPvc, roPvc, plainPvc];

function trainer(claims: string[], extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'trainer', namespace: 'ml' },
    spec: {
      containers: [{ name: 'train', image: 'trainer:1', volumeMounts: claims.map((c) => ({ name: c, mountPath: `/mnt/${c}` })) }],
      volumes: claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })),
      ...extra,
    },
  };
}

function mutate(pod: KubeObject, username = 'tenant', objects: KubeObject[] = podState) {
  return evaluate({ policy: dataLoadingMutate, request: admissionRequest(pod, { namespace: 'ml', username }), cluster: storeFromObjects(objects), config });
}

function loaderPod(pvcObj: KubeObject): KubeObject {
  const t = loaderPodTemplate({
    pvc: pvcObj.metadata?.name ?? '',
    annotations: pvcObj.metadata?.annotations as Record<string, string>,
    image: 'harbormaster/harbormaster:0.1.0',
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...(t.metadata as object), name: 'hm-load-data-x', namespace: 'ml' },
    spec: t.spec,
  };
}

describe('data-loading: Pods wait for their data', () => {
  it('gates a Pod that mounts a PVC still loading, labelled for the controller', () => {
    const d = mutate(trainer(['data', 'scratch']));
    assert.deepEqual(byPath(d.patch), [
      { op: 'add', path: '/metadata/labels', value: { 'data.harbormaster.io/waiting': 'true' }, rule: 'data-loading.gate' },
      { op: 'add', path: '/spec/schedulingGates', value: [{ name: 'data.harbormaster.io/loading' }], rule: 'data-loading.gate' },
    ]);
  });
  it('leaves a Pod alone whose PVCs are loaded or not data PVCs', () => {
    assert.deepEqual(mutate(trainer(['scratch'])).patch, []);
    const loaded = { ...dataPvc, status: { conditions: [{ type: 'DataLoaded', status: 'True' }] } };
    assert.deepEqual(mutate(trainer(['data']), 'tenant', [...state, loaded]).patch, []);
  });
  it('a PVC whose load failed still holds its Pods', () => {
    const failed = { ...dataPvc, status: { conditions: [{ type: 'DataLoaded', status: 'False', reason: 'Failed' }] } };
    assert.equal(mutate(trainer(['data']), 'tenant', [...state, failed]).patch.length, 2);
  });
  it("excepts the PVC's own loader Pod, created by the Job controller", () => {
    assert.deepEqual(mutate(loaderPod(dataPvc), JOB_CONTROLLER_USER).patch, []);
  });
  it('gates a tenant faking the loader: another user, extra env, a hook, a second container on the volume, another image, other args', () => {
    const fake = loaderPod(dataPvc);
    assert.equal(mutate(fake, 'tenant').patch.length, 2, 'created by a tenant, not the Job controller');
    const tweak = (f: (c: Record<string, unknown>, spec: Record<string, unknown>) => void): KubeObject => {
      const p = structuredClone(fake);
      const spec = p.spec as Record<string, unknown>;
      f((spec.containers as Array<Record<string, unknown>>)[0] ?? {}, spec);
      return p;
    };
    const variants = [
      tweak((c) => (c.env = [{ name: 'NODE_OPTIONS', value: '--require /data/x.js' }])),
      tweak((c) => (c.lifecycle = { postStart: { exec: { command: ['sh', '-c', 'id'] } } })),
      tweak((c) => (c.image = 'evil/harbormaster:0.1.0')),
      tweak((c) => (c.command = ['sh', '-c', 'exit 0'])),
      tweak(
        (c) => (c.args = ['load', '--source', 's3://other/x', '--target', '/data', '--credentials-dir', '/var/run/secrets/harbormaster.io/data-credentials']),
      ),
      tweak((_c, spec) => (spec.containers as unknown[]).push({ name: 'sh', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/d' }] })),
      tweak((_c, spec) => (spec.initContainers = [{ name: 'pre', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/d' }] }])),
    ];
    for (const [i, v] of variants.entries()) assert.equal(mutate(v, JOB_CONTROLLER_USER).patch.length, 2, `variant ${i}`);
  });
  it('denies a Pod with spec.nodeName, which could not wait', () => {
    assert.deepEqual(denials(mutate(trainer(['data'], { nodeName: 'node-1' }))), [
      '[data-loading.gate] spec.nodeName skips scheduling, so the Pod cannot wait for the data of PVC data; remove nodeName, or create the Pod once DataLoaded is True',
    ]);
  });
  it('adds nothing twice on re-invocation', () => {
    const once = mutate(trainer(['data'])).mutated as KubeObject;
    assert.deepEqual(mutate(once).patch, []);
  });
  it('mounts a read-only data PVC read-only in every container, and its volume', () => {
    const pod = trainer(['ro']);
    (pod.spec as { initContainers?: unknown[] }).initContainers = [
      { name: 'check', image: 'x', volumeMounts: [{ name: 'ro', mountPath: '/in', readOnly: false }] },
    ];
    assert.deepEqual(byPath(mutate(pod).patch), [
      { op: 'add', path: '/spec/containers/0/volumeMounts/0/readOnly', value: true, rule: 'data-loading.read-only' },
      { op: 'replace', path: '/spec/initContainers/0/volumeMounts/0/readOnly', value: true, rule: 'data-loading.read-only' },
      { op: 'add', path: '/spec/volumes/0/persistentVolumeClaim/readOnly', value: true, rule: 'data-loading.read-only' },
    ]);
  });
  it("leaves the read-only PVC's loader Pod writable", () => {
    const roLoading = { ...roPvc, status: { conditions: [{ type: 'DataLoaded', status: 'False' }] } };
    assert.deepEqual(mutate(loaderPod(roLoading), JOB_CONTROLLER_USER, [...state, roLoading]).patch, []);
  });
});

describe('data-loading: review shows the gate and read-only mutations offline', () => {
  const tmp = tempDir('hm-review-data-');
  after(() => tmp.cleanup());
  it('review --state with the PVCs prints both rule ids and their patches', async () => {
    const stateDir = join(tmp.dir, 'state');
    mkdirSync(stateDir);
    writeFileSync(join(stateDir, 'pvcs.yaml'), [dataPvc, roPvc].map((o) => stringify(o)).join('---\n'));
    const podFile = join(tmp.dir, 'pod.yaml');
    writeFileSync(podFile, stringify(trainer(['data', 'ro'])));
    let out = '';
    const code = await main(['node', 'harbormaster', 'review', '-f', podFile, '--namespace', 'ml', '--state', stateDir, '--output', 'json'], {
      out: (t) => (out += t),
      err: (t) => (out += t),
    });
    assert.equal(code, 0, out);
    const doc = JSON.parse(out) as { results: Array<{ patch: Array<{ path: string; rule: string }> }> };
    const ops = (doc.results[0]?.patch ?? []).filter((p) => p.rule.startsWith('data-loading.')).map((p) => `${p.rule} ${p.path}`);
    assert.deepEqual(ops.sort(), [
      'data-loading.gate /metadata/labels',
      'data-loading.gate /spec/schedulingGates',
      'data-loading.read-only /spec/containers/0/volumeMounts/1/readOnly',
      'data-loading.read-only /spec/volumes/1/persistentVolumeClaim/readOnly',
    ]);
  });
});
