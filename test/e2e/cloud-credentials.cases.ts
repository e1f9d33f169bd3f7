/** Issue 5: cloud credentials end to end through kubectl. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import type { E2E } from './env.js';
import { waitFor } from './env.js';
import { gcpKey, gcpSecret, rsaPem } from '../support/credentials.js';

type Container = { name: string; env?: Array<{ name: string; value?: string }>; volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }> };
type Pod = { spec: { containers: Container[]; volumes?: Array<{ name: string; secret?: { secretName: string } }> } };

export function cloudCredentialsCases(get: () => E2E): void {
  describe('cloud-credentials', () => {
    it("a valid gcp-credential Secret + annotated ServiceAccount: the Deployment's Pods carry volume, mount and env", async () => {
      const e = get();
      const ns = await e.namespace('cc-ml');
      await e.ok(['apply', '-n', ns, '-f', '-'], { input: stringify(gcpSecret('trainer-gcp', gcpKey({}, rsaPem()))) });
      await e.ok(['create', 'serviceaccount', 'trainer', '-n', ns]);
      await e.ok(['annotate', 'serviceaccount', 'trainer', '-n', ns, 'credentials.harbormaster.io/secret=trainer-gcp']);
      await waitFor(
        'the webhook cache sees the Secret and the annotation',
        async () =>
          e.env.server.store.getSecret(ns, 'trainer-gcp') &&
          e.env.server.store.getServiceAccount(ns, 'trainer')?.annotations['credentials.harbormaster.io/secret'] === 'trainer-gcp',
        5000,
      );
      await e.ok(['create', 'deployment', 'train', '--image=python:3.12', '-n', ns]);
      await e.ok(['set', 'serviceaccount', 'deployment/train', 'trainer', '-n', ns]);
      const pod = await waitFor(
        'a pod of the new ReplicaSet',
        async () => {
          const l = await e.json<{ items: Array<Pod & { spec: { serviceAccountName?: string } }> }>(['get', 'pods', '-n', ns, '-l', 'app=train']);
          return l.items.find((p) => p.spec.serviceAccountName === 'trainer');
        },
        60_000,
      );
      assert.deepEqual(pod.spec.volumes?.find((v) => v.name === 'hm-gcp-trainer-gcp')?.secret?.secretName, 'trainer-gcp');
      const c = pod.spec.containers[0];
      assert.deepEqual(
        c?.volumeMounts?.find((m) => m.name === 'hm-gcp-trainer-gcp'),
        { name: 'hm-gcp-trainer-gcp', mountPath: '/var/run/secrets/harbormaster.io/gcp/trainer-gcp', readOnly: true },
      );
      assert.deepEqual(
        c?.env?.find((v) => v.name === 'GOOGLE_APPLICATION_CREDENTIALS'),
        { name: 'GOOGLE_APPLICATION_CREDENTIALS', value: '/var/run/secrets/harbormaster.io/gcp/trainer-gcp/key.json' },
      );
    });

    it('an invalid Secret is refused by kubectl apply with the field-level message', async () => {
      const e = get();
      const bad = gcpSecret('broken', gcpKey({ private_key: 'not a key', token_uri: 'http://insecure.example/token' }));
      const r = await e.k(['apply', '-n', 'cc-ml', '-f', '-'], { input: stringify(bad) });
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        /\[cloud-credentials\.gcp-key\] data\["key\.json"\]\.private_key does not parse as a PEM private key; \[cloud-credentials\.gcp-key\] data\["key\.json"\]\.token_uri must be an https:\/\/ URL/,
      );
      const aws = await e.k([
        'create',
        'secret',
        'generic',
        'aws',
        '--type=aws-credential',
        '--from-literal=aws_access_key_id=ASIA0123456789ABCDEF',
        '--from-literal=aws_secret_access_key=abc',
        '-n',
        'cc-ml',
      ]);
      assert.match(aws.stderr, /\[cloud-credentials\.aws-key\] data\["aws_session_token"\] is required for temporary credentials/);
    });

    it('a Pod referencing a Secret from another namespace is refused', async () => {
      const e = get();
      const pod = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: thief\n  annotations:\n    credentials.harbormaster.io/inject: cc-ml/trainer-gcp\nspec:\n  containers:\n    - name: app\n      image: busybox\n`;
      const other = await e.namespace('cc-other');
      const r = await e.k(['apply', '-n', other, '-f', '-'], { input: pod });
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        /\[cloud-credentials\.reference\] metadata\.annotations\["credentials\.harbormaster\.io\/inject"\] references Secret "cc-ml\/trainer-gcp" in another namespace/,
      );
    });
  });
}
