/**
 * ingress hardening: the attack shapes a security review got through (snippet
 * keys of other controllers, loose value grammars, cross-namespace references,
 * path injection, regex paths) and the valid values that must still pass.
 * Table-driven; messages asserted by the words that tell the tenant the fix.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate } from '../../src/admission/engine.js';
import type { KubeObject } from '../../src/admission/types.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import { loadConfigFile } from '../../src/config/load.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { ingressValidate } from '../../src/policies/ingress/validate.js';
import { admissionRequest } from '../support/review.js';

const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
if (!loaded.ok) throw new Error('policy');
const config = loaded.config;

type Path = { path?: unknown; pathType?: string };
type Rule = { host?: string; paths?: Path[] };
function ing(name: string, opts: { annotations?: Record<string, string>; rules?: Rule[] } = {}): KubeObject {
  const rules = (opts.rules ?? [{ host: 'app.example.com', paths: [{ path: '/', pathType: 'Prefix' }] }]).map((r) => ({
    ...(r.host !== undefined ? { host: r.host } : {}),
    http: { paths: (r.paths ?? []).map((p) => ({ ...p, backend: { service: { name: 'web', port: { number: 80 } } } })) },
  }));
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
    metadata: { name, annotations: opts.annotations ?? {} },
    spec: { ingressClassName: 'harbormaster', rules },
  };
}

const cluster = storeFromObjects([
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-b' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'trusted', annotations: { 'harbormaster.io/ingress-risk': 'high' } } },
]);

function check(obj: KubeObject, namespace = 'team-a') {
  return evaluate({ policy: ingressValidate, request: admissionRequest(obj, { namespace }), cluster, config });
}

type Case = { name: string; obj: KubeObject; namespace?: string; deny: Array<[rule: string, message: RegExp]> };

function runCases(title: string, cases: Case[]): void {
  describe(title, () => {
    for (const c of cases) {
      it(c.name, () => {
        const d = check(c.obj, c.namespace);
        assert.equal(d.denials.length, c.deny.length, JSON.stringify(d.denials, null, 1));
        c.deny.forEach(([rule, re], i) => {
          assert.equal(d.denials[i]?.rule, rule, d.denials[i]?.message);
          assert.match(d.denials[i]?.message ?? '', re);
        });
      });
    }
  });
}

const N = 'nginx.ingress.kubernetes.io/';
const a = (annotations: Record<string, string>) => ing('x', { annotations });
const critical = /is Critical risk \(.*\) and never allowed/;

runCases('snippet keys under any controller prefix are Critical', [
  { name: 'nginx.org/server-snippets', obj: a({ 'nginx.org/server-snippets': 'location /x { return 200; }' }), deny: [['ingress.nginx-risk', critical]] },
  { name: 'nginx.org/location-snippets', obj: a({ 'nginx.org/location-snippets': 'add_header X 1;' }), deny: [['ingress.nginx-risk', critical]] },
  { name: 'legacy ingress.kubernetes.io/configuration-snippet', obj: a({ 'ingress.kubernetes.io/configuration-snippet': 'x' }), deny: [['ingress.nginx-risk', /\["ingress\.kubernetes\.io\/configuration-snippet"\] is Critical risk/] ] },
  { name: 'haproxy.org/backend-config-snippet', obj: a({ 'haproxy.org/backend-config-snippet': 'http-request set-header X 1' }), deny: [['ingress.nginx-risk', critical]] },
  { name: 'haproxy.com/frontend-config-snippet', obj: a({ 'haproxy.com/frontend-config-snippet': 'x' }), deny: [['ingress.nginx-risk', critical]] },
  { name: 'traefik snippet-ish key', obj: a({ 'traefik.ingress.kubernetes.io/router.middlewares-snippet': 'x' }), deny: [['ingress.nginx-risk', critical]] },
  { name: 'mixed case Snippet', obj: a({ 'example.com/Server-SNIPPET': 'x' }), deny: [['ingress.nginx-risk', critical]] },
  { name: 'snippet in the middle of the name', obj: a({ 'nginx.org/snippets-server': 'x' }), deny: [['ingress.nginx-risk', critical]] },
  { name: 'nginx auth-snippet keeps its own reason, even with the opt-in', namespace: 'trusted', obj: a({ [`${N}auth-snippet`]: 'x' }), deny: [['ingress.nginx-risk', /CVE-2025-24514 class\)\) and never allowed/]] },
  { name: 'an empty snippet is still a snippet', obj: a({ 'nginx.org/server-snippets': '' }), deny: [['ingress.nginx-risk', critical]] },
  { name: 'other controllers\' non-snippet keys stay ignored', obj: a({ 'nginx.org/rewrites': 'serviceName=web rewrite=/', 'haproxy.org/timeout-server': '5s', 'traefik.ingress.kubernetes.io/router.entrypoints': 'web' }), deny: [] },
  { name: '"snippet" only in the prefix is not a snippet key', obj: a({ 'snippets.example.com/owner': 'team-a' }), deny: [] },
]);

describe('bounded work: a hostile Ingress with thousands of keys', () => {
  const many = (prefix: string, n: number): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}proxy-body-sise-${i}`, '8m']));

  it('only the first 5 unknown keys get a "did you mean"', () => {
    const d = check(a(many(N, 8)));
    assert.equal(d.denials.length, 8);
    assert.equal(d.denials.filter((x) => x.message.includes('did you mean')).length, 5);
    assert.match(d.denials[7]?.message ?? '', /is not on the nginx annotation allow-list; see `harbormaster policies`/);
  });

  for (const prefix of [N, 'ingress.harbormaster.io/']) {
    it(`3,000 unknown ${prefix} keys are evaluated in well under 50 ms`, () => {
      const obj = a(many(prefix, 3000));
      for (let i = 0; i < 3; i++) check(obj); // warm the JIT: we measure the algorithm, not the interpreter
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const start = performance.now();
        const d = check(obj);
        times.push(performance.now() - start);
        assert.equal(d.denials.length, 3000);
      }
      const ms = times.sort((x, y) => x - y)[2]!; // the median: one GC pause is not the policy's cost
      assert.ok(ms < 50, `took ${ms.toFixed(1)} ms`);
      console.log(`3,000 unknown ${prefix} keys: ${ms.toFixed(2)} ms`);
    });
  }
});
