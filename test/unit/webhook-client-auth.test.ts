/**
 * The dev control plane's webhook client credentials: the files kube-apiserver
 * reads (AdmissionConfiguration → kubeconfig with a `*` user) and the CA the
 * webhook server is given, checked without starting a control plane.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { readClientCa } from '../../src/certs/client-ca.js';
import { writeWebhookClientAuth } from '../../src/dev/webhook-client-auth.js';
import { tempDir } from '../support/tls.js';

describe('dev webhook client authentication files', () => {
  it('an AdmissionConfiguration for both webhook plugins, a `*` user presenting a certificate the CA signed', () => {
    const tmp = tempDir('hm-webhook-client-');
    try {
      const files = writeWebhookClientAuth({ dir: tmp.dir, now: new Date() });
      const config = parse(readFileSync(files.admissionConfigFile, 'utf8'));
      assert.equal(config.apiVersion, 'apiserver.config.k8s.io/v1');
      assert.equal(config.kind, 'AdmissionConfiguration');
      assert.deepEqual(
        config.plugins.map((p: { name: string }) => p.name),
        ['ValidatingAdmissionWebhook', 'MutatingAdmissionWebhook'],
      );
      for (const p of config.plugins) {
        assert.deepEqual(p.configuration, {
          apiVersion: 'apiserver.config.k8s.io/v1',
          kind: 'WebhookAdmissionConfiguration',
          kubeConfigFile: files.kubeconfigFile,
        });
      }
      const kubeconfig = parse(readFileSync(files.kubeconfigFile, 'utf8'));
      assert.equal(kubeconfig.users.length, 1);
      assert.equal(kubeconfig.users[0].name, '*');
      assert.equal(statSync(files.kubeconfigFile).mode & 0o077, 0, 'the kubeconfig holds a private key: owner only');
      const client = new X509Certificate(Buffer.from(kubeconfig.users[0].user['client-certificate-data'], 'base64'));
      const ca = new X509Certificate(readClientCa(files.caFile));
      assert.ok(client.checkIssued(ca) && client.verify(ca.publicKey), 'client certificate signed by the webhook client CA');
      assert.match(client.keyUsage?.join(',') ?? '', /1\.3\.6\.1\.5\.5\.7\.3\.2/, 'extended key usage clientAuth');
    } finally {
      tmp.cleanup();
    }
  });
});
