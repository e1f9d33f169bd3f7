/**
 * Authenticated callers (`serve --client-ca`) against the real API server:
 * the dev environment runs the server with the control plane's webhook
 * client CA, and kube-apiserver presents its certificate through the
 * AdmissionConfiguration. Admission still works through kubectl; a direct
 * caller (what a tenant Pod reaching :8443 would be) is refused.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import type { E2E } from './env.js';

interface Reply {
  status: number;
  body: string;
}

/** One HTTPS request straight to the webhook server, trusting its serving CA, on a fresh connection. */
function direct(e: E2E, method: 'GET' | 'POST', path: string, client?: { cert: string; key: string }): Promise<Reply> {
  const ca = readFileSync(join(e.env.certDir, 'ca.crt'), 'utf8');
  const body = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'direct',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      operation: 'CREATE',
      namespace: 'mtls-a',
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'probe', annotations: { 'credentials.harbormaster.io/inject': 'someone-elses-secret' } },
        spec: { containers: [{ name: 'a', image: 'a' }] },
      },
    },
  });
  return new Promise((resolve, reject) => {
    const r = request(
      `https://127.0.0.1:${e.env.server.port}${path}`,
      { method, ca, agent: false, headers: { 'content-type': 'application/json' }, ...(client ?? {}) },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    r.on('error', reject);
    r.end(method === 'POST' ? body : undefined);
  });
}

/** The client certificate of one of the control plane's kubeconfigs. */
function kubeconfigCredentials(path: string): { cert: string; key: string } {
  const kc = parse(readFileSync(path, 'utf8')) as { users: Array<{ user: Record<string, string> }> };
  const user = kc.users[0]?.user ?? {};
  const pem = (k: string): string => Buffer.from(user[k] ?? '', 'base64').toString('utf8');
  return { cert: pem('client-certificate-data'), key: pem('client-key-data') };
}

export function clientAuthCases(get: () => E2E): void {
  describe('authenticated callers (mTLS on the webhook port)', () => {
    it('kubectl apply still goes through both webhooks: the API server presents its client certificate', async () => {
      const e = get();
      const ns = await e.namespace('mtls-a', { 'harbormaster.io/quota-profile': 'small', 'harbormaster.io/allow-best-effort': 'true' });
      const pod = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n';
      const mutated = await e.k(['apply', '-n', ns, '-f', '-'], { input: pod });
      assert.equal(mutated.code, 0, mutated.stderr);
      assert.match(mutated.stderr, /Warning: \[resource-defaults\.container-defaults\]/);
      const got = await e.json<{ spec: { containers: Array<{ resources?: { limits?: Record<string, string> } }> } }>(['get', 'pod', 'web', '-n', ns]);
      assert.equal(got.spec.containers[0]?.resources?.limits?.cpu, '200m', 'mutating webhook answered');
      const denied = await e.k(['apply', '-n', ns, '-f', '-'], {
        input: pod.replace('name: web', 'name: huge').replace('image: nginx:1.27', 'image: nginx:1.27\n      resources: { limits: { cpu: "3" } }'),
      });
      assert.notEqual(denied.code, 0);
      assert.match(
        denied.stderr,
        /admission webhook "resource-defaults\.validate\.harbormaster\.io" denied the request: \[resource-defaults\.container-limits\]/,
        'validating webhook answered',
      );
    });

    it('a direct caller without a client certificate is refused on /mutate/cloud-credentials; /healthz and /readyz answer', async () => {
      const e = get();
      const refused = await direct(e, 'POST', '/mutate/cloud-credentials');
      assert.equal(refused.status, 401, refused.body);
      assert.deepEqual(JSON.parse(refused.body), { error: 'client certificate required' });
      assert.equal((await direct(e, 'POST', '/validate/cloud-credentials')).status, 401);
      for (const path of ['/healthz', '/readyz']) {
        const probe = await direct(e, 'GET', path);
        assert.equal(probe.status, 200, `${path}: ${probe.body}`);
      }
    });

    it("a certificate the API server itself trusts (a tenant's) is not enough: only the webhook client CA counts", async () => {
      const e = get();
      const tenant = kubeconfigCredentials(e.env.controlPlane.kubeconfigs.tenant);
      const r = await direct(e, 'POST', '/mutate/cloud-credentials', tenant);
      assert.equal(r.status, 403, r.body);
      assert.match(JSON.parse(r.body).error, /^client certificate not trusted/);
    });
  });
}
