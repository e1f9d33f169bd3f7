/**
 * Issue 17 on the real control plane: an annotated PVC gets its loader Job
 * (owned by the PVC, restricted Pod Security, the Secret mounted); a Pod
 * mounting it waits behind the scheduling gate, read-only. No kubelet runs
 * the Job here, so the test runs `harbormaster load` itself with the Job's
 * own arguments against the volume's host path and hm-s3 (kwok reports the
 * loader Pod Succeeded, as a kubelet would when it exits 0); the controller
 * turns DataLoaded True and lifts the gate, and kube-scheduler places the Pod
 * on a simulated node. A changed source starts a new Job; deleting the PVC
 * deletes it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, loadCommand, startS3, type S3Fixture } from '../support/object-stores.js';
import type { E2E } from './env.js';
import { waitFor } from './env.js';

const NS = 'data-e2e';
interface Job {
  metadata: {
    name: string;
    uid: string;
    ownerReferences?: Array<{ kind: string; name: string; uid: string; controller?: boolean }>;
    deletionTimestamp?: string;
  };
  spec: {
    template: {
      spec: {
        securityContext: Record<string, unknown>;
        automountServiceAccountToken?: boolean;
        volumes: Array<Record<string, unknown>>;
        containers: Array<{ image: string; command?: string[]; args: string[]; securityContext: Record<string, unknown> }>;
      };
    };
  };
}
interface Pvc {
  metadata: { uid: string };
  spec: { volumeName?: string };
  status: { phase?: string; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}
interface Pod {
  metadata: { labels?: Record<string, string> };
  spec: {
    nodeName?: string;
    schedulingGates?: Array<{ name: string }>;
    volumes: Array<{ persistentVolumeClaim?: { readOnly?: boolean } }>;
    containers: Array<{ volumeMounts: Array<{ readOnly?: boolean }> }>;
  };
}

const pvcYaml = (port: string, prefix: string): string => `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: train-data
  annotations:
    data.harbormaster.io/source: s3://datasets/${prefix}
    data.harbormaster.io/credentials: s3-creds
    data.harbormaster.io/endpoint: https://127.0.0.1:${port}
    data.harbormaster.io/read-only: "true"
spec:
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: 1Gi } }
`;

const trainer = `apiVersion: v1
kind: Pod
metadata: { name: trainer }
spec:
  nodeSelector: { kubernetes.io/os: linux }
  containers:
    - name: train
      image: busybox:1.37
      resources: { requests: { cpu: 50m, memory: 64Mi }, limits: { cpu: 100m, memory: 128Mi } }
      volumeMounts: [{ name: data, mountPath: /data }]
  volumes: [{ name: data, persistentVolumeClaim: { claimName: train-data } }]
`;

export function dataLoadingCases(get: () => E2E): void {
  describe('data loading into PVCs', () => {
    let s3: S3Fixture;
    let port = '';
    let original = '';
    let creds = '';
    before(async () => {
      ensureBuilt();
      const e = get();
      s3 = await startS3({ buckets: ['datasets'], public: [] });
      port = new URL(s3.url).port;
      await s3.put('datasets', 'v1/images/0001.bin', Buffer.alloc(4096, 1));
      await s3.put('datasets', 'v1/labels.csv', 'id,label\n1,cat\n');
      await s3.put('datasets', 'v2/labels.csv', 'id,label\n1,dog\n');
      await e.namespace(NS);
      await e.ok(
        [
          'create',
          'secret',
          'generic',
          's3-creds',
          '-n',
          NS,
          '--type=aws-credential',
          `--from-literal=aws_access_key_id=${s3.accessKeyId}`,
          `--from-literal=aws_secret_access_key=${s3.secretAccessKey}`,
        ],
        {
          as: 'tenant',
        },
      );
      // The Secret as the kubelet would mount it into the loader: one file per key.
      creds = mkdtempSync(join(tmpdir(), 'hm-e2e-creds-'));
      writeFileSync(join(creds, 'aws_access_key_id'), s3.accessKeyId);
      writeFileSync(join(creds, 'aws_secret_access_key'), s3.secretAccessKey);
      original = readFileSync(e.policyFile, 'utf8');
    });
    after(async () => {
      writeFileSync(get().policyFile, original);
      rmSync(creds, { recursive: true, force: true });
      await s3.stop();
    });

    it('an endpoint off the allow-list is refused with the rule id; allowed once the policy file lists it', async () => {
      const e = get();
      const denied = await e.k(['apply', '--dry-run=server', '-n', NS, '-f', '-'], { as: 'tenant', input: pvcYaml(port, 'v1') });
      assert.notEqual(denied.code, 0);
      assert.match(
        denied.stderr,
        /\[data-loading\.endpoint\] metadata\.annotations\["data\.harbormaster\.io\/endpoint"\]: "https:\/\/127\.0\.0\.1:\d+" is not allowed: the policy file lists no endpoints/,
      );
      writeFileSync(e.policyFile, original.replace(/\n {2}endpoints: \[\]\n/, '\n  endpoints: ["127.0.0.1"]\n'));
      await waitFor(
        'the reloaded policy allows 127.0.0.1',
        async () => (await e.k(['apply', '--dry-run=server', '-n', NS, '-f', '-'], { as: 'tenant', input: pvcYaml(port, 'v1') })).code === 0,
        15_000,
      );
    });

    it('PVC → loader Job → load → DataLoaded True → gate lifted → the Pod is scheduled; a new source is a new Job; deleting the PVC deletes it', async (t) => {
      const e = get();
      const t0 = Date.now();
      await e.ok(['apply', '-n', NS, '-f', '-'], { as: 'tenant', input: `${pvcYaml(port, 'v1')}---\n${trainer}` });
      const pod = await e.json<Pod>(['get', 'pod', 'trainer', '-n', NS]);
      assert.deepEqual(pod.spec.schedulingGates, [{ name: 'data.harbormaster.io/loading' }]);
      assert.equal(pod.metadata.labels?.['data.harbormaster.io/waiting'], 'true');
      assert.equal(pod.spec.volumes[0]?.persistentVolumeClaim?.readOnly, true);
      assert.equal(pod.spec.containers[0]?.volumeMounts[0]?.readOnly, true);

      const pvc = await e.json<Pvc>(['get', 'pvc', 'train-data', '-n', NS]);
      const jobs = async (): Promise<Job[]> =>
        (await e.json<{ items: Job[] }>(['get', 'jobs', '-n', NS, '-l', 'data.harbormaster.io/loader=train-data'])).items.filter(
          (j) => !j.metadata.deletionTimestamp,
        );
      const job = await waitFor('the loader Job', async () => (await jobs())[0], 20_000);
      t.diagnostic(`jobCreated: ${Date.now() - t0} ms`);
      assert.deepEqual(
        job.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]),
        [['PersistentVolumeClaim', 'train-data', pvc.metadata.uid, true]],
      );
      const podSpec = job.spec.template.spec;
      const c = podSpec.containers[0];
      assert.equal(c?.image, 'harbormaster/harbormaster:0.1.0');
      assert.equal(c?.command, undefined, "the image's entrypoint (Containerfile) is harbormaster");
      assert.deepEqual(c?.args, [
        'load',
        '--source',
        's3://datasets/v1',
        '--target',
        '/data',
        '--endpoint',
        `https://127.0.0.1:${port}`,
        '--credentials-dir',
        '/var/run/secrets/harbormaster.io/data-credentials',
      ]);
      assert.equal(podSpec.automountServiceAccountToken, false);
      assert.equal(podSpec.securityContext.runAsNonRoot, true);
      assert.deepEqual(c?.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      assert.ok(podSpec.volumes.some((v) => JSON.stringify(v.secret ?? {}).includes('"secretName":"s3-creds"')));

      // The loader Pod is not held by the gate: it is the PVC's first consumer, so the claim binds.
      const bound = await waitFor(
        'claim bound by the loader Pod',
        async () => {
          const p = await e.json<Pvc>(['get', 'pvc', 'train-data', '-n', NS]);
          return p.status.phase === 'Bound' && p.spec.volumeName ? p : undefined;
        },
        30_000,
      );
      const pv = await e.json<{ spec: { hostPath?: { path: string } } }>(['get', 'pv', bound.spec.volumeName ?? '']);
      const hostDir = pv.spec.hostPath?.path ?? '';
      // What the Job's container runs, with the volume's host path for /data and the Secret's files.
      const args = (c?.args ?? []).slice(1).map((a) => (a === '/data' ? hostDir : a === '/var/run/secrets/harbormaster.io/data-credentials' ? creds : a));
      const cmd = loadCommand(args, s3.caFile);
      const run = spawnSync(cmd.cmd, cmd.argv, { env: cmd.env, encoding: 'utf8', timeout: 60_000 });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /^done: 2 copied/m);
      assert.equal(readFileSync(join(hostDir, 'labels.csv'), 'utf8'), 'id,label\n1,cat\n');
      assert.equal(readFileSync(join(hostDir, 'images', '0001.bin')).length, 4096);

      const loaded = await waitFor(
        'DataLoaded True',
        async () => {
          const p = await e.json<Pvc>(['get', 'pvc', 'train-data', '-n', NS]);
          const cond = p.status.conditions?.find((x) => x.type === 'DataLoaded');
          return cond?.status === 'True' ? cond : undefined;
        },
        30_000,
      );
      assert.equal(loaded.reason, 'Loaded');
      assert.equal(loaded.message, `s3://datasets/v1 loaded by Job ${job.metadata.name}`);
      const scheduled = await waitFor(
        'trainer ungated and scheduled',
        async () => {
          const p = await e.json<Pod>(['get', 'pod', 'trainer', '-n', NS]);
          return !p.spec.schedulingGates?.length && p.spec.nodeName ? p : undefined;
        },
        30_000,
      );
      assert.ok(e.env.controlPlane.nodes.includes(scheduled.spec.nodeName ?? ''), `${scheduled.spec.nodeName} is a simulated node`);
      assert.equal(scheduled.metadata.labels?.['data.harbormaster.io/waiting'], undefined);
      t.diagnostic(`podScheduled: ${Date.now() - t0} ms`);

      // A new source: the old Job goes, a new one loads.
      await e.ok(['annotate', 'pvc', 'train-data', '-n', NS, 'data.harbormaster.io/source=s3://datasets/v2', '--overwrite'], { as: 'tenant' });
      const second = await waitFor(
        'a new Job for the new source',
        async () => {
          const list = await jobs();
          return list.length === 1 && list[0]?.metadata.name !== job.metadata.name ? list[0] : undefined;
        },
        30_000,
      );
      assert.ok(second.spec.template.spec.containers[0]?.args.includes('s3://datasets/v2'));
      await waitFor(
        'DataLoaded True for v2',
        async () => {
          const p = await e.json<Pvc>(['get', 'pvc', 'train-data', '-n', NS]);
          return p.status.conditions?.find((x) => x.type === 'DataLoaded' && x.status === 'True')?.message?.includes('v2') === true;
        },
        30_000,
      );

      await e.ok(['delete', 'pod', 'trainer', '-n', NS, '--wait=true', '--timeout=30s']);
      await e.ok(['delete', 'pvc', 'train-data', '-n', NS, '--wait=false']);
      await waitFor('the loader Job deleted with its PVC', async () => (await jobs()).length === 0, 30_000);
      await waitFor('the PVC gone', async () => (await e.k(['get', 'pvc', 'train-data', '-n', NS])).code !== 0, 30_000).catch(async (err: Error) => {
        t.diagnostic(
          (await e.k(['get', 'pvc,pods,jobs', '-n', NS, '-o', 'yaml'])).stdout
            .replace(/\n\s+(managedFields|last-applied)[\s\S]*?\n(?=\s{4}\w)/g, '\n')
            .slice(0, 9000),
        );
        throw err;
      });
      assert.deepEqual((await e.json<{ items: unknown[] }>(['get', 'pods', '-n', NS])).items, [], 'no loader Pod left behind');
    });
  });
}
