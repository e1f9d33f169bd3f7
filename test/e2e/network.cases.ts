/** Issue 6: loadbalancer and ingress policies through kubectl. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { E2E } from './env.js';
import { waitFor } from './env.js';

const ingress = (name: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
spec:
  ingressClassName: harbormaster
  rules:
    - host: shop.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service: { name: web, port: { number: 80 } }
`;

export function networkCases(get: () => E2E): void {
  describe('loadbalancer and ingress', () => {
    it('two namespaces racing for one host: the second is refused naming the first', async () => {
      const e = get();
      const a = await e.namespace('net-a');
      const b = await e.namespace('net-b');
      const [first, second] = await Promise.all([
        e.k(['apply', '-n', a, '-f', '-'], { input: ingress('shop') }),
        // The second starts once the first is admitted and in the webhook's cache.
        (async () => {
          await waitFor('first Ingress cached', async () => e.env.server.store.listIngresses().some((i) => i.namespace === a), 10_000);
          return e.k(['apply', '-n', b, '-f', '-'], { input: ingress('shop-copy') });
        })(),
      ]);
      assert.equal(first.code, 0, first.stderr);
      assert.notEqual(second.code, 0);
      assert.match(second.stderr, /\[ingress\.host-unique\] spec\.rules\[0\]\.host "shop\.example\.com" is already served by Ingress net-a\/shop/);
      // The owner may still update its own Ingress.
      const again = await e.k(['apply', '-n', a, '-f', '-'], { input: ingress('shop').replace('name: web', 'name: web2') });
      assert.equal(again.code, 0, again.stderr);
    });

    it('a Service with a typo\'d lb.harbormaster.io/algoritm is refused with "did you mean"', async () => {
      const e = get();
      const svc = `apiVersion: v1\nkind: Service\nmetadata:\n  name: lb\n  annotations:\n    lb.harbormaster.io/algoritm: round-robin\nspec:\n  type: LoadBalancer\n  selector: { app: web }\n  ports: [{ port: 443, protocol: TCP }]\n`;
      const r = await e.k(['apply', '-n', 'net-a', '-f', '-'], { input: svc });
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        /\[loadbalancer\.known-keys\] metadata\.annotations\["lb\.harbormaster\.io\/algoritm"\] is not a known key; did you mean `algorithm`\?/,
      );
      const fixed = await e.k(['apply', '-n', 'net-a', '-f', '-'], { input: svc.replace('algoritm', 'algorithm') });
      assert.equal(fixed.code, 0, fixed.stderr);
    });

    it('a conflict that got past admission (as in a race between two replicas) is reported on the younger Ingress', async () => {
      const e = get();
      // Simulate the race: take the validating webhooks away, create two conflicting Ingresses, put them back.
      await e.ok(['delete', 'validatingwebhookconfiguration', 'harbormaster']);
      try {
        await e.ok(['apply', '-n', 'net-b', '-f', '-'], { input: ingress('late').replace('shop.example.com', 'race.example.com') });
        await new Promise((r) => setTimeout(r, 1100)); // creationTimestamp has 1 s resolution
        await e.ok(['apply', '-n', 'net-a', '-f', '-'], { input: ingress('later').replace('shop.example.com', 'race.example.com') });
      } finally {
        await e.ok(['apply', '-f', e.env.webhooksFile]);
      }
      const ev = await waitFor(
        'HostConflict event',
        async () => {
          const r = await e.k(['get', 'events', '-n', 'net-a', '--field-selector', 'reason=HostConflict', '-o', 'jsonpath={.items[*].message}']);
          return r.stdout.includes('race.example.com') ? r.stdout : undefined;
        },
        10_000,
      );
      assert.match(
        ev,
        /\[ingress\.host-unique\] host "race\.example\.com" belongs to Ingress net-b\/late, created first, which does not share it with namespace net-a/,
      );
      assert.equal((await e.env.server.metrics.ingressConflicts.get()).values[0]?.value, 1);
      await e.ok(['delete', 'ingress', 'later', '-n', 'net-a']);
      await waitFor('conflict gone', async () => (await e.env.server.metrics.ingressConflicts.get()).values[0]?.value === 0, 10_000);
    });

    it('consent by share-with, edited by the owning tenant, opens and closes a host to another namespace', async () => {
      const e = get();
      const owner = ingress('owner').replace('shop.example.com', 'consent.example.com').replace('path: /', 'path: /shop');
      const guest = ingress('guest').replace('shop.example.com', 'consent.example.com').replace('path: /', 'path: /guest');
      await e.ok(['apply', '-n', 'net-a', '-f', '-'], { input: owner, as: 'tenant' });
      await waitFor('owner cached', async () => e.env.server.store.ownership.hostHolders('consent.example.com').length === 1, 10_000);
      const refused = await e.k(['apply', '-n', 'net-b', '-f', '-'], { input: guest, as: 'tenant' });
      assert.notEqual(refused.code, 0);
      assert.match(
        refused.stderr,
        /\[ingress\.host-unique\] spec\.rules\[0\]\.host "consent\.example\.com" is already served by Ingress net-a\/owner.*harbormaster\.io\/share-with: "net-b" on Ingress net-a\/owner/,
      );

      await e.ok(['annotate', 'ingress', 'owner', '-n', 'net-a', 'harbormaster.io/share-with=net-b'], { as: 'tenant' });
      await waitFor('consent cached', async () => e.env.server.store.ownership.hostHolders('consent.example.com')[0]?.shareWith.includes('net-b'), 10_000);
      const shared = await e.k(['apply', '-n', 'net-b', '-f', '-'], { input: guest, as: 'tenant' });
      assert.equal(shared.code, 0, shared.stderr);
      const overlap = await e.k(['apply', '-n', 'net-b', '-f', '-'], {
        input: ingress('guest-2').replace('shop.example.com', 'consent.example.com').replace('path: /', 'path: /shop/cart'),
        as: 'tenant',
      });
      assert.notEqual(overlap.code, 0);
      assert.match(
        overlap.stderr,
        /path "\/shop\/cart" overlaps path "\/shop" of Ingress net-a\/owner; namespaces sharing a host may not serve overlapping paths/,
      );

      // Consent withdrawn: the guest can no longer change its Ingress (and is reported as a conflict).
      await e.ok(['annotate', 'ingress', 'owner', '-n', 'net-a', 'harbormaster.io/share-with-'], { as: 'tenant' });
      await waitFor(
        'consent withdrawn in the cache',
        async () => e.env.server.store.ownership.hostHolders('consent.example.com')[0]?.shareWith.length === 0,
        10_000,
      );
      const after = await e.k(['label', 'ingress', 'guest', '-n', 'net-b', 'touched=yes'], { as: 'tenant' });
      assert.notEqual(after.code, 0);
      assert.match(after.stderr, /\[ingress\.host-unique\].*already served by Ingress net-a\/owner/);
      await e.ok(['delete', 'ingress', 'guest', '-n', 'net-b']);
    });

    it('a VIP the load balancer gave a Service (status only) is held: another namespace cannot take it', async () => {
      const e = get();
      const svc = (name: string, annotations = '') =>
        `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n${annotations}spec:\n  type: LoadBalancer\n  selector: { app: web }\n  ports: [{ port: 443, protocol: TCP }]\n`;
      await e.ok(['apply', '-n', 'net-a', '-f', '-'], { input: svc('assigned'), as: 'tenant' });
      // What the load-balancer controller does once it has programmed a VIP.
      await e.ok([
        'patch',
        'service',
        'assigned',
        '-n',
        'net-a',
        '--subresource=status',
        '--type=merge',
        '-p',
        '{"status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.77"}]}}}',
      ]);
      await waitFor('status VIP cached', async () => e.env.server.store.ownership.vipHolders('203.0.113.77').length === 1, 10_000);
      const take = await e.k(['apply', '-n', 'net-b', '-f', '-'], {
        input: svc('take', '  annotations:\n    lb.harbormaster.io/vip: 203.0.113.77\n    lb.harbormaster.io/shared-vip-key: copy\n'),
        as: 'tenant',
      });
      assert.notEqual(take.code, 0);
      assert.match(
        take.stderr,
        /\[loadbalancer\.vip-owner\] metadata\.annotations\["lb\.harbormaster\.io\/vip"\] "203\.0\.113\.77" belongs to namespace net-a \(Service net-a\/assigned holds it/,
      );
      // The Ingress form of the same attack.
      const viaIngress = await e.k(['apply', '-n', 'net-b', '-f', '-'], {
        input: ingress('vip-steal')
          .replace('shop.example.com', 'vip-steal.example.com')
          .replace('metadata:\n  name: vip-steal', 'metadata:\n  name: vip-steal\n  annotations:\n    ingress.harbormaster.io/static-vip: 203.0.113.77'),
        as: 'tenant',
      });
      assert.notEqual(viaIngress.code, 0);
      assert.match(viaIngress.stderr, /\[ingress\.vip-owner\] .*"203\.0\.113\.77" belongs to namespace net-a/);
    });

    it('an IngressNightmare-style snippet never gets through', async () => {
      const e = get();
      const evil = ingress('evil')
        .replace(
          'metadata:\n  name: evil',
          'metadata:\n  name: evil\n  annotations:\n    nginx.ingress.kubernetes.io/auth-tls-match-cn: "CN=x\\n}\\nssl_engine /tmp/x.so;"',
        )
        .replace('shop.example.com', 'evil.example.com');
      const r = await e.k(['apply', '-n', 'net-b', '-f', '-'], { input: evil });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /\[ingress\.unsafe-characters\]|\[ingress\.nginx-risk\]/);
    });
  });
}
