/**
 * The in-cluster certificate manager against the real API server, with the
 * server's own (least-privilege) identity. Runs last: it rewrites the caBundle
 * of the `harbormaster` webhook configurations.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { CertManager } from '../../src/certs/manager.js';
import { silentLogger } from '../../src/observability/log.js';
import type { E2E } from './env.js';

const DAY = 24 * 3600 * 1000;

export function certCases(get: () => E2E): void {
  describe('certificate manager (SPEC 4)', () => {
    let clock = new Date();
    let writes: string[] = [];
    const manager = (e: E2E) => {
      const kc = new KubeConfig();
      kc.loadFromFile(e.env.controlPlane.kubeconfigs.harbormaster);
      return new CertManager({
        kubeconfig: kc,
        namespace: 'harbormaster-system',
        service: 'harbormaster',
        secretName: 'harbormaster-tls',
        webhookConfigName: 'harbormaster',
        logger: silentLogger(),
        now: () => clock,
        onWrite: (w) => writes.push(w),
      });
    };
    const secret = async (e: E2E) => {
      const s = await e.json<{ data: Record<string, string> }>(['get', 'secret', 'harbormaster-tls', '-n', 'harbormaster-system']);
      const pem = (k: string) => Buffer.from(s.data[k] ?? '', 'base64').toString();
      return { cert: new X509Certificate(pem('tls.crt')), ca: new X509Certificate(pem('ca.crt')) };
    };
    const bundles = async (e: E2E) => {
      const out: string[][] = [];
      for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
        const cfg = await e.json<{ webhooks: Array<{ clientConfig: { caBundle: string } }> }>(['get', kind, 'harbormaster']);
        for (const w of cfg.webhooks) {
          const pem = Buffer.from(w.clientConfig.caBundle, 'base64').toString();
          out.push((pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => new X509Certificate(b).fingerprint256));
        }
      }
      return out;
    };

    it('creates harbormaster-tls with the Service SANs and puts its CA into every caBundle', async () => {
      const e = get();
      writes = [];
      await manager(e).reconcile();
      const { cert, ca } = await secret(e);
      assert.ok(cert.verify(ca.publicKey));
      for (const n of [
        'harbormaster',
        'harbormaster.harbormaster-system',
        'harbormaster.harbormaster-system.svc',
        'harbormaster.harbormaster-system.svc.cluster.local',
      ])
        assert.ok(cert.subjectAltName?.includes(`DNS:${n}`));
      for (const b of await bundles(e)) assert.deepEqual(b, [ca.fingerprint256]);
      // caBundle before the Secret: no replica presents a certificate the API server does not trust yet.
      assert.deepEqual(writes, ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations', 'secret']);
    });

    it('writes nothing when all is current', async () => {
      writes = [];
      await manager(get()).reconcile();
      assert.deepEqual(writes, []);
    });

    it('renews the serving certificate under the same CA before 30 days remain', async () => {
      const e = get();
      const before = await secret(e);
      clock = new Date(Date.parse(before.cert.validTo) - 29 * DAY);
      writes = [];
      await manager(e).reconcile();
      const after = await secret(e);
      assert.notEqual(after.cert.fingerprint256, before.cert.fingerprint256);
      assert.equal(after.ca.fingerprint256, before.ca.fingerprint256);
      assert.deepEqual(writes, ['secret'], 'caBundle unchanged');
    });

    it('rotates the CA near its expiry, with old and new CA in caBundle during the overlap', async () => {
      const e = get();
      const before = await secret(e);
      clock = new Date(Date.parse(before.ca.validTo) - 10 * DAY);
      await manager(e).reconcile();
      const after = await secret(e);
      assert.notEqual(after.ca.fingerprint256, before.ca.fingerprint256);
      for (const b of await bundles(e)) assert.deepEqual(b, [after.ca.fingerprint256, before.ca.fingerprint256]);
      // The next check keeps the old CA (Secret key ca-previous.crt) until it expires, not until the next hour.
      clock = new Date(Date.parse(before.ca.validTo) - 9 * DAY);
      await manager(e).reconcile();
      for (const b of await bundles(e)) assert.deepEqual(b, [after.ca.fingerprint256, before.ca.fingerprint256]);
    });
  });
}
